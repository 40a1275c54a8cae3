import { describe, expect, it } from 'vitest';

import { cidr, interfaceName, ipBytes, macAddress, namespaceName, network } from '../../lib/validate.js';

describe('interface names', () => {
  it('accepts 15 bytes and dots (eth0.100), refuses 16 bytes and what the kernel refuses', () => {
    expect(interfaceName('abcdefghijklmno')).toBe('abcdefghijklmno');
    expect(interfaceName('eth0.100')).toBe('eth0.100');
    expect(() => interfaceName('abcdefghijklmnop')).toThrow(RangeError);
    expect(() => interfaceName('abcdefghijklmnop')).toThrow(/1 to 15 bytes/);
    for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'tab\t', 'v0\0x']) expect(() => interfaceName(bad)).toThrow(RangeError);
    expect(() => interfaceName(42)).toThrow(TypeError);
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
    expect(ipBytes('::ffff:192.0.2.1').slice(10)).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    expect(ipBytes('2001:db8::1')).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
  });

  it('normalises MACs to lower case and refuses others', () => {
    expect(macAddress('02:AA:bb:00:00:01')).toBe('02:aa:bb:00:00:01');
    for (const bad of ['02:aa:bb:00:00', '02-aa-bb-00-00-01', '02:aa:bb:00:00:0g']) expect(() => macAddress(bad)).toThrow(RangeError);
  });
});
