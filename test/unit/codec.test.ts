// Golden bytes for the request builders (checked against what iproute2 sends for the same
// command, seen with strace), and decoder round trips. No privileges needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { decodeConntrackRecords } from '../../lib/conntrack.js';
import { linkInfoOf } from '../../lib/interface.js';
import { binding, type NativeLink } from '../../lib/native.js';
import { routeRecord } from '../../lib/route.js';

const { encode, decode } = binding.codec;
const hex = (...parts: string[]) => parts.join('').replace(/\s+/g, '');

describe('request builders', () => {
  it('encodes `ip route add 198.51.100.0/24 via 192.0.2.1 dev 2` with RTA_TABLE, like iproute2', () => {
    const bytes = encode('addRoute', routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24, via: '192.0.2.1', dev: 2 }));
    expect(bytes.toString('hex')).toBe(hex(
      '3c000000 1800 0006 00000000 00000000', // len 60, RTM_NEWROUTE, CREATE|EXCL (no echo: dev given)
      '02 18 00 00 fe 03 00 01 00000000', // AF_INET /24, table main, proto boot, scope universe, unicast
      '0800 0f00 fe000000', // RTA_TABLE 254
      '0800 0100 c6336400', // RTA_DST 198.51.100.0
      '0800 0500 c0000201', // RTA_GATEWAY 192.0.2.1
      '0800 0400 02000000', // RTA_OIF 2
    ));
  });

  it('sends the scope lib/ chose (iproute2\'s defaults live in routeFields)', () => {
    const [route] = decode(encode('addRoute', routeRecord({ family: 6, dst: '2001:db8::', dstLength: 64, dev: 3, scope: 253 })));
    expect(route).toMatchObject({ message: 'route', family: 6, dst: '2001:db8::/64', scope: 253, devIndex: 3 });
  });

  it('asks for an echo only when the kernel picks the device (none given, or a non-unicast route)', () => {
    const echoes = (fields: Parameters<typeof routeRecord>[0]) => (encode('addRoute', routeRecord(fields)).readUInt16LE(6) & 0x8) !== 0;
    expect(echoes({ family: 4, dst: '198.51.100.0', dstLength: 24, dev: 2 })).toBe(false);
    expect(echoes({ family: 4, dst: '198.51.100.0', dstLength: 24, dev: 2, type: 1 })).toBe(false);
    expect(echoes({ family: 4, dst: '198.51.100.0', dstLength: 24, via: '192.0.2.1' })).toBe(true);
    expect(echoes({ family: 6, dst: '2001:db8::', dstLength: 64, dev: 2, type: 6 })).toBe(true); // blackhole: lo
    expect(encode('replaceRoute', routeRecord({ family: 4, via: '192.0.2.1' })).readUInt16LE(6)).toBe(0x508); // CREATE|REPLACE|ECHO
  });

  it('marks on-link gateways with RTNH_F_ONLINK', () => {
    const bytes = encode('addRoute', routeRecord({ family: 4, via: '169.254.1.1', dev: 2, onLink: true }));
    expect(bytes.readUInt32LE(16 + 8)).toBe(4); // rtm_flags
    expect(decode(bytes)[0]).toMatchObject({ dst: 'default', via: '169.254.1.1', scope: 0 });
  });

  it('deletes with scope nowhere and no protocol, so unset fields match any route', () => {
    const bytes = encode('deleteRoute', routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24 }));
    expect(bytes.readUInt16LE(4)).toBe(25); // RTM_DELROUTE
    expect(bytes.readUInt16LE(6)).toBe(0); // no create flags
    expect([...bytes.subarray(16, 24)]).toEqual([2, 24, 0, 0, 254, 0, 255, 0]);
  });

  it('encodes `ip addr add 192.0.2.2/24 dev 2` like iproute2 (IFA_LOCAL, then IFA_ADDRESS)', () => {
    expect(encode('addAddress', { dev: 2, local: '192.0.2.2', prefixLength: 24 }).toString('hex')).toBe(hex(
      '28000000 1400 0006 00000000 00000000', // RTM_NEWADDR, CREATE|EXCL
      '02 18 00 00 02000000', // AF_INET /24, flags 0, scope universe, index 2
      '0800 0200 c0000202', // IFA_LOCAL
      '0800 0100 c0000202', // IFA_ADDRESS
    ));
  });

  it('puts nodad in both the legacy flags byte and IFA_FLAGS', () => {
    const bytes = encode('addAddress', { dev: 2, local: '2001:db8::2', prefixLength: 64, noDad: true });
    expect(bytes[18]).toBe(0x02);
    expect(bytes.subarray(bytes.length - 8).toString('hex')).toBe('0800080002000000');
  });

  it('puts noprefixroute in IFA_FLAGS only (it is above the legacy byte), and lifetimes in IFA_CACHEINFO', () => {
    const bytes = encode('addAddress', { dev: 2, local: '192.0.2.2', prefixLength: 24, noPrefixRoute: true, validLifetime: 600, preferredLifetime: 300 });
    expect(bytes[16 + 2]).toBe(0); // ifa_flags
    expect(bytes.includes(Buffer.from(hex('0800 0800 00020000'), 'hex'))).toBe(true); // IFA_FLAGS IFA_F_NOPREFIXROUTE
    // IFA_CACHEINFO { preferred 300, valid 600, cstamp, tstamp }, as `valid_lft 600 preferred_lft 300`.
    expect(bytes.includes(Buffer.from(hex('1400 0600 2c010000 58020000 00000000 00000000'), 'hex'))).toBe(true);
    expect(encode('replaceAddress', { dev: 2, local: '192.0.2.2', prefixLength: 24 }).readUInt16LE(6)).toBe(0x500); // CREATE|REPLACE
  });

  it('encodes a permanent neighbour (replace, like `ip neigh replace ... nud permanent`)', () => {
    expect(encode('addNeighbor', { dev: 2, ip: '192.0.2.9', mac: '02:00:00:00:00:09', permanent: true }).toString('hex')).toBe(hex(
      '30000000 1c00 0005 00000000 00000000', // RTM_NEWNEIGH, CREATE|REPLACE
      '02 000000 02000000 8000 00 00', // AF_INET, index 2, NUD_PERMANENT
      '0800 0100 c0000209', // NDA_DST
      '0a00 0200 020000000009 0000', // NDA_LLADDR
    ));
  });

  it('encodes a vxlan FDB entry as AF_BRIDGE, NTF_SELF, append', () => {
    const bytes = encode('addNeighbor', { dev: 4, fdb: true, mac: '00:00:00:00:00:00', ip: '192.0.2.7' });
    expect(bytes.readUInt16LE(6)).toBe(0x0800 | 0x0400); // APPEND|CREATE
    expect([bytes[16], bytes[26]]).toEqual([7, 0x02]); // AF_BRIDGE, NTF_SELF
  });

  it('nests the veth peer with its own ifinfomsg', () => {
    const bytes = encode('createLink', { name: 'veth0', kind: 'veth', peer: { name: 'eth0', mtu: 1400 } });
    expect(bytes.toString('hex')).toBe(hex(
      '68000000 1000 0006 00000000 00000000', // len 104, RTM_NEWLINK, CREATE|EXCL
      '00 00 0000 00000000 00000000 00000000', // ifinfomsg
      '0a00 0300 7665746830 00 0000', // IFLA_IFNAME veth0
      '3c00 1280', // IFLA_LINKINFO (60 bytes, NLA_F_NESTED)
      '0900 0100 7665746800 000000', //   IFLA_INFO_KIND veth
      '2c00 0280', //   IFLA_INFO_DATA (44)
      '2800 0180', //     VETH_INFO_PEER (40)
      '00 00 0000 00000000 00000000 00000000', //       the peer's ifinfomsg
      '0900 0300 6574683000 000000', //       IFLA_IFNAME eth0
      '0800 0400 78050000', //       IFLA_MTU 1400
    ));
  });

  it('encodes a rename plus move (IFLA_IFNAME with the link index)', () => {
    const bytes = encode('changeLink', { dev: 7, name: 'eth1', up: true });
    expect(bytes.readInt32LE(20)).toBe(7);
    expect(bytes.readUInt32LE(24)).toBe(1); // IFF_UP in flags
    expect(bytes.readUInt32LE(28)).toBe(1); // and in change
  });

  // One name per concept: `src` is the preferred source (RTA_PREFSRC = 7) in every operation,
  // `from` the source address or prefix (RTA_SRC = 2).
  it('sends src as RTA_PREFSRC and from as RTA_SRC', () => {
    const attributes = (bytes: Buffer) => {
      const found: number[] = [];
      for (let at = 28; at + 4 <= bytes.length; at += (bytes.readUInt16LE(at) + 3) & ~3) found.push(bytes.readUInt16LE(at + 2));
      return found;
    };
    const added = encode('addRoute', routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24, dev: 2, src: '192.0.2.1' }));
    expect(attributes(added)).toContain(7);
    expect(attributes(added)).not.toContain(2);
    const asked = encode('getRoute', routeRecord({ family: 4, dst: '198.51.100.7', from: '192.0.2.1' }));
    expect(attributes(asked)).toEqual([1, 2]); // RTA_DST, RTA_SRC
    expect(asked[17]).toBe(32); // rtm_src_len: a full-length source
    const answer = Buffer.from(asked);
    answer.writeUInt16LE(24, 4); // as an RTM_NEWROUTE answer: RTA_SRC comes back as `from`
    expect(decode(answer)[0]).toMatchObject({ dst: '198.51.100.7/32', from: '192.0.2.1/32' });
    expect(decode(answer)[0]).not.toHaveProperty('src');
  });

  it('encodes `conntrack -I -p tcp ... --state ESTABLISHED -u ASSURED` with the tuples conntrack-tools sends', () => {
    const bytes = encode('createConntrack', {
      family: 4, protocol: 6, timeout: 100, status: 4, tcpState: 3,
      original: { src: '192.0.2.2', dst: '198.51.100.2', srcPort: 1000, dstPort: 80 },
      reply: { src: '198.51.100.2', dst: '192.0.2.2', srcPort: 80, dstPort: 1000 },
    });
    // The header, then CTA_TUPLE_ORIG and CTA_TUPLE_REPLY byte for byte as conntrack-tools 1.4.7
    // sent them (strace): nested IPs, then protocol 6 and big-endian ports.
    expect(bytes.subarray(4, 8).toString('hex')).toBe('0001' + '0006'); // ctnetlink NEW, REQUEST|CREATE|EXCL
    expect(bytes.subarray(16, 124).toString('hex')).toBe(hex(
      '02 00 0000', // nfgenmsg: AF_INET, v0
      '3400 0180 1400 0180 0800 0100 c0000202 0800 0200 c6336402',
      '1c00 0280 0500 0100 06000000 0600 0200 03e80000 0600 0300 00500000',
      '3400 0280 1400 0180 0800 0100 c6336402 0800 0200 c0000202',
      '1c00 0280 0500 0100 06000000 0600 0200 00500000 0600 0300 03e80000',
    ));
    // ASSURED plus CONFIRMED (a created entry is confirmed), timeout and TCP state, read back
    // through the record a dump delivers.
    const [decoded] = decode(bytes) as unknown as Array<{ message: string; record: Buffer }>;
    expect(decoded!.message).toBe('conntrack');
    const entries: unknown[] = [];
    decodeConntrackRecords(decoded!.record, (e) => entries.push(e));
    expect(entries).toEqual([{
      family: 4, protocol: 'tcp', status: ['ASSURED', 'CONFIRMED'], timeout: 100, tcpState: 'ESTABLISHED',
      original: { src: '192.0.2.2', dst: '198.51.100.2', srcPort: 1000, dstPort: 80 },
      reply: { src: '198.51.100.2', dst: '192.0.2.2', srcPort: 80, dstPort: 1000 },
    }]);
  });

  it('decodes conntrack records: IPv6 as inet_ntop prints it, ICMP fields, mark, zone, id', () => {
    const record = (spec: Record<string, unknown>) => (decode(encode('createConntrack', spec as never)) as unknown as Array<{ record: Buffer }>)[0]!.record;
    const entries: unknown[] = [];
    for (const [src, dst] of [['2001:db8::1', '::ffff:192.0.2.1'], ['2001:db8:0:0:1::', '::192.0.2.9']]) {
      decodeConntrackRecords(record({
        family: 6, protocol: 58, timeout: 5, status: 0, mark: 9, zone: 4,
        original: { src, dst, icmpType: 128, icmpCode: 0, icmpId: 7 }, reply: { src: dst, dst: src, icmpType: 129, icmpCode: 0, icmpId: 7 },
      }), (e) => entries.push(e));
    }
    expect(entries).toEqual([
      { family: 6, protocol: 'icmpv6', status: [], timeout: 5, mark: 9, zone: 4,
        original: { src: '2001:db8::1', dst: '::ffff:192.0.2.1', icmpType: 128, icmpCode: 0, icmpId: 7 },
        reply: { src: '::ffff:192.0.2.1', dst: '2001:db8::1', icmpType: 129, icmpCode: 0, icmpId: 7 } },
      expect.objectContaining({ original: expect.objectContaining({ src: '2001:db8:0:0:1::', dst: '::192.0.2.9' }) }),
    ]);
  });

  it('decodes every IPv4 address of a table right, though texts are cached by address', () => {
    // 70,000 distinct addresses share 4,096 cache slots: every slot is reused many times.
    const record = (decode(encode('createConntrack', {
      family: 4, protocol: 17, timeout: 9, status: 0, original: { src: '0.0.0.0', dst: '198.51.100.10', srcPort: 1, dstPort: 53 },
      reply: { src: '203.0.113.10', dst: '0.0.0.0', srcPort: 53, dstPort: 1 },
    })) as unknown as Array<{ record: Buffer }>)[0]!.record;
    const table = Buffer.alloc(record.length * 70_000);
    const want: string[] = [];
    for (let i = 0; i < 70_000; i++) {
      const at = i * record.length;
      record.copy(table, at);
      const ip = [198, 18 + (i >> 16), (i >> 8) & 255, i & 255];
      table.set(ip, at + 24); // original src
      table.set(ip, at + 64 + 16); // reply dst
      want.push(ip.join('.'));
    }
    const got: string[] = [];
    decodeConntrackRecords(table, (e) => got.push(`${e.original.src} ${e.reply.dst} ${e.original.dst}`));
    expect(got).toEqual(want.map((a) => `${a} ${a} 198.51.100.10`));
  });

  it('deletes a listed conntrack entry by its record: original tuple, zone and id', () => {
    const listed = (decode(encode('createConntrack', {
      family: 6, protocol: 17, zone: 3, timeout: 9, status: 0, original: { src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5353, dstPort: 53 },
      reply: { src: '2001:db8::2', dst: '2001:db8::1', srcPort: 53, dstPort: 5353 },
    })) as unknown as Array<{ record: Buffer }>)[0]!.record;
    listed.writeUInt32LE(77, 16); // the id the kernel gave it
    listed[3]! |= 8;
    const bytes = encode('deleteConntrack', listed);
    expect(() => encode('deleteConntrack', Buffer.alloc(3))).toThrow(TypeError);
    expect(bytes.readUInt16LE(4)).toBe(0x0102); // ctnetlink DELETE
    expect(bytes.includes(Buffer.from(hex('0600 1200 0003'), 'hex'))).toBe(true); // CTA_ZONE 3 (big-endian)
    expect(bytes.includes(Buffer.from(hex('0800 0c00 0000004d'), 'hex'))).toBe(true); // CTA_ID 77
    expect(bytes.includes(Buffer.from('20010db8000000000000000000000002', 'hex'))).toBe(true);
    expect(bytes.includes(Buffer.from(hex('0200'), 'hex'))).toBe(true);
  });

  it('filters a conntrack dump in the kernel: family, protocol, mark, tuple fields and their CTA_FILTER flags', () => {
    const bytes = encode('conntrack', { family: 4, protocol: 17, mark: 5, original: { dst: '198.51.100.1', dstPort: 53 } });
    expect(bytes.readUInt16LE(4)).toBe(0x0101); // ctnetlink GET (the socket adds NLM_F_DUMP)
    expect(bytes.includes(Buffer.from(hex('0800 0800 00000005 0800 1500 ffffffff'), 'hex'))).toBe(true); // CTA_MARK, CTA_MARK_MASK
    // CTA_FILTER: original flags IP_DST | PROTO_NUM | DST_PORT, reply flags PROTO_NUM.
    expect(bytes.subarray(-20).toString('hex')).toBe(hex('1400 1980 0800 0100 2a000000 0800 0200 08000000'));
    // Without a family the kernel can't read addresses: no tuples, no CTA_FILTER.
    expect(encode('conntrack', { protocol: 17, original: { dstPort: 53 } }).length).toBe(20);
  });

  it('encodes `ip rule add` as iproute2 does, and reads a rule back', () => {
    // `ip rule add pref 100 from 192.0.2.0/24 lookup 100` (strace of iproute2 6.1): the table in
    // the header, FRA_TABLE only above 255.
    const bytes = encode('addRule', { family: 4, priority: 100, from: '192.0.2.0', fromLen: 24, table: 100 });
    expect(bytes.readUInt16LE(4)).toBe(32); // RTM_NEWRULE
    expect(bytes.readUInt16LE(6)).toBe(0x600); // EXCL|CREATE (the socket adds REQUEST and ACK)
    expect(bytes.subarray(16).toString('hex')).toBe(hex('02 00 18 00 64 00 00 01 00000000', '0800 0600 64000000', '0800 0200 c0000200'));
    expect(decode(bytes)).toEqual([{ message: 'rule', family: 4, priority: 100, from: '192.0.2.0', fromLen: 24, table: 100, action: 1 }]);
    const big = encode('addRule', { family: 6, fwmark: 7, table: 5000, ipProto: 17, dport: [53, 53], iif: 'eth0' });
    expect(decode(big)).toEqual([{ message: 'rule', family: 6, priority: 0, fwmark: 7, table: 5000, action: 1, ipProto: 17, dport: [53, 53], iif: 'eth0' }]);
    // A delete sends only what it was given: no action, no table.
    expect(decode(encode('deleteRule', { family: 4, priority: 9 }))).toEqual([{ message: 'rule', family: 4, priority: 9, table: 0, action: 0 }]);
  });

  it('asks for a name longer than IFNAMSIZ as an alternative name (IFLA_ALT_IFNAME)', () => {
    const attributeType = (bytes: Buffer) => bytes.readUInt16LE(16 + 16 + 2); // the first attribute after ifinfomsg
    expect(attributeType(encode('getLink', 'eth0'))).toBe(3); // IFLA_IFNAME
    const long = encode('getLink', 'a-long-alternative-name');
    expect(attributeType(long)).toBe(53); // IFLA_ALT_IFNAME
    expect(long.subarray(36, 36 + 23).toString()).toBe('a-long-alternative-name');
    expect(() => encode('getLink', 'x'.repeat(128))).toThrow(RangeError);
  });

  it('refuses names the binding cannot resolve outside a namespace', () => {
    expect(() => encode('addRoute', routeRecord({ family: 4, dev: 'eth0' }))).toThrow(/namespace/);
  });
});

