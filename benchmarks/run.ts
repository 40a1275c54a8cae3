// `npm run bench [-- --quick]`: netsandbox against iproute2, pyroute2 and a C libmnl loop (the
// kernel's limit here), inside private namespaces (npm runs this through
// test/in-private-netns.sh). Every comparison is a ratio of medians taken in this one run.
// Writes benchmarks/results/latest.{json,md,svg} (quick.* with --quick, which CI runs).
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { type Interface, Sandbox } from '../lib/index.js';
import { renderChart } from './chart.js';

const execFile = promisify(execFileCallback);
const here = fileURLToPath(new URL('.', import.meta.url));
const quick = process.argv.includes('--quick');
const SIZES = quick ? [100] : [500, 5000];
const REPS = 5; // measured repetitions, after one warm-up
const SPAWN_CAP = 500; // per-process variants run at most this many operations (their per-op cost is flat)

type Variant = 'netsandbox awaited' | 'netsandbox Promise.all' | 'execFile ip' | 'ip -batch' | 'pyroute2' | 'C ack each' | 'C pipelined' | 'C pipelined + echo';
const VARIANTS: Variant[] = ['netsandbox awaited', 'netsandbox Promise.all', 'execFile ip', 'ip -batch', 'pyroute2', 'C ack each', 'C pipelined', 'C pipelined + echo'];

interface Run { seconds: number; ops: number }
interface CaseDef {
  name: string;
  /** The most operations one repetition may do (the kernel makes some cases slow). */
  maxN?: number;
  setup(n: number): Promise<Record<string, unknown>>;
  // Each case reads the fields its own setup made; typing that per case would add nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  variants: Partial<Record<Variant, (ctx: any, n: number) => Promise<Run>>>;
}

let counter = 0;
const fresh = (prefix: string) => `${prefix}${process.pid % 1000}-${counter++}`;

async function timed(ops: number, body: () => Promise<unknown>): Promise<Run> {
  const start = performance.now();
  await body();
  return { seconds: (performance.now() - start) / 1000, ops };
}

const nlbench = join(here, 'bin', 'nlbench');
function buildNlbench(): void {
  const source = join(here, 'nlbench.c');
  if (!existsSync(nlbench) || statSync(nlbench).mtimeMs < statSync(source).mtimeMs) {
    execFileSync('sh', [join(here, 'build-nlbench.sh')], { stdio: 'inherit' });
  }
}

/** Runs nlbench (or the pyroute2 script) inside the sandbox; the program times its own loop. */
async function inNamespace(sb: Sandbox, ops: number, program: string, ...args: string[]): Promise<Run> {
  const { stdout } = await execFile('ip', ['netns', 'exec', sb.name!, program, ...args], { maxBuffer: 1 << 20 });
  const { ns } = JSON.parse(stdout) as { ns: number };
  return { seconds: ns / 1e9, ops };
}

const hasPyroute2 = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import pyroute2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function ipEach(sb: Sandbox | null, lines: string[]): Promise<Run> {
  const ops = Math.min(lines.length, SPAWN_CAP);
  return timed(ops, async () => {
    for (const line of lines.slice(0, ops)) await execFile('ip', [...(sb ? ['-n', sb.name!] : []), ...line.split(' ')]);
  });
}

