// Input checks and normalisation, run before anything is sent to the kernel. They throw
// TypeError (wrong kind of value) or RangeError (right kind, wrong value) with a message that
// names the argument. They run for every request on the main thread, so the common path is a
// character loop with no allocation (benchmarks/micro/validate.ts measures it); only wording an
// error does more work.

export type Family = 4 | 6;

/** A list's family: both unless told. */
export interface FamilyFilter { family?: Family | undefined }

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
/** An alternative interface name: 1-127 bytes, no '/', NUL or white space (the kernel's ALTIFNAMSIZ). */
export function alternativeName(value: unknown, what = 'altName'): string {
  const name = requireString(value, what);
  if (name.length === 0 || Buffer.byteLength(name) > 127 || /[/\0\s]/.test(name)) {
    fail('range', `${what} '${name}' must be 1 to 127 bytes, without '/', NUL or white space`);
  }
  return name;
}

export function interfaceName(value: unknown, what = 'interface name'): string {
  if (typeof value === 'string' && isPlainInterfaceName(value)) return value;
  const name = requireString(value, what);
  if (name.length === 0 || Buffer.byteLength(name) > 15) {
    fail('range', `${what} '${name}' must be 1 to 15 bytes long`);
  }
  if (name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    fail('range', `${what} '${name}' may not be '.' or '..' or contain '/', ':', NUL or white space`);
  }
  if (name.includes('%')) fail('range', `${what} '${name}' may not contain '%': the kernel would pick a name from it ('eth%d')`);
  return name;
}

/** The common case, decided without a regex: 1-15 printable ASCII bytes, none of / : space. */
function isPlainInterfaceName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > 15 || (name.charCodeAt(0) === 46 && (n === 1 || (n === 2 && name.charCodeAt(1) === 46)))) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 47 || c === 58 || c === 37) return false; // controls, space, DEL, non-ASCII, '/', ':', '%'
  }
  return true;
}

export function requireFamily(value: unknown): Family {
  if (value !== 4 && value !== 6) fail('range', `family must be 4 or 6, got ${String(value)}`);
  return value;
}

export function requireBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') fail('type', `${what} must be true or false, got ${String(value)}`);
  return value;
}

/** A file system path: a C string for the kernel, so one with NUL would name another file. */
export function fsPath(value: unknown, what: string): string {
  const path = requireString(value, what);
  if (path.length === 0 || path.includes('\0')) fail('range', `${what} must be a non-empty path without NUL`);
  return path;
}

/** Names of persisted namespaces: one path element, as `ip netns add` requires. */
export function namespaceName(value: unknown): string {
  const name = requireString(value, 'sandbox name');
  if (name.length === 0 || Buffer.byteLength(name) > 255 || name === '.' || name === '..' || /[/\0]/.test(name)) {
    fail('range', `sandbox name '${name}' must be one path element (no '/', not '.' or '..')`);
  }
  return name;
}

// The bytes of the last address parsed (network order). Main thread only; read right after the
// parse that filled it.
const parsed = new Uint8Array(16);

/**
 * Parses an IPv4 or IPv6 literal into `out` (network order), like inet_pton: no zone index, no
 * leading zeros in IPv4 parts, '::' for at least one zero group. Returns the family, or 0.
 */
export function parseIp(text: string, out: Uint8Array = parsed, at = 0): 0 | Family {
  for (let i = 0; i < text.length && i < 5; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) return parseIpv4(text, 0, text.length, out, at) ? 4 : 0; // a '.' before any ':'
    if (c === 58) break;
  }
  return parseIpv6(text, out, at) ? 6 : 0;
}

function parseIpv4(text: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false; // a leading zero
      part = part * 10 + c - 48;
      if (++digits > 3 || part > 255) return false;
    } else if (c === 46 && digits > 0 && parts < 4) {
      out[at + parts++] = part;
      part = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return parts === 4;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseIpv6(text: string, out: Uint8Array, at: number): boolean {
  const end = text.length;
  let words = 0;
  let gap = -1; // the word where '::' stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const groupStart = i;
    let value = 0;
    let digits = 0;
    for (let h: number; i < end && (h = hexDigit(text.charCodeAt(i))) >= 0; i++) {
      value = value * 16 + h;
      if (++digits > 4) return false;
    }
    if (text.charCodeAt(i) === 46) { // an embedded IPv4 address ends it
      if (words > 6 || !parseIpv4(text, groupStart, end, out, at + words * 2)) return false;
      words += 2;
      break;
    }
    if (digits === 0 || words === 8) return false;
    out[at + words * 2] = value >> 8;
    out[at + words * 2 + 1] = value & 0xff;
    words++;
    if (i === end) break;
    if (text.charCodeAt(i++) !== 58 || i === end) return false; // a ':', not last
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = words;
      i++;
    }
  }
  if (gap < 0) return words === 8;
  if (words === 8) return false;
  const tail = words - gap;
  out.copyWithin(at + 16 - tail * 2, at + gap * 2, at + words * 2);
  out.fill(0, at + gap * 2, at + 16 - tail * 2);
  return true;
}

