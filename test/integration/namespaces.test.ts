import { execFileSync, spawn } from 'node:child_process';
import { readlinkSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { ExistsError, NetsandboxError, NotFoundError, Sandbox } from '../../lib/index.js';
import { binding } from '../../lib/native.js';
import { ip, ipRaw, uniqueName } from '../support/oracle.js';

function netnsList(): string[] {
  return ip<Array<{ name: string }>>('', 'netns', 'list').map((n) => n.name);
}

describe('namespaces', () => {
  // A C string stops at NUL: '/run/netns/victim\0x' named, opened and removed victim.
  it('refuses paths and names with NUL, in lib and in the binding, and leaves the target alone', async () => {
    await using victim = await Sandbox.create(uniqueName('victim'));
    await expect(Sandbox.open({ path: `${victim.path}\0x` })).rejects.toBeInstanceOf(RangeError);
    await expect(Sandbox.open(`${victim.name}\0x`)).rejects.toBeInstanceOf(RangeError);
    await expect(Sandbox.create('x', { basePath: '/run/netns\0/tmp' })).rejects.toBeInstanceOf(RangeError);
    expect(() => new binding.SandboxHandle().enter({ path: `${victim.path}\0x` })).toThrow(RangeError);
    expect(() => binding.removeNamespaceFile(`${victim.path}\0x`)).toThrow(RangeError);
    expect(netnsList()).toContain(victim.name);
  });

  // kill -9 between making /run/netns/NAME and mounting the namespace on it leaves an empty file.
  it('says what a leftover file is, and create() replaces it unless a live create holds it', async () => {
    const name = uniqueName('leftover');
    const path = `/run/netns/${name}`;
    writeFileSync(path, '', { mode: 0 }); // as `ip netns add` and create() make it
    await expect(Sandbox.open(name)).rejects.toThrow(/empty file left by a create that was killed/);
    const sb = await Sandbox.create(name);
    expect((await sb.interface('lo')).up).toBe(true);
    await sb.destroy();

    writeFileSync(path, 'not empty', { mode: 0 });
    await expect(Sandbox.create(name)).rejects.toMatchObject({ code: 'EEXIST' });
    writeFileSync(path, '', { mode: 0 });
    // One process holds the lock (--no-fork), so killing it by pid ends it.
    const creator = spawn('flock', ['--no-fork', path, 'sh', '-c', 'echo locked; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => creator.stdout.once('data', resolve));
      await expect(Sandbox.create(name)).rejects.toMatchObject({ code: 'EEXIST' }); // a create in progress
    } finally {
      creator.kill();
    }
  });

  // One error discipline: a method that returns a promise reports bad arguments as a rejection.
  it('rejects bad arguments, never throws synchronously', async () => {
    await using sb = await Sandbox.create(uniqueName('args'));
    const lo = await sb.interface('lo');
    const bad = (value: unknown) => value as never;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['Sandbox.create', () => Sandbox.create(bad(7))],
      ['Sandbox.open', () => Sandbox.open(bad(null))],
      ['Sandbox.list', () => Sandbox.list({ basePath: bad(1) })],
      ['interface', () => sb.interface(bad({}))],
      ['createVeth', () => sb.createVeth('v', bad(undefined))],
      ['createVxlan', () => sb.createVxlan('x', bad(null))],
      ['createMacvlan', () => sb.createMacvlan('m', bad(null))],
      ['addresses', () => sb.addresses({ family: bad(5) })],
      ['addRoute', () => sb.addRoute(bad(null))],
      ['deleteRoute', () => sb.deleteRoute(bad(42))],
      ['routes', () => sb.routes({ table: bad('nope') })],
      ['routeTo', () => sb.routeTo(bad(1))],
      ['addNeighbor', () => sb.addNeighbor(bad(null))],
      ['fdbEntries', () => sb.fdbEntries({ dev: bad(3) })],
      ['sysctl.get', () => sb.sysctl.get(bad(42))],
      ['sysctl.set', () => sb.sysctl.set('kernel.panic', 1)],
      ['sysctl.apply', () => sb.sysctl.apply(bad(7))],
      ['sysctl.snapshot', () => sb.sysctl.snapshot(bad(7))],
      ['sysctl.restore', () => sb.sysctl.restore(bad(null))],
      ['iface.sysctl.get', () => lo.sysctl.get('kernel.panic')],
      ['iface.sysctl.apply', () => lo.sysctl.apply(bad(7))],
      ['iface.setMtu', () => lo.setMtu(bad('big'))],
      ['iface.addAddress', () => lo.addAddress(bad(1))],
      ['iface.moveTo', () => lo.moveTo(bad({}))],
      ['iface.addresses', () => lo.addresses({ family: bad(5) })],
      ['addNeighbor permanent', () => sb.addNeighbor({ ip: '192.0.2.9', mac: '02:00:00:00:00:09', dev: 'lo', permanent: bad('false') })],
      ['addRoute type 0', () => sb.addRoute({ dst: '198.51.100.0/24', dev: 'lo', type: 0 })],
      ['createMacvlan mode 0', () => sb.createMacvlan('m', { parent: 'lo', mode: bad(0) })],
    ];
    for (const [what, call] of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => { promise = call(); }, what).not.toThrow();
      const error = await promise!.then(() => undefined, (e: unknown) => e);
      expect(error instanceof TypeError || error instanceof RangeError, `${what}: ${String(error)}`).toBe(true);
    }
  });

  it('creates a named namespace that `ip netns` sees, with lo up, and destroys it', async () => {
    const name = uniqueName('create');
    const sb = await Sandbox.create(name);
    expect(sb.name).toBe(name);
    expect(sb.path).toBe(`/run/netns/${name}`);
    expect(sb.id).toBe(statSync(sb.path).ino);
    expect(netnsList()).toContain(name);
    expect(await Sandbox.list()).toContain(name);
    const [lo] = ip<Array<{ ifname: string; flags: string[] }>>(name, 'link', 'show', 'lo');
    expect(lo?.flags).toContain('UP');
    expect((await sb.interface('lo')).up).toBe(true);
    expect((await sb.interface(1)).name).toBe('lo'); // by index
    await sb.destroy();
    expect(netnsList()).not.toContain(name);
    expect(await Sandbox.list()).not.toContain(name);
    await sb.destroy(); // twice is fine
  });

  it('refuses to create a name that exists with ExistsError and leaves the first intact', async () => {
    await using first = await Sandbox.create(uniqueName('dup'));
    const error = await Sandbox.create(first.name!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistsError);
    expect(error).toMatchObject({ code: 'EEXIST', errno: 17, operation: 'create', sandbox: first.name });
    expect((await first.interfaces()).map((i) => i.name)).toEqual(['lo']);
  });

  it('opens by name, path and pid; the same namespace gives the same id', async () => {
    await using created = await Sandbox.create(uniqueName('open'));
    await using byName = await Sandbox.open(created.name!);
    await using byPath = await Sandbox.open({ path: created.path });
    expect(byName.id).toBe(created.id);
    expect(byPath.id).toBe(created.id);
    // A process living in the namespace: open by its pid.
    const child = spawn('ip', ['netns', 'exec', created.name!, 'sleep', '30'], { stdio: 'ignore' });
    try {
      // Wait until the child has entered the namespace (ip execs sleep there), not a fixed time.
      const inside = () => { try { return readlinkSync(`/proc/${child.pid}/ns/net`) === `net:[${created.id}]`; } catch { return false; } };
      for (let i = 0; i < 500 && !inside(); i++) await new Promise((r) => setTimeout(r, 5));
      expect(inside()).toBe(true);
      await using byPid = await Sandbox.open({ pid: child.pid! });
      expect(byPid.id).toBe(created.id);
      expect(byPid.name).toBeUndefined();
      await expect(byPid.destroy()).rejects.toMatchObject({ code: 'ERR_NOT_PERSISTED' });
    } finally {
      child.kill();
    }
    // Disposing opened handles only closes them: the namespace is still there.
    await byName.close();
    expect(netnsList()).toContain(created.name);
  });

  it('opens the current namespace, which is the one Node runs in', async () => {
    await using current = await Sandbox.current();
    expect(current.id).toBe(statSync('/proc/self/ns/net').ino);
    expect(current.name).toBeUndefined();
  });

  it('opens the current namespace without CAP_SYS_ADMIN, as an unprivileged ip link show reads it', () => {
    // A child running as nobody: it has no capabilities, so a setns would fail with EPERM.
    const script = `import { Sandbox } from './lib/index.ts';
      const sb = await Sandbox.current();
      console.log(JSON.stringify((await sb.interfaces()).map((i) => i.name)));
      await sb.close();`;
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd(), env: { ...process.env, HOME: '/tmp' } });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toContain('lo');
  });

  it('gives NotFoundError for a missing name or pid, and a clear error for a non-namespace file', async () => {
    await expect(Sandbox.open('no-such-sandbox')).rejects.toBeInstanceOf(NotFoundError);
    await expect(Sandbox.open({ pid: 4_000_000 })).rejects.toBeInstanceOf(NotFoundError);
    const error = await Sandbox.open({ path: '/proc/self/status' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetsandboxError);
    expect((error as Error).message).toMatch(/is not a network namespace \(EINVAL\)/);
  });

  it('validates names and options before touching anything', async () => {
    await expect(Sandbox.create('a/b')).rejects.toBeInstanceOf(RangeError);
    await expect(Sandbox.create('x', { basePath: 'relative' })).rejects.toBeInstanceOf(TypeError);
    await expect(Sandbox.open({ pid: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('keeps separate base paths apart and lists them', async () => {
    const basePath = `/run/netns/alt-${process.pid}`;
    await using sb = await Sandbox.create('inner', { basePath });
    expect(await Sandbox.list({ basePath })).toEqual(['inner']);
    expect(ipRaw('', 'netns', 'list')).not.toMatch(/^inner/m);
    await sb.destroy();
    expect(await Sandbox.list({ basePath })).toEqual([]);
  });

  it('rejects requests after close with ERR_SANDBOX_CLOSED', async () => {
    const sb = await Sandbox.create(uniqueName('closed'));
    await sb.close();
    expect(sb.closed).toBe(true);
    const error = await sb.interfaces().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetsandboxError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_CLOSED', operation: 'interfaces', sandbox: sb.name });
    await sb.destroy();
  });

  it('creates and destroys 50 sandboxes concurrently', async () => {
    const names = Array.from({ length: 50 }, (_, i) => uniqueName(`many${i}`));
    const sandboxes = await Promise.all(names.map((n) => Sandbox.create(n)));
    expect(new Set(sandboxes.map((s) => s.id)).size).toBe(50);
    expect(netnsList()).toEqual(expect.arrayContaining(names));
    await Promise.all(sandboxes.map((s) => s.destroy()));
    const left = netnsList();
    expect(names.filter((n) => left.includes(n))).toEqual([]);
  });
});
