// Input checks and normalisation, run before anything is sent to the kernel. They throw
// TypeError (wrong kind of value) or RangeError (right kind, wrong value) with a message that
// names the argument.
import { isIP } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  address: string;
  prefixLength: number;
}

function fail(kind: 'type' | 'range', message: string): never {
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

export function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') fail('type', `${what} must be a string, got ${typeof value}`);
  return value;
}

export function requireInteger(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    fail('type', `${what} must be an integer, got ${String(value)}`);
  }
  if (value < min || value > max) fail('range', `${what} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Interface names as the kernel accepts them: 1-15 bytes, no '/', ':' or white space. */
export function interfaceName(value: unknown, what = 'interface name'): string {
  const name = requireString(value, what);
  if (name.length === 0 || Buffer.byteLength(name) > 15) {
    fail('range', `${what} '${name}' must be 1 to 15 bytes long`);
  }
  if (name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    fail('range', `${what} '${name}' may not be '.' or '..' or contain '/', ':', NUL or white space`);
  }
  return name;
}

/** Names of persisted namespaces: one path element, as `ip netns add` requires. */
export function namespaceName(value: unknown): string {
  const name = requireString(value, 'sandbox name');
  if (name.length === 0 || Buffer.byteLength(name) > 255 || name === '.' || name === '..' || /[/\0]/.test(name)) {
    fail('range', `sandbox name '${name}' must be one path element (no '/', not '.' or '..')`);
  }
  return name;
}

export function ipAddress(value: unknown, what: string, family?: Family): { address: string; family: Family } {
  const text = requireString(value, what);
  const found = isIP(text);
  if (found === 0) fail('range', `${what} '${text}' is not an IP address`);
  if (family !== undefined && found !== family) {
    fail('range', `${what} '${text}' is IPv${found}, expected IPv${family}`);
  }
  return { address: text, family: found as Family };
}

export function ipBytes(address: string): number[] {
  if (isIP(address) === 4) return address.split('.').map(Number);
  let text = address;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    tail.push(...ipBytes(v4[1]));
    text = text.slice(0, -v4[1].length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** '192.0.2.1/24', '2001:db8::/64'; a bare address is a host prefix (/32, /128). */
export function cidr(value: unknown, what: string): Cidr {
  const text = requireString(value, what);
  const slash = text.indexOf('/');
  const { address, family } = ipAddress(slash < 0 ? text : text.slice(0, slash), what);
  const max = family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits) || Number(digits) > max) {
      fail('range', `${what} '${text}' has an invalid prefix length (0-${max})`);
    }
    prefixLength = Number(digits);
  }
  return { family, address, prefixLength };
}

/** A route destination: a network address with no host bits set. */
export function network(value: unknown, what: string): Cidr {
  const c = cidr(value, what);
  if (c.prefixLength === (c.family === 4 ? 32 : 128)) return c; // a host route has no host bits
  const bytes = ipBytes(c.address);
  const masked = bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, c.prefixLength - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  if (masked.some((b, i) => b !== bytes[i])) {
    const base = c.family === 4 ? masked.join('.') : formatIpv6(masked);
    fail('range', `${what} '${String(value)}' has host bits set; the network is ${base}/${c.prefixLength}`);
  }
  return c;
}

function formatIpv6(bytes: number[]): string {
  const words = [];
  for (let i = 0; i < 16; i += 2) words.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function macAddress(value: unknown, what = 'mac'): string {
  const mac = requireString(value, what).toLowerCase();
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) fail('range', `${what} '${mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return mac;
}

export function mtu(value: unknown): number {
  return requireInteger(value, 'mtu', 68, 65535);
}

/** Looks a name up in a table of names -> numbers, or accepts the number itself. */
export function named(value: unknown, table: Record<string, number>, what: string, max = 255): number {
  if (typeof value === 'number') return requireInteger(value, what, 0, max);
  const text = requireString(value, what);
  const n = table[text];
  if (n === undefined) fail('range', `${what} '${text}' is not one of ${Object.keys(table).join(', ')}`);
  return n;
}

const reverseTables = new WeakMap<Record<string, number>, Map<number, string>>();

/** The reverse of `named`: a number's name (the first listed), or the number as text. */
export function nameOf(value: number, table: Record<string, number>): string {
  let reverse = reverseTables.get(table);
  if (!reverse) {
    reverse = new Map();
    for (const [name, n] of Object.entries(table)) if (!reverse.has(n)) reverse.set(n, name);
    reverseTables.set(table, reverse);
  }
  return reverse.get(value) ?? String(value);
}
