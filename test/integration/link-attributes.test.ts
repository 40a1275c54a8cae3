import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExistsError, type Interface, NetsandboxError, Sandbox } from '../../lib/index.js';
import { ip, type IpLink, ipRaw, uniqueName } from '../support/oracle.js';

interface IpLinkDetails extends IpLink {
  txqlen: number; group: string; altnames?: string[]; link?: string; link_index?: number; link_netnsid?: number;
  linkinfo?: { info_kind: string; info_slave_kind?: string; info_slave_data?: Record<string, unknown> };
}

let a: Sandbox;
let b: Sandbox;

beforeAll(async () => {
  a = await Sandbox.create(uniqueName('la-a'));
  b = await Sandbox.create(uniqueName('la-b'));
});
afterAll(async () => {
  await a.destroy();
  await b.destroy();
});

const show = (sb: Sandbox, name: string) => ip<IpLinkDetails[]>(sb.name!, '-d', 'link', 'show', 'dev', name)[0]!;

describe('link attributes', () => {
  it('sets promisc, allmulticast, txqueuelen and group as ip shows them, and reads what ip set', async () => {
    const [v] = await a.createVeth('la-v0', { peer: { name: 'la-v1' } });
    await v.setPromisc(true);
    await v.setAllmulti(true);
    await v.setTxQueueLen(321);
    await v.setGroup(7);
    expect([v.promisc, v.allmulti, v.txQueueLen, v.group]).toEqual([true, true, 321, 7]);
    const shown = show(a, 'la-v0');
    expect(shown.flags).toEqual(expect.arrayContaining(['PROMISC', 'ALLMULTI']));
    expect([shown.txqlen, shown.group]).toEqual([321, '7']);
    expect((await a.interface('la-v0')).toJSON()).toMatchObject({ promisc: true, allmulti: true, txQueueLen: 321, group: 7 });
    ipRaw(a.name!, 'link', 'set', 'la-v0', 'promisc', 'off', 'allmulticast', 'off', 'txqueuelen', '99', 'group', 'default');
    const read = await a.interface('la-v0');
    expect([read.promisc, read.allmulti, read.txQueueLen, read.group]).toEqual([false, false, 99, 0]);
    await expect(v.setTxQueueLen(-1)).rejects.toBeInstanceOf(RangeError);
    await expect(v.setPromisc('yes' as never)).rejects.toBeInstanceOf(TypeError);
    await v.delete();
  });

  it('adds and deletes alternative names as ip link property does; the interface answers to them', async () => {
    const [v] = await a.createVeth('la-v2', { peer: { name: 'la-v3' } });
    const long = 'a-rather-long-alternative-name-for-la-v2';
    await v.addAltName(long);
    ipRaw(a.name!, 'link', 'property', 'add', 'dev', 'la-v2', 'altname', 'la-alt2');
    expect(show(a, 'la-v2').altnames).toEqual([long, 'la-alt2']);
    expect((await a.interface('la-v2')).altNames).toEqual([long, 'la-alt2']);
    expect((await a.interface('la-alt2')).index).toBe(v.index); // the kernel looks names up among altnames too
    expect((await a.interface(long)).index).toBe(v.index); // longer than IFNAMSIZ: IFLA_ALT_IFNAME
    await expect(a.interface(`${long}-none`)).rejects.toMatchObject({ code: 'ENODEV', operation: 'interface' });
    await expect(a.interface('x'.repeat(128))).rejects.toBeInstanceOf(RangeError);
    const twice = await v.addAltName('la-alt2').catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(ExistsError);
    expect(twice).toMatchObject({ operation: 'addAltName', target: 'la-v2 altname la-alt2' });
    await v.deleteAltName(long);
    expect((await v.refresh()).altNames).toEqual(['la-alt2']);
    expect(show(a, 'la-v2').altnames).toEqual(['la-alt2']);
    await expect(v.addAltName('x'.repeat(128))).rejects.toBeInstanceOf(RangeError);
    await expect(v.addAltName('a/b')).rejects.toBeInstanceOf(RangeError);
    await v.delete();
  });

  it("names a veth's peer by index and its namespace by id, as ip link and ip netns list-id do", async () => {
    const [here, there] = await a.createVeth('la-v4', { peer: { name: 'la-v5', sandbox: b } });
    const local = (await a.createVeth('la-v6', { peer: { name: 'la-v7' } }))[0];
    expect(local.peerIndex).toBe((await a.interface('la-v7')).index);
    expect(local.linkNetnsId).toBeNull();
    const listed = await a.interface('la-v4');
    expect(listed.peerIndex).toBe(there.index);
    const id = await a.netnsId(b);
    expect(id).not.toBeNull();
    expect(listed.linkNetnsId).toBe(id);
    const shown = show(a, 'la-v4');
    expect([shown.link_index, shown.link_netnsid]).toEqual([there.index, id]);
    expect(ip<Array<{ nsid: number }>>(a.name!, 'netns', 'list-id').map((n) => n.nsid)).toContain(id);
    expect((await a.interface('lo')).peerIndex).toBeNull();
    await here.delete();
    await local.delete();
  });

  it('gives another namespace an id as ip netns set does, once', async () => {
    const c = await Sandbox.create(uniqueName('la-c'));
    try {
      expect(await a.netnsId(c)).toBeNull();
      await a.setNetnsId(c, 4242);
      expect(await a.netnsId(c)).toBe(4242);
      expect(ip<Array<{ nsid: number }>>(a.name!, 'netns', 'list-id').map((n) => n.nsid)).toContain(4242);
      const again = await a.setNetnsId(c, 4243).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(NetsandboxError);
      expect(again).toMatchObject({ operation: 'setNetnsId', code: 'EEXIST' });
      await expect(a.setNetnsId(c, -1)).rejects.toBeInstanceOf(RangeError);
    } finally {
      await c.destroy();
    }
  });

  describe('bridge ports', () => {
    let br: Interface;
    let port: Interface;
    beforeAll(async () => {
      br = await a.createBridge('la-br');
      [port] = await a.createVeth('la-p0', { peer: { name: 'la-p1' } });
      await port.setMaster(br);
    });

    it('sets hairpin, isolated, learning, flood, proxy ARP, cost and priority as bridge_slave shows them', async () => {
      await port.setBridgePort({ hairpin: true, isolated: true, learning: false, flood: false, proxyArp: true, cost: 7, priority: 9 });
      const data = show(a, 'la-p0').linkinfo?.info_slave_data;
      expect(data).toMatchObject({ hairpin: true, isolated: true, learning: false, flood: false, proxy_arp: true, cost: 7, priority: 9 });
      expect(await port.bridgePort()).toEqual({ hairpin: true, isolated: true, learning: false, flood: false, proxyArp: true, cost: 7, priority: 9 });
    });

    it('reads what ip set, changes only what it is given, and refuses what is not a port or out of range', async () => {
      ipRaw(a.name!, 'link', 'set', 'dev', 'la-p0', 'type', 'bridge_slave', 'hairpin', 'off', 'learning', 'on', 'cost', '100');
      await port.setBridgePort({ isolated: false });
      expect(await port.bridgePort()).toEqual({ hairpin: false, isolated: false, learning: true, flood: false, proxyArp: true, cost: 100, priority: 9 });
      const lo = await a.interface('lo');
      await expect(lo.bridgePort()).rejects.toMatchObject({ code: 'ERR_NOT_BRIDGE_PORT' });
      const notPort = await lo.setBridgePort({ hairpin: true }).catch((e: unknown) => e);
      expect(notPort).toBeInstanceOf(NetsandboxError);
      expect(notPort).toMatchObject({ operation: 'setBridgePort', target: 'lo' });
      await expect(port.setBridgePort({ priority: 64 })).rejects.toBeInstanceOf(RangeError);
      await expect(port.setBridgePort({ cost: 0 })).rejects.toBeInstanceOf(RangeError);
      await expect(port.setBridgePort({})).rejects.toBeInstanceOf(TypeError);
      expect(show(a, 'la-p0').linkinfo?.info_slave_data).toMatchObject({ cost: 100, priority: 9 });
    });
  });
});

