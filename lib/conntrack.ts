// Connection tracking of a sandbox's namespace over ctnetlink, as conntrack-tools does it, and
// kube-proxy's stale-UDP reconciler. The requests run on the sandbox's worker like rtnetlink's
// (its NETLINK_NETFILTER socket), pipelined: a delete of 10,000 entries is one dump and 10,000
// deletes sent together, their ACKs read as they come. Main thread only.
import { conntrackStatus, flagNames, ipProtocols, tcpStates } from './constants.js';
import type { NetsandboxError } from './errors.js';
import type { NativeConntrackEntry, NativeConntrackFilter, NativeConntrackRecord, NativeConntrackTuple } from './native.js';
import { dumpChunks, type Listing, listing, send } from './request.js';
import type { Sandbox } from './sandbox.js';
import { type Family, type FamilyFilter, formatIp, ipAddress, named, nameOf, nameOrNumber, parseIp, requireFamily, requireInteger, requireString } from './validate.js';

export type ConntrackProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'dccp' | 'gre' | 'udplite' | number;

/** One direction of a connection: ports for TCP, UDP, SCTP; type, code and id for ICMP. */
export interface ConntrackTuple {
  src: string;
  dst: string;
  srcPort?: number | undefined;
  dstPort?: number | undefined;
  icmpType?: number | undefined;
  icmpCode?: number | undefined;
  icmpId?: number | undefined;
}

/** An entry as `conntrack -L` shows it. Plain data: `JSON.stringify` prints it. */
export interface ConntrackEntry {
  family: Family;
  protocol: ConntrackProtocol;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  /** Seconds left. */
  timeout?: number;
  mark?: number;
  zone?: number;
  /** The IPS_* bits set, e.g. ['SEEN_REPLY', 'ASSURED', 'CONFIRMED'] (shared between entries, frozen). */
  status: readonly string[];
  tcpState?: string;
  id?: number;
}

/** An entry to create, like `conntrack -I`. Without `reply`, the reply is the original reversed. */
export interface NewConntrackEntry {
  family?: Family | undefined;
  protocol: ConntrackProtocol;
  original: ConntrackTuple;
  reply?: ConntrackTuple | undefined;
  /** Seconds. */
  timeout: number;
  mark?: number | undefined;
  zone?: number | undefined;
  status?: string[] | undefined;
  tcpState?: string | undefined;
}

/**
 * Unset fields are wildcards and every set field must match; a filter with no field set matches
 * nothing (`flush()` empties the table). IPv4-mapped IPv6 addresses equal their IPv4 form.
 */
export interface ConntrackFilter {
  family?: Family | undefined;
  protocol?: ConntrackProtocol | undefined;
  original?: Partial<ConntrackTuple> | undefined;
  reply?: Partial<ConntrackTuple> | undefined;
  mark?: number | undefined;
  zone?: number | undefined;
}

export interface ConntrackDeleteResult {
  deleted: number;
  /** The dump was still interrupted after five tries: entries it missed were not deleted. */
  partial: boolean;
  /** Entries that could not be deleted (an entry already gone counts as deleted). */
  errors: NetsandboxError[];
}

/** A UDP service as kube-proxy sees it. */
export interface UdpService {
  /** Its frontends: the ClusterIP, load-balancer and external IPs. */
  ips: string[];
  port: number;
  nodePort?: number | undefined;
  /** When set, a flow whose reply comes from another port is stale too. */
  targetPort?: number | undefined;
  /** The IPs of its serving endpoints. */
  endpoints: string[];
}

/** What `list()` keeps: entries of the family and protocol that match a filter (an array is an OR). */
export interface ConntrackListOptions {
  family?: Family | undefined;
  protocol?: ConntrackProtocol | undefined;
  filter?: ConntrackFilter | ConntrackFilter[] | undefined;
}

export interface CleanStaleUdpOptions {
  family: Family;
  services: UdpService[];
}

