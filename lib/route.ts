import { lockableMetrics, protocols, routePreferences, routeTypes, RTN_UNICAST, RTNH_F_ONLINK, scopes, tables } from './constants.js';
import type { InterfaceRef } from './interface.js';
import type { LinkRef, NativeRoute, NativeRouteRecord } from './native.js';
import { linkRef, send } from './request.js';
import type { Sandbox } from './sandbox.js';
import { type Family, formatIp, ipAddress, named, nameOf, network, parseIp, requireInteger } from './validate.js';

export type ScopeName = 'global' | 'universe' | 'site' | 'link' | 'host' | 'nowhere';

export interface RouteSpec {
  /** 'default' or a network, '198.51.100.0/24'; a bare address is a host route. */
  dst: string;
  /** The gateway. */
  via?: string | undefined;
  dev?: InterfaceRef | undefined;
  /** Defaults like iproute2: 'link' without a gateway, 'global' with one. */
  scope?: ScopeName | number | undefined;
  /** Treat the gateway as directly reachable on dev even without a covering prefix. */
  onLink?: boolean | undefined;
  table?: 'main' | 'local' | 'default' | number | undefined;
  metric?: number | undefined;
  /** The preferred source address. */
  src?: string | undefined;
  protocol?: string | number | undefined;
  type?: string | number | undefined;
  /** IPv6 only: a source-specific route, for packets from this prefix (`ip -6 route add ... from PREFIX`). */
  from?: string | undefined;
  /** Through a nexthop object (`ip route add DST nhid ID`), instead of via and dev. */
  nexthopId?: number | undefined;
  /** An ECMP route (`ip route add DST nexthop via A dev D weight W nexthop ...`), instead of via and dev. */
  nexthops?: RouteNexthop[] | undefined;
  /** The path MTU (`mtu N`). */
  mtu?: number | undefined;
  /** The MSS advertised to peers (`advmss N`). */
  advmss?: number | undefined;
  /** Metrics the kernel must not change, such as through path MTU discovery (`mtu lock N`). */
  lock?: Array<'mtu' | 'advmss'> | undefined;
  /** IPv6: the route's preference (`pref low|medium|high`). */
  pref?: 'low' | 'medium' | 'high' | undefined;
  /** Needed only for dst 'default' without via or src: which default route. */
  family?: Family | undefined;
}

/** One path of an ECMP route: a gateway, a device or both; weight 1-256 (1 unless told). */
export interface RouteNexthop {
  via?: string | undefined;
  dev?: InterfaceRef | undefined;
  weight?: number | undefined;
  onLink?: boolean | undefined;
}

/** A route as the kernel reports it. Plain data, plus delete(). */
export class Route {
  readonly family: Family;
  readonly dst: string;
  readonly via?: string;
  readonly dev?: string;
  readonly scope: string;
  readonly table: number;
  readonly metric: number;
  readonly protocol: string;
  readonly src?: string;
  /** IPv6 source-specific routes: the source prefix they are for. */
  readonly from?: string;
  /** A route through a nexthop object (`nhid`). */
  readonly nexthopId?: number;
  /** An ECMP route's nexthops (`ip route ... nexthop via A nexthop via B`); via and dev are then in these. */
  readonly nexthops?: ReadonlyArray<{ via?: string; dev?: string; weight: number; onLink: boolean }>;
  readonly type: string;
  readonly onLink: boolean;
  readonly mtu?: number;
  readonly advmss?: number;
  /** The locked metrics, when any. */
  readonly lock?: ReadonlyArray<'mtu' | 'advmss'>;
  /** IPv6 routes: 'medium' unless set. */
  readonly pref?: string;
  readonly #sandbox: Sandbox;
  readonly #devIndex: number | undefined;

