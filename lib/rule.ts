// Policy routing rules (`ip rule`): checked and converted here; Sandbox sends them.

import { ipProtocols, ruleActions, tables } from './constants.js';
import type { NativeRule } from './native.js';
import { type Family, interfaceName, named, nameOf, nameOrNumber, network, requireFamily, requireInteger } from './validate.js';

export type RuleAction = 'lookup' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** A port, or an inclusive range [first, last]: 1 to 65534, as the kernel takes them. */
export type PortRange = number | [number, number];

/**
 * A rule to add, like `ip rule add`, or to delete, like `ip rule del` (fields left out match any
 * rule). A listed Rule is a RuleSpec too.
 */
export interface RuleSpec {
  /** 4 unless an address says otherwise. */
  family?: Family | undefined;
  /** `pref`: the kernel picks one below the lowest existing rule's when absent. */
  priority?: number | undefined;
  /** Source prefix ('192.0.2.0/24'; an address alone is a host). */
  from?: string | undefined;
  /** Destination prefix. */
  to?: string | undefined;
  /** Incoming / outgoing interface names; they need not exist. */
  iif?: string | undefined;
  oif?: string | undefined;
  fwmark?: number | undefined;
  fwmask?: number | undefined;
  /** The table a lookup rule uses: main when an add gives none, as `ip rule add` does. */
  table?: 'main' | 'local' | 'default' | number | undefined;
  /** 'lookup' unless told. */
  action?: RuleAction | number | undefined;
  /** `ipproto`: 'tcp', 'udp', ... or a number. */
  ipProto?: string | number | undefined;
  sport?: PortRange | undefined;
  dport?: PortRange | undefined;
}

/** A rule as `ip rule show` lists it. Plain data. */
export interface Rule {
  family: Family;
  priority: number;
  from?: string;
  to?: string;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  /** 0 for a rule that looks nothing up (blackhole, unreachable, prohibit). */
  table: number;
  action: RuleAction | number;
  ipProto?: string | number;
  sport?: PortRange;
  dport?: PortRange;
}

function ports(value: PortRange, what: string): [number, number] {
  if (typeof value === 'number') {
    const port = requireInteger(value, what, 1, 65534);
    return [port, port];
  }
  if (!Array.isArray(value) || value.length !== 2) throw new TypeError(`${what} must be a port or [first, last]`);
  const first = requireInteger(value[0], `${what}[0]`, 1, 65534);
  const last = requireInteger(value[1], `${what}[1]`, 1, 65534);
  if (first > last) throw new RangeError(`${what} [${first}, ${last}] is empty`);
  return [first, last];
}

/**
 * Checks a rule and converts it for the binding. A delete must say which rule: with no field
 * besides family and action it would delete the first rule of the table (local lookups).
 */