export function ipAddress(value: unknown, what: string, family?: Family): { address: string; family: Family } {
  const text = requireString(value, what);
  const found = parseIp(text);
  if (found === 0) {
    const zone = text.indexOf('%');
    if (zone > 0 && parseIp(text.slice(0, zone)) === 6) {
      fail('range', `${what} '${text}' has a zone (${text.slice(zone)}): pass the address without it, and the interface as dev (or call the Interface's method)`);
    }
    fail('range', `${what} '${text}' is not an IP address`);
  }
  if (family !== undefined && found !== family) {
    fail('range', `${what} '${text}' is IPv${found}, expected IPv${family}`);
  }
  return { address: text, family: found };
}

/** '192.0.2.1/24', '2001:db8::/64'; a bare address is a host prefix (/32, /128). */
export function cidr(value: unknown, what: string): Cidr {
  const text = requireString(value, what);
  const slash = text.indexOf('/');
  const { address, family } = ipAddress(slash < 0 ? text : text.slice(0, slash), what);
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, address, prefixLength: max };
  let prefixLength = 0;
  const digits = text.length - slash - 1;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    prefixLength = c >= 48 && c <= 57 ? prefixLength * 10 + c - 48 : NaN;
  }
  if (!(digits >= 1 && digits <= 3 && prefixLength <= max)) {
    fail('range', `${what} '${text}' has an invalid prefix length (0-${max})`);
  }
  return { family, address, prefixLength };
}

/** A route destination: a network address with no host bits set (checked on the parsed bytes). */
export function network(value: unknown, what: string): Cidr {
  const c = cidr(value, what); // leaves the address's bytes in `parsed`
  const size = c.family === 4 ? 4 : 16;
  let i = c.prefixLength >> 3;
  let hostBits = (c.prefixLength & 7) !== 0 && (parsed[i++]! & (0xff >> (c.prefixLength & 7))) !== 0;
  for (; i < size && !hostBits; i++) hostBits = parsed[i] !== 0;
  if (hostBits) {
    const masked = parsed.map((b, j) => b & ((0xff << (8 - Math.max(0, Math.min(8, c.prefixLength - j * 8)))) & 0xff));
    const base = formatIp(masked, 0, c.family);
    fail('range', `${what} '${String(value)}' has host bits set; the network is ${base}/${c.prefixLength}`);
  }
  return c;
}

// Number formatting is a runtime call: an address is built from these instead, byte by byte.
const BYTE_TEXT = Array.from({ length: 256 }, (_, i) => String(i));
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16));
const HEX_PADDED = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The address at `b[at]` as inet_ntop writes it (RFC 5952; ::a.b.c.d and ::ffff:a.b.c.d forms). */
export function formatIp(b: Uint8Array, at: number, family: Family): string {
  if (family === 4) return BYTE_TEXT[b[at]!]! + '.' + BYTE_TEXT[b[at + 1]!]! + '.' + BYTE_TEXT[b[at + 2]!]! + '.' + BYTE_TEXT[b[at + 3]!]!;
  let best = -1; // the longest run of two or more zero groups (the first of equals) becomes '::'
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && b[at + 2 * j] === 0 && b[at + 2 * j + 1] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best === 0 && (bestLength === 6 || (bestLength === 5 && b[at + 10] === 0xff && b[at + 11] === 0xff))) {
    return (bestLength === 6 ? '::' : '::ffff:') + formatIp(b, at + 12, 4);
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== best + bestLength) text += ':';
    const high = b[at + 2 * i]!;
    const low = b[at + 2 * i + 1]!;
    text += high === 0 ? HEX[low]! : HEX[high]! + HEX_PADDED[low]!;
  }
  return text;
}

/** Like nameOf, but a number without a name stays a number. */
export function nameOrNumber(value: number, table: Record<string, number>): string | number {
  const name = nameOf(value, table);
  return name === String(value) ? value : name;
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
export function named(value: unknown, table: Record<string, number>, what: string, max = 255, min = 0): number {
  if (typeof value === 'number') return requireInteger(value, what, min, max);
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
