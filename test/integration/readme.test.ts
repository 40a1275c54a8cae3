// Every TypeScript/JavaScript block of the README runs, as written, in a process of its own
// (inside this private namespace, in a private one of its own): a block that is a module runs
// alone; a fragment runs after the prelude its `<!-- readme-test: NAME -->` comment names, which
// makes the sandboxes and interfaces it uses, and cleans up after it. A block that never ends (a
// watch loop) is stopped after a while. `sh` blocks are checked for syntax only: they install
// packages and run the whole test suite.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = process.cwd();
const lib = join(root, 'lib/index.ts');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Block { line: number; lang: string; code: string; prelude: string | undefined }

function blocks(): Block[] {
  const found: Block[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    const tag = /^<!-- readme-test: ([\w-]+) -->$/.exec(lines[i - 1] ?? '');
    found.push({ line: i + 1, lang: open[1]!, code: lines.slice(i + 1, end).join('\n'), prelude: tag?.[1] });
    i = end;
  }
  return found;
}

// What each prelude makes, under the names the README's fragments use; `cleanup` undoes it.
const veth = (sb: string, name: string, peer: string, peerSb: string, address: string, peerAddress: string) => `
  const [${name}] = await ${sb}.createVeth('${name === 'hostEnd' ? 'veth0' : `v-${name}`}', { peer: { name: '${peer}', sandbox: ${peerSb} } });
  const ${name}Peer = await ${peerSb}.interface('${peer}');
  await ${name}.addAddress('${address}'); await ${name}Peer.addAddress('${peerAddress}');
  await Promise.all([${name}.setUp(), ${name}Peer.setUp()]);`;
const preludes: Record<string, string> = {
  sandbox: 'const sb = await Sandbox.create("readme");',
  'pod-eth0': `const host = await Sandbox.create('host'); const pod = await Sandbox.create('web-1');
    ${veth('host', 'hostEnd', 'eth0', 'pod', '169.254.1.1/32', '198.51.100.10/32')}`,
  'pod-eth1': `const host = await Sandbox.create('host'); const pod = await Sandbox.create('pod');
    ${veth('host', 'hostEnd', 'eth1', 'pod', '192.0.2.1/24', '192.0.2.10/24')}`,
  'host-pod': 'const host = await Sandbox.create(\'host\'); const pod = await Sandbox.create(\'pod\');',
  'web-client': `import http from 'node:http';
    const web = await Sandbox.create('web'); const client = await Sandbox.create('client');
    ${veth('web', 'hostEnd', 'eth0', 'client', '192.0.2.1/24', '192.0.2.2/24')}`,
  sysctl: `const host = await Sandbox.create('host'); const pod = await Sandbox.create('pod'); const sb = host;
    const [hostEnd] = await host.createVeth('veth0', { peer: { name: 'vpeer0' } });
    const [iface] = await host.createVeth('veth2', { peer: { name: 'vpeer2' } });`,
  // A loop over events: something happens, then the process ends it.
  watch: `const sb = await Sandbox.create('readme'); const rebuild = (_: unknown) => {};
    setTimeout(() => void sb.createBridge('br-readme').then((br) => br.setUp()), 100);
    setTimeout(() => process.exit(0), 1000);`,
};

function run(block: Block): string {
  const code = block.code.replaceAll('from \'netsandbox\'', `from '${lib}'`);
  const source = block.prelude === 'module' ? code : [
    `import { Sandbox } from '${lib}';`,
    preludes[block.prelude!] ?? (() => { throw new Error(`README line ${block.line}: no prelude ${block.prelude}`); })(),
    code,
    // Let callbacks the block started (an HTTP answer) finish; the namespaces go with the process.
    'await new Promise((resolve) => setTimeout(resolve, 300));',
    'process.exit(0);',
  ].join('\n');
  // Imports first: a prelude or a fragment may bring its own.
  const lines = source.split('\n');
  const file = join(work, `block-${block.line}.mts`);
  writeFileSync(file, [...lines.filter((l) => /^\s*import /.test(l)), ...lines.filter((l) => !/^\s*import /.test(l))].join('\n'));
  return execFileSync('sh', [join(root, 'test/in-private-netns.sh'), process.execPath, '--import', 'tsx', file],
    { encoding: 'utf8', cwd: root, timeout: 30_000 });
}

describe('README code blocks', () => {
  const all = blocks();

  it('has its blocks found, each TypeScript/JavaScript one tagged with how to run it', () => {
    expect(all.filter((b) => b.lang === 'ts' || b.lang === 'js').length).toBeGreaterThanOrEqual(9);
    for (const b of all.filter((x) => x.lang === 'ts' || x.lang === 'js')) expect(b.prelude, `README line ${b.line}`).toBeDefined();
  });

  it.each(all.filter((b) => b.lang === 'ts' || b.lang === 'js').map((b) => [b.line, b] as const))('runs the block at README line %i', (_, block) => {
    run(block);
  });

  it('has sh blocks that parse', () => {
    for (const b of all.filter((x) => x.lang === 'sh')) execFileSync('sh', ['-n', '-c', b.code]);
  });
});