export interface StaleUdpResult extends ConntrackDeleteResult {
  /** UDP entries of the family looked at. */
  scanned: number;
}

const TUPLE_U16 = ['srcPort', 'dstPort', 'icmpId'] as const;
const TUPLE_U8 = ['icmpType', 'icmpCode'] as const;
const UDP = 17;
const ICMP_ECHO_REPLIES: Record<number, Record<number, number>> = { 1: { 8: 0 }, 58: { 128: 129 } };

/** An address as the kernel prints it, with IPv4-mapped IPv6 addresses in their IPv4 form. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const ipBytes = new Uint8Array(16);

/** Checks an address (validate.ts's ipAddress, with its wording) and leaves its bytes in ipBytes. */
function ipToBytes(value: unknown, what: string): Family {
  return parseIp(ipAddress(value, what).address, ipBytes) as Family;
}

/** A valid address in the canonical form entries compare in (see unmapped). */
function canonicalIp(value: unknown, what: string): string {
  const family = ipToBytes(value, what);
  return family === 4 ? formatIp(ipBytes, 0, 4) : unmapped(formatIp(ipBytes, 0, 6));
}

// A conntrack record as native/binding/convert.cc (PackConntrack) writes it, little-endian.
const RECORD_BYTES = 104;

// Offsets in a record: the tuples, and in a tuple its fields.
const ORIGINAL = 24;
const REPLY = 64;
const DST = 16;
const SRC_PORT = 32;
const DST_PORT = 34;

// IPv4 texts by address, direct-mapped and kept between dumps: a table's frontends and
// endpoints repeat, and a client's address is in both tuples, so most lookups build no string.
const V4_SLOTS = 4096;
const v4Keys = new Float64Array(V4_SLOTS).fill(-1);
const v4Texts: string[] = new Array<string>(V4_SLOTS).fill('');

function ipTextAt(b: Uint8Array, at: number, family: Family): string {
  if (family === 6) return formatIp(b, at, 6);
  const key = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  const slot = Math.imul(key, 0x9e3779b1) >>> 20;
  if (v4Keys[slot] === key) return v4Texts[slot]!;
  const text = formatIp(b, at, 4);
  v4Keys[slot] = key;
  v4Texts[slot] = text;
  return text;
}

function tupleAt(b: Buffer, at: number, family: Family, present: number): ConntrackTuple {
  const t: ConntrackTuple = { src: ipTextAt(b, at, family), dst: ipTextAt(b, at + DST, family) };
  if (present & 1) t.srcPort = b[at + SRC_PORT]! | (b[at + SRC_PORT + 1]! << 8);
  if (present & 2) t.dstPort = b[at + DST_PORT]! | (b[at + DST_PORT + 1]! << 8);
  if (present & 4) t.icmpType = b[at + 38]!;
  if (present & 8) t.icmpCode = b[at + 39]!;
  if (present & 16) t.icmpId = b[at + 36]! | (b[at + 37]! << 8);
  return t;
}

/**
 * An address as a hash key, read straight from a record: IPv4 (and IPv4-mapped IPv6) as a
 * number, other IPv6 as its text. Building no string for IPv4 keeps a 100,000-entry scan cheap.
 */
type IpKey = number | string;

function ipKeyAt(b: Uint8Array, at: number, family: Family): IpKey {
  let v4 = at;
  if (family === 6) {
    for (let i = 0; i < 10; i++) if (b[at + i] !== 0) return formatIp(b, at, 6);
    if (b[at + 10] !== 0xff || b[at + 11] !== 0xff) return formatIp(b, at, 6);
    v4 = at + 12;
  }
  return ((b[v4]! << 24) | (b[v4 + 1]! << 16) | (b[v4 + 2]! << 8) | b[v4 + 3]!) >>> 0;
}

function ipKeyOf(value: unknown, what: string): IpKey {
  return ipKeyAt(ipBytes, 0, ipToBytes(value, what));
}