async function ipBatch(sb: Sandbox | null, lines: string[]): Promise<Run> {
  const file = join(tmpdir(), `netsandbox-batch-${process.pid}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return timed(lines.length, () => execFile('ip', [...(sb ? ['-n', sb.name!] : []), '-batch', file]));
}

/** A sandbox with an up veth 'b0' to hang routes and addresses on. */
async function linkSandbox(): Promise<{ sb: Sandbox; dev: Interface }> {
  const sb = await Sandbox.create(fresh('bench-'));
  const [dev, peer] = await sb.createVeth('b0', { peer: { name: 'b0p' } });
  await Promise.all([dev.setUp(), peer.setUp()]);
  return { sb, dev };
}

const v4 = (i: number) => `198.18.${i >> 8}.${i & 255}`;
const v6 = (i: number) => `2001:db8:1::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function netlinkCase(name: 'route4' | 'route6' | 'addr4'): CaseDef {
  const add = (sb: Sandbox, dev: Interface, i: number) => (name === 'route4' ? sb.addRoute({ dst: `${v4(i)}/32`, dev })
    : name === 'route6' ? sb.addRoute({ dst: `${v6(i)}/128`, dev }) : dev.addAddress(`${v4(i)}/32`));
  const line = (i: number) => (name === 'route4' ? `route add ${v4(i)}/32 dev b0`
    : name === 'route6' ? `route add ${v6(i)}/128 dev b0` : `addr add ${v4(i)}/32 dev b0`);
  return {
    name: { route4: 'route add IPv4', route6: 'route add IPv6', addr4: 'address add IPv4' }[name],
    setup: () => linkSandbox(),
    variants: {
      'netsandbox awaited': ({ sb, dev }, n) => timed(n, async () => { for (const i of range(n)) await add(sb, dev, i); }),
      'netsandbox Promise.all': ({ sb, dev }, n) => timed(n, () => Promise.all(range(n).map((i) => add(sb, dev, i)))),
      'execFile ip': ({ sb }, n) => ipEach(sb, range(n).map(line)),
      'ip -batch': ({ sb }, n) => ipBatch(sb, range(n).map(line)),
      ...(hasPyroute2 && { pyroute2: ({ sb }: { sb: Sandbox }, n: number) => inNamespace(sb, n, join(here, 'pyroute2-bench.py'), name, String(n), 'b0') }),
      'C ack each': ({ sb }, n) => inNamespace(sb, n, nlbench, 'ack', name, String(n), 'b0'),
      'C pipelined': ({ sb }, n) => inNamespace(sb, n, nlbench, 'pipe', name, String(n), 'b0'),
      // netsandbox asks the kernel to echo each new route, so it resolves to exactly what was installed.
      ...(name !== 'addr4' && { 'C pipelined + echo': ({ sb }: { sb: Sandbox }, n: number) => inNamespace(sb, n, nlbench, 'pipe', name, String(n), 'b0', '-e') }),
    },
  };
}

const vethCase: CaseDef = {
  name: 'veth create, peer in a 2nd sandbox',
  async setup() {
    return { a: await Sandbox.create(fresh('bench-a')), b: await Sandbox.create(fresh('bench-b')) };
  },
  variants: {
    'netsandbox awaited': ({ a, b }, n) => timed(n, async () => {
      for (const i of range(n)) await a.createVeth(`bv${i}`, { peer: { name: `bp${i}`, sandbox: b } });
    }),
    'netsandbox Promise.all': ({ a, b }, n) => timed(n, () => Promise.all(range(n).map((i) => a.createVeth(`bv${i}`, { peer: { name: `bp${i}`, sandbox: b } })))),
    'execFile ip': ({ a, b }, n) => ipEach(a, range(n).map((i) => `link add bv${i} type veth peer name bp${i} netns ${b.name}`)),
    'ip -batch': ({ a, b }, n) => ipBatch(a, range(n).map((i) => `link add bv${i} type veth peer name bp${i} netns ${b.name}`)),
    'C ack each': ({ a, b }, n) => inNamespace(a, n, nlbench, 'ack', 'veth', String(n), b.path),
    'C pipelined': ({ a, b }, n) => inNamespace(a, n, nlbench, 'pipe', 'veth', String(n), b.path),
  },
};

const moveCase: CaseDef = {
  name: 'link move between sandboxes',
  maxN: quick ? 20 : 50, // the kernel takes ~16 ms per move here (an RCU grace period)
  async setup(n) {
    const a = await Sandbox.create(fresh('bench-a'));
    const b = await Sandbox.create(fresh('bench-b'));
    const links = await Promise.all(range(n).map(async (i) => (await a.createVeth(`mv${i}`, { peer: { name: `mw${i}` } }))[0]));
    return { a, b, links };
  },
  variants: {
    'netsandbox awaited': ({ b, links }, n) => timed(n, async () => { for (const l of links) await l.moveTo(b); }),
    'netsandbox Promise.all': ({ b, links }, n) => timed(n, () => Promise.all(links.map((l: Interface) => l.moveTo(b)))),
    'execFile ip': ({ a, b }, n) => ipEach(a, range(n).map((i) => `link set mv${i} netns ${b.name}`)),
    'ip -batch': ({ a, b }, n) => ipBatch(a, range(n).map((i) => `link set mv${i} netns ${b.name}`)),
    'C ack each': ({ a, b }, n) => inNamespace(a, n, nlbench, 'ack', 'move', String(n), b.path),
    'C pipelined': ({ a, b }, n) => inNamespace(a, n, nlbench, 'pipe', 'move', String(n), b.path),
  },
};

const netnsCase: CaseDef = {
  name: 'namespace create + destroy',
  maxN: quick ? 50 : 200,
  async setup() {
    return { prefix: fresh('bn') };
  },
  variants: {
    'netsandbox awaited': ({ prefix }, n) => timed(n, async () => {
      const made = [];
      for (const i of range(n)) made.push(await Sandbox.create(`${prefix}-${i}`));
      for (const sb of made) await sb.destroy();
    }),
    'netsandbox Promise.all': ({ prefix }, n) => timed(n, async () => {
      const made = await Promise.all(range(n).map((i) => Sandbox.create(`${prefix}-${i}`)));
      await Promise.all(made.map((sb) => sb.destroy()));
    }),
    'execFile ip': async ({ prefix }, n) => {
      const ops = Math.min(n, SPAWN_CAP);
      return timed(ops, async () => {
        for (const i of range(ops)) await execFile('ip', ['netns', 'add', `${prefix}-${i}`]);
        for (const i of range(ops)) await execFile('ip', ['netns', 'del', `${prefix}-${i}`]);
      });
    },
    'ip -batch': ({ prefix }, n) => ipBatch(null, [...range(n).map((i) => `netns add ${prefix}-${i}`), ...range(n).map((i) => `netns del ${prefix}-${i}`)])
      .then((r) => ({ ...r, ops: n })),
    // nlbench names its namespaces bn<i> itself; it runs in this (private) namespace.
    'C ack each': async (_ctx, n) => {
      const { stdout } = await execFile(nlbench, ['ack', 'netns', String(n), '/run/netns']);
      return { seconds: (JSON.parse(stdout) as { ns: number }).ns / 1e9, ops: n };
    },
  },
};

const SYSCTL_KEY = 'net.ipv4.conf.all.forwarding';
const sysctlCase: CaseDef = {
  name: 'sysctl set',
  async setup() {
    return { sb: await Sandbox.create(fresh('bench-s')) };
  },
  variants: {
    // Alternating values: the library skips writes of an equal value.
    'netsandbox awaited': ({ sb }, n) => timed(n, async () => { for (const i of range(n)) await sb.sysctl.set(SYSCTL_KEY, (i + 1) % 2); }),
    'netsandbox Promise.all': ({ sb }, n) => timed(n, () => Promise.all(range(n).map((i) => sb.sysctl.set(SYSCTL_KEY, (i + 1) % 2)))),
    'execFile ip': ({ sb }, n) => {
      const ops = Math.min(n, SPAWN_CAP);
      return timed(ops, async () => {
        for (const i of range(ops)) await execFile('ip', ['netns', 'exec', sb.name, 'sysctl', '-q', '-w', `${SYSCTL_KEY}=${(i + 1) % 2}`]);
      });
    },
    // One `ip netns exec NAME sysctl -w k=v k=v ...` process for all of them.
    'ip -batch': ({ sb }, n) => timed(n, () => execFile('ip', ['netns', 'exec', sb.name, 'sysctl', '-q', '-w', ...range(n).map((i) => `${SYSCTL_KEY}=${(i + 1) % 2}`)])),
    'C ack each': ({ sb }, n) => inNamespace(sb, n, nlbench, 'ack', 'sysctl', String(n), SYSCTL_KEY),
  },
};

/** The flock seed's pod set-up, with the public API. */
async function podWithLibrary(host: Sandbox, i: number): Promise<Sandbox> {
  const pod = await Sandbox.create(fresh('pod'));
  const [hostEnd, podEnd] = await host.createVeth(`cali${i}`, { peer: { name: 'eth0', sandbox: pod } });
  await Promise.all([
    hostEnd.setUp(),
    hostEnd.addAddress('fe80::1/64', { noDad: true }),
    hostEnd.sysctl.set('ipv4.conf.proxy_arp', 1),
    hostEnd.sysctl.set('ipv4.conf.forwarding', 1),
    hostEnd.sysctl.set('ipv6.conf.forwarding', 1),
    podEnd.addAddress(`${v4(i)}/32`),
    podEnd.addAddress(`${v6(i)}/128`, { noDad: true }),
    podEnd.setUp(),
  ]);
  await Promise.all([
    pod.addRoute({ dst: '169.254.1.1/32', dev: podEnd, scope: 'link' }),
    pod.addRoute({ dst: 'default', via: '169.254.1.1', dev: podEnd, onLink: true }),
    pod.addRoute({ dst: 'default', via: 'fe80::1', dev: podEnd }),
    host.addRoute({ dst: `${v4(i)}/32`, dev: hostEnd }),
    host.addRoute({ dst: `${v6(i)}/128`, dev: hostEnd }),
  ]);
  return pod;
}

function podScript(host: string, pods: Array<{ name: string; i: number }>): string {
  return pods.map(({ name, i }) => [
    `ip netns add ${name}`,
    `ip -n ${host} link add cali${i} type veth peer name eth0 netns ${name}`,
    `ip -n ${host} link set cali${i} up`,
    `ip -n ${host} addr add fe80::1/64 dev cali${i} nodad`,
    `ip netns exec ${host} sysctl -q -w net.ipv4.conf.cali${i}.proxy_arp=1 net.ipv4.conf.cali${i}.forwarding=1 net.ipv6.conf.cali${i}.forwarding=1`,
    `ip -n ${name} addr add ${v4(i)}/32 dev eth0`,
    `ip -n ${name} addr add ${v6(i)}/128 dev eth0 nodad`,
    `ip -n ${name} link set eth0 up`,
    `ip -n ${name} route add 169.254.1.1/32 dev eth0 scope link`,
    `ip -n ${name} route add default via 169.254.1.1 dev eth0 onlink`,
    `ip -n ${name} -6 route add default via fe80::1 dev eth0`,
    `ip -n ${host} route add ${v4(i)}/32 dev cali${i}`,
    `ip -n ${host} -6 route add ${v6(i)}/128 dev cali${i}`,
  ].join('\n')).join('\n');
}

const podCase: CaseDef = {
  name: 'pod set-up (flock style)',
  maxN: quick ? 5 : 50,
  async setup() {
    const host = await Sandbox.create(fresh('bench-host'));
    return { host, pods: [] as Sandbox[] };
  },
  variants: {
    'netsandbox awaited': (ctx, n) => timed(n, async () => { for (const i of range(n)) ctx.pods.push(await podWithLibrary(ctx.host, i)); }),
    'netsandbox Promise.all': (ctx, n) => timed(n, async () => { ctx.pods.push(...await Promise.all(range(n).map((i) => podWithLibrary(ctx.host, i)))); }),
    'execFile ip': async (ctx, n) => {
      const pods = range(n).map((i) => ({ name: fresh('pod'), i }));
      const run = await timed(n, () => execFile('sh', ['-ec', podScript(ctx.host.name, pods)]));
      ctx.scriptPods = pods.map((p) => p.name);
      return run;
    },
  },
};

async function teardown(ctx: Record<string, unknown>): Promise<void> {
  for (const value of Object.values(ctx)) {
    if (value instanceof Sandbox) await value.destroy();
    if (Array.isArray(value)) for (const v of value) if (v instanceof Sandbox) await v.destroy();
  }
  for (const name of (ctx.scriptPods as string[] | undefined) ?? []) await execFile('ip', ['netns', 'del', name]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Measured { perOpUs: number; ops: number; samplesUs: number[] }
type Results = Record<string, Partial<Record<Variant, Measured>>>;

async function measure(def: CaseDef, n: number, variant: Variant): Promise<Measured> {
  const body = def.variants[variant]!;
  const per: number[] = [];
  let ops = 0;
  for (let rep = 0; rep <= REPS; rep++) {
    const ctx = await def.setup(n);
    try {
      const run = await body(ctx, n);
      if (rep > 0) per.push((run.seconds / run.ops) * 1e6); // rep 0 warms up
      ops = run.ops;
    } finally {
      await teardown(ctx);
    }
  }
  return { perOpUs: median(per), ops, samplesUs: per };
}

async function main(): Promise<void> {
  buildNlbench();
  const cases: Array<[string, CaseDef]> = [
    ['route4', netlinkCase('route4')], ['route6', netlinkCase('route6')], ['addr4', netlinkCase('addr4')],
    ['veth', vethCase], ['move', moveCase], ['netns', netnsCase], ['sysctl', sysctlCase], ['pod', podCase],
  ];
  const results: Results = {};
  const labels: Record<string, string> = {};
  for (const size of SIZES) {
    for (const [key, def] of cases) {
      const n = Math.min(size, def.maxN ?? size);
      const id = `${key}@${n}`;
      if (results[id]) continue; // capped cases measure once
      labels[id] = `${def.name} (N=${n})`;
      results[id] = {};
      for (const variant of VARIANTS) {
        if (!def.variants[variant]) continue;
        const m = await measure(def, n, variant);
        results[id][variant] = m;
        console.log(`${labels[id].padEnd(48)} ${variant.padEnd(24)} ${m.perOpUs.toFixed(1).padStart(10)} µs/op${m.ops < n ? ` (${m.ops} ops)` : ''}`);
      }
    }
  }
  const machine = {
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    node: process.version,
    iproute2: execFileSync('ip', ['-V'], { encoding: 'utf8' }).trim(),
    pyroute2: hasPyroute2 ? 'python3-pyroute2 (Debian)' : 'not installed (apt-get install python3-pyroute2 to include it)',
    date: new Date().toISOString(),
    quick,
  };
  const ratios = ratiosOf(results);
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, quick ? 'quick' : 'latest');
  writeFileSync(`${base}.json`, JSON.stringify({ machine, labels, results, ratios }, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown(machine, labels, results, ratios));
  writeFileSync(`${base}.svg`, renderChart(labels, results, VARIANTS));
  console.log('\n' + readFileSync(`${base}.md`, 'utf8'));
}

interface Ratio { what: string; target: string; value: number; met: boolean | null }

function ratiosOf(results: Results): Ratio[] {
  const out: Ratio[] = [];
  const at = (id: string, v: Variant) => results[id]?.[v]?.perOpUs;
  for (const id of Object.keys(results)) {
    const r = (a: Variant, b: Variant) => { const x = at(id, a); const y = at(id, b); return x && y ? x / y : undefined; };
    const add = (what: string, target: string, value: number | undefined, met: (v: number) => boolean | null) => {
      if (value !== undefined) out.push({ what: `${id}: ${what}`, target, value, met: met(value) });
    };
    if (id.startsWith('route')) {
      add('Promise.all / C pipelined', '≤ 1.3', r('netsandbox Promise.all', 'C pipelined'), (v) => v <= 1.3);
      add('Promise.all / C pipelined + echo', '(same work)', r('netsandbox Promise.all', 'C pipelined + echo'), () => null);
      add('awaited / C ack each', '≤ 2', r('netsandbox awaited', 'C ack each'), (v) => v <= 2);
      add('execFile ip / awaited', '≥ 200', r('execFile ip', 'netsandbox awaited'), (v) => v >= 200);
      add('execFile ip / Promise.all', '≥ 200', r('execFile ip', 'netsandbox Promise.all'), (v) => v >= 200);
      add('ip -batch / Promise.all', '> 1', r('ip -batch', 'netsandbox Promise.all'), (v) => v > 1);
    }
    if (id.startsWith('veth')) add('Promise.all / C pipelined', '≤ 1.1', r('netsandbox Promise.all', 'C pipelined'), (v) => v <= 1.1);
    if (id.startsWith('pod')) add('ip script / Promise.all', '≥ 10', r('execFile ip', 'netsandbox Promise.all'), (v) => v >= 10);
    if (id.startsWith('sysctl')) add('ip netns exec sysctl / awaited', '—', r('execFile ip', 'netsandbox awaited'), () => null);
  }
  return out;
}

function markdown(machine: Record<string, unknown>, labels: Record<string, string>, results: Results, ratios: Ratio[]): string {
  const used = VARIANTS.filter((v) => Object.values(results).some((r) => r[v]));
  const cell = (m: Measured | undefined, n: number) => (m ? `${m.perOpUs < 10 ? m.perOpUs.toFixed(2) : m.perOpUs.toFixed(1)}${m.ops < n ? '*' : ''}` : '—');
  const rows = Object.entries(results).map(([id, r]) => `| ${labels[id]} | ${used.map((v) => cell(r[v], Number(id.split('@')[1]))).join(' | ')} |`);
  return [
    `Per-operation time in µs, median of ${REPS} runs after a warm-up (lower is better).`,
    `* measured on the first ${SPAWN_CAP} operations (one process per operation; its cost per operation does not depend on N).`,
    'For sysctl, "ip -batch" is one `ip netns exec NAME sysctl -w k=v k=v ...` process; for the pod set-up, "execFile ip" is one shell script of `ip` and `sysctl` commands.',
    '',
    `| case | ${used.join(' | ')} |`,
    `| --- | ${used.map(() => '---:').join(' | ')} |`,
    ...rows,
    '',
    '| ratio | target | measured | |',
    '| --- | --- | ---: | --- |',
    ...ratios.map((x) => `| ${x.what} | ${x.target} | ${x.value.toFixed(2)} | ${x.met === null ? '' : x.met ? 'met' : 'missed'} |`),
    '',
    `Machine: ${machine.cpu}; Linux ${machine.kernel}; Node ${machine.node}; ${machine.iproute2}; pyroute2: ${machine.pyroute2}.`,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