  /** @internal */
  constructor(sandbox: Sandbox, r: NativeRoute) {
    this.#sandbox = sandbox;
    this.#devIndex = r.devIndex;
    this.family = r.family;
    this.dst = r.dst;
    if (r.via !== undefined) this.via = r.via;
    if (r.dev !== undefined) this.dev = r.dev;
    this.scope = nameOf(r.scope, scopes);
    this.table = r.table;
    this.metric = r.metric;
    this.protocol = nameOf(r.protocol, protocols);
    if (r.src !== undefined) this.src = r.src;
    if (r.from !== undefined) this.from = r.from;
    if (r.nexthopId !== undefined) this.nexthopId = r.nexthopId;
    if (r.nexthops !== undefined) {
      this.nexthops = r.nexthops.map((h) => ({ ...(h.via !== undefined && { via: h.via }), ...(h.dev !== undefined && { dev: h.dev }),
        weight: h.weight, onLink: (h.flags & RTNH_F_ONLINK) !== 0 }));
    }
    this.type = nameOf(r.type, routeTypes);
    this.onLink = (r.flags & RTNH_F_ONLINK) !== 0;
    if (r.mtu !== undefined) this.mtu = r.mtu;
    if (r.advmss !== undefined) this.advmss = r.advmss;
    if (r.lock) this.lock = (['mtu', 'advmss'] as const).filter((m) => (r.lock! & (1 << lockableMetrics[m])) !== 0);
    if (r.pref !== undefined) this.pref = nameOf(r.pref, routePreferences);
  }

