// A horizontal grouped bar chart of per-operation µs on a log scale, as plain SVG.

interface Measured { perOpUs: number; cpuPerOpUs?: number }

const COLORS: Record<string, string> = {
  'netsandbox awaited': '#1f77b4',
  'netsandbox Promise.all': '#2ca02c',
  'execFile ip': '#d62728',
  'ip -batch': '#ff7f0e',
  pyroute2: '#9467bd',
  'C ack each': '#7f7f7f',
  'C pipelined': '#3d3d3d',
  'C pipelined + echo': '#bcbd22',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderChart(labels: Record<string, string>, results: Record<string, Partial<Record<string, Measured>>>, variants: string[]): string {
  const bar = 11;
  const labelWidth = 300;
  const plotWidth = 560;
  const values = Object.values(results).flatMap((r) => Object.values(r).map((m) => m!.perOpUs));
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const x = (us: number) => ((Math.log10(us) - lo) / (hi - lo)) * plotWidth;
  const parts: string[] = [];
  let y = 40;
  for (const [id, r] of Object.entries(results)) {
    const present = variants.filter((v) => r[v]);
    parts.push(`<text x="${labelWidth - 8}" y="${y + (present.length * bar) / 2 + 4}" text-anchor="end" font-weight="bold">${escape(labels[id] ?? id)}</text>`);
    for (const v of present) {
      const { perOpUs: us, cpuPerOpUs: cpu } = r[v]!;
      const title = `${escape(v)}: ${us.toFixed(2)} µs${cpu === undefined ? '' : `, CPU ${cpu.toFixed(2)} µs`}`;
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, x(us)).toFixed(1)}" height="${bar - 2}" fill="${COLORS[v] ?? '#999'}"><title>${title}</title></rect>`);
      parts.push(`<text x="${labelWidth + Math.max(1, x(us)) + 4}" y="${y + bar - 3}" font-size="9">${us < 10 ? us.toFixed(2) : us.toFixed(0)}</text>`);
      y += bar;
    }
    y += 10;
  }
  const axis: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const xx = labelWidth + x(10 ** e);
    axis.push(`<line x1="${xx}" y1="30" x2="${xx}" y2="${y}" stroke="#ddd"/>`, `<text x="${xx}" y="24" text-anchor="middle" font-size="10">${10 ** e >= 1e6 ? `${10 ** e / 1e6} s` : 10 ** e >= 1000 ? `${10 ** e / 1000} ms` : `${10 ** e} µs`}</text>`);
  }
  // Four columns from the left edge, so the longest name still fits inside the picture.
  const legendX = (i: number) => 20 + (i % 4) * 210;
  const legend = variants.filter((v) => Object.values(results).some((r) => r[v])).map((v, i) =>
    `<rect x="${legendX(i)}" y="${y + 10 + Math.floor(i / 4) * 16}" width="10" height="10" fill="${COLORS[v] ?? '#999'}"/><text x="${legendX(i) + 14}" y="${y + 19 + Math.floor(i / 4) * 16}" font-size="11">${escape(v)}</text>`);
  const height = y + 50;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 60}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${labelWidth}" y="12" font-size="12">per-operation time, µs (log scale; shorter is faster; a dump row is per whole dump)</text>`,
    ...axis, ...parts, ...legend,
    '</svg>',
    '',
  ].join('\n');
}
