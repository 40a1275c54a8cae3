import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExistsError, type Interface, NetsandboxError, NotFoundError, Route, type RouteSpec, Sandbox } from '../../lib/index.js';
import { ip, type IpAddr, type IpRoute, ipRaw, uniqueName } from '../support/oracle.js';

let host: Sandbox;
let pod: Sandbox;
let hostEnd: Interface;
let podEnd: Interface;

beforeAll(async () => {
  host = await Sandbox.create(uniqueName('ar-host'));
  pod = await Sandbox.create(uniqueName('ar-pod'));
  [hostEnd, podEnd] = await host.createVeth('veth-ar', { peer: { name: 'eth0', sandbox: pod } });
  await Promise.all([hostEnd.setUp(), podEnd.setUp()]);
});
afterAll(async () => {
  await host.destroy();
  await pod.destroy();
});

function addrs(sb: Sandbox, dev: string) {
  return (ip<IpAddr[]>(sb.name!, 'addr', 'show', 'dev', dev)[0]?.addr_info ?? [])
    .map((a) => ({ family: a.family === 'inet' ? 4 : 6, address: a.local, prefixLength: a.prefixlen, scope: a.scope }));
}

/** What the library lists of routes equals `ip -j route show` (the fields both print). */
function expectRoutesMatchIp(listed: Route[], shown: IpRoute[]): void {
  const key = (r: { dst: string; via?: string | undefined; dev?: string | undefined; metric?: number | undefined }) =>
    `${r.dst} ${r.via ?? '-'} ${r.dev ?? '-'} ${r.metric ?? 0}`;
  expect(listed.map(key).sort()).toEqual(shown.map((r) => key({ ...r, via: r.gateway })).sort());
}

