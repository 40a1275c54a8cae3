// The route spec as the binding gets it: names and numbers resolved, families agreed, iproute2's
// defaults filled in for an add, packed into a record. No privileges: the sandbox is a stand-in
// registered with request.ts.
import { describe, expect, it } from 'vitest';

import type { NativeSandboxHandle } from '../../lib/native.js';
import { registerSandbox } from '../../lib/request.js';
import { binding } from '../../lib/native.js';
import { describeRoute, routeFields, routeRecord } from '../../lib/route.js';
import type { Sandbox } from '../../lib/sandbox.js';

const sandbox = { name: 'unit', path: '/run/netns/unit' } as Sandbox;
registerSandbox(sandbox, {} as NativeSandboxHandle);
const mineIndex = { sandbox, index: 3, name: 'br0' } as never;
const ifaceAt = (index: number) => ({ sandbox, index, name: `if${index}` }) as never;
const other = { name: 'other', path: '/run/netns/other' } as Sandbox;
registerSandbox(other, {} as NativeSandboxHandle);

const hex = (...parts: string[]) => parts.join('').replace(/\s+/g, '');

describe('route specs', () => {
  it('resolves names to numbers; an add gets iproute2\'s defaults, a delete only what was given', () => {
    expect(routeFields(sandbox, { dst: '2001:db8:7::/48', dev: 'br0', table: 'main', scope: 'link', protocol: 'static', type: 'blackhole', metric: 10, onLink: true }))
      .toEqual({ family: 6, dst: '2001:db8:7::', dstLength: 48, dev: 'br0', table: 254, scope: 253, protocol: 4, type: 6, metric: 10, onLink: true });
    expect(routeFields(sandbox, { dst: 'default', via: '192.0.2.1', src: '192.0.2.2' }))
      .toEqual({ family: 4, via: '192.0.2.1', src: '192.0.2.2', table: 254, protocol: 3, type: 1, scope: 0 });
    expect(routeFields(sandbox, { dst: 'default', family: 6 }, true)).toEqual({ family: 6 });
  });

  it('gives a new route iproute2\'s scope: link without a gateway, host for local, link for broadcast', () => {
    const scope = (spec: Parameters<typeof routeFields>[1]) => routeFields(sandbox, spec).scope;
    expect(scope({ dst: '198.51.100.0/24', dev: 'br0' })).toBe(253);
    expect(scope({ dst: '198.51.100.0/24', via: '192.0.2.1' })).toBe(0);
    expect(scope({ dst: '198.51.100.1', dev: 'br0', type: 'local' })).toBe(254);
    expect(scope({ dst: '198.51.100.255', dev: 'br0', type: 'broadcast' })).toBe(253);
    expect(scope({ dst: '198.51.100.0/24', type: 'blackhole' })).toBe(0);
    expect(scope({ dst: '198.51.100.0/24', dev: 'br0', scope: 'host' })).toBe(254);
  });

  it('packs the fields into the record the binding reads back the same', () => {
    const record = routeRecord(routeFields(sandbox, { dst: '2001:db8:7::/48', via: 'fe80::1', dev: 'br0', metric: 7, table: 100, src: '2001:db8::2' }));
    expect(record.length).toBe(116);
    const [route] = binding.codec.decode(binding.codec.encode('replaceRoute', routeRecord(routeFields(sandbox, { dst: '2001:db8:7::/48', via: 'fe80::1', dev: mineIndex, metric: 7, table: 100, src: '2001:db8::2' }))));
    expect(route).toMatchObject({ family: 6, dst: '2001:db8:7::/48', via: 'fe80::1', src: '2001:db8::2', metric: 7, table: 100, devIndex: 3, protocol: 3, type: 1 });
    expect(Buffer.from(record.buffer, record.byteOffset + 20, 4).toString('latin1')).toBe('br0\0');
  });

  it('packs nexthops, metrics and pref, and the binding encodes them as iproute2 does', () => {
    const record = routeRecord(routeFields(sandbox, {
      dst: '2001:db8:9::/48', nexthops: [{ via: 'fe80::1', dev: ifaceAt(2), weight: 3 }, { via: 'fe80::2', dev: 'br0', onLink: true }],
      mtu: 1400, advmss: 1360, lock: ['mtu'], pref: 'high',
    }));
    expect(record.length).toBe(116 + 2 * 40);
    const bytes = binding.codec.encode('addRoute', routeRecord(routeFields(sandbox, {
      dst: '2001:db8:9::/48', nexthops: [{ via: 'fe80::1', dev: ifaceAt(2), weight: 3 }, { via: 'fe80::2', dev: ifaceAt(3), onLink: true }],
      mtu: 1400, advmss: 1360, lock: ['mtu'], pref: 'high',
    })));
    // RTA_METRICS { RTAX_MTU 1400, RTAX_ADVMSS 1360, RTAX_LOCK 1 << RTAX_MTU }, as iproute2 sends
    // `mtu lock 1400 advmss 1360` (strace), here with NLA_F_NESTED.
    expect(bytes.includes(Buffer.from(hex('1c00 0880 0800 0200 78050000 0800 0800 50050000 0800 0100 04000000'), 'hex'))).toBe(true);
    expect(bytes.includes(Buffer.from(hex('0500 1400 01000000'), 'hex'))).toBe(true); // RTA_PREF high
    // RTA_MULTIPATH: rtnexthop { len 28, flags, hops = weight - 1, ifindex } then RTA_GATEWAY.
    expect(bytes.includes(Buffer.from(hex('1c00 00 02 02000000 1400 0500 fe800000000000000000000000000001'), 'hex'))).toBe(true);
    expect(bytes.includes(Buffer.from(hex('1c00 04 00 03000000 1400 0500 fe800000000000000000000000000002'), 'hex'))).toBe(true);
    expect(bytes.readUInt16LE(6) & 0x8).toBe(0x8); // no device of its own: the kernel echoes the route
    const [route] = binding.codec.decode(bytes);
    expect(route).toMatchObject({ mtu: 1400, advmss: 1360, lock: 4, pref: 1, nexthops: [
      { via: 'fe80::1', weight: 3, flags: 0 }, { via: 'fe80::2', weight: 1, flags: 4 }] });
  });

  it('refuses nexthops with a via or dev of the route, bad weights, locks without a value, pref on IPv4', () => {
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', via: '192.0.2.1', nexthops: [{ via: '192.0.2.2' }] })).toThrow(/go in each nexthop/);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', nexthops: [] })).toThrow(TypeError);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', nexthops: [{ weight: 2 }] })).toThrow(/needs a via, a dev or both/);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', nexthops: [{ via: '192.0.2.2', weight: 257 }] })).toThrow(RangeError);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', nexthops: [{ via: '2001:db8::1' }] })).toThrow(/expected IPv4/);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', lock: ['mtu'] })).toThrow(/needs a value/);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', mtu: 1400, lock: ['window' as never] })).toThrow(RangeError);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', pref: 'high' })).toThrow(/IPv6 only/);
    expect(routeFields(sandbox, { dst: '198.51.100.0/24', nexthops: [{ dev: 'br0' }] }).scope).toBe(0); // global, as iproute2 makes it
    expect(routeFields(sandbox, { dst: '198.51.100.0/24', nexthopId: 6 }).scope).toBe(0);
    // A default route's family from its nexthops' gateways.
    expect(routeFields(sandbox, { dst: 'default', nexthops: [{ via: 'fe80::1', dev: 'br0' }, { via: 'fe80::2', dev: 'br0' }] }).family).toBe(6);
  });

  it('takes an Interface of the same sandbox by index, and refuses one of another', () => {
    const mine = { sandbox, index: 3, name: 'br0' };
    const theirs = { sandbox: other, index: 3, name: 'eth0' };
    expect(routeFields(sandbox, { dst: '198.51.100.0/24', dev: mine as never }).dev).toBe(3);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', dev: theirs as never })).toThrow(/eth0 belongs to another sandbox \(other\)/);
  });

  it('refuses families that disagree, table 0 for an add, and what is not a spec', () => {
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', via: '2001:db8::1' })).toThrow(/is IPv6, expected IPv4/);
    expect(() => routeFields(sandbox, { dst: 'default', via: '192.0.2.1', src: '2001:db8::1' })).toThrow(/src .* is IPv6, expected IPv4/);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', family: 6 })).toThrow(/family 6 does not match/);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', table: 0 })).toThrow(/table 0 is not a routing table/);
    expect(routeFields(sandbox, { dst: '198.51.100.0/24', table: 0 }, true).table).toBe(0); // a delete may say any table
    expect(() => routeFields(sandbox, null as never)).toThrow(TypeError);
    expect(() => routeFields(sandbox, { dst: '198.51.100.0/24', metric: -1 })).toThrow(RangeError);
  });

  it('words a route as iproute2 does, for error messages', () => {
    expect(describeRoute({ dst: '198.51.100.0/24', via: '192.0.2.1', dev: { name: 'eth0' }, table: 100, metric: 5 }))
      .toBe('198.51.100.0/24 via 192.0.2.1 dev eth0 table 100 metric 5');
    expect(describeRoute({ dst: 'default', dev: 'br0' })).toBe('default dev br0');
  });
});
