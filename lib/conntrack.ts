// Connection tracking of a sandbox's namespace over ctnetlink, as conntrack-tools does it, and
// kube-proxy's stale-UDP reconciler. The requests run on the sandbox's worker like rtnetlink's
// (its NETLINK_NETFILTER socket), pipelined: a delete of 10,000 entries is one dump and 10,000
// deletes sent together, their ACKs read as they come. Main thread only.
import { conntrackStatus, flagNames, ipProtocols, tcpStates } from './constants.js';
import type { NetsandboxError } from './errors.js';
import type { NativeConntrackEntry, NativeConntrackFilter, NativeConntrackTuple } from './native.js';
import { dump, type Listing, listing, send } from './request.js';
import type { Sandbox } from './sandbox.js';
import { type Family, named, nameOf, parseIp, requireFamily, requireInteger, requireString } from './validate.js';

export type ConntrackProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'dccp' | 'gre' | 'udplite' | number;

/** One direction of a connection: ports for TCP, UDP, SCTP; type, code and id for ICMP. */
export interface ConntrackTuple {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
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
  /** The IPS_* bits set, e.g. ['SEEN_REPLY', 'ASSURED', 'CONFIRMED']. */
  status: string[];
  tcpState?: string;
  id?: number;
}

/** An entry to create, like `conntrack -I`. Without `reply`, the reply is the original reversed. */
export interface NewConntrackEntry {
  family?: Family;
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

export interface StaleUdpResult extends ConntrackDeleteResult {
  /** UDP entries of the family looked at. */
  scanned: number;
}

const TUPLE_PORTS = ['srcPort', 'dstPort', 'icmpId'] as const;
const TUPLE_BYTES = ['icmpType', 'icmpCode'] as const;
const UDP = 17;
const ICMP_ECHO_REPLIES: Record<number, Record<number, number>> = { 1: { 8: 0 }, 58: { 128: 129 } };

/** An address as the kernel prints it, with IPv4-mapped IPv6 addresses in their IPv4 form. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const ipBytes = new Uint8Array(16);

/** A valid address in the canonical form entries compare in (see unmapped). */
function canonicalIp(value: unknown, what: string): string {
  const text = requireString(value, what);
  const family = parseIp(text, ipBytes);
  if (family === 0) throw new RangeError(`${what} '${text}' is not an IP address`);
  if (family === 4) return text;
  const mapped = ipBytes.subarray(0, 10).every((b) => b === 0) && ipBytes[10] === 0xff && ipBytes[11] === 0xff;
  if (mapped) return ipBytes.subarray(12).join('.');
  // RFC 5952, as inet_ntop writes it: lowercase, the longest run of two or more zero groups as '::'.
  const groups = Array.from({ length: 8 }, (_, i) => (ipBytes[2 * i]! << 8) | ipBytes[2 * i + 1]!);
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLength, 8)}`;
}

function protocolNumber(value: unknown, what = 'protocol'): number {
  return named(value, ipProtocols, what);
}

function protocolName(n: number): ConntrackProtocol {
  const name = nameOf(n, ipProtocols);
  return name === String(n) ? n : name as ConntrackProtocol;
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
  for (const key of TUPLE_PORTS) if (t[key] !== undefined) out[key] = requireInteger(t[key], `${what}.${key}`, 0, 65535);
  for (const key of TUPLE_BYTES) if (t[key] !== undefined) out[key] = requireInteger(t[key], `${what}.${key}`, 0, 255);
  return out;
}

function compileFilter(value: unknown, what = 'filter'): CompiledFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what} must be an object`);
  const f = value as ConntrackFilter;
  const out: CompiledFilter = { empty: true };
  if (f.family !== undefined) out.family = requireFamily(f.family);
  if (f.protocol !== undefined) out.protocol = protocolNumber(f.protocol, `${what}.protocol`);
  if (f.mark !== undefined) out.mark = requireInteger(f.mark, `${what}.mark`, 0, 0xffffffff);
  if (f.zone !== undefined) out.zone = requireInteger(f.zone, `${what}.zone`, 0, 65535);
  const original = tuplePart(f.original, `${what}.original`);
  const reply = tuplePart(f.reply, `${what}.reply`);
  if (original) out.original = original;
  if (reply) out.reply = reply;
  out.empty = Object.keys(out).length === 1 && Object.keys(original ?? {}).length === 0 && Object.keys(reply ?? {}).length === 0;
  return out;
}

