import { describe, expect, it, vi } from 'vitest';

import { entriesOf, formatKey, interfaceKey, namespaceKey, sysctlValue } from '../../lib/sysctl.js';

// Pure string parsing: the module must load without the compiled addon. If lib/sysctl.ts reached
// lib/native.ts at run time again (an import cycle through sandbox.ts did), this file would fail
// to load.
vi.mock('../../lib/native.js', () => {
  throw new Error('lib/sysctl.ts loaded the native addon');
});

describe('namespace-wide keys', () => {
  it('takes dotted and slash forms below net', () => {
    expect(namespaceKey('net.ipv4.ip_forward')).toEqual(['ipv4', 'ip_forward']);
    expect(namespaceKey('net/ipv4/conf/eth0.100/forwarding')).toEqual(['ipv4', 'conf', 'eth0.100', 'forwarding']);
    expect(namespaceKey('/proc/sys/net/ipv4/ip_forward')).toEqual(['ipv4', 'ip_forward']);
  });

  it('refuses keys that are not per-namespace, and says why', () => {
    expect(() => namespaceKey('kernel.hostname')).toThrow(/not per-namespace: only net\.\* keys belong to a sandbox/);
    expect(() => namespaceKey('vm.swappiness')).toThrow(RangeError);
  });

  // No key, however written, may name a file outside /proc/sys/net.
  it.each([
    'net', 'net.', 'net..ipv4', 'net/../../etc/passwd', 'net/ipv4/../../../etc/shadow', '/etc/passwd', '../net/ipv4',
    'net/ipv4/conf/lo/../../../../etc', 'net.ipv4.ip_forward\n', 'net/ipv4/\0/x', 'net/./ipv4/ip_forward', 'net//ipv4',
  ])('refuses %j', (key) => {
    expect(() => namespaceKey(key)).toThrow(RangeError);
  });
});

describe('per-interface keys', () => {
  it('expands the short form and the IFNAME placeholder, keeping a dotted name whole', () => {
    expect(interfaceKey('ipv6.conf.accept_ra', 'eth0')).toEqual(['ipv6', 'conf', 'eth0', 'accept_ra']);
    expect(interfaceKey('net.ipv6.conf.IFNAME.accept_ra', 'eth0.100')).toEqual(['ipv6', 'conf', 'eth0.100', 'accept_ra']);
    expect(interfaceKey('net.ipv4.neigh.ifname.base_reachable_time_ms', 'veth1')).toEqual(['ipv4', 'neigh', 'veth1', 'base_reachable_time_ms']);
    expect(interfaceKey('mpls.conf.input', 'eth1')).toEqual(['mpls', 'conf', 'eth1', 'input']);
  });

  it('answers a concrete name the way Docker does', () => {
    expect(() => interfaceKey('net.ipv4.conf.eth0.forwarding', 'eth0'))
      .toThrow("represent 'net.ipv4.conf.eth0.forwarding' as 'net.ipv4.conf.IFNAME.forwarding'");
  });

  it('refuses all/default (namespace-wide) and other families', () => {
    expect(() => interfaceKey('net.ipv4.conf.all.forwarding', 'eth0')).toThrow(/namespace-wide/);
    expect(() => interfaceKey('net.ipv6.conf.default.accept_ra', 'eth0')).toThrow(/namespace-wide/);
    expect(() => interfaceKey('core.somaxconn', 'eth0')).toThrow(/not a per-interface key/);
    expect(() => interfaceKey('mpls.neigh.x', 'eth0')).toThrow(RangeError);
    expect(() => interfaceKey('ipv4.conf.a.b', 'eth0')).toThrow(/one key/);
    expect(() => interfaceKey('ipv4.conf...', 'eth0')).toThrow(RangeError);
  });
});

describe('values and entries', () => {
  it('takes numbers and strings, refuses newlines and NUL', () => {
    expect(sysctlValue(1, 'k')).toBe('1');
    expect(sysctlValue('4096 87380 6291456', 'k')).toBe('4096 87380 6291456');
    expect(() => sysctlValue('1\n2', 'k')).toThrow(RangeError);
    expect(() => sysctlValue('1\0', 'k')).toThrow(RangeError);
    expect(() => sysctlValue(null, 'k')).toThrow(TypeError);
  });

  it('keeps order and knows the load-balancer profile', () => {
    expect(entriesOf({ b: 1, a: 2 })).toEqual([['b', 1], ['a', 2]]);
    expect(entriesOf('load-balancer').map(([k]) => k)).toEqual([
      'net.ipv4.vs.conn_reuse_mode', 'net.ipv4.vs.expire_nodest_conn', 'net.ipv4.vs.expire_quiescent_template']);
    expect(() => entriesOf('nope')).toThrow(/no sysctl profile 'nope'/);
  });

  it("takes Docker's 'key=value' strings (the --sysctl list), and refuses one without '='", () => {
    expect(entriesOf(['net.ipv4.ip_forward=1', 'net.ipv6.conf.IFNAME.accept_ra = 2', ['net.core.x', 3]]))
      .toEqual([['net.ipv4.ip_forward', '1'], ['net.ipv6.conf.IFNAME.accept_ra', '2'], ['net.core.x', 3]]);
    expect(() => entriesOf(['net.ipv4.ip_forward'])).toThrow(/is not 'key=value'/);
    expect(() => entriesOf(['=1'])).toThrow(RangeError);
    expect(() => entriesOf([42 as unknown as string])).toThrow(TypeError);
  });

  it('formats keys with dots, or slashes when a name has a dot', () => {
    expect(formatKey(['ipv4', 'ip_forward'])).toBe('net.ipv4.ip_forward');
    expect(formatKey(['ipv4', 'conf', 'eth0.100', 'forwarding'])).toBe('net/ipv4/conf/eth0.100/forwarding');
  });
});
