// Nexthop objects (`ip nexthop`): checked and converted here; Sandbox sends them.

import { protocols, RTNH_F_ONLINK } from './constants.js';
import type { InterfaceRef } from './interface.js';
import type { NativeNexthop, NativeNexthopSpec } from './native.js';
import { linkRef } from './request.js';
import type { Sandbox } from './sandbox.js';
import { type Family, ipAddress, nameOf, requireFamily, requireInteger } from './validate.js';

/**
 * A nexthop object to add, like `ip nexthop add id ID ...`: a gateway and/or a device, a
 * blackhole, or a group of other nexthops (ECMP, by weight). Routes use it with `nexthopId`.
 */
export interface NexthopSpec {
  id: number;
  via?: string | undefined;
  dev?: InterfaceRef | undefined;
  /** Drops what is routed through it; uses lo, which must be up. */
  blackhole?: boolean | undefined;
  onLink?: boolean | undefined;
  group?: Array<{ id: number; weight?: number | undefined }> | undefined;
  /** Of a nexthop with no gateway: 4 unless told. */
  family?: Family | undefined;
}

/** A nexthop as `ip nexthop show` lists it. Plain data. */
export interface Nexthop {
  id: number;
  /** Absent for a group. */
  family?: Family;
  via?: string;
  dev?: string;
  blackhole: boolean;
  onLink: boolean;
  group?: Array<{ id: number; weight: number }>;
  protocol: string;
}

const MAX_ID = 0xffffffff;

export function nexthopId(value: unknown, what = 'id'): number {
  return requireInteger(value, what, 1, MAX_ID);
}

export function nexthopFields(sandbox: Sandbox, spec: NexthopSpec): NativeNexthopSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('a nexthop must be an object');
  const out: NativeNexthopSpec = { id: nexthopId(spec.id) };
  if (spec.group !== undefined) {
    if (!Array.isArray(spec.group) || spec.group.length === 0) throw new TypeError('group must be a non-empty array of { id, weight? }');
    if (spec.via !== undefined || spec.dev !== undefined || spec.blackhole !== undefined || spec.onLink !== undefined) {
      throw new RangeError('a group takes no via, dev, blackhole or onLink: its members have them');
    }
    const seen = new Set<number>();
    out.group = spec.group.map((m, i) => {
      if (typeof m !== 'object' || m === null) throw new TypeError(`group[${i}] must be { id, weight? }`);
      const id = nexthopId(m.id, `group[${i}].id`);
      if (seen.has(id)) throw new RangeError(`group: nexthop ${id} is in it twice`);
      seen.add(id);
      return { id, weight: m.weight === undefined ? 1 : requireInteger(m.weight, `group[${i}].weight`, 1, 256) };
    });
    return out;
  }
  if (spec.blackhole === true && (spec.via !== undefined || spec.dev !== undefined)) {
    throw new RangeError('a blackhole nexthop takes no via or dev');
  }
  if (spec.blackhole !== true && spec.via === undefined && spec.dev === undefined) {
    throw new TypeError('a nexthop needs a via, a dev, blackhole: true or a group');
  }
  const family = spec.family === undefined ? undefined : requireFamily(spec.family);
  const via = spec.via === undefined ? undefined : ipAddress(spec.via, 'via', family);
  out.family = via?.family ?? family ?? 4;
  if (via) out.via = via.address;
  if (spec.dev !== undefined) out.dev = linkRef(sandbox, spec.dev, 'dev');
  if (spec.blackhole === true) out.blackhole = true;
  if (spec.onLink === true) out.onLink = true;
  return out;
}

export function toNexthop(n: NativeNexthop): Nexthop {
  const nexthop: Nexthop = { id: n.id, blackhole: n.blackhole, onLink: (n.flags & RTNH_F_ONLINK) !== 0, protocol: nameOf(n.protocol, protocols) };
  if (n.family !== undefined) nexthop.family = n.family;
  if (n.via !== undefined) nexthop.via = n.via;
  if (n.dev !== undefined) nexthop.dev = n.dev;
  if (n.group !== undefined) nexthop.group = n.group;
  return nexthop;
}

/** 'id 7 via 192.0.2.1 dev eth0', 'id 9 group 7/8,2', as ip nexthop prints them, for errors. */
export function describeNexthop(n: NativeNexthopSpec, given: InterfaceRef | undefined): string {
  const dev = typeof given === 'object' && given !== null ? given.name : given;
  return [
    `id ${n.id}`,
    n.group && `group ${n.group.map((m) => (m.weight === 1 ? `${m.id}` : `${m.id},${m.weight}`)).join('/')}`,
    n.via !== undefined && `via ${n.via}`,
    dev !== undefined && `dev ${String(dev)}`,
    n.blackhole === true && 'blackhole',
    n.onLink === true && 'onlink',
  ].filter(Boolean).join(' ');
}