const recordAt = (chunk: Buffer, at: number): NativeConntrackRecord => chunk.subarray(at, at + RECORD_BYTES);

const frontendKey = (ip: IpKey, port: number): IpKey => (typeof ip === 'number' ? ip * 65536 + port : `${ip}|${port}`);

// A table holds few distinct statuses: entries share one frozen list of names per status.
const statusNames = new Map<number, readonly string[]>();

function statusOf(bits: number): readonly string[] {
  let names = statusNames.get(bits);
  if (!names) statusNames.set(bits, names = Object.freeze(flagNames(bits, conntrackStatus)));
  return names;
}

/**
 * The entries of a chunk of a conntrack dump, each with where its record starts (recordAt makes
 * the view a delete sends back). `pick(chunk, at)`, when given, looks at the record at `at`
 * first (see cleanStaleUdp) and says whether to decode it.
 */
export function decodeConntrackRecords(chunk: Buffer, visit: (entry: ConntrackEntry, chunk: Buffer, at: number) => void,
  pick?: (chunk: Buffer, at: number) => boolean): void {
  for (let at = 0; at + RECORD_BYTES <= chunk.length; at += RECORD_BYTES) {
    if (pick && !pick(chunk, at)) continue;
    const family = chunk[at] as Family;
    const optional = chunk[at + 3]!;
    const entry: ConntrackEntry = {
      family, protocol: protocolName(chunk[at + 1]!),
      original: tupleAt(chunk, at + ORIGINAL, family, chunk[at + 22]!),
      reply: tupleAt(chunk, at + REPLY, family, chunk[at + 23]!),
      status: statusOf(chunk.readUInt32LE(at + 4)),
    };
    if (optional & 1) entry.timeout = chunk.readUInt32LE(at + 8);
    if (optional & 2) entry.mark = chunk.readUInt32LE(at + 12);
    if (optional & 4) entry.zone = chunk.readUInt16LE(at + 20);
    if (chunk[at + 2] !== 255) entry.tcpState = TCP_STATE_NAMES[chunk[at + 2]!];
    if (optional & 8) entry.id = chunk.readUInt32LE(at + 16);
    visit(entry, chunk, at);
  }
}

function protocolNumber(value: unknown, what = 'protocol'): number {
  return named(value, ipProtocols, what);
}

// By number, for the decoder's hot loop.
const PROTOCOL_NAMES = Array.from({ length: 256 }, (_, n) => nameOrNumber(n, ipProtocols) as ConntrackProtocol);
const TCP_STATE_NAMES: string[] = Array.from({ length: 256 }, (_, n) => nameOf(n, tcpStates));

function protocolName(n: number): ConntrackProtocol {
  return PROTOCOL_NAMES[n] ?? n;
}

interface CompiledTuple {
  src?: string; dst?: string; srcPort?: number; dstPort?: number; icmpType?: number; icmpCode?: number; icmpId?: number;
}

interface CompiledFilter {
  family?: Family; protocol?: number; mark?: number; zone?: number; original?: CompiledTuple; reply?: CompiledTuple;
  empty: boolean;
}

function tuplePart(value: unknown, what: string): CompiledTuple | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new TypeError(`${what} must be an object`);
  const t = value as Record<string, unknown>;
  const out: CompiledTuple = {};
  if (t.src !== undefined) out.src = canonicalIp(t.src, `${what}.src`);
  if (t.dst !== undefined) out.dst = canonicalIp(t.dst, `${what}.dst`);
  for (const key of TUPLE_U16) if (t[key] !== undefined) out[key] = requireInteger(t[key], `${what}.${key}`, 0, 65535);
  for (const key of TUPLE_U8) if (t[key] !== undefined) out[key] = requireInteger(t[key], `${what}.${key}`, 0, 255);
  return out;
}

