import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExistsError, Interface, NotFoundError, Sandbox, UnsupportedError } from '../../lib/index.js';
import { ip, type IpLink, ipRaw, uniqueName } from '../support/oracle.js';

let host: Sandbox;
let pod: Sandbox;

beforeAll(async () => {
  host = await Sandbox.create(uniqueName('host'));
  pod = await Sandbox.create(uniqueName('pod'));
});
afterAll(async () => {
  await host.destroy();
  await pod.destroy();
});

function link(sb: Sandbox, name: string): IpLink {
  const [found] = ip<IpLink[]>(sb.name!, '-d', 'link', 'show', 'dev', name);
  if (!found) throw new Error(`${name} not shown`);
  return found;
}

/** The library's view of an interface equals iproute2's. */
function expectSameAsIp(iface: Interface): void {
  const shown = link(iface.sandbox, iface.name);
  expect({ index: iface.index, name: iface.name, mtu: iface.mtu, mac: iface.mac, up: iface.up, kind: iface.kind })
    .toEqual({ index: shown.ifindex, name: shown.ifname, mtu: shown.mtu, mac: shown.address, up: shown.flags.includes('UP'), kind: shown.linkinfo?.info_kind ?? '' });
}

describe('veth', () => {
  it('creates the peer directly in the other sandbox even when a same-named interface exists here', async () => {
    // The flock seed created the peer on the host as eth0 first: that clashes with a host eth0.
    const [hostEth0] = await host.createVeth('eth0', { peer: { name: 'clash-peer' } });
    const [hostEnd, podEnd] = await host.createVeth('veth-pod1', { mtu: 1400, peer: { name: 'eth0', sandbox: pod, mtu: 1400, mac: '02:00:00:00:01:01' } });
    expect(podEnd.sandbox).toBe(pod);
    expect(podEnd).toMatchObject({ name: 'eth0', mtu: 1400, mac: '02:00:00:00:01:01', kind: 'veth' });
    expectSameAsIp(hostEnd);
    expectSameAsIp(podEnd);
    expect(ip<IpLink[]>(host.name!, 'link', 'show', 'eth0')[0]?.ifindex).toBe(hostEth0!.index);
    await hostEth0!.delete();
    await hostEnd.delete();
    await expect(pod.interface('eth0')).rejects.toBeInstanceOf(NotFoundError); // the peer went with it
  });

  it('takes 15-character names and names with a dot, and refuses 16 characters before sending', async () => {
    const [a, b] = await host.createVeth('abcdefghijklmno', { peer: { name: 'eth0.100', sandbox: pod } });
    expectSameAsIp(a);
    expectSameAsIp(b);
    await expect(host.createVeth('abcdefghijklmnop', { peer: { name: 'x' } })).rejects.toBeInstanceOf(RangeError);
    await a.delete();
  });

  it('reports a name clash as ExistsError naming the interface', async () => {
    const [a] = await host.createVeth('dup0', { peer: { name: 'dup0p' } });
    const error = await host.createVeth('dup0', { peer: { name: 'dup0q' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistsError);
    expect(error).toMatchObject({ code: 'EEXIST', operation: 'createVeth', sandbox: host.name });
    expect((error as Error).message).toMatch(/^createVeth dup0 \(peer dup0q\) in sandbox host-\w+: /);
    await a.delete();
  });
});

describe('link settings', () => {
  it('sets up/down, MTU, MAC and name, each visible to ip', async () => {
    const [a] = await host.createVeth('set0', { peer: { name: 'set0p' } });
    await a.setMtu(1280);
    await a.setMac('02:00:00:00:00:aa');
    await a.rename('renamed0');
    await a.setUp();
    expectSameAsIp(a);
    expect(link(host, 'renamed0').flags).toContain('UP');
    await a.setDown();
    expectSameAsIp(a);
    const error = await a.setMtu(40).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    await a.delete();
  });

  it('sets and clears an alias, as `ip link set NAME alias TEXT` does', async () => {
    const [a] = await host.createVeth('alias0', { peer: { name: 'alias0p' } });
    expect(a.alias).toBeNull();
    await a.setAlias('uplink to rack 7');
    expect(a.alias).toBe('uplink to rack 7');
    expect((link(host, 'alias0') as unknown as { ifalias?: string }).ifalias).toBe('uplink to rack 7');
    expect((await host.interface('alias0')).alias).toBe('uplink to rack 7');
    await a.setAlias(null);
    expect(a.alias).toBeNull();
    expect((link(host, 'alias0') as unknown as { ifalias?: string }).ifalias).toBeUndefined();
    expect((await a.refresh()).alias).toBeNull();
    await expect(a.setAlias('x'.repeat(256))).rejects.toBeInstanceOf(RangeError);
    await a.delete();
  });

  it('refresh() re-reads what changed behind its back, and statistics() counts traffic', async () => {
    const [a, b] = await host.createVeth('stat0', { peer: { name: 'stat0p' } });
    await Promise.all([a.setUp(), b.setUp()]);
    ipRaw(host.name!, 'link', 'set', 'stat0', 'mtu', '1400');
    expect(a.mtu).toBe(1500); // a snapshot
    await a.refresh();
    expect(a.mtu).toBe(1400);
    expectSameAsIp(a);
    const lo = await host.interface('lo');
    const before = await lo.statistics();
    execFileSync('ip', ['netns', 'exec', host.name!, 'bash', '-c', 'for i in 1 2 3; do echo x > /dev/udp/127.0.0.1/9; done']);
    const after = await lo.statistics();
    expect(after.txPackets - before.txPackets).toBeGreaterThanOrEqual(3);
    expect(after.rxBytes).toBeGreaterThan(before.rxBytes);
    await a.delete();
  });

  it('lists interfaces like ip link show', async () => {
    const listed = await pod.interfaces();
    const shown = ip<IpLink[]>(pod.name!, 'link', 'show');
    expect(listed.map((i) => [i.index, i.name])).toEqual(shown.map((l) => [l.ifindex, l.ifname]));
    expect(listed.partial).toBe(false);
    expect(JSON.parse(JSON.stringify(listed[0]))).toMatchObject({ name: 'lo', sandbox: pod.name });
  });
});

describe('bridge, macvlan, vxlan', () => {
  it('enslaves to a bridge and detaches', async () => {
    const br = await host.createBridge('br-test');
    const [a] = await host.createVeth('brport0', { peer: { name: 'brport0p' } });
    await a.setMaster(br);
    expect(a.master).toBe('br-test');
    expect(link(host, 'brport0').master).toBe('br-test');
    expect((await host.interface('brport0')).master).toBe('br-test');
    await a.setMaster(null);
    expect(a.master).toBeNull();
    expect(link(host, 'brport0').master).toBeUndefined();
    await a.delete();
    await br.delete();
  });

  it("puts a bridge port's FDB entry in the bridge's table with master, and reads bridge's own back", async () => {
    const br = await host.createBridge('br-fdb');
    const [port] = await host.createVeth('fdbport0', { peer: { name: 'fdbport0p' } });
    await port.setMaster(br);
    await host.addFdbEntry({ mac: '02:00:00:00:fd:01', dev: port, master: true, static: true });
    await host.addFdbEntry({ mac: '02:00:00:00:fd:02', dev: port, master: true });
    type BridgeFdb = { mac: string; master?: string; flags: string[]; state: string };
    const shown = (JSON.parse(execFileSync('bridge', ['-j', '-n', host.name!, 'fdb', 'show', 'dev', 'fdbport0'], { encoding: 'utf8' })) as BridgeFdb[])
      .filter((e) => e.mac.startsWith('02:00:00:00:fd'));
    // In the bridge's table (bridge prints its name as master), not the port's own list (self).
    expect(shown.map((e) => [e.mac, e.master, e.flags.includes('self'), e.state]).sort()).toEqual([
      ['02:00:00:00:fd:01', 'br-fdb', false, 'static'],
      ['02:00:00:00:fd:02', 'br-fdb', false, 'static'], // not permanent: that would make it local
    ]);
    // Made by bridge, read by the library.
    execFileSync('bridge', ['-n', host.name!, 'fdb', 'add', '02:00:00:00:fd:03', 'dev', 'fdbport0', 'master', 'static']);
    const listed = (await host.fdbEntries({ dev: port })).filter((e) => e.mac.startsWith('02:00:00:00:fd'));
    expect(listed.map((e) => [e.mac, e.master, e.self, e.state]).sort()).toEqual([
      ['02:00:00:00:fd:01', true, false, ['noarp']],
      ['02:00:00:00:fd:02', true, false, ['noarp']],
      ['02:00:00:00:fd:03', true, false, ['noarp']],
    ]);
    await host.deleteFdbEntry({ mac: '02:00:00:00:fd:02', dev: port, master: true });
    expect((await host.fdbEntries({ dev: port })).some((e) => e.mac === '02:00:00:00:fd:02')).toBe(false);
    // This kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING): an entry in a VLAN
    // is the kernel's EINVAL, as for `bridge fdb add ... vlan 10`, and nothing is added.
    await expect(host.addFdbEntry({ mac: '02:00:00:00:fd:04', dev: port, master: true, vlan: 10 })).rejects.toMatchObject({ code: 'EINVAL', operation: 'addFdbEntry' });
    expect((await host.fdbEntries({ dev: port })).some((e) => e.mac === '02:00:00:00:fd:04')).toBe(false);
    await expect(host.addFdbEntry({ mac: '02:00:00:00:fd:04', dev: port, vlan: 5000 })).rejects.toBeInstanceOf(RangeError);
    await port.delete();
    await br.delete();
  });

  it('creates a macvlan in bridge mode by default, and a vxlan on a multicast group over a parent', async () => {
    const [parent] = await host.createVeth('mvdef', { peer: { name: 'mvdefp' } });
    await host.createMacvlan('mvd0', { parent });
    const mv = ip<Array<{ linkinfo: { info_data: { mode: string } } }>>(host.name!, '-d', 'link', 'show', 'mvd0')[0];
    expect(mv?.linkinfo.info_data.mode).toBe('bridge');
    const vx = await host.createVxlan('vxg0', { vni: 7, port: 4789, group: '239.1.1.7', parent });
    const shown = ip<Array<{ linkinfo: { info_data: { id: number; group: string; link: string; port: number } } }>>(host.name!, '-d', 'link', 'show', 'vxg0')[0];
    expect(shown?.linkinfo.info_data).toMatchObject({ id: 7, group: '239.1.1.7', link: 'mvdef', port: 4789 });
    expect(vx.linkInfo).toEqual({ kind: 'vxlan', vni: 7, port: 4789, local: null, remote: null, group: '239.1.1.7', parentIndex: parent!.index, learning: true });
    expect((await host.interface('mvd0')).linkInfo).toEqual({ kind: 'macvlan', mode: 'bridge', parentIndex: parent!.index });
    await vx.delete();
    await parent!.delete();
  });

  it('creates a macvlan on a parent', async () => {
    const [parent] = await host.createVeth('mvparent', { peer: { name: 'mvparentp' } });
    const mv = await host.createMacvlan('mv0', { parent, mode: 'bridge' });
    expectSameAsIp(mv);
    const shown = ip<Array<{ linkinfo: { info_data: { mode: string } }; link: string }>>(host.name!, '-d', 'link', 'show', 'mv0')[0];
    expect(shown?.linkinfo.info_data.mode).toBe('bridge');
    expect(shown?.link).toBe('mvparent');
    expect(JSON.parse(JSON.stringify(mv)).linkInfo).toEqual({ kind: 'macvlan', mode: 'bridge', parentIndex: parent.index });
    await mv.delete(); // a passthru macvlan must be its parent's only one
    // Made by ip, read here: every mode by name.
    for (const mode of ['private', 'vepa', 'passthru', 'source'] as const) {
      ipRaw(host.name!, 'link', 'add', `mv-${mode}`, 'link', 'mvparent', 'type', 'macvlan', 'mode', mode);
      expect((await host.interface(`mv-${mode}`)).linkInfo).toEqual({ kind: 'macvlan', mode, parentIndex: parent.index });
      ipRaw(host.name!, 'link', 'del', `mv-${mode}`);
    }
    await parent.delete();
  });

  it('creates a vxlan with a remote, and FDB entries on it', async () => {
    const vx = await host.createVxlan('vx42', { vni: 42, port: 4789, local: '192.0.2.1', remote: '192.0.2.2', learning: false });
    expectSameAsIp(vx);
    const data = ip<Array<{ linkinfo: { info_data: Record<string, unknown> } }>>(host.name!, '-d', 'link', 'show', 'vx42')[0]?.linkinfo.info_data;
    expect(data).toMatchObject({ id: 42, port: 4789, local: '192.0.2.1', remote: '192.0.2.2', learning: false });
    expect(vx.linkInfo).toEqual({ kind: 'vxlan', vni: 42, port: 4789, local: '192.0.2.1', remote: '192.0.2.2', group: null, parentIndex: null, learning: false });
    // Made by ip, read here: IPv6 ends, the kernel's default port.
    ipRaw(host.name!, 'link', 'add', 'vx6', 'type', 'vxlan', 'id', '6', 'local', '2001:db8::1', 'remote', '2001:db8::2', 'dstport', '0');
    expect((await host.interface('vx6')).linkInfo).toEqual({
      kind: 'vxlan', vni: 6, port: ip<Array<{ linkinfo: { info_data: { port: number } } }>>(host.name!, '-d', 'link', 'show', 'vx6')[0]!.linkinfo.info_data.port,
      local: '2001:db8::1', remote: '2001:db8::2', group: null, parentIndex: null, learning: true,
    });
    ipRaw(host.name!, 'link', 'del', 'vx6');
    await host.addFdbEntry({ mac: '00:00:00:00:00:00', dev: vx, dst: '192.0.2.3' });
    await host.addFdbEntry({ mac: '00:00:00:00:00:00', dev: vx, dst: '192.0.2.4' });
    const entries = await host.fdbEntries({ dev: vx });
    expect(entries.map((e) => e.dst).filter(Boolean).sort()).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4']);
    // iproute2's `bridge fdb` is the oracle for the flood entries we appended.
    const fdb = JSON.parse(execFileSync('bridge', ['-j', '-n', host.name!, 'fdb', 'show', 'dev', 'vx42'], { encoding: 'utf8' })) as Array<{ mac: string; dst?: string }>;
    expect(fdb.filter((e) => e.dst).map((e) => e.dst).sort()).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4']);
    await host.deleteFdbEntry({ mac: '00:00:00:00:00:00', dev: vx, dst: '192.0.2.3' });
    expect((await host.fdbEntries({ dev: vx })).map((e) => e.dst).filter(Boolean).sort()).toEqual(['192.0.2.2', '192.0.2.4']);
    await vx.delete();
  });

  it('refuses contradictory vxlan options before sending', async () => {
    await expect(host.createVxlan('vxbad', { vni: 1, port: 4789, remote: '192.0.2.2', group: '239.1.1.1' })).rejects.toBeInstanceOf(RangeError);
    await expect(host.createVxlan('vxbad', { vni: 2 ** 24, port: 4789 })).rejects.toBeInstanceOf(RangeError);
    await expect(host.createVxlan('vxbad', { vni: 1, port: 4789, remote: '239.1.1.1' })).rejects.toThrow(/pass it as group/);
  });
});

describe('moving between sandboxes', () => {
  it('moves and renames in one step, even onto a name taken here', async () => {
    const [a] = await host.createVeth('mv-src', { peer: { name: 'mv-srcp' } });
    await host.createVeth('eth9', { peer: { name: 'eth9p' } }); // the same name as the target's
    const moved = await a.moveTo(pod, { name: 'eth9' });
    expect(moved.sandbox).toBe(pod);
    expect(moved.name).toBe('eth9');
    expectSameAsIp(moved);
    await expect(host.interface('mv-src')).rejects.toBeInstanceOf(NotFoundError);
    const back = await moved.moveTo(host, { name: 'mv-back' });
    expectSameAsIp(back);
    await back.delete();
    await (await host.interface('eth9')).delete();
  });

  // The kernel moves first and renames after: onto a name taken in the target it moved the
  // interface under its old name and then refused. A rejection must mean nothing moved.
  it('refuses a name taken in the target before anything moves', async () => {
    const [a] = await host.createVeth('mv-taken', { peer: { name: 'mv-takenp' } });
    const [held] = await pod.createVeth('eth7', { peer: { name: 'eth7p' } });
    const error = await a.moveTo(pod, { name: 'eth7' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistsError);
    expect((error as Error).message).toMatch(/has an interface named eth7 already; nothing was moved \(EEXIST\)$/);
    expect((await host.interface('mv-taken')).index).toBe(a.index);
    expect(ip<IpLink[]>(pod.name!, 'link', 'show').map((l) => l.ifname)).not.toContain('mv-taken');
    await a.delete();
    await held!.delete();
  });

  // The pair is made in one request, but its far end is read in the peer's sandbox: closed in
  // between, the read fails, and the pair must not stay behind.
  it('createVeth whose peer sandbox closes in flight rejects and leaves no pair', async () => {
    const peer = await Sandbox.create(uniqueName('closing-peer'));
    const creating = host.createVeth('vc0', { peer: { name: 'vc0p', sandbox: peer } });
    creating.catch(() => {});
    await Promise.resolve(); // the create is handed over: it has borrowed the peer's namespace
    await peer.close();
    const error = await creating.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_CLOSED', operation: 'createVeth' });
    expect((error as Error).message).toMatch(/the veth pair was deleted/);
    expect(ip<IpLink[]>(host.name!, 'link', 'show').map((l) => l.ifname)).not.toContain('vc0');
    await peer.destroy();
  });
});

describe('link kinds this kernel may lack', () => {
  // This machine's kernel has no dummy and no 8021q: where a kind is missing the library must
  // say so with UnsupportedError, and where it exists the interface must be real.
  it('dummy: created, or UnsupportedError naming CONFIG_DUMMY', async () => {
    const result = await host.createDummy('dummy0').catch((e: unknown) => e);
    if (result instanceof Interface) {
      expectSameAsIp(result);
      await result.delete();
      return;
    }
    expect(result).toBeInstanceOf(UnsupportedError);
    expect(result).toMatchObject({ code: 'EOPNOTSUPP', operation: 'createDummy', sandbox: host.name });
    expect((result as Error).message).toMatch(/: the running kernel has no 'dummy' link type \(CONFIG_DUMMY is not built or loaded\) \(EOPNOTSUPP\)$/);
  });

  it('vlan: created, or UnsupportedError naming CONFIG_VLAN_8021Q', async () => {
    const [parent] = await host.createVeth('vlparent', { peer: { name: 'vlparentp' } });
    const result = await host.createVlan('vlparent.5', { parent, id: 5 }).catch((e: unknown) => e);
    if (result instanceof Interface) {
      expectSameAsIp(result);
    } else {
      expect(result).toBeInstanceOf(UnsupportedError);
      expect((result as Error).message).toMatch(/has no 'vlan' link type \(CONFIG_VLAN_8021Q/);
    }
    await parent.delete();
  });
});