export function ruleFields(spec: RuleSpec, forDelete = false): NativeRule {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('a rule must be an object');
  const out: Partial<NativeRule> = {};
  let family: Family | undefined;
  for (const key of ['from', 'to'] as const) {
    if (spec[key] === undefined) continue;
    const prefix = network(spec[key], key);
    if (family !== undefined && prefix.family !== family) throw new RangeError('from and to are of different families');
    family = prefix.family;
    out[key] = prefix.address;
    out[key === 'from' ? 'fromLen' : 'toLen'] = prefix.prefixLength;
  }
  if (spec.family !== undefined && family !== undefined && requireFamily(spec.family) !== family) {
    throw new RangeError(`family ${spec.family} does not match the rule's addresses`);
  }
  out.family = family ?? (spec.family === undefined ? 4 : requireFamily(spec.family));
  if (spec.priority !== undefined) out.priority = requireInteger(spec.priority, 'priority', 0, 0xffffffff);
  if (spec.iif !== undefined) out.iif = interfaceName(spec.iif, 'iif');
  if (spec.oif !== undefined) out.oif = interfaceName(spec.oif, 'oif');
  if (spec.fwmark !== undefined) out.fwmark = requireInteger(spec.fwmark, 'fwmark', 0, 0xffffffff);
  if (spec.fwmask !== undefined) out.fwmask = requireInteger(spec.fwmask, 'fwmask', 0, 0xffffffff);
  // 0: none, as a listed blackhole rule has it.
  if (spec.table !== undefined && spec.table !== 0) out.table = named(spec.table, tables, 'table', 0xffffffff, 1);
  if (spec.action !== undefined) out.action = named(spec.action, ruleActions, 'action', 255, 1);
  if (spec.ipProto !== undefined) out.ipProto = named(spec.ipProto, ipProtocols, 'ipProto');
  if (spec.sport !== undefined) out.sport = ports(spec.sport, 'sport');
  if (spec.dport !== undefined) out.dport = ports(spec.dport, 'dport');
  if (out.table !== undefined && out.action !== undefined && out.action !== ruleActions.lookup) {
    throw new RangeError(`a ${nameOf(out.action, ruleActions)} rule looks up no table`);
  }
  if (forDelete && Object.keys(out).every((k) => k === 'family' || k === 'action')) {
    throw new TypeError('deleteRule needs a field that picks the rule (priority, from, to, iif, oif, fwmark, table, ipProto or a port)');
  }
  return out as NativeRule;
}

function portRange(range: [number, number]): PortRange {
  return range[0] === range[1] ? range[0] : range;
}

export function toRule(n: NativeRule): Rule {
  const rule: Rule = {
    family: n.family, priority: n.priority ?? 0, table: n.table ?? 0, action: nameOrNumber(n.action ?? 0, ruleActions) as RuleAction | number,
  };
  if (n.from !== undefined) rule.from = `${n.from}/${n.fromLen}`;
  if (n.to !== undefined) rule.to = `${n.to}/${n.toLen}`;
  if (n.iif !== undefined) rule.iif = n.iif;
  if (n.oif !== undefined) rule.oif = n.oif;
  if (n.fwmark !== undefined) rule.fwmark = n.fwmark;
  // A mark alone gets the full mask, which ip rule does not print either.
  if (n.fwmask !== undefined && n.fwmask !== 0xffffffff) rule.fwmask = n.fwmask;
  if (n.ipProto !== undefined) rule.ipProto = nameOrNumber(n.ipProto, ipProtocols);
  if (n.sport) rule.sport = portRange(n.sport);
  if (n.dport) rule.dport = portRange(n.dport);
  return rule;
}

/** 'pref 100 from 192.0.2.0/24 lookup 100', as `ip rule` prints a rule, for error messages. */
export function describeRule(r: NativeRule): string {
  const words: string[] = [];
  if (r.priority !== undefined) words.push(`pref ${r.priority}`);
  words.push(r.from !== undefined ? `from ${r.from}/${r.fromLen}` : 'from all');
  if (r.to !== undefined) words.push(`to ${r.to}/${r.toLen}`);
  if (r.fwmark !== undefined) words.push(`fwmark ${r.fwmark}${r.fwmask !== undefined ? `/${r.fwmask}` : ''}`);
  if (r.iif !== undefined) words.push(`iif ${r.iif}`);
  if (r.oif !== undefined) words.push(`oif ${r.oif}`);
  if (r.ipProto !== undefined) words.push(`ipproto ${nameOf(r.ipProto, ipProtocols)}`);
  if (r.sport) words.push(`sport ${r.sport.join('-')}`);
  if (r.dport) words.push(`dport ${r.dport.join('-')}`);
  const action = r.action === undefined || r.action === ruleActions.lookup ? 'lookup' : nameOf(r.action, ruleActions);
  words.push(action === 'lookup' ? (r.table !== undefined ? `lookup ${nameOf(r.table, tables)}` : '') : action);
  return words.filter(Boolean).join(' ');
}