function compileFilter(value: unknown, what = 'filter'): CompiledFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what} must be an object`);
  const f = value as ConntrackFilter;
  const out: Omit<CompiledFilter, 'empty'> = {};
  if (f.family !== undefined) out.family = requireFamily(f.family);
  if (f.protocol !== undefined) out.protocol = protocolNumber(f.protocol, `${what}.protocol`);
  if (f.mark !== undefined) out.mark = requireInteger(f.mark, `${what}.mark`, 0, 0xffffffff);
  if (f.zone !== undefined) out.zone = requireInteger(f.zone, `${what}.zone`, 0, 65535);
  const original = tuplePart(f.original, `${what}.original`);
  const reply = tuplePart(f.reply, `${what}.reply`);
  if (original && Object.keys(original).length > 0) out.original = original;
  if (reply && Object.keys(reply).length > 0) out.reply = reply;
  return { ...out, empty: Object.keys(out).length === 0 };
}

function compileFilters(value: unknown): CompiledFilter[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((f, i) => compileFilter(f, Array.isArray(value) ? `filter[${i}]` : 'filter'));
}

function tupleMatches(t: ConntrackTuple, p: CompiledTuple | undefined): boolean {
  if (!p) return true;
  return (p.src === undefined || unmapped(t.src) === p.src) && (p.dst === undefined || unmapped(t.dst) === p.dst)
    && (p.srcPort === undefined || t.srcPort === p.srcPort) && (p.dstPort === undefined || t.dstPort === p.dstPort)
    && (p.icmpType === undefined || t.icmpType === p.icmpType) && (p.icmpCode === undefined || t.icmpCode === p.icmpCode)
    && (p.icmpId === undefined || t.icmpId === p.icmpId);
}

function matches(n: ConntrackEntry, f: CompiledFilter): boolean {
  return !f.empty && (f.family === undefined || n.family === f.family) && (f.protocol === undefined || n.protocol === protocolName(f.protocol))
    && (f.mark === undefined || (n.mark ?? 0) === f.mark) && (f.zone === undefined || (n.zone ?? 0) === f.zone)
    && tupleMatches(n.original, f.original) && tupleMatches(n.reply, f.reply);
}

/**
 * What the kernel can filter on for these filters: the family they share, and for one filter
 * its protocol, mark, zone and (with a family) tuple fields in that family's own form. The
 * results are matched again in JS, so this only has to be no stricter than the filters.
 */
function kernelFilter(filters: CompiledFilter[]): NativeConntrackFilter {
  const family = filters.every((f) => f.family !== undefined && f.family === filters[0]!.family) ? filters[0]!.family : undefined;
  if (filters.length !== 1) return family !== undefined ? { family } : {};
  const [f] = filters as [CompiledFilter];
  const out: NativeConntrackFilter = {
    ...(family !== undefined && { family }),
    ...(f.protocol !== undefined && { protocol: f.protocol }),
    ...(f.mark !== undefined && { mark: f.mark }),
    ...(f.zone !== undefined && { zone: f.zone }),
  };
  const ownForm = (t: CompiledTuple | undefined) => [t?.src, t?.dst].every((a) => a === undefined || parseIp(a) === family);
  // The addon sends addresses, and ports when there is a protocol (ICMP fields stay in JS).
  if (family !== undefined && ownForm(f.original) && ownForm(f.reply)) {
    if (f.original) out.original = f.original;
    if (f.reply) out.reply = f.reply;
  }
  return out;
}

/** 'udp 192.0.2.1:5000 -> 198.51.100.1:53', for error messages. */
function describe(n: { protocol: ConntrackProtocol; original: ConntrackTuple }): string {
  const end = (ip: string, port?: number) => (port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  return `${n.protocol} ${end(n.original.src, n.original.srcPort)} -> ${end(n.original.dst, n.original.dstPort)}`;
}

function fullTuple(value: unknown, what: string, family: Family | undefined, protocol: number): NativeConntrackTuple & { family: Family } {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${what} must be an object`);
  const t = value as Record<string, unknown>;
  const src = requireString(t.src, `${what}.src`);
  const dst = requireString(t.dst, `${what}.dst`);
  const srcFamily = parseIp(src);
  const dstFamily = parseIp(dst);
  if (srcFamily === 0) throw new RangeError(`${what}.src '${src}' is not an IP address`);
  if (dstFamily === 0) throw new RangeError(`${what}.dst '${dst}' is not an IP address`);
  if (srcFamily !== dstFamily || (family !== undefined && srcFamily !== family)) {
    throw new RangeError(`${what}: ${src} and ${dst} must both be IPv${family ?? srcFamily}`);
  }
  const out: NativeConntrackTuple & { family: Family } = { family: srcFamily, src, dst };
  const icmp = protocol === 1 || protocol === 58;
  const ports = icmp ? [] : [6, 17, 33, 132, 136].includes(protocol) ? ['srcPort', 'dstPort'] as const : [];
  for (const key of ports) out[key] = requireInteger(t[key], `${what}.${key}`, 0, 65535);
  if (icmp) {
    out.icmpType = requireInteger(t.icmpType, `${what}.icmpType`, 0, 255);
    out.icmpCode = requireInteger(t.icmpCode ?? 0, `${what}.icmpCode`, 0, 255);
    out.icmpId = requireInteger(t.icmpId ?? 0, `${what}.icmpId`, 0, 65535);
  }
  return out;
}

