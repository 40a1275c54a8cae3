// Generated from native/binding/operations.cc by scripts/generate-operations.mjs: do not edit.
import type { Dump, LinkRef, NativeAddress, NativeAddressFilter, NativeAddressSpec, NativeConntrackEntry, NativeConntrackFilter, NativeConntrackRecord, NativeConntrackRecords, NativeLink, NativeLinkFilter, NativeLinkSpec, NativeNeighbor, NativeNeighborFilter, NativeNeighborSpec, NativeNexthop, NativeNexthopFilter, NativeNexthopSpec, NativeRoute, NativeRouteFilter, NativeRouteRecord, NativeRule, NativeRuleFilter } from './native.js';

/** The netlink operations of the binding: what each takes and resolves to. */
export interface NativeOperations {
  /** pipelined; NETLINK_ROUTE */
  getLink: { spec: LinkRef; result: NativeLink };
  /** dump, alone on its socket; NETLINK_ROUTE */
  links: { spec: NativeLinkFilter; result: Dump<NativeLink> };
  /** pipelined; NETLINK_ROUTE */
  createLink: { spec: NativeLinkSpec; result: NativeLink };
  /** pipelined; NETLINK_ROUTE */
  changeLink: { spec: NativeLinkSpec; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteLink: { spec: LinkRef; result: void };
  /** dump, alone on its socket; NETLINK_ROUTE */
  addresses: { spec: NativeAddressFilter; result: Dump<NativeAddress> };
  /** pipelined; NETLINK_ROUTE */
  addAddress: { spec: NativeAddressSpec; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteAddress: { spec: NativeAddressSpec; result: void };
  /** dump, alone on its socket; NETLINK_ROUTE */
  routes: { spec: NativeRouteFilter; result: Dump<NativeRoute> };
  /** pipelined; NETLINK_ROUTE */
  addRoute: { spec: NativeRouteRecord; result: NativeRoute | undefined };
  /** pipelined; NETLINK_ROUTE */
  replaceRoute: { spec: NativeRouteRecord; result: NativeRoute | undefined };
  /** pipelined; NETLINK_ROUTE */
  deleteRoute: { spec: NativeRouteRecord; result: void };
  /** pipelined; NETLINK_ROUTE */
  getRoute: { spec: NativeRouteRecord; result: NativeRoute };
  /** dump, alone on its socket; NETLINK_ROUTE */
  neighbors: { spec: NativeNeighborFilter; result: Dump<NativeNeighbor> };
  /** pipelined; NETLINK_ROUTE */
  addNeighbor: { spec: NativeNeighborSpec; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteNeighbor: { spec: NativeNeighborSpec; result: void };
  /** dump, alone on its socket; NETLINK_ROUTE */
  rules: { spec: NativeRuleFilter; result: Dump<NativeRule> };
  /** pipelined; NETLINK_ROUTE */
  addRule: { spec: NativeRule; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteRule: { spec: NativeRule; result: void };
  /** dump, alone on its socket; NETLINK_ROUTE */
  nexthops: { spec: NativeNexthopFilter; result: Dump<NativeNexthop> };
  /** pipelined; NETLINK_ROUTE */
  addNexthop: { spec: NativeNexthopSpec; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteNexthop: { spec: NativeNexthopSpec; result: void };
  /** dump, alone on its socket; NETLINK_NETFILTER */
  conntrack: { spec: NativeConntrackFilter; result: Dump<NativeConntrackRecords> };
  /** pipelined; NETLINK_NETFILTER */
  createConntrack: { spec: NativeConntrackEntry; result: void };
  /** pipelined; NETLINK_NETFILTER */
  deleteConntrack: { spec: NativeConntrackRecord; result: void };
  /** pipelined; NETLINK_NETFILTER */
  flushConntrack: { spec: NativeConntrackFilter; result: void };
  /** pipelined; NETLINK_NETFILTER */
  countConntrack: { spec: NativeConntrackFilter; result: number };
}

/** Each operation's row in the table: what SandboxHandle.submit() takes. */
export const operationIndex: { readonly [K in keyof NativeOperations]: number } = {
  getLink: 0,
  links: 1,
  createLink: 2,
  changeLink: 3,
  deleteLink: 4,
  addresses: 5,
  addAddress: 6,
  deleteAddress: 7,
  routes: 8,
  addRoute: 9,
  replaceRoute: 10,
  deleteRoute: 11,
  getRoute: 12,
  neighbors: 13,
  addNeighbor: 14,
  deleteNeighbor: 15,
  rules: 16,
  addRule: 17,
  deleteRule: 18,
  nexthops: 19,
  addNexthop: 20,
  deleteNexthop: 21,
  conntrack: 22,
  createConntrack: 23,
  deleteConntrack: 24,
  flushConntrack: 25,
  countConntrack: 26,
};
