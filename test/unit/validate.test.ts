import { describe, expect, it } from 'vitest';

import { isIP } from 'node:net';

import { cidr, interfaceName, ipAddress, macAddress, namespaceName, network, parseIp } from '../../lib/validate.js';

describe('interface names', () => {
  it('accepts 15 bytes and dots (eth0.100), refuses 16 bytes and what the kernel refuses', () => {
    expect(interfaceName('abcdefghijklmno')).toBe('abcdefghijklmno');
    expect(interfaceName('eth0.100')).toBe('eth0.100');
    expect(() => interfaceName('abcdefghijklmnop')).toThrow(RangeError);
    expect(() => interfaceName('abcdefghijklmnop')).toThrow(/1 to 15 bytes/);
    for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'tab\t', 'v0\0x']) expect(() => interfaceName(bad)).toThrow(RangeError);
    expect(() => interfaceName(42)).toThrow(TypeError);
    // A '%' would have the kernel pick a name (tun%d -> tun0): the one asked for would not exist.
    expect(() => interfaceName('tun%d')).toThrow(/may not contain '%'/);
  });

  it('counts bytes, not characters', () => {
    expect(() => interfaceName('ééééééééé')).toThrow(RangeError); // 18 bytes
  });
});

describe('namespace names', () => {
  it('takes one path element', () => {
    expect(namespaceName('web-1.test')).toBe('web-1.test');
    for (const bad of ['', '.', '..', 'a/b', '../etc', 'a\0b']) expect(() => namespaceName(bad)).toThrow(RangeError);
  });
});

describe('addresses', () => {
  it('parses CIDRs and bare addresses as host prefixes', () => {
    expect(cidr('192.0.2.1/24', 'a')).toEqual({ family: 4, address: '192.0.2.1', prefixLength: 24 });
    expect(cidr('2001:db8::1', 'a')).toEqual({ family: 6, address: '2001:db8::1', prefixLength: 128 });
    for (const bad of ['192.0.2.1/33', '2001:db8::/129', '192.0.2.1/', '192.0.2.1/x', '192.0.2.300/24', 'host/24']) {
      expect(() => cidr(bad, 'a')).toThrow(RangeError);
    }
  });

  it('refuses route destinations with host bits and names the network', () => {
    expect(network('198.51.100.0/24', 'dst').prefixLength).toBe(24);
    expect(() => network('198.51.100.7/24', 'dst')).toThrow(/network is 198\.51\.100\.0\/24/);
    expect(() => network('2001:db8::1/64', 'dst')).toThrow(/network is 2001:db8::\/64/);
    expect(network('0.0.0.0/0', 'dst').prefixLength).toBe(0);
  });

  it('expands IPv6 including embedded IPv4', () => {
    const bytes = (text: string) => {
      const out = new Uint8Array(16);
      expect(parseIp(text, out)).toBe(6);
      return [...out];
    };
    expect(bytes('::ffff:192.0.2.1').slice(10)).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    expect(bytes('2001:db8::1')).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(bytes('1::')).toEqual([0, 1, ...new Array(14).fill(0)]);
    expect(bytes('::')).toEqual(new Array(16).fill(0));
    expect(bytes('a:b:c:d:e:f:0:1')).toEqual([0, 10, 0, 11, 0, 12, 0, 13, 0, 14, 0, 15, 0, 0, 0, 1]);
  });

  // node:net's isIP is the oracle, except for what inet_pton (and so the kernel path) refuses:
  // zone indexes. The fast parser must agree on everything else.
  it('accepts exactly what isIP accepts (without zones)', () => {
    const cases = [
      '0.0.0.0', '255.255.255.255', '192.0.2.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', '1.2.3.4.',
      '.1.2.3', '1.2.3.-4', '1234', '::', '::1', '1::', '2001:db8::', '2001:DB8::1', '2001:db8:0:0:0:0:0:1', '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '1::2::3', ':1', '1:', ':::', '12345::', 'g::', '::ffff:192.0.2.1',
      '::192.0.2.1', '1:2:3:4:5:6:192.0.2.1', '1:2:3:4:5:6:7:192.0.2.1', '::ffff:192.0.2', '::ffff:192.0.2.256', 'fe80::1',
      '', ' ', '1.2.3.4 ', ' ::1', 'localhost', '0x1.2.3.4', '1.2.3.04', '::ffff:01.2.3.4',
    ];
    for (const text of cases) expect([text, parseIp(text)]).toEqual([text, isIP(text)]);
    expect(isIP('fe80::1%eth0')).toBe(6);
    expect(parseIp('fe80::1%eth0')).toBe(0);
    expect(() => ipAddress('fe80::1%eth0', 'via')).toThrow(/has a zone \(%eth0\): pass the address without it, and the interface as dev/);
    expect(() => cidr('fe80::9%v0/64', 'address')).toThrow(/has a zone \(%v0\)/);
    expect(() => ipAddress('nope%eth0', 'via')).toThrow(/is not an IP address/);
  });

  it('checks host bits on the parsed bytes for every prefix length', () => {
    expect(network('198.18.16.0/20', 'dst').prefixLength).toBe(20);
    expect(() => network('198.18.24.0/20', 'dst')).toThrow(/network is 198\.18\.16\.0\/20/);
    expect(network('2001:db8:7::/48', 'dst').prefixLength).toBe(48);
    expect(() => network('2001:db8:7:1::/48', 'dst')).toThrow(/network is 2001:db8:7::\/48/);
    expect(network('198.51.100.7/32', 'dst').prefixLength).toBe(32);
    expect(network('::/0', 'dst').prefixLength).toBe(0);
    expect(() => network('::1/0', 'dst')).toThrow(/network is ::\/0/);
    expect(() => cidr('2001:db8::/1x', 'dst')).toThrow(/invalid prefix length/);
  });

  it('normalises MACs to lower case and refuses others', () => {
    expect(macAddress('02:AA:bb:00:00:01')).toBe('02:aa:bb:00:00:01');
    for (const bad of ['02:aa:bb:00:00', '02-aa-bb-00-00-01', '02:aa:bb:00:00:0g']) expect(() => macAddress(bad)).toThrow(RangeError);
  });
});
