// Generated from native/binding/operations.cc by scripts/generate-operations.mjs: do not edit.
import type { Dump, LinkRef, NativeAddress, NativeAddressFilter, NativeAddressSpec, NativeConntrackEntry, NativeConntrackFilter, NativeConntrackRecord, NativeConntrackRecords, NativeLink, NativeLinkFilter, NativeLinkSpec, NativeNeighbor, NativeNeighborFilter, NativeNeighborSpec, NativeNetnsIdSpec, NativeNexthop, NativeNexthopFilter, NativeNexthopSpec, NativeRoute, NativeRouteFilter, NativeRouteRecord, NativeRule, NativeRuleFilter } from './native.js';

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
  /** pipelined; NETLINK_ROUTE */
  addAltName: { spec: NativeLinkSpec; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteAltName: { spec: NativeLinkSpec; result: void };
  /** pipelined; NETLINK_ROUTE */
  getNetnsId: { spec: NativeNetnsIdSpec; result: number | null };
  /** pipelined; NETLINK_ROUTE */
  setNetnsId: { spec: NativeNetnsIdSpec; result: void };
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
  addAltName: 5,
  deleteAltName: 6,
  getNetnsId: 7,
  setNetnsId: 8,
  addresses: 9,
  addAddress: 10,
  deleteAddress: 11,
  routes: 12,
  addRoute: 13,
  replaceRoute: 14,
  deleteRoute: 15,
  getRoute: 16,
  neighbors: 17,
  addNeighbor: 18,
  deleteNeighbor: 19,
  rules: 20,
  addRule: 21,
  deleteRule: 22,
  nexthops: 23,
  addNexthop: 24,
  deleteNexthop: 25,
  conntrack: 26,
  createConntrack: 27,
  deleteConntrack: 28,
  flushConntrack: 29,
  countConntrack: 30,
};