describe('decoders', () => {
  it('reads an ACK with the kernel extended-ACK message (capped)', () => {
    const text = Buffer.from('Nexthop has invalid gateway\0');
    const tlv = Buffer.alloc(4 + Math.ceil(text.length / 4) * 4);
    tlv.writeUInt16LE(4 + text.length, 0);
    tlv.writeUInt16LE(1, 2); // NLMSGERR_ATTR_MSG
    text.copy(tlv, 4);
    const body = Buffer.alloc(4 + 16);
    body.writeInt32LE(-22, 0); // -EINVAL, then the request's header only (capped)
    const header = Buffer.alloc(16);
    header.writeUInt32LE(16 + body.length + tlv.length, 0);
    header.writeUInt16LE(2, 4); // NLMSG_ERROR
    header.writeUInt16LE(0x300, 6); // NLM_F_CAPPED | NLM_F_ACK_TLVS
    expect(decode(Buffer.concat([header, body, tlv]))).toEqual([
      { message: 'ack', errno: 22, extack: 'Nexthop has invalid gateway' },
    ]);
  });

  it('round-trips routes, addresses and neighbours through the parsers', () => {
    const route = encode('replaceRoute', routeRecord({ family: 6, dst: '2001:db8:1::', dstLength: 48, via: 'fe80::1', dev: 2, metric: 1024, table: 100, src: '2001:db8::2' }));
    expect(decode(route)[0]).toEqual({
      message: 'route', family: 6, dst: '2001:db8:1::/48', via: 'fe80::1', src: '2001:db8::2', dev: 'if2', devIndex: 2, table: 100,
      metric: 1024, protocol: 3, scope: 0, type: 1, flags: 0,
    });
    const address = encode('addAddress', { dev: 2, local: '192.0.2.1', prefixLength: 32, peer: '192.0.2.254' });
    expect(decode(address)[0]).toMatchObject({ message: 'address', address: '192.0.2.1', peer: '192.0.2.254', prefixLength: 32, devIndex: 2 });
    const neighbor = encode('addNeighbor', { dev: 5, ip: '2001:db8::9', mac: '02:00:00:00:00:09' });
    expect(decode(neighbor)[0]).toMatchObject({ message: 'neighbor', family: 6, ip: '2001:db8::9', mac: '02:00:00:00:00:09', devIndex: 5, state: 2 });
  });

  // An entry is named when it is read; if its interface is gone by then, so is the entry (a dump
  // racing a link deletion gave routes and addresses with dev ''). A link keeps itself.
  it('drops addresses, routes and neighbours whose interface is gone, and the gone master of a link', () => {
    const gone = { 2: 'eth0' }; // index 5 has no name any more
    const route = encode('addRoute', routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24, dev: 5 }));
    expect(decode(route, gone)).toEqual([{ message: 'unknown', type: 24 }]);
    expect(decode(route, { 5: 'eth5' })[0]).toMatchObject({ message: 'route', dev: 'eth5', devIndex: 5 });
    const address = encode('addAddress', { dev: 5, local: '192.0.2.1', prefixLength: 24 });
    expect(decode(address, gone)).toEqual([{ message: 'unknown', type: 20 }]);
    const neighbor = encode('addNeighbor', { dev: 5, ip: '192.0.2.9', mac: '02:00:00:00:00:09' });
    expect(decode(neighbor, gone)).toEqual([{ message: 'unknown', type: 28 }]);
    const link = encode('changeLink', { dev: 2, master: 5 });
    link.writeUInt16LE(16, 4); // as an RTM_NEWLINK answer
    const [decoded] = decode(link, gone);
    expect(decoded).toMatchObject({ message: 'link', index: 2 });
    expect(decoded).not.toHaveProperty('master');
  });

  it('reads the kind settings of links (IFLA_INFO_DATA): a vlan, which this kernel cannot make', () => {
    // What the kernel sends for `ip link add link if2 name v.10 type vlan proto 802.1ad id 10`.
    const attr = (type: number, payload: Buffer) => {
      const out = Buffer.alloc(4 + payload.length + ((4 - (payload.length % 4)) % 4));
      out.writeUInt16LE(4 + payload.length, 0);
      out.writeUInt16LE(type, 2);
      payload.copy(out, 4);
      return out;
    };
    const u16 = (n: number) => Buffer.from([n & 255, n >> 8]);
    const be16 = (n: number) => Buffer.from([n >> 8, n & 255]);
    const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer);
    const body = Buffer.concat([
      Buffer.alloc(16), // ifinfomsg
      attr(3, Buffer.from('v.10\0')), // IFLA_IFNAME
      attr(5, u32(2)), // IFLA_LINK: the parent
      attr(18, Buffer.concat([attr(1, Buffer.from('vlan\0')), attr(2, Buffer.concat([attr(1, u16(10)), attr(5, be16(0x88a8))]))])), // IFLA_LINKINFO
    ]);
    body.writeInt32LE(7, 4); // ifi_index
    const header = Buffer.alloc(16);
    header.writeUInt32LE(16 + body.length, 0);
    header.writeUInt16LE(16, 4); // RTM_NEWLINK
    const [link] = decode(Buffer.concat([header, body])) as unknown as NativeLink[];
    expect(link).toMatchObject({ name: 'v.10', kind: 'vlan', link: 2, vlan: { id: 10, protocol: 0x88a8 } });
    expect(linkInfoOf(link!)).toEqual({ kind: 'vlan', id: 10, protocol: '802.1ad', parentIndex: 2 });
    // Without IFLA_VLAN_PROTOCOL: 802.1Q, the kernel's default. A create round-trips its id.
    const [made] = decode(encode('createLink', { kind: 'vlan', name: 'v.5', parent: 2, vlanId: 5 })) as unknown as NativeLink[];
    expect(linkInfoOf(made!)).toEqual({ kind: 'vlan', id: 5, protocol: '802.1Q', parentIndex: 2 });
  });

  it('tells a vxlan\'s multicast group from a unicast remote by the address (ff00::/8, 224.0.0.0/4)', () => {
    const vxlan = (remote: string) => linkInfoOf({ vxlan: { vni: 1, port: 4789, remote, learning: true } } as NativeLink) as { remote: string | null; group: string | null };
    for (const group of ['ff02::1', 'FF05::2', '224.0.0.1', '239.255.255.255']) expect(vxlan(group)).toMatchObject({ group, remote: null });
    // inet_ntop drops leading zeros: 00ff::1 prints as ff::1, 0ffe::1 as ffe::1.
    for (const remote of ['ff::1', 'ffe::1', '2001:db8::1', '223.255.255.255', '240.0.0.1']) expect(vxlan(remote)).toMatchObject({ remote, group: null });
  });

  it('skips truncated attributes and unknown message types instead of failing', () => {
    const route = encode('addRoute', routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24, dev: 2 }));
    const truncated = Buffer.from(route);
    truncated.writeUInt16LE(200, 28); // RTA_TABLE claims more bytes than there are
    expect(decode(truncated)[0]).toMatchObject({ message: 'route', dst: '0.0.0.0/24' });
    const unknown = Buffer.alloc(16);
    unknown.writeUInt32LE(16, 0);
    unknown.writeUInt16LE(0x7777, 4);
    expect(decode(unknown)).toEqual([{ message: 'unknown', type: 0x7777 }]);
    expect(decode(Buffer.alloc(3))).toEqual([]);
  });

  // Found by the fuzzer (native/nl/fuzz/regressions): none may read past the buffer.
  it('refuses a message whose nlmsg_len claims 2^31 bytes or more', () => {
    const bytes = Buffer.alloc(36);
    bytes.writeUInt32LE(0x80000010, 0);
    bytes.writeUInt16LE(16, 4); // RTM_NEWLINK
    bytes.writeUInt16LE(0xfff0, 32); // an IFLA_ADDRESS claiming 65 KiB
    bytes.writeUInt16LE(1, 34);
    expect(decode(bytes)).toEqual([]);
    const fromFuzzer = readFileSync(new URL('../../native/nl/fuzz/regressions/decode-huge-nlmsg-len-link', import.meta.url));
    expect(() => decode(fromFuzzer)).not.toThrow();
  });

  it('refuses a last message whose padded length runs past the buffer', () => {
    const message = encode('addRoute', routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24, dev: 2 }));
    const unaligned = Buffer.from(message.subarray(0, message.length - 1)); // drop a padding byte
    unaligned.writeUInt32LE(unaligned.length, 0);
    expect(decode(Buffer.concat([message, unaligned]))).toHaveLength(1);
  });

  it('reads an ACK carrying INT_MIN as EINVAL instead of overflowing', () => {
    const ack = Buffer.alloc(36);
    ack.writeUInt32LE(36, 0);
    ack.writeUInt16LE(2, 4);
    ack.writeInt32LE(-2147483648, 16);
    expect(decode(ack)).toEqual([{ message: 'ack', errno: 22 }]);
  });

  it('refuses interface names with NUL in the binding too', () => {
    expect(() => encode('createLink', { name: 'a\0b', kind: 'bridge' })).toThrow(RangeError);
  });
});
