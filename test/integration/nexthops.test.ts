import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExistsError, type Interface, type Nexthop, NotFoundError, Sandbox } from '../../lib/index.js';
import { ip, ipRaw, uniqueName } from '../support/oracle.js';

// `ip -j nexthop show` (ip -4/-6 for the family; blackhole is a key with a null value).
interface IpNexthop { id: number; gateway?: string; dev?: string; flags: string[]; group?: Array<{ id: number; weight?: number }>; blackhole?: null }

let sb: Sandbox;
let br: Interface;

beforeAll(async () => {
  sb = await Sandbox.create(uniqueName('nexthops'));
  br = await sb.createBridge('br-nh');
  await br.setUp();
  await br.addAddress('192.0.2.1/24');
  await br.addAddress('2001:db8::1/64', { noDad: true });
});
afterAll(async () => {
  await sb.destroy();
});

/** What the library lists, in `ip -j nexthop`'s terms. */
function asIp(n: Nexthop): IpNexthop {
  const shown: IpNexthop = { id: n.id, flags: n.onLink ? ['onlink'] : [] };
  if (n.via !== undefined) shown.gateway = n.via;
  if (n.dev !== undefined) shown.dev = n.dev;
  if (n.blackhole) shown.blackhole = null;
  if (n.group) shown.group = n.group.map((m) => (m.weight === 1 ? { id: m.id } : m));
  return shown;
}

const shown = () => ip<IpNexthop[]>(sb.name!, 'nexthop', 'show').map(({ id, gateway, dev, flags, group, blackhole }) => ({
  id, flags, ...(gateway !== undefined && { gateway }), ...(dev !== undefined && { dev }), ...(group !== undefined && { group }),
  ...(blackhole !== undefined && { blackhole }),
}));

describe('nexthop objects', () => {
  it('adds gateways, devices, blackholes and groups that ip nexthop shows, and lists them the same', async () => {
    await sb.addNexthop({ id: 1, via: '192.0.2.2', dev: br });
    await sb.addNexthop({ id: 2, blackhole: true });
    await sb.addNexthop({ id: 4, via: '192.0.2.3', dev: 'br-nh' });
    await sb.addNexthop({ id: 3, group: [{ id: 1 }, { id: 4, weight: 2 }] });
    await sb.addNexthop({ id: 5, dev: br, family: 6 });
    await sb.addNexthop({ id: 6, via: '192.0.2.9', dev: br, onLink: true });
    await sb.addNexthop({ id: 7, via: '2001:db8::2', dev: br });
    const listed = await sb.nexthops();
    expect(listed.map(asIp)).toEqual(shown());
    expect(listed.find((n) => n.id === 3)).toEqual({ id: 3, blackhole: false, onLink: false, protocol: 'unspec', group: [{ id: 1, weight: 1 }, { id: 4, weight: 2 }] });
    expect((await sb.nexthops({ family: 6 })).map((n) => n.id)).toEqual([5, 7]);
    // A route through the group lists its paths, as ip route shows them.
    const route = await sb.addRoute({ dst: '198.51.100.0/24', nexthopId: 3 });
    expect(route.nexthops?.map((h) => [h.via, h.weight])).toEqual([['192.0.2.2', 1], ['192.0.2.3', 2]]);
    expect(ip<Array<{ nhid: number }>>(sb.name!, 'route', 'show', '198.51.100.0/24')[0]?.nhid).toBe(3);
    // Global scope, as iproute2 gives a route through nexthops: link scope over the on-link
    // nexthop 6 would be refused ("Scope mismatch with nexthop").
    const onLink = await sb.addRoute({ dst: '203.0.113.0/24', nexthopId: 6 });
    expect(onLink).toMatchObject({ scope: 'global', nexthopId: 6, via: '192.0.2.9' });
    expect(ip<Array<{ scope?: string }>>(sb.name!, 'route', 'show', '203.0.113.0/24')[0]?.scope).toBeUndefined(); // ip omits global
    await onLink.delete();
  });

  it('lists what ip made, and deletes by id or listed object; the kernel takes its routes with it', async () => {
    ipRaw(sb.name!, 'nexthop', 'add', 'id', '20', 'via', '192.0.2.20', 'dev', 'br-nh');
    ipRaw(sb.name!, 'nexthop', 'add', 'id', '21', 'group', '20,5/1');
    const listed = await sb.nexthops();
    expect(listed.find((n) => n.id === 20)).toEqual({ id: 20, family: 4, via: '192.0.2.20', dev: 'br-nh', blackhole: false, onLink: false, protocol: 'unspec' });
    expect(listed.find((n) => n.id === 21)?.group).toEqual([{ id: 20, weight: 5 }, { id: 1, weight: 1 }]);
    await sb.deleteNexthop(listed.find((n) => n.id === 21)!);
    await sb.deleteNexthop(20);
    await sb.deleteNexthop(3);
    expect(ip(sb.name!, 'route', 'show', '198.51.100.0/24')).toEqual([]);
    expect(shown().map((n) => n.id)).toEqual([1, 2, 4, 5, 6, 7]);
  });

  it("rejects with the kernel's typed errors and its words, and changes nothing", async () => {
    const before = JSON.stringify(shown());
    const twice = await sb.addNexthop({ id: 1, via: '192.0.2.2', dev: br }).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(ExistsError);
    expect(twice).toMatchObject({ code: 'EEXIST', operation: 'addNexthop', target: 'id 1 via 192.0.2.2 dev br-nh' });
    const unreachable = await sb.addNexthop({ id: 9, via: '203.0.113.2', dev: br }).catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ code: 'ENETUNREACH', extack: 'Nexthop has invalid gateway' });
    const missing = await sb.addNexthop({ id: 10, group: [{ id: 1 }, { id: 77 }] }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'EINVAL', extack: 'Invalid nexthop id', target: 'id 10 group 1/77' });
    const blackholeGroup = await sb.addNexthop({ id: 11, group: [{ id: 2 }, { id: 1 }] }).catch((e: unknown) => e);
    expect(blackholeGroup).toMatchObject({ code: 'EINVAL', extack: expect.stringMatching(/[Bb]lackhole/) });
    await expect(sb.deleteNexthop(99)).rejects.toBeInstanceOf(NotFoundError);
    expect(JSON.stringify(shown())).toBe(before);
  });

  it('refuses bad nexthops before anything is sent', async () => {
    const cases: Array<[unknown, new (...args: never[]) => Error, RegExp]> = [
      [{ id: 0, via: '192.0.2.2' }, RangeError, /id/],
      [{ id: 30 }, TypeError, /needs a via/],
      [{ id: 30, blackhole: true, dev: 'br-nh' }, RangeError, /blackhole/],
      [{ id: 30, group: [{ id: 1 }], via: '192.0.2.2' }, RangeError, /group takes no/],
      [{ id: 30, group: [{ id: 1 }, { id: 1 }] }, RangeError, /twice/],
      [{ id: 30, group: [{ id: 1, weight: 300 }] }, RangeError, /weight/],
      [{ id: 30, group: [] }, TypeError, /non-empty/],
      [{ id: 30, via: '192.0.2.2', family: 6 }, RangeError, /expected IPv6/],
      [{ id: 30, dev: 'no/such' }, RangeError, /dev/],
    ];
    for (const [spec, type, message] of cases) {
      const error = await sb.addNexthop(spec as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(spec)).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    await expect(sb.deleteNexthop(-1)).rejects.toBeInstanceOf(RangeError);
    expect(shown().map((n) => n.id)).toEqual([1, 2, 4, 5, 6, 7]);
  });
});