  /** Like `ip route del` with this route's dst, via, dev, table and metric. */
  async delete(): Promise<void> {
    const spec: RouteFields = {
      family: this.family,
      table: this.table,
      metric: this.metric,
      type: routeTypes[this.type] ?? RTN_UNICAST,
    };
    if (this.dst !== 'default') Object.assign(spec, splitDst(this.dst));
    if (this.from !== undefined) Object.assign(spec, splitFrom(this.from));
    if (this.nexthopId !== undefined) {
      // The kernel matches it by its nexthop object; the gateway and device it lists beside it
      // (nexthop_compat_mode) would not match.
      spec.nexthopId = this.nexthopId;
    } else {
      if (this.via !== undefined) spec.via = this.via;
      if (this.#devIndex !== undefined) spec.dev = this.#devIndex;
      if (this.#devIndex === undefined && this.dev !== undefined) spec.dev = this.dev;
    }
    await send(this.#sandbox, { operation: 'deleteRoute', target: () => describeRoute(this) }, 'deleteRoute', routeRecord(spec));
  }
}

function splitDst(dst: string): { dst: string; dstLength: number } {
  const [address = '', length = '0'] = dst.split('/');
  return { dst: address, dstLength: Number(length) };
}

function splitFrom(from: string): { from: string; fromLength: number } {
  const { dst, dstLength } = splitDst(from);
  return { from: dst, fromLength: dstLength };
}

/** iproute2's words for a route, for error messages: '198.51.100.0/24 via 192.0.2.1 dev eth0'. */
export function describeRoute(r: {
  dst: string; from?: string | undefined; nexthopId?: number | undefined; via?: string | undefined; dev?: unknown; table?: unknown; metric?: unknown;
  nexthops?: ReadonlyArray<{ via?: string | undefined; dev?: unknown }> | undefined;
}): string {
  const name = (dev: unknown) => (typeof dev === 'object' && dev !== null ? (dev as { name: string }).name : dev);
  const dev = name(r.dev);
  return [
    r.dst,
    r.from !== undefined && `from ${r.from}`,
    r.nexthopId !== undefined && `nhid ${String(r.nexthopId)}`,
    r.via !== undefined && `via ${r.via}`,
    dev !== undefined && `dev ${String(dev)}`,
    ...(Array.isArray(r.nexthops) ? r.nexthops : []).map((h) => ['nexthop', h.via !== undefined && `via ${h.via}`, h.dev !== undefined && `dev ${String(name(h.dev))}`].filter(Boolean).join(' ')),
    r.table !== undefined && `table ${String(r.table)}`,
    r.metric !== undefined && `metric ${String(r.metric)}`,
  ].filter(Boolean).join(' ');
}

/** A checked route spec: addresses as text of the family, dev an index or a name; `from` with its length (a get: without). */
export interface RouteFields {
  family: Family; dst?: string; dstLength?: number; via?: string; dev?: LinkRef; scope?: number;
  onLink?: boolean; table?: number; metric?: number; src?: string; from?: string; fromLength?: number; protocol?: number; type?: number;
  nexthopId?: number; mtu?: number; advmss?: number; lock?: number; pref?: number;
  nexthops?: Array<{ via?: string; dev?: LinkRef; weight: number; onLink: boolean }>;
}

const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;

/** iproute2's default scope for a new route of `type`, which users of `ip route add` expect. */
function defaultScope(type: number, via: string | undefined): number {
  switch (type) {
    case routeTypes.local: case routeTypes.nat: return scopes.host!;
    case routeTypes.broadcast: case routeTypes.multicast: case routeTypes.anycast: return scopes.link!;
    case RTN_UNICAST: return via === undefined ? scopes.link! : scopes.global!;
    default: return scopes.global!;
  }
}

/**
 * Validates a RouteSpec (TypeError/RangeError). For an add, fills in iproute2's defaults (main
 * table, protocol boot, unicast, its scope), so the fields are exactly what is sent; for a
 * delete, what is left out matches any route.
 */
export function routeFields(sandbox: Sandbox, spec: RouteSpec, forDelete = false): RouteFields {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('a route spec must be an object');
  let family: Family | undefined = spec.family;
  const out: Partial<RouteFields> = {};
  if (spec.dst !== 'default') {
    const dst = network(spec.dst, 'dst');
    family = dst.family;
    out.dst = dst.address;
    out.dstLength = dst.prefixLength;
  }
  if (spec.via !== undefined) {
    const via = ipAddress(spec.via, 'via', family);
    family = via.family;
    out.via = via.address;
  }
  if (spec.src !== undefined) {
    const src = ipAddress(spec.src, 'src', family);
    family = src.family;
    out.src = src.address;
  }
  if (spec.from !== undefined) {
    const from = network(spec.from, 'from');
    if (from.family !== 6 || (family !== undefined && family !== 6)) throw new RangeError(`from '${String(spec.from)}': source-specific routes are IPv6 only`);
    family = 6;
    out.from = from.address;
    out.fromLength = from.prefixLength;
  }
  // A multipath route's family may show only in its nexthops' gateways.
  if (family === undefined && Array.isArray(spec.nexthops)) {
    const via = spec.nexthops.find((h) => typeof h?.via === 'string')?.via;
    if (via !== undefined) family = parseIp(via) || undefined;
  }
  if (spec.family !== undefined && family !== spec.family) {
    throw new RangeError(`family ${spec.family} does not match the route's addresses`);
  }
  out.family = family ?? 4;
  if (spec.dev !== undefined) out.dev = linkRef(sandbox, spec.dev, 'dev');
  if (spec.scope !== undefined) out.scope = named(spec.scope, scopes, 'scope');
  if (spec.onLink !== undefined) out.onLink = Boolean(spec.onLink);
  if (spec.table !== undefined) out.table = named(spec.table, tables, 'table', 0xffffffff);
  if (spec.metric !== undefined) out.metric = requireInteger(spec.metric, 'metric', 0, 0xffffffff);
  if (spec.protocol !== undefined) out.protocol = named(spec.protocol, protocols, 'protocol');
  if (spec.type !== undefined) out.type = named(spec.type, routeTypes, 'type', 255, 1); // 0 is RTN_UNSPEC
  if (spec.nexthopId !== undefined) out.nexthopId = requireInteger(spec.nexthopId, 'nexthopId', 1, 0xffffffff);
  if (spec.mtu !== undefined) out.mtu = requireInteger(spec.mtu, 'mtu', 1, 0xffffffff);
  if (spec.advmss !== undefined) out.advmss = requireInteger(spec.advmss, 'advmss', 1, 0xffffffff);
  if (spec.lock !== undefined) {
    if (!Array.isArray(spec.lock)) throw new TypeError("lock must be an array of 'mtu' and 'advmss'");
    out.lock = 0;
    for (const metric of spec.lock) {
      if (metric !== 'mtu' && metric !== 'advmss') throw new RangeError(`lock: '${String(metric)}' is not 'mtu' or 'advmss'`);
      if (out[metric] === undefined) throw new RangeError(`lock: '${metric}' needs a value to lock`);
      out.lock |= 1 << lockableMetrics[metric];
    }
  }
  if (spec.pref !== undefined) {
    if (out.family !== 6) throw new RangeError('pref: route preferences are IPv6 only');
    out.pref = named(spec.pref, routePreferences, 'pref');
  }
  if (spec.nexthops !== undefined) out.nexthops = nexthopFields(sandbox, spec, out as RouteFields);
  if (!forDelete) {
    if (out.table === 0) throw new RangeError('table 0 is not a routing table');
    out.table ??= RT_TABLE_MAIN;
    out.protocol ??= RTPROT_BOOT;
    out.type ??= RTN_UNICAST;
    // Through nexthops (objects or a list) the route is global, as iproute2 makes it: the kernel
    // refuses link scope over an on-link nexthop.
    const through = out.nexthopId !== undefined || out.nexthops !== undefined;
    out.scope ??= through && out.type === RTN_UNICAST ? scopes.global! : defaultScope(out.type, out.via);
  }
  return out as RouteFields;
}

const MAX_NEXTHOPS = 64;

function nexthopFields(sandbox: Sandbox, spec: RouteSpec, out: RouteFields): NonNullable<RouteFields['nexthops']> {
  const hops = spec.nexthops;
  if (!Array.isArray(hops) || hops.length === 0) throw new TypeError('nexthops must be a non-empty array');
  if (hops.length > MAX_NEXTHOPS) throw new RangeError(`nexthops: at most ${MAX_NEXTHOPS}, got ${hops.length}`);
  if (out.via !== undefined || out.dev !== undefined || out.nexthopId !== undefined) {
    throw new RangeError('a route with nexthops takes no via, dev or nexthopId of its own: they go in each nexthop');
  }
  return hops.map((hop, i) => {
    const what = `nexthops[${i}]`;
    if (typeof hop !== 'object' || hop === null) throw new TypeError(`${what} must be an object`);
    if (hop.via === undefined && hop.dev === undefined) throw new TypeError(`${what} needs a via, a dev or both`);
    const h: NonNullable<RouteFields['nexthops']>[number] = {
      weight: hop.weight === undefined ? 1 : requireInteger(hop.weight, `${what}.weight`, 1, 256),
      onLink: hop.onLink === true,
    };
    if (hop.via !== undefined) h.via = ipAddress(hop.via, `${what}.via`, out.family).address;
    if (hop.dev !== undefined) h.dev = linkRef(sandbox, hop.dev, `${what}.dev`);
    return h;
  });
}

// A route record as native/binding/convert.cc (ReadRouteRecord) reads it, little-endian: 116
// bytes, then NEXTHOP_BYTES per multipath nexthop.
const RECORD_BYTES = 116;
const NEXTHOP_BYTES = 40;
const ADDRESSES = [['dst', 36, 1], ['via', 52, 2], ['src', 68, 4], ['from', 84, 8]] as const;

// Records are cut from a slab, never reused: one allocation per 256 routes, none per route.
let slab = new ArrayBuffer(0);
let slabUsed = 0;

function putU32(r: Uint8Array, at: number, value: number): void {
  r[at] = value;
  r[at + 1] = value >>> 8;
  r[at + 2] = value >>> 16;
  r[at + 3] = value >>> 24;
}

const utf8 = new TextEncoder();

/** Packs checked fields into the record the binding reads (no property lookups, no text). */
export function routeRecord(f: RouteFields): NativeRouteRecord {
  const bytes = RECORD_BYTES + (f.nexthops?.length ?? 0) * NEXTHOP_BYTES;
  if (slabUsed + bytes > slab.byteLength) {
    slab = new ArrayBuffer(Math.max(RECORD_BYTES * 256, bytes));
    slabUsed = 0;
  }
  const r = new Uint8Array(slab, slabUsed, bytes);
  slabUsed += bytes;
  r[0] = f.family;
  r[1] = f.dstLength ?? 0;
  r[2] = f.fromLength ?? 0;
  let present = 0;
  for (const [key, at, bit] of ADDRESSES) {
    const text = f[key];
    if (text === undefined) continue;
    parseIp(text, r, at);
    present |= bit;
  }
  if (f.scope !== undefined) [r[4], present] = [f.scope, present | 16];
  if (f.protocol !== undefined) [r[5], present] = [f.protocol, present | 32];
  if (f.type !== undefined) [r[6], present] = [f.type, present | 64];
  if (f.metric !== undefined) {
    putU32(r, 12, f.metric);
    present |= 128;
  }
  r[3] = present;
  r[7] = (f.onLink === true ? 1 : 0) | (f.nexthopId !== undefined ? 2 : 0) | (f.mtu !== undefined ? 4 : 0)
    | (f.advmss !== undefined ? 8 : 0) | (f.pref !== undefined ? 16 : 0)
    | ((f.lock ?? 0) & (1 << lockableMetrics.mtu) ? 32 : 0) | ((f.lock ?? 0) & (1 << lockableMetrics.advmss) ? 64 : 0);
  if (f.nexthopId !== undefined) putU32(r, 100, f.nexthopId);
  putU32(r, 8, f.table ?? 0);
  putDev(r, 16, f.dev);
  if (f.mtu !== undefined) putU32(r, 104, f.mtu);
  if (f.advmss !== undefined) putU32(r, 108, f.advmss);
  if (f.pref !== undefined) r[112] = f.pref;
  if (f.nexthops !== undefined) {
    r[113] = f.nexthops.length;
    f.nexthops.forEach((h, i) => {
      const at = RECORD_BYTES + i * NEXTHOP_BYTES;
      if (h.via !== undefined) parseIp(h.via, r, at);
      putDev(r, at + 16, h.dev);
      r[at + 36] = h.weight - 1;
      r[at + 37] = (h.onLink ? 1 : 0) | (h.via !== undefined ? 2 : 0);
    });
  }
  return r;
}

/** A device at `at`: its index (u32), then its name (16 bytes), one of them set. */
function putDev(r: Uint8Array, at: number, dev: LinkRef | undefined): void {
  if (typeof dev === 'number') putU32(r, at, dev);
  else if (dev !== undefined) utf8.encodeInto(dev, r.subarray(at + 4, at + 4 + 15)); // checked: at most 15 bytes
}

/**
 * The route an add installed, from its record and fields, as the kernel reports it: used when
 * the kernel was not asked to echo it (a unicast route with its device and no metrics). IPv6
 * routes are reported with scope global, metric 0 means 1024 (IP6_RT_PRIO_USER), and their
 * preference is medium unless set.
 */
export function installedRoute(r: NativeRouteRecord, f: RouteFields, dev: { name: string; index?: number } | undefined): NativeRoute {
  const v6 = f.family === 6;
  const route: NativeRoute = {
    family: f.family,
    // The kernel sends no destination for a /0, and lists it as the default route.
    dst: f.dst === undefined || f.dstLength === 0 ? 'default' : `${formatIp(r, 36, f.family)}/${f.dstLength!}`,
    table: f.table!,
    metric: v6 && !f.metric ? 1024 : f.metric ?? 0,
    protocol: f.protocol!,
    scope: v6 ? scopes.global! : f.scope!,
    type: f.type!,
    flags: f.onLink === true ? RTNH_F_ONLINK : 0,
  };
  if (f.via !== undefined) route.via = formatIp(r, 52, f.family);
  if (f.src !== undefined) route.src = formatIp(r, 68, f.family);
  if (f.from !== undefined && f.fromLength !== undefined) route.from = `${formatIp(r, 84, f.family)}/${f.fromLength}`;
  if (dev !== undefined) route.dev = dev.name;
  if (dev?.index !== undefined) route.devIndex = dev.index;
  if (v6) route.pref = f.pref ?? routePreferences.medium!;
  return route;
}