describe('addresses', () => {
  it('adds IPv4 and IPv6 addresses (nodad, peer, broadcast, scope) as ip shows them', async () => {
    await podEnd.addAddress('192.0.2.2/24', { broadcast: '192.0.2.255' });
    await podEnd.addAddress('2001:db8::2/64', { noDad: true });
    await podEnd.addAddress('198.51.100.1/32', { peer: '198.51.100.254', scope: 'link' });
    const listed = await podEnd.addresses();
    const mine = listed.filter((a) => a.scope !== 'link' || a.family === 4).map(({ family, address, prefixLength, scope }) => ({ family, address, prefixLength, scope }));
    expect(mine).toEqual(addrs(pod, 'eth0').filter((a) => a.scope !== 'link' || a.family === 4));
    const v6 = listed.find((a) => a.address === '2001:db8::2');
    expect(v6?.flags).toContain('nodad');
    expect(v6?.flags).not.toContain('tentative');
    expect(listed.find((a) => a.address === '198.51.100.1')?.peer).toBe('198.51.100.254');
    expect(listed.find((a) => a.address === '192.0.2.2')?.broadcast).toBe('192.0.2.255');
    const all = await pod.addresses({ family: 4 });
    expect(all.map((a) => a.address)).toEqual(expect.arrayContaining(['127.0.0.1', '192.0.2.2', '198.51.100.1']));
    expect(all.every((a) => a.family === 4)).toBe(true);
  });

  it('refuses a duplicate with ExistsError and deletes', async () => {
    await podEnd.addAddress('203.0.113.5/24');
    await expect(podEnd.addAddress('203.0.113.5/24')).rejects.toBeInstanceOf(ExistsError);
    await podEnd.deleteAddress('203.0.113.5/24');
    expect(addrs(pod, 'eth0').map((a) => a.address)).not.toContain('203.0.113.5');
    const error = await podEnd.deleteAddress('203.0.113.5/24').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetsandboxError);
    expect(error).toMatchObject({ operation: 'deleteAddress', target: '203.0.113.5/24 dev eth0' });
  });

  it('adds addresses with noprefixroute and lifetimes as ip shows them, replaces them, and reads what ip made', async () => {
    type Shown = { local: string; valid_life_time: number; preferred_life_time: number; noprefixroute?: boolean };
    const info = (address: string) => ip<Array<{ addr_info: Shown[] }>>(pod.name!, 'addr', 'show', 'dev', 'eth0')[0]!.addr_info.find((a) => a.local === address)!;
    await podEnd.addAddress('198.51.100.40/24', { noPrefixRoute: true, validLifetime: 600, preferredLifetime: 300 });
    await podEnd.addAddress('2001:db8:40::2/64', { noDad: true, validLifetime: 900 }); // preferred: as valid
    expect(info('198.51.100.40')).toMatchObject({ noprefixroute: true, valid_life_time: expect.toBeOneOf([600, 599]), preferred_life_time: expect.toBeOneOf([300, 299]) });
    expect(info('2001:db8:40::2')).toMatchObject({ valid_life_time: expect.toBeOneOf([900, 899]), preferred_life_time: expect.toBeOneOf([900, 899]) });
    expect(ip(pod.name!, 'route', 'show', '198.51.100.0/24', 'dev', 'eth0')).toEqual([]); // no prefix route
    const listed = await podEnd.addresses();
    expect(listed.find((a) => a.address === '198.51.100.40')).toMatchObject({ flags: expect.arrayContaining(['noprefixroute']), validLifetime: expect.toBeOneOf([600, 599]) });
    expect(listed.find((a) => a.address === '192.0.2.2')).toMatchObject({ validLifetime: 'forever', preferredLifetime: 'forever' });
    // Replace changes the flags and lifetimes of the address that is there; add would refuse.
    await expect(podEnd.addAddress('198.51.100.40/24')).rejects.toBeInstanceOf(ExistsError);
    await podEnd.replaceAddress('198.51.100.40/24', { validLifetime: 'forever' });
    expect(info('198.51.100.40')).toMatchObject({ valid_life_time: 4294967295, preferred_life_time: 4294967295 });
    expect(info('198.51.100.40').noprefixroute).toBe(true); // IPv4 keeps its flags on replace
    await podEnd.replaceAddress('2001:db8:40::2/64', { noDad: true, noPrefixRoute: true }); // IPv6 takes new ones
    expect(info('2001:db8:40::2')).toMatchObject({ noprefixroute: true, valid_life_time: 4294967295 });
    await podEnd.replaceAddress('198.51.100.41/24'); // not there: added
    expect(info('198.51.100.41')).toBeDefined();
    await podEnd.addAddress('198.51.100.44/24', { validLifetime: 500, preferredLifetime: 0 }); // deprecated at once
    expect(info('198.51.100.44')).toMatchObject({ preferred_life_time: 0 });
    await podEnd.deleteAddress('198.51.100.44/24');
    ipRaw(pod.name!, 'addr', 'add', '198.51.100.42/24', 'dev', 'eth0', 'valid_lft', '500', 'preferred_lft', '0', 'noprefixroute');
    const made = (await podEnd.addresses()).find((a) => a.address === '198.51.100.42')!;
    expect(made).toMatchObject({ preferredLifetime: 0, flags: expect.arrayContaining(['noprefixroute', 'deprecated']) });
    expect([500, 499]).toContain(made.validLifetime);
    await expect(podEnd.addAddress('198.51.100.43/24', { validLifetime: 10, preferredLifetime: 20 })).rejects.toThrow(/longer than validLifetime/);
    await expect(podEnd.addAddress('198.51.100.43/24', { validLifetime: 0 })).rejects.toBeInstanceOf(RangeError);
    // Secondaries first: deleting the primary of a subnet takes its secondaries with it.
    for (const a of ['198.51.100.41/24', '198.51.100.42/24', '198.51.100.40/24', '2001:db8:40::2/64']) await podEnd.deleteAddress(a);
  });
});