function compileFilters(value: unknown): CompiledFilter[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((f, i) => compileFilter(f, Array.isArray(value) ? `filter[${i}]` : 'filter'));
}

function tupleMatches(t: NativeConntrackTuple, p: CompiledTuple | undefined): boolean {
  if (!p) return true;
  return (p.src === undefined || unmapped(t.src) === p.src) && (p.dst === undefined || unmapped(t.dst) === p.dst)
    && (p.srcPort === undefined || t.srcPort === p.srcPort) && (p.dstPort === undefined || t.dstPort === p.dstPort)
    && (p.icmpType === undefined || t.icmpType === p.icmpType) && (p.icmpCode === undefined || t.icmpCode === p.icmpCode)
    && (p.icmpId === undefined || t.icmpId === p.icmpId);
}

function matches(n: NativeConntrackEntry, f: CompiledFilter): boolean {
  return !f.empty && (f.family === undefined || n.family === f.family) && (f.protocol === undefined || n.protocol === f.protocol)
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

function toEntry(n: NativeConntrackEntry): ConntrackEntry {
  return {
    family: n.family,
    protocol: protocolName(n.protocol),
    original: n.original,
    reply: n.reply,
    ...(n.timeout !== undefined && { timeout: n.timeout }),
    ...(n.mark !== undefined && { mark: n.mark }),
    ...(n.zone !== undefined && { zone: n.zone }),
    status: flagNames(n.status, conntrackStatus),
    ...(n.tcpState !== undefined && { tcpState: nameOf(n.tcpState, tcpStates) }),
    ...(n.id !== undefined && { id: n.id }),
  };
}

/** 'udp 192.0.2.1:5000 -> 198.51.100.1:53', for error messages. */
function describe(n: { protocol: number; original: ConntrackTuple }): string {
  const end = (ip: string, port?: number) => (port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  return `${nameOf(n.protocol, ipProtocols)} ${end(n.original.src, n.original.srcPort)} -> ${end(n.original.dst, n.original.dstPort)}`;
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
  async list(options: { family?: Family; protocol?: ConntrackProtocol; filter?: ConntrackFilter | ConntrackFilter[] } = {}): Promise<Listing<ConntrackEntry>> {
    const base = compileFilter({ family: options.family, protocol: options.protocol }, 'options');
    const filters = options.filter === undefined ? undefined : compileFilters(options.filter).map((f) => ({
      ...f, family: f.family ?? base.family, protocol: f.protocol ?? base.protocol,
    }));
    const kernel = filters ? kernelFilter(filters) : {
      ...(base.family !== undefined && { family: base.family }),
      ...(base.protocol !== undefined && base.family !== undefined && { protocol: base.protocol }),
    };
    const { items, partial } = await dump(this.#sandbox, { operation: 'conntrack.list' }, 'conntrack', kernel, (n) => n);
    const kept = items.filter((n) => (base.empty || matches(n, base)) && (!filters || filters.some((f) => matches(n, f))));
    return listing(kept.map(toEntry), partial);
  }

  /** Like `conntrack -C`: the number of entries in the namespace. */
  async count(): Promise<number> {
    return send(this.#sandbox, { operation: 'conntrack.count' }, 'countConntrack', {});
  }

  /** Like `conntrack -I`. Rejects with ExistsError (EEXIST) if the entry exists. */
  async create(entry: NewConntrackEntry): Promise<void> {
    const spec = newEntry(entry);
    await send(this.#sandbox, { operation: 'conntrack.create', target: () => describe(spec) }, 'createConntrack', spec);
  }

  /**
   * Like `conntrack -D` with the filter (an array is an OR): one dump, then a delete of each
   * matching entry by its exact tuple and id, all sent together.
   */
  async delete(filter: ConntrackFilter | ConntrackFilter[]): Promise<ConntrackDeleteResult> {
    const filters = compileFilters(filter);
    if (filters.every((f) => f.empty)) return { deleted: 0, partial: false, errors: [] };
    const { items, partial } = await dump(this.#sandbox, { operation: 'conntrack.delete' }, 'conntrack', kernelFilter(filters), (n) => n);
    return { ...await this.#deleteEntries(items.filter((n) => filters.some((f) => matches(n, f))), 'conntrack.delete'), partial };
  }

  /**
   * Like `conntrack -F [-f FAMILY]`: every entry (of the family). The kernel's flush ignores the
   * family (conntrack-tools' `-F -f ipv6` empties both tables here), so one family is a delete.
   */
  async flush(options: { family?: Family } = {}): Promise<void> {
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
  async cleanStaleUdp(options: { family: Family; services: UdpService[] }): Promise<StaleUdpResult> {
    const family = requireFamily(options?.family);
    if (!Array.isArray(options.services)) throw new TypeError('services must be an array');
    interface Backends { endpoints: Set<string>; targetPort: number | undefined }
    const frontends = new Map<string, Backends>();
    const nodePorts = new Map<number, Backends>();
    options.services.forEach((s, i) => {
      const what = `services[${i}]`;
      if (typeof s !== 'object' || s === null || !Array.isArray(s.ips) || !Array.isArray(s.endpoints)) {
        throw new TypeError(`${what} must be { ips: string[], port, endpoints: string[] }`);
      }
      const port = requireInteger(s.port, `${what}.port`, 1, 65535);
      const backends: Backends = {
        endpoints: new Set(s.endpoints.map((ip, j) => canonicalIp(ip, `${what}.endpoints[${j}]`))),
        targetPort: s.targetPort === undefined ? undefined : requireInteger(s.targetPort, `${what}.targetPort`, 1, 65535),
      };
      s.ips.forEach((ip, j) => frontends.set(`${canonicalIp(ip, `${what}.ips[${j}]`)}|${port}`, backends));
      if (s.nodePort !== undefined) nodePorts.set(requireInteger(s.nodePort, `${what}.nodePort`, 1, 65535), backends);
    });
    const { items, partial } = await dump(this.#sandbox, { operation: 'conntrack.cleanStaleUdp' }, 'conntrack', { family, protocol: UDP }, (n) => n);
    const stale: NativeConntrackEntry[] = [];
    let scanned = 0;
    for (const n of items) {
      if (n.protocol !== UDP || n.family !== family) continue;
      scanned++;
      const from = unmapped(n.reply.src);
      const isStale = (b: Backends | undefined) => b !== undefined
        && (!b.endpoints.has(from) || (b.targetPort !== undefined && n.reply.srcPort !== b.targetPort));
      if (isStale(frontends.get(`${unmapped(n.original.dst)}|${n.original.dstPort}`)) || isStale(nodePorts.get(n.original.dstPort!))) {
        stale.push(n);
      }
    }
    return { scanned, ...await this.#deleteEntries(stale, 'conntrack.cleanStaleUdp'), partial };
  }

  /** Deletes entries seen in a dump; one already gone (ENOENT) counts as deleted. */
  async #deleteEntries(entries: NativeConntrackEntry[], operation: string): Promise<Omit<ConntrackDeleteResult, 'partial'>> {
    const errors: NetsandboxError[] = [];
    const outcomes = await Promise.all(entries.map((n) => send(this.#sandbox, { operation, target: () => describe(n) }, 'deleteConntrack', n)
      .then(() => true, (error: NetsandboxError) => {
        if (error.code === 'ENOENT') return true;
        errors.push(error);
        return false;
      })));
    return { deleted: outcomes.filter(Boolean).length, errors };
  }
}
