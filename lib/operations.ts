// Generated from native/binding/operations.cc by scripts/generate-operations.mjs: do not edit.
import type { Dump, LinkRef, NativeAddress, NativeAddressFilter, NativeAddressSpec, NativeConntrackEntry, NativeConntrackFilter, NativeConntrackRecord, NativeConntrackRecords, NativeFamilyFilter, NativeLink, NativeLinkFilter, NativeLinkSpec, NativeNeighbor, NativeNeighborFilter, NativeNeighborSpec, NativeNetnsIdSpec, NativeNexthop, NativeNexthopSpec, NativeRoute, NativeRouteFilter, NativeRouteRecord, NativeRule } from './native.js';

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
  replaceAddress: { spec: NativeAddressSpec; result: void };
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
  rules: { spec: NativeFamilyFilter; result: Dump<NativeRule> };
  /** pipelined; NETLINK_ROUTE */
  addRule: { spec: NativeRule; result: void };
  /** pipelined; NETLINK_ROUTE */
  deleteRule: { spec: NativeRule; result: void };
  /** dump, alone on its socket; NETLINK_ROUTE */
  nexthops: { spec: NativeFamilyFilter; result: Dump<NativeNexthop> };
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
  replaceAddress: 11,
  deleteAddress: 12,
  routes: 13,
  addRoute: 14,
  replaceRoute: 15,
  deleteRoute: 16,
  getRoute: 17,
  neighbors: 18,
  addNeighbor: 19,
  deleteNeighbor: 20,
  rules: 21,
  addRule: 22,
  deleteRule: 23,
  nexthops: 24,
  addNexthop: 25,
  deleteNexthop: 26,
  conntrack: 27,
  createConntrack: 28,
  deleteConntrack: 29,
  flushConntrack: 30,
  countConntrack: 31,
};