describe('routes', () => {
  it('adds v4 and v6 routes and resolves to what the kernel installed', async () => {
    await hostEnd.addAddress('192.0.2.1/24');
    await hostEnd.addAddress('2001:db8::1/64', { noDad: true });
    const v4 = await host.addRoute({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    expect(v4).toBeInstanceOf(Route);
    expect(v4).toMatchObject({ family: 4, dst: '198.51.100.0/24', via: '192.0.2.2', dev: 'veth-ar', scope: 'global', table: 254, metric: 0, protocol: 'boot', type: 'unicast' });
    const v6 = await host.addRoute({ dst: '2001:db8:1::/48', via: '2001:db8::2' });
    expect(v6).toMatchObject({ family: 6, dst: '2001:db8:1::/48', via: '2001:db8::2', dev: 'veth-ar', metric: 1024 });
    const connected = await host.addRoute({ dst: '203.0.113.0/24', dev: hostEnd });
    expect(connected.scope).toBe('link'); // like iproute2: no gateway, scope link
    expectRoutesMatchIp(await host.routes({ family: 4 }), ip<IpRoute[]>(host.name!, '-4', 'route', 'show'));
    expectRoutesMatchIp(await host.routes({ family: 6 }), ip<IpRoute[]>(host.name!, '-6', 'route', 'show'));
    await connected.delete();
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', '203.0.113.0/24')).toEqual([]);
  });

  it("installs flock's pod default route via the on-link 169.254.1.1, and shows the kernel's error without onLink", async () => {
    await podEnd.addAddress('203.0.113.10/32');
    const refused = await pod.addRoute({ dst: 'default', via: '169.254.1.1', dev: podEnd }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NetsandboxError);
    expect(refused).toMatchObject({ code: 'ENETUNREACH', errno: 101, extack: 'Nexthop has invalid gateway', operation: 'addRoute', sandbox: pod.name, target: 'default via 169.254.1.1 dev eth0' });
    expect((refused as Error).message).toBe(`addRoute default via 169.254.1.1 dev eth0 in sandbox ${pod.name}: Nexthop has invalid gateway (ENETUNREACH)`);
    const viaOnLink = await pod.addRoute({ dst: 'default', via: '169.254.1.1', dev: podEnd, onLink: true });
    expect(viaOnLink).toMatchObject({ dst: 'default', via: '169.254.1.1', dev: 'eth0', onLink: true });
    const shown = ip<IpRoute[]>(pod.name!, 'route', 'show', 'default')[0];
    expect(shown).toMatchObject({ dst: 'default', gateway: '169.254.1.1', dev: 'eth0' });
    expect(shown?.flags).toContain('onlink');
    const v6 = await pod.addRoute({ dst: 'default', via: 'fe80::1', dev: 'eth0' });
    expect(v6).toMatchObject({ family: 6, dst: 'default', via: 'fe80::1', dev: 'eth0' });
  });

  it('replaces a route, and honours metric and table', async () => {
    await host.addRoute({ dst: '198.18.7.0/24', via: '192.0.2.2' });
    await expect(host.addRoute({ dst: '198.18.7.0/24', via: '192.0.2.3' })).rejects.toBeInstanceOf(ExistsError);
    const replaced = await host.replaceRoute({ dst: '198.18.7.0/24', via: '192.0.2.3' });
    expect(replaced.via).toBe('192.0.2.3');
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', '198.18.7.0/24')).toMatchObject([{ gateway: '192.0.2.3' }]);
    const second = await host.addRoute({ dst: '198.18.7.0/24', via: '192.0.2.4', metric: 50 });
    expect(second.metric).toBe(50);
    const inTable = await host.addRoute({ dst: '198.18.8.0/24', via: '192.0.2.2', table: 100, metric: 7 });
    expect(inTable).toMatchObject({ table: 100, metric: 7 });
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', 'table', '100')).toMatchObject([{ dst: '198.18.8.0/24', gateway: '192.0.2.2', metric: 7 }]);
    expect((await host.routes({ table: 100 })).map((r) => r.dst)).toEqual(['198.18.8.0/24']);
    expect((await host.routes({ table: 'main' })).some((r) => r.table === 100)).toBe(false);
    expect((await host.routes({ table: 'all' })).some((r) => r.table === 255)).toBe(true);
    await host.deleteRoute(inTable);
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', 'table', '100')).toEqual([]);
    await host.deleteRoute({ dst: '198.18.7.0/24', metric: 50 });
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', '198.18.7.0/24')).toMatchObject([{ gateway: '192.0.2.3' }]);
    await expect(host.deleteRoute({ dst: '198.18.9.0/24' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers routeTo like ip route get', async () => {
    const r = await host.routeTo('198.51.100.7');
    const [shown] = ip<Array<{ dst: string; gateway: string; dev: string; prefsrc: string }>>(host.name!, 'route', 'get', '198.51.100.7');
    expect(r).toMatchObject({ dst: '198.51.100.7/32', via: shown?.gateway, dev: shown?.dev, src: shown?.prefsrc, table: 254 });
    const r6 = await host.routeTo('2001:db8:1::9');
    expect(r6).toMatchObject({ via: '2001:db8::2', dev: 'veth-ar' });
    const from = await host.routeTo('198.51.100.7', { from: '192.0.2.1', dev: hostEnd });
    expect(from).toMatchObject({ dst: '198.51.100.7/32', src: '192.0.2.1', dev: 'veth-ar', via: '192.0.2.2' });
    // host has no default route: the kernel's answer is the error ip prints too.
    await expect(host.routeTo('198.18.200.1')).rejects.toMatchObject({ code: 'ENETUNREACH', operation: 'routeTo', target: '198.18.200.1' });
  });

  it('adds blackhole routes, and routes with a preferred source and a protocol, as ip shows them', async () => {
    await hostEnd.addAddress('198.51.100.77/32');
    const hole = await host.addRoute({ dst: '198.18.200.0/24', type: 'blackhole' });
    expect(hole).toMatchObject({ type: 'blackhole', dst: '198.18.200.0/24' });
    const sourced = await host.addRoute({ dst: '198.18.201.0/24', dev: hostEnd, src: '198.51.100.77', protocol: 'static' });
    expect(sourced).toMatchObject({ src: '198.51.100.77', protocol: 'static', dev: 'veth-ar' });
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', '198.18.200.0/24')).toMatchObject([{ type: 'blackhole' }]);
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', '198.18.201.0/24')).toMatchObject([{ prefsrc: '198.51.100.77', protocol: 'static', dev: 'veth-ar' }]);
    await hole.delete();
    await sourced.delete();
    expect(ip<IpRoute[]>(host.name!, 'route', 'show', '198.18.200.0/24')).toEqual([]);
    await hostEnd.deleteAddress('198.51.100.77/32');
  });

  it('resolves every add to the route as listed, whether the kernel echoed it or it was built from the spec', async () => {
    await podEnd.addAddress('198.51.100.20/24');
    await podEnd.addAddress('2001:db8:20::2/64', { noDad: true });
    const specs: RouteSpec[] = [
      { dst: '198.18.10.0/24', dev: podEnd }, // unicast with its device: built from the spec
      { dst: '198.18.11.0/24', dev: 'eth0', via: '198.51.100.1', metric: 5, table: 1000 },
      { dst: '198.18.12.0/24', dev: podEnd, src: '198.51.100.20', protocol: 'static', scope: 'link' },
      { dst: '198.18.13.0/24', via: '169.254.1.1', dev: podEnd, onLink: true },
      { dst: '198.18.14.0/24', via: '198.51.100.1' }, // the kernel picks the device: echoed
      { dst: '198.18.15.1', dev: podEnd, type: 'local', table: 'local' }, // not unicast: echoed
      { dst: '2001:DB8:0:0:1::/80', dev: podEnd }, // listed in inet_ntop's form, metric 1024
      { dst: '2001:db8:21::/48', dev: 'eth0', via: 'fe80::1', metric: 0 },
      { dst: '2001:db8:22::/48', dev: podEnd, via: '2001:db8:20::1', metric: 7, scope: 'link' }, // IPv6 reports global
      { dst: '2001:db8:23::/48', type: 'blackhole' }, // IPv6 puts it on lo: echoed
      { dst: '::ffff:198.18.0.0/120', dev: podEnd },
      { dst: '0.0.0.0/0', dev: podEnd, table: 1001 }, // a /0 is listed as 'default'
    ];
    const added = await Promise.all(specs.map((spec) => pod.addRoute(spec)));
    const replaced = await pod.replaceRoute({ dst: '198.18.10.0/24', dev: podEnd, metric: 0, protocol: 'dhcp' });
    const listed = await pod.routes({ table: 'all' });
    const same = (a: Route) => (b: Route) => a.dst === b.dst && a.table === b.table && a.metric === b.metric && a.family === b.family;
    for (const route of [...added.slice(1), replaced]) {
      expect({ ...route }).toEqual({ ...listed.find(same(route)) });
    }
    expect(added[6]?.dst).toBe('2001:db8:0:0:1::/80');
    expect(added[10]?.dst).toBe('::ffff:198.18.0.0/120');
    expect(added[11]?.dst).toBe('default');
    for (const route of [...added.slice(1), replaced]) await route.delete();
    expect((await pod.routes({ table: 'all' })).filter((r) => r.table === 1001 || specs.some((s) => s.dst.toLowerCase() === r.dst))).toEqual([]);
  });

  it('tells IPv6 routes apart by their source prefix (from), and deletes the one asked for', async () => {
    const a = await host.addRoute({ dst: '2001:db8:50::/48', from: '2001:db8:f1::/48', dev: hostEnd });
    ipRaw(host.name!, '-6', 'route', 'add', '2001:db8:50::/48', 'from', '2001:db8:f2::/48', 'dev', 'veth-ar');
    const listed = (await host.routes({ family: 6 })).filter((r) => r.dst === '2001:db8:50::/48');
    expect(listed.map((r) => r.from).sort()).toEqual(['2001:db8:f1::/48', '2001:db8:f2::/48']);
    expect({ ...a }).toEqual({ ...listed.find((r) => r.from === '2001:db8:f1::/48') });
    await listed.find((r) => r.from === '2001:db8:f2::/48')!.delete();
    const shown = ip<Array<{ dst: string; from?: string }>>(host.name!, '-6', 'route', 'show', '2001:db8:50::/48');
    expect(shown.map((r) => r.from)).toEqual(['2001:db8:f1::/48']);
    await a.delete();
    await expect(host.addRoute({ dst: '198.51.100.0/24', from: '2001:db8::/48' })).rejects.toBeInstanceOf(RangeError);
  });

  it('lists ECMP routes made by ip with their nexthops, and deletes them', async () => {
    ipRaw(host.name!, 'route', 'add', '198.18.60.0/24', 'nexthop', 'via', '192.0.2.2', 'dev', 'veth-ar', 'weight', '1',
      'nexthop', 'via', '192.0.2.3', 'dev', 'veth-ar', 'weight', '3');
    const route = (await host.routes({ family: 4 })).find((r) => r.dst === '198.18.60.0/24')!;
    expect(route.nexthops).toEqual([
      { via: '192.0.2.2', dev: 'veth-ar', weight: 1, onLink: false },
      { via: '192.0.2.3', dev: 'veth-ar', weight: 3, onLink: false },
    ]);
    const [shown] = ip<Array<{ nexthops: Array<{ gateway: string; dev: string; weight: number }> }>>(host.name!, 'route', 'show', '198.18.60.0/24');
    expect(shown?.nexthops.map((h) => [h.gateway, h.dev, h.weight])).toEqual(route.nexthops!.map((h) => [h.via, h.dev, h.weight]));
    await route.delete();
    expect(ip(host.name!, 'route', 'show', '198.18.60.0/24')).toEqual([]);
  });

  it('adds ECMP routes (v4 and v6) that ip shows with their nexthops, and resolves to them as listed', async () => {
    const v4 = await host.addRoute({ dst: '198.18.63.0/24', nexthops: [{ via: '192.0.2.2', dev: hostEnd, weight: 2 }, { via: '192.0.2.3', dev: 'veth-ar' }] });
    const v6 = await host.addRoute({ dst: '2001:db8:63::/48', nexthops: [{ via: 'fe80::2', dev: 'veth-ar' }, { via: 'fe80::3', dev: hostEnd, weight: 5 }] });
    expect(v4.nexthops).toEqual([{ via: '192.0.2.2', dev: 'veth-ar', weight: 2, onLink: false }, { via: '192.0.2.3', dev: 'veth-ar', weight: 1, onLink: false }]);
    const listed = await host.routes({ table: 'all' });
    expect({ ...v4 }).toEqual({ ...listed.find((r) => r.dst === '198.18.63.0/24') });
    expect({ ...v6 }).toEqual({ ...listed.find((r) => r.dst === '2001:db8:63::/48') });
    type Shown = Array<{ nexthops: Array<{ gateway: string; dev: string; weight: number }> }>;
    const hops = (shown: Shown) => shown[0]?.nexthops.map((h) => [h.gateway, h.dev, h.weight]);
    expect(hops(ip<Shown>(host.name!, 'route', 'show', '198.18.63.0/24'))).toEqual([['192.0.2.2', 'veth-ar', 2], ['192.0.2.3', 'veth-ar', 1]]);
    expect(hops(ip<Shown>(host.name!, '-6', 'route', 'show', '2001:db8:63::/48'))).toEqual([['fe80::2', 'veth-ar', 1], ['fe80::3', 'veth-ar', 5]]);
    // The kernel refuses a nexthop whose gateway it cannot reach, with its own words.
    const unreachable = await host.addRoute({ dst: '198.18.64.0/24', nexthops: [{ via: '203.0.113.9', dev: hostEnd }] }).catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ code: 'ENETUNREACH', operation: 'addRoute', target: '198.18.64.0/24 nexthop via 203.0.113.9 dev veth-ar' });
    expect((unreachable as NetsandboxError).extack).toMatch(/gateway/i);
    await v4.delete();
    await v6.delete();
    expect(ip(host.name!, 'route', 'show', '198.18.63.0/24')).toEqual([]);
    expect(ip(host.name!, '-6', 'route', 'show', '2001:db8:63::/48')).toEqual([]);
  });

  it('adds routes with mtu, advmss, locks and an IPv6 preference as ip shows them, and reads those ip made', async () => {
    // The kernel clamps an IPv4 MTU to 65520 without an error: the result is what it installed.
    const clamped = await host.addRoute({ dst: '198.18.67.0/24', dev: hostEnd, mtu: 70000 });
    expect(clamped.mtu).toBe((await host.routes()).find((r) => r.dst === '198.18.67.0/24')?.mtu);
    await clamped.delete();
    const v4 = await host.addRoute({ dst: '198.18.65.0/24', dev: hostEnd, mtu: 1400, advmss: 1360, lock: ['mtu'] });
    const v6 = await host.addRoute({ dst: '2001:db8:65::/48', dev: hostEnd, mtu: 1300, pref: 'high' });
    expect(v4).toMatchObject({ mtu: 1400, advmss: 1360, lock: ['mtu'] });
    expect(v6).toMatchObject({ mtu: 1300, pref: 'high' });
    const listed = await host.routes({ table: 'all' });
    expect({ ...v4 }).toEqual({ ...listed.find((r) => r.dst === '198.18.65.0/24') });
    expect({ ...v6 }).toEqual({ ...listed.find((r) => r.dst === '2001:db8:65::/48') });
    expect(ipRaw(host.name!, 'route', 'show', '198.18.65.0/24')).toContain('mtu lock 1400 advmss 1360');
    expect(ipRaw(host.name!, '-6', 'route', 'show', '2001:db8:65::/48')).toMatch(/mtu 1300 pref high/);
    ipRaw(host.name!, 'route', 'add', '198.18.66.0/24', 'dev', 'veth-ar', 'mtu', '1280', 'advmss', 'lock', '1200');
    ipRaw(host.name!, '-6', 'route', 'add', '2001:db8:66::/48', 'dev', 'veth-ar', 'pref', 'low');
    const made = await host.routes({ table: 'all' });
    expect(made.find((r) => r.dst === '198.18.66.0/24')).toMatchObject({ mtu: 1280, advmss: 1200, lock: ['advmss'] });
    expect(made.find((r) => r.dst === '2001:db8:66::/48')).toMatchObject({ pref: 'low' });
    expect(made.find((r) => r.dst === '2001:db8:66::/48')?.mtu).toBeUndefined();
    for (const dst of ['198.18.65.0/24', '2001:db8:65::/48', '198.18.66.0/24', '2001:db8:66::/48']) await made.find((r) => r.dst === dst)!.delete();
    expect((await host.routes({ table: 'all' })).filter((r) => r.dst.includes(':65::') || r.dst.includes(':66::') || r.dst.startsWith('198.18.6'))).toEqual([]);
  });

  it('adds, lists and deletes routes through a nexthop object (nhid)', async () => {
    ipRaw(host.name!, 'nexthop', 'add', 'id', '71', 'via', '192.0.2.2', 'dev', 'veth-ar');
    ipRaw(host.name!, 'route', 'add', '198.18.61.0/24', 'nhid', '71');
    const made = (await host.routes({ family: 4 })).find((r) => r.dst === '198.18.61.0/24')!;
    expect(made).toMatchObject({ nexthopId: 71, via: '192.0.2.2', dev: 'veth-ar' });
    await made.delete(); // by its nexthop id: its via and dev alone match nothing (ESRCH)
    expect(ip(host.name!, 'route', 'show', '198.18.61.0/24')).toEqual([]);
    const added = await host.addRoute({ dst: '198.18.62.0/24', nexthopId: 71 });
    expect(added).toMatchObject({ dst: '198.18.62.0/24', nexthopId: 71 });
    expect(ip<Array<{ nhid: number }>>(host.name!, 'route', 'show', '198.18.62.0/24')[0]?.nhid).toBe(71);
    await added.delete();
    expect(ip(host.name!, 'route', 'show', '198.18.62.0/24')).toEqual([]);
    ipRaw(host.name!, 'nexthop', 'del', 'id', '71');
  });

  it('validates specs before sending', async () => {
    await expect(host.addRoute({ dst: '198.51.100.7/24' })).rejects.toThrow(/host bits set; the network is 198\.51\.100\.0\/24/);
    await expect(host.addRoute({ dst: '198.51.100.0/24', via: '2001:db8::1' })).rejects.toBeInstanceOf(RangeError);
    await expect(host.addRoute({ dst: '198.51.100.0/24', dev: 'abcdefghijklmnopq' })).rejects.toBeInstanceOf(RangeError);
    await expect(host.addRoute({ dst: '198.51.100.0/24', scope: 'nearby' as 'link' })).rejects.toBeInstanceOf(RangeError);
    await expect(host.addRoute({ dst: '198.51.100.0/24', dev: podEnd })).rejects.toThrow(/belongs to another sandbox/);
    await expect(host.addRoute({ dst: '198.51.100.0/24', dev: 'nope0' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('neighbours', () => {
  it('adds, lists and deletes permanent entries as ip neigh shows them', async () => {
    await host.addNeighbor({ ip: '192.0.2.9', mac: '02:00:00:00:00:09', dev: hostEnd });
    await host.addNeighbor({ ip: '2001:db8::9', mac: '02:00:00:00:00:99', dev: 'veth-ar' });
    const listed = await host.neighbors({ dev: hostEnd });
    const shown = ip<Array<{ dst: string; lladdr: string; state: string[] }>>(host.name!, 'neigh', 'show', 'dev', 'veth-ar');
    const mine = (n: { ip?: string; dst?: string }) => ['192.0.2.9', '2001:db8::9'].includes((n.ip ?? n.dst)!);
    expect(listed.filter(mine).map((n) => [n.ip, n.mac, n.state])).toEqual(
      shown.filter(mine).map((n) => [n.dst, n.lladdr, n.state.map((s) => s.toLowerCase())]));
    expect(listed.find((n) => n.ip === '192.0.2.9')?.state).toEqual(['permanent']);
    await host.deleteNeighbor({ ip: '192.0.2.9', dev: hostEnd });
    expect((await host.neighbors({ family: 4 })).some((n) => n.ip === '192.0.2.9')).toBe(false);
    await expect(host.deleteNeighbor({ ip: '192.0.2.9', dev: hostEnd })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('adds, lists and deletes proxy entries as ip neigh add/show/del proxy do', async () => {
    await host.addNeighbor({ ip: '192.0.2.77', dev: hostEnd, proxy: true });
    ipRaw(host.name!, 'neigh', 'add', 'proxy', '2001:db8::77', 'dev', 'veth-ar');
    const listed = await host.neighbors({ proxy: true });
    expect(listed.map((n) => [n.ip, n.dev, n.proxy]).sort()).toEqual([['192.0.2.77', 'veth-ar', true], ['2001:db8::77', 'veth-ar', true]]);
    const shown = ip<Array<{ dst: string; dev: string }>>(host.name!, 'neigh', 'show', 'proxy');
    expect(shown.map((n) => n.dst).sort()).toEqual(['192.0.2.77', '2001:db8::77']);
    expect((await host.neighbors()).some((n) => n.ip === '192.0.2.77')).toBe(false); // not in the plain list
    await host.deleteNeighbor({ ip: '2001:db8::77', dev: hostEnd, proxy: true });
    await host.deleteNeighbor({ ip: '192.0.2.77', dev: hostEnd, proxy: true });
    expect(ip(host.name!, 'neigh', 'show', 'proxy')).toEqual([]);
    await expect(host.addNeighbor({ ip: '192.0.2.78', dev: hostEnd } as never)).rejects.toBeInstanceOf(TypeError); // no mac, not a proxy
  });

  it('leaves out noarp entries as ip neigh show does, and lists them with nud all', async () => {
    // The kernel makes noarp entries for the IPv6 multicast groups an interface joins; ip too.
    await host.addNeighbor({ ip: '192.0.2.10', mac: '02:00:00:00:00:10', dev: hostEnd });
    ipRaw(host.name!, 'neigh', 'add', '192.0.2.11', 'lladdr', '02:00:00:00:00:11', 'dev', 'veth-ar', 'nud', 'noarp');
    const key = (n: { ip?: string; dst?: string; dev: string }) => `${n.ip ?? n.dst} ${n.dev}`;
    const ipShow = (...extra: string[]) => ip<Array<{ dst: string; dev: string }>>(host.name!, 'neigh', 'show', ...extra).map(key).sort();
    expect((await host.neighbors()).map(key).sort()).toEqual(ipShow());
    const all = (await host.neighbors({ nud: 'all' })).map(key).sort();
    expect(all).toEqual(ipShow('nud', 'all'));
    expect(all.length).toBeGreaterThan(ipShow().length); // there were noarp entries to leave out
    await expect(host.neighbors({ nud: 'some' as 'all' })).rejects.toBeInstanceOf(RangeError);
    expect(all).toContain('192.0.2.11 veth-ar');
    await host.deleteNeighbor({ ip: '192.0.2.10', dev: hostEnd });
    await host.deleteNeighbor({ ip: '192.0.2.11', dev: hostEnd });
  });
});
