import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NetsandboxError, NotFoundError, Sandbox } from '../../lib/index.js';
import { handleOf } from '../../lib/request.js';
import { ip, uniqueName } from '../support/oracle.js';

let host: Sandbox;
let pod: Sandbox;

beforeAll(async () => {
  host = await Sandbox.create(uniqueName('sc-host'));
  pod = await Sandbox.create(uniqueName('sc-pod'));
});
afterAll(async () => {
  await host.destroy();
  await pod.destroy();
});

/** The oracle: what the namespace's own /proc/sys says, read by another process. */
function read(sb: Sandbox, ...path: string[]): string {
  return execFileSync('ip', ['netns', 'exec', sb.name!, 'cat', `/proc/sys/net/${path.join('/')}`], { encoding: 'utf8' }).trim();
}

describe('namespace-wide sysctls', () => {
  it('reads and sets inside the sandbox, never on the host', async () => {
    const hostValue = execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' }).trim();
    expect(await host.sysctl.get('net.ipv4.ip_forward')).toBe(read(host, 'ipv4', 'ip_forward'));
    expect(await host.sysctl.set('net.ipv4.ip_forward', 1)).toEqual({ key: 'net.ipv4.ip_forward', previous: '0', value: '1', changed: true });
    expect(await host.sysctl.set('net.ipv4.ip_forward', '1')).toEqual({ key: 'net.ipv4.ip_forward', previous: '1', value: '1', changed: false });
    expect(read(host, 'ipv4', 'ip_forward')).toBe('1');
    expect(read(pod, 'ipv4', 'ip_forward')).toBe('0');
    expect(execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' }).trim()).toBe(hostValue);
  });

  it('compares multi-number values by words', async () => {
    const change = await host.sysctl.set('net.ipv4.ip_local_port_range', '20000 30000');
    expect(change.value).toMatch(/^20000\s+30000$/);
    expect((await host.sysctl.set('net.ipv4.ip_local_port_range', '20000   30000')).changed).toBe(false);
  });

  it('refuses non-net keys, bad values, and names a missing key', async () => {
    await expect(host.sysctl.set('kernel.hostname', 'x')).rejects.toThrow(/only net\.\* keys belong to a sandbox/);
    await expect(host.sysctl.set('net.ipv4.ip_forward', '1\n0')).rejects.toBeInstanceOf(RangeError);
    const missing = await host.sysctl.get('net.ipv4.no_such_key').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe(`sysctl.get net.ipv4.no_such_key in sandbox ${host.name}: no sysctl net.ipv4.no_such_key in this namespace (ENOENT)`);
    const refused = await host.sysctl.set('net.ipv4.ip_forward', 'banana').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NetsandboxError);
    expect(refused).toMatchObject({ code: 'EINVAL', operation: 'sysctl.set', target: 'net.ipv4.ip_forward' });
    expect((refused as Error).message).toMatch(/the kernel refused the value \(EINVAL\)$/);
  });

  it('applies in order with a result per key; the load-balancer profile is unavailable without ip_vs', async () => {
    const results = await host.sysctl.apply([
      ['net.ipv4.conf.all.rp_filter', 2], ['net.ipv4.conf.all.rp_filter', 2], ['net.ipv4.nope', 1], ['net.ipv4.ip_forward', 'x'],
    ]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'unchanged', 'unavailable', 'error']);
    expect(results[2]?.reason).toBe('no sysctl net.ipv4.nope in this namespace');
    expect(results[3]).toMatchObject({ code: 'EINVAL', reason: 'the kernel refused the value' });
    const hasIpvs = (() => {
      try {
        return read(host, 'ipv4', 'vs', 'conn_reuse_mode') !== undefined;
      } catch {
        return false;
      }
    })();
    const docker = await host.sysctl.apply(['net.ipv4.conf.all.forwarding=1', 'net.ipv4.conf.all.forwarding = 1']); // Docker's form
    expect(docker).toMatchObject([{ key: 'net.ipv4.conf.all.forwarding', value: '1' }, { status: 'unchanged', value: '1' }]);
    const profile = await host.sysctl.apply('load-balancer');
    if (hasIpvs) {
      expect(profile.every((r) => r.status === 'applied' || r.status === 'unchanged')).toBe(true);
    } else {
      expect(profile).toEqual([
        { key: 'net.ipv4.vs.conn_reuse_mode', status: 'unavailable', reason: 'ip_vs is not loaded', code: 'ENOENT' },
        { key: 'net.ipv4.vs.expire_nodest_conn', status: 'unavailable', reason: 'ip_vs is not loaded', code: 'ENOENT' },
        { key: 'net.ipv4.vs.expire_quiescent_template', status: 'unavailable', reason: 'ip_vs is not loaded', code: 'ENOENT' },
      ]);
    }
    // Nothing half-applied: a bad key anywhere fails the whole call before any write.
    await expect(host.sysctl.apply([['net.ipv4.conf.all.rp_filter', 0], ['kernel.panic', 1]])).rejects.toBeInstanceOf(RangeError);
    expect(read(host, 'ipv4', 'conf', 'all', 'rp_filter')).toBe('2');
  });

  it('snapshots a prefix and restores it', async () => {
    const before = await pod.sysctl.snapshot('net.ipv4.conf.default');
    expect(before.entries.find((e) => e.key === 'net.ipv4.conf.default.arp_ignore')?.value).toBe(read(pod, 'ipv4', 'conf', 'default', 'arp_ignore'));
    await pod.sysctl.apply({ 'net.ipv4.conf.default.arp_ignore': 1, 'net.ipv4.conf.default.forwarding': 1 });
    const restored = await pod.sysctl.restore(before);
    expect(restored.filter((r) => r.status === 'applied').map((r) => r.key).sort()).toEqual(['net.ipv4.conf.default.arp_ignore', 'net.ipv4.conf.default.forwarding']);
    expect(restored.every((r) => r.status === 'applied' || r.status === 'unchanged')).toBe(true);
    expect(read(pod, 'ipv4', 'conf', 'default', 'arp_ignore')).toBe('0');
    const keys = await pod.sysctl.snapshot(['net.ipv4.ip_forward', 'net.core.somaxconn']);
    expect(keys.entries.map((e) => e.key)).toEqual(['net.ipv4.ip_forward', 'net.core.somaxconn']);
  });

  it('works with a read-only /proc/sys for values that are already right', () => {
    const script = new URL('./fixtures/sysctl-readonly.mts', import.meta.url).pathname;
    const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec node_modules/.bin/tsx "$0" "$1"', script, pod.name!],
    { encoding: 'utf8' });
    const { same, other } = JSON.parse(out) as { same: { changed: boolean }; other: { code: string; message: string } };
    expect(same.changed).toBe(false);
    expect(other.code).toBe('EROFS');
    expect(other.message).toMatch(/\/proc\/sys is mounted read-only here \(EROFS\)$/);
  });

  // Where openat2 is refused (older seccomp profiles, valgrind), a component-by-component walk
  // with the same guarantees takes over; strace makes every openat2 fail with ENOSYS.
  // The kernel may store a value other than the one written: the write is then an error, not a
  // silent change ('01' reads back as '1').
  it('rejects a write the kernel reads back differently with ERR_SYSCTL_MISMATCH', async () => {
    const error = await host.sysctl.set('net.ipv4.ip_forward', '01').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SYSCTL_MISMATCH', target: 'net.ipv4.ip_forward' });
    expect((error as Error).message).toMatch(/wrote '01' but the kernel reads back '1'/);
    expect((await host.sysctl.apply([['net.ipv4.ip_forward', '01']]))[0]).toMatchObject({ status: 'error', code: 'ERR_SYSCTL_MISMATCH' });
  });

  it('works without openat2, by a checked walk beneath /proc/sys/net', () => {
    const script = new URL('./fixtures/sysctl-walk.mts', import.meta.url).pathname;
    const run = (inject: string[]) => JSON.parse(execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', ...inject,
      'node_modules/.bin/tsx', script, pod.name!], { encoding: 'utf8' })) as Record<string, unknown>;
    const walked = run(['-e', 'trace=openat2', '-e', 'inject=openat2:error=ENOSYS']);
    expect(walked).toMatchObject({ set: '1', get: '1', missing: 'ENOENT', escapes: ['EINVAL', 'ENOTDIR'] });
    expect(walked.listed).toBeGreaterThan(10);
    expect(run(['-e', 'trace=openat2'])).toEqual(walked); // the same answers with openat2
  });

  it('the native side refuses escaping paths and values even if the facade were bypassed', async () => {
    const h = handleOf(host);
    const results = await h.sysctl([
      { path: ['..', '..', '..', 'etc', 'passwd'] }, { path: ['ipv4', 'conf', 'lo/../../..', 'x'] }, { path: ['ipv4', '.', 'ip_forward'] },
      { path: [] }, { path: ['ipv4', 'ip_forward\0'] }, { path: ['ipv4', 'ip_forward'], value: '1\n0' },
      { path: ['ipv4', 'ip_forward'], value: '0\0' },
    ]);
    expect(results.map((r) => r.code)).toEqual(['EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL']);
    await expect(h.sysctlList(['..'])).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('per-interface sysctls', () => {
  it('takes the short form, IFNAME and ifname; a dotted name stays one element', async () => {
    const [a] = await host.createVeth('eth0.100', { peer: { name: 'dotpeer' } });
    expect(await a.sysctl.set('ipv4.conf.arp_ignore', 1)).toMatchObject({ key: 'net/ipv4/conf/eth0.100/arp_ignore', previous: '0', value: '1', changed: true });
    expect(read(host, 'ipv4', 'conf', 'eth0.100', 'arp_ignore')).toBe('1');
    await a.sysctl.set('net.ipv6.conf.IFNAME.accept_ra', 2);
    await a.sysctl.set('net.ipv4.neigh.ifname.base_reachable_time_ms', 12000);
    expect(read(host, 'ipv6', 'conf', 'eth0.100', 'accept_ra')).toBe('2');
    expect(read(host, 'ipv4', 'neigh', 'eth0.100', 'base_reachable_time_ms')).toBe('12000');
    const applied = await a.sysctl.apply([['ipv4.conf.arp_announce', 2], ['ipv4.conf.no_such_key', 1]]);
    expect(applied.map((r) => [r.key, r.status])).toEqual([
      ['net/ipv4/conf/eth0.100/arp_announce', 'applied'], ['net/ipv4/conf/eth0.100/no_such_key', 'unavailable']]);
    expect(read(host, 'ipv4', 'conf', 'eth0.100', 'arp_announce')).toBe('2');
    await expect(a.sysctl.set('net.ipv4.conf.eth0.100.forwarding', 1)).rejects.toThrow(/represent/);
    await expect(a.sysctl.set('net.ipv4.conf.all.forwarding', 1)).rejects.toThrow(/namespace-wide/);
    await a.delete();
  });

  it('a sysctl set before a move is lost (kernel behaviour); the sysctls option keeps it', async () => {
    const [plain] = await host.createVeth('mv-plain', { peer: { name: 'mv-plainp' } });
    await plain.sysctl.set('ipv6.conf.accept_ra', 2);
    const lost = await plain.moveTo(pod, { name: 'eth1' });
    expect(read(pod, 'ipv6', 'conf', 'eth1', 'accept_ra')).toBe('1');
    expect(await lost.sysctl.get('ipv6.conf.accept_ra')).toBe('1');

    const [kept] = await host.createVeth('mv-kept', { peer: { name: 'mv-keptp' } });
    const moved = await kept.moveTo(pod, { name: 'eth2', sysctls: [['ipv6.conf.accept_ra', 2], ['net.ipv4.conf.IFNAME.arp_ignore', 1]] });
    expect(moved.up).toBe(false);
    expect(read(pod, 'ipv6', 'conf', 'eth2', 'accept_ra')).toBe('2');
    expect(read(pod, 'ipv4', 'conf', 'eth2', 'arp_ignore')).toBe('1');
  });

  it('moves a failed interface back under its old name and says which key failed', async () => {
    const [a] = await host.createVeth('mv-fail', { peer: { name: 'mv-failp' } });
    const error = await a.moveTo(pod, { name: 'eth3', sysctls: { 'ipv4.conf.arp_ignore': 1, 'ipv6.conf.no_such_key': 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(`moveTo mv-fail to sandbox ${pod.name} as eth3 in sandbox ${host.name}: sysctl net.ipv6.conf.eth3.no_such_key=1 failed: no sysctl net.ipv6.conf.eth3.no_such_key in this namespace; eth3 was moved back to sandbox ${host.name} as mv-fail (ENOENT)`);
    expect((await host.interface('mv-fail')).name).toBe('mv-fail');
    await expect(pod.interface('eth3')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('applies peer sysctls at creation: addr_gen_mode=1 leaves no fe80:: address after set-up', async () => {
    const [a, b] = await host.createVeth('agm0', { peer: { name: 'agm-peer', sandbox: pod, sysctls: { 'ipv6.conf.addr_gen_mode': 1 } } });
    const [c, d] = await host.createVeth('agm1', { peer: { name: 'agm-ctrl', sandbox: pod } });
    await Promise.all([a.setUp(), b.setUp(), c.setUp(), d.setUp()]);
    const linkLocal = (dev: string) => ip<Array<{ addr_info: Array<{ local: string }> }>>(pod.name!, '-6', 'addr', 'show', 'dev', dev)[0]?.addr_info.map((x) => x.local).filter((x) => x.startsWith('fe80')) ?? [];
    // The kernel adds link-local addresses as the links come up: once the control has its own,
    // the peer would have had one too.
    for (let i = 0; i < 400 && linkLocal('agm-ctrl').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(linkLocal('agm-peer')).toEqual([]);
    expect(linkLocal('agm-ctrl')).toHaveLength(1); // the control without the sysctl has one
  });

  it('deletes the pair when a peer sysctl fails', async () => {
    const error = await host.createVeth('pf0', { peer: { name: 'pf-peer', sandbox: pod, sysctls: { 'ipv4.conf.forwarding': 'x' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetsandboxError);
    expect((error as Error).message).toMatch(/sysctl net\.ipv4\.conf\.pf-peer\.forwarding=x failed: the kernel refused the value; the veth pair was deleted \(EINVAL\)$/);
    await expect(host.interface('pf0')).rejects.toBeInstanceOf(NotFoundError);
    await expect(pod.interface('pf-peer')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('explains that an MTU below 1280 leaves no ipv6.conf keys', async () => {
    const [a] = await host.createVeth('small0', { mtu: 1200, peer: { name: 'small0p', mtu: 1200 } });
    const error = await a.sysctl.get('ipv6.conf.accept_ra').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(/IPv6 is off on small0: its MTU 1200 is below IPv6's minimum of 1280, so the kernel has no net\.ipv6\.conf\.small0 keys \(ENOENT\)$/);
    await a.delete();
  });

  it('setIPv6(false) reports the IPv6 addresses it dropped; disableArpForVip sets arp_ignore/arp_announce', async () => {
    const [a] = await host.createVeth('v6t0', { peer: { name: 'v6t0p' } });
    await a.addAddress('2001:db8::5/64', { noDad: true });
    const off = await a.setIPv6(false);
    expect(off).toMatchObject({ key: 'net.ipv6.conf.v6t0.disable_ipv6', previous: '0', value: '1', changed: true, droppedAddresses: ['2001:db8::5/64'] });
    expect((await a.setIPv6(true)).changed).toBe(true);
    const arp = await a.disableArpForVip();
    expect(arp.map((c) => [c.key, c.value])).toEqual([['net.ipv4.conf.v6t0.arp_ignore', '1'], ['net.ipv4.conf.v6t0.arp_announce', '2']]);
    expect([read(host, 'ipv4', 'conf', 'v6t0', 'arp_ignore'), read(host, 'ipv4', 'conf', 'v6t0', 'arp_announce')]).toEqual(['1', '2']);
    await a.delete();
  });
});
