import { protocols, routeTypes, RTN_UNICAST, RTNH_F_ONLINK, scopes, tables } from './constants.js';
import type { InterfaceRef } from './interface.js';
import type { NativeRoute, NativeRouteSpec } from './native.js';
import { linkRef, send } from './request.js';
import type { Sandbox } from './sandbox.js';
import { type Family, ipAddress, named, nameOf, network, requireInteger } from './validate.js';

export type ScopeName = 'global' | 'universe' | 'site' | 'link' | 'host' | 'nowhere';

export interface RouteSpec {
  /** 'default' or a network, '198.51.100.0/24'; a bare address is a host route. */
  dst: string;
  /** The gateway. */
  via?: string;
  dev?: InterfaceRef;
  /** Defaults like iproute2: 'link' without a gateway, 'global' with one. */
  scope?: ScopeName | number;
  /** Treat the gateway as directly reachable on dev even without a covering prefix. */
  onLink?: boolean;
  table?: 'main' | 'local' | 'default' | number;
  metric?: number;
  /** The preferred source address. */
  src?: string;
  protocol?: string | number;
  type?: string | number;
  /** Needed only for dst 'default' without via or src: which default route. */
  family?: Family;
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
  readonly type: string;
  readonly onLink: boolean;
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
    this.type = nameOf(r.type, routeTypes);
    this.onLink = (r.flags & RTNH_F_ONLINK) !== 0;
  }

  /** Like `ip route del` with this route's dst, via, dev, table and metric. */
  async delete(): Promise<void> {
    const spec: NativeRouteSpec = {
      family: this.family,
      table: this.table,
      metric: this.metric,
      type: routeTypes[this.type] ?? RTN_UNICAST,
    };
    if (this.dst !== 'default') Object.assign(spec, splitDst(this.dst));
    if (this.via !== undefined) spec.via = this.via;
    if (this.#devIndex !== undefined) spec.dev = this.#devIndex;
    await send(this.#sandbox, { operation: 'deleteRoute', target: () => describeRoute(this) }, 'deleteRoute', spec);
  }
}

function splitDst(dst: string): { dst: string; dstLength: number } {
  const [address = '', length = '0'] = dst.split('/');
  return { dst: address, dstLength: Number(length) };
}

/** iproute2's words for a route, for error messages: '198.51.100.0/24 via 192.0.2.1 dev eth0'. */
export function describeRoute(r: { dst: string; via?: string | undefined; dev?: unknown; table?: unknown; metric?: unknown }): string {
  const dev = typeof r.dev === 'object' && r.dev !== null ? (r.dev as { name: string }).name : r.dev;
  return [
    r.dst,
    r.via !== undefined && `via ${r.via}`,
    dev !== undefined && `dev ${String(dev)}`,
    r.table !== undefined && `table ${String(r.table)}`,
    r.metric !== undefined && `metric ${String(r.metric)}`,
  ].filter(Boolean).join(' ');
}

/** Validates a RouteSpec and turns it into the binding's form. Throws TypeError/RangeError. */
export function toNativeRoute(sandbox: Sandbox, spec: RouteSpec, forDelete = false): NativeRouteSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('a route spec must be an object');
  let family: Family | undefined = spec.family;
  const out: Partial<NativeRouteSpec> = {};
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
  if (!forDelete && out.table === 0) throw new RangeError('table 0 is not a routing table');
  return out as NativeRouteSpec;
}