/** The reply tuple conntrack expects for an original one that nothing rewrites. */
function reversed(t: NativeConntrackTuple, protocol: number): NativeConntrackTuple {
  if (t.icmpType === undefined) {
    return { src: t.dst, dst: t.src, ...(t.dstPort !== undefined && { srcPort: t.dstPort }), ...(t.srcPort !== undefined && { dstPort: t.srcPort }) };
  }
  const replyType = ICMP_ECHO_REPLIES[protocol]?.[t.icmpType];
  if (replyType === undefined) throw new RangeError(`reply: give it for ICMP type ${t.icmpType} (only echo requests are reversed)`);
  return { src: t.dst, dst: t.src, icmpType: replyType, icmpCode: t.icmpCode ?? 0, icmpId: t.icmpId ?? 0 };
}

function newEntry(value: unknown): NativeConntrackEntry {
  if (typeof value !== 'object' || value === null) throw new TypeError('entry must be an object');
  const e = value as NewConntrackEntry;
  const protocol = protocolNumber(e.protocol);
  const family = e.family === undefined ? undefined : requireFamily(e.family);
  const { family: found, ...original } = fullTuple(e.original, 'original', family, protocol);
  const reply = e.reply === undefined ? reversed(original, protocol) : (({ family: _, ...t }) => t)(fullTuple(e.reply, 'reply', found, protocol));
  let status = 0;
  if (e.status !== undefined) {
    if (!Array.isArray(e.status)) throw new TypeError('status must be an array of names');
    for (const name of e.status) status |= named(name, conntrackStatus, 'status', 0);
  }
  if (e.tcpState !== undefined && protocol !== 6) throw new RangeError('tcpState is for TCP entries');
  return {
    family: found, protocol, original, reply, status,
    timeout: requireInteger(e.timeout, 'timeout', 1, 0xffffffff),
    ...(e.mark !== undefined && { mark: requireInteger(e.mark, 'mark', 0, 0xffffffff) }),
    ...(e.zone !== undefined && { zone: requireInteger(e.zone, 'zone', 0, 65535) }),
    ...(e.tcpState !== undefined && { tcpState: named(e.tcpState, tcpStates, 'tcpState', 9) }),
  };
}

/** `sb.conntrack`: the namespace's connection tracking table. */
export class SandboxConntrack {
  readonly #sandbox: Sandbox;

  constructor(sandbox: Sandbox) {
    this.#sandbox = sandbox;
  }