describe('tun/tap devices', () => {
  interface TunInfo { type: string; pi: boolean; multi_queue: boolean; persist: boolean; user?: string; group?: string }
  const tunInfo = (name: string) => show(a, name).linkinfo as unknown as { info_kind: string; info_data: TunInfo };

  it('makes persistent tun and tap devices as ip tuntap add does, with owner, group and multiqueue', async () => {
    const tun = await a.createTun('la-tun0', { mode: 'tun' });
    const tap = await a.createTun('la-tap0', { mode: 'tap', user: 65534, group: 65534, multiQueue: true });
    expect([tun.kind, tap.kind]).toEqual(['tun', 'tun']);
    expect(tunInfo('la-tun0')).toMatchObject({ info_kind: 'tun', info_data: { type: 'tun', pi: false, multi_queue: false, persist: true } });
    expect(tunInfo('la-tap0').info_data).toMatchObject({ type: 'tap', pi: false, multi_queue: true, persist: true });
    expect(ipRaw(a.name!, '-d', 'link', 'show', 'la-tap0')).toMatch(/user (65534|nobody) group (65534|nogroup)/);
    expect(tap.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/); // a tap is Ethernet
    const settings = { packetInfo: false, vnetHdr: false, persistent: true };
    expect(tun.linkInfo).toEqual({ kind: 'tun', mode: 'tun', user: null, group: null, multiQueue: false, ...settings });
    expect(tap.linkInfo).toEqual({ kind: 'tun', mode: 'tap', user: 65534, group: 65534, multiQueue: true, ...settings });
    // Made by ip, read here.
    ipRaw(a.name!, 'tuntap', 'add', 'la-tun1', 'mode', 'tun', 'pi', 'vnet_hdr', 'user', '1');
    const made = await a.interface('la-tun1');
    expect(made.kind).toBe('tun');
    expect(made.linkInfo).toEqual({ kind: 'tun', mode: 'tun', user: 1, group: null, multiQueue: false, packetInfo: true, vnetHdr: true, persistent: true });
    await tun.delete();
    await tap.delete();
    ipRaw(a.name!, 'tuntap', 'del', 'la-tun1', 'mode', 'tun');
    expect(ip<IpLink[]>(a.name!, 'link', 'show').map((l) => l.ifname)).not.toEqual(expect.arrayContaining(['la-tun0']));
  });

  it('refuses a taken name (the kernel would attach to it instead) and bad options, leaving nothing', async () => {
    await a.createTun('la-tun2', { mode: 'tun' });
    const taken = await a.createTun('la-tun2', { mode: 'tap' }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ExistsError);
    expect(taken).toMatchObject({ operation: 'createTun', target: 'la-tun2' });
    expect(tunInfo('la-tun2').info_data.type).toBe('tun');
    await expect(a.createTun('la-tun3', { mode: 'tunnel' as never })).rejects.toBeInstanceOf(RangeError);
    await expect(a.createTun('la-tun3', { mode: 'tun', user: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(a.createTun('a/b', { mode: 'tun' })).rejects.toBeInstanceOf(RangeError);
    expect(ip<IpLink[]>(a.name!, 'link', 'show').map((l) => l.ifname)).not.toContain('la-tun3');
    await (await a.interface('la-tun2')).delete();
  });
});