  /** Like `conntrack -L [-f FAMILY] [-p PROTO]`, with filters as `delete` takes them. */
  async list(options: ConntrackListOptions = {}): Promise<Listing<ConntrackEntry>> {
    const base = compileFilter({ family: options.family, protocol: options.protocol }, 'options');
    const filters = options.filter === undefined ? undefined : compileFilters(options.filter).map((f) => ({
      ...f, family: f.family ?? base.family, protocol: f.protocol ?? base.protocol,
    }));
    const kernel = filters ? kernelFilter(filters) : {
      ...(base.family !== undefined && { family: base.family }),
      ...(base.protocol !== undefined && base.family !== undefined && { protocol: base.protocol }),
    };
    const kept: ConntrackEntry[] = [];
    const partial = await this.#scan('conntrack.list', kernel, (n) => {
      if ((base.empty || matches(n, base)) && (!filters || filters.some((f) => matches(n, f)))) kept.push(n);
    }, () => kept.length = 0);
    return listing(kept, partial);
  }

  /** Like `conntrack -C`: the number of entries in the namespace. */
  async count(): Promise<number> {
    return send(this.#sandbox, { operation: 'conntrack.count' }, 'countConntrack', {});
  }

  /** Like `conntrack -I`. Rejects with ExistsError (EEXIST) if the entry exists. */
  async create(entry: NewConntrackEntry): Promise<void> {
    const spec = newEntry(entry);
    await send(this.#sandbox, { operation: 'conntrack.create', target: () => describe({ protocol: protocolName(spec.protocol), original: spec.original }) }, 'createConntrack', spec);
  }

  /**
   * Like `conntrack -D` with the filter (an array is an OR): one dump, then a delete of each
   * matching entry by its exact tuple and id, all sent together.
   */
  async delete(filter: ConntrackFilter | ConntrackFilter[]): Promise<ConntrackDeleteResult> {
    const filters = compileFilters(filter);
    if (filters.every((f) => f.empty)) return { deleted: 0, partial: false, errors: [] };
    const deleter = this.#deleter('conntrack.delete');
    const partial = await this.#scan('conntrack.delete', kernelFilter(filters), (entry, chunk, at) => {
      if (filters.some((f) => matches(entry, f))) deleter.remove(recordAt(chunk, at));
    }, deleter.restart);
    return { ...await deleter.settled(), partial };
  }

  /**
   * Like `conntrack -F [-f FAMILY]`: every entry (of the family). The kernel's flush ignores the
   * family (conntrack-tools' `-F -f ipv6` empties both tables here), so one family is a delete.
   */
  async flush(options: FamilyFilter = {}): Promise<void> {
    if (options.family === undefined) {
      await send(this.#sandbox, { operation: 'conntrack.flush' }, 'flushConntrack', {});
      return;
    }
    const { errors } = await this.delete({ family: requireFamily(options.family) });
    if (errors.length > 0) throw errors[0];
  }

  /**
   * kube-proxy's stale-UDP reconciler: deletes the UDP entries of `family` whose original
   * destination is a service frontend (ip:port) or a NodePort and whose reply does not come
   * from a serving endpoint of that service (or, with targetPort, from another port). All the
   * entries of a service without serving endpoints are stale. One dump and hash lookups.
   */
  async cleanStaleUdp(options: CleanStaleUdpOptions): Promise<StaleUdpResult> {
    const family = requireFamily(options?.family);
    if (!Array.isArray(options.services)) throw new TypeError('services must be an array');
    interface Backends { endpoints: Set<IpKey>; targetPort: number | undefined }
    const frontends = new Map<IpKey, Backends>(); // by frontendKey
    const nodePorts = new Map<number, Backends>();
    options.services.forEach((s, i) => {
      const what = `services[${i}]`;
      if (typeof s !== 'object' || s === null || !Array.isArray(s.ips) || !Array.isArray(s.endpoints)) {
        throw new TypeError(`${what} must be { ips: string[], port, endpoints: string[] }`);
      }
      const port = requireInteger(s.port, `${what}.port`, 1, 65535);
      const backends: Backends = {
        endpoints: new Set(s.endpoints.map((ip, j) => ipKeyOf(ip, `${what}.endpoints[${j}]`))),
        targetPort: s.targetPort === undefined ? undefined : requireInteger(s.targetPort, `${what}.targetPort`, 1, 65535),
      };
      s.ips.forEach((ip, j) => frontends.set(frontendKey(ipKeyOf(ip, `${what}.ips[${j}]`), port), backends));
      if (s.nodePort !== undefined) nodePorts.set(requireInteger(s.nodePort, `${what}.nodePort`, 1, 65535), backends);
    });
    const deleter = this.#deleter('conntrack.cleanStaleUdp');
    let scanned = 0;
    const notServing = (b: Backends | undefined, from: IpKey, fromPort: number) => b !== undefined
      && (!b.endpoints.has(from) || (b.targetPort !== undefined && fromPort !== b.targetPort));
    // Only the fields compared are read from each record, none is decoded.
    const isStale = (chunk: Buffer, at: number): boolean => {
      if (chunk[at + 1] !== UDP || chunk[at] !== family) return false;
      scanned++;
      const dstPort = chunk.readUInt16LE(at + ORIGINAL + DST_PORT);
      const frontend = frontends.get(frontendKey(ipKeyAt(chunk, at + ORIGINAL + DST, family), dstPort));
      const nodePort = nodePorts.get(dstPort);
      if (frontend === undefined && nodePort === undefined) return false;
      const from = ipKeyAt(chunk, at + REPLY, family);
      const fromPort = chunk.readUInt16LE(at + REPLY + SRC_PORT);
      return notServing(frontend, from, fromPort) || notServing(nodePort, from, fromPort);
    };
    const { partial } = await dumpChunks(this.#sandbox, { operation: 'conntrack.cleanStaleUdp' }, 'conntrack', { family, protocol: UDP },
      (chunk) => {
        for (let at = 0; at + RECORD_BYTES <= chunk.length; at += RECORD_BYTES) if (isStale(chunk, at)) deleter.remove(recordAt(chunk, at));
      }, () => {
        scanned = 0;
        deleter.restart();
      });
    return { scanned, ...await deleter.settled(), partial };
  }

  /**
   * One dump, its entries decoded and visited a chunk per event-loop turn (see dumpChunks for
   * `restart`); resolves to `partial`.
   */
  async #scan(operation: string, filter: NativeConntrackFilter, visit: (entry: ConntrackEntry, chunk: Buffer, at: number) => void,
    restart: () => void): Promise<boolean> {
    const { partial } = await dumpChunks(this.#sandbox, { operation }, 'conntrack', filter, (chunk) => decodeConntrackRecords(chunk, visit), restart);
    return partial;
  }

  /**
   * Deletes the entries a dump picked by their records, all sent together once the dump has
   * resolved (a dump that fails deletes nothing). One already gone (ENOENT) counts as deleted.
   */
  #deleter(operation: string): {
    remove(record: NativeConntrackRecord): void; restart(): void; settled(): Promise<Omit<ConntrackDeleteResult, 'partial'>>;
  } {
    let picked: NativeConntrackRecord[] = [];
    const target = (record: NativeConntrackRecord) => () => {
      let text = '';
      decodeConntrackRecords(record, (entry) => text = describe(entry));
      return text;
    };
    return {
      remove: (record) => picked.push(Buffer.from(record)), // a copy: the chunk it came in can go
      restart: () => picked = [],
      settled: async () => {
        const errors: NetsandboxError[] = [];
        const outcomes = await Promise.all(picked.map((record) => send(this.#sandbox, { operation, target: target(record) }, 'deleteConntrack', record)
          .then(() => true, (error: NetsandboxError) => {
            if (error.code === 'ENOENT') return true;
            errors.push(error);
            return false;
          })));
        return { deleted: outcomes.filter(Boolean).length, errors };
      },
    };
  }
}
