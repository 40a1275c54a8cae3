// Generated from native/binding/operations.cc by scripts/generate-operations.mjs: do not edit.
import type { Dump, LinkRef, NativeAddress, NativeAddressFilter, NativeAddressSpec, NativeLink, NativeLinkFilter, NativeLinkSpec, NativeNeighbor, NativeNeighborFilter, NativeNeighborSpec, NativeRoute, NativeRouteFilter, NativeRouteSpec } from './native.js';

/** One method per netlink operation of the binding, in the table's order. */
export interface NativeOperations {
  /** pipelined; NETLINK_ROUTE */
  getLink(spec: LinkRef): Promise<NativeLink>;
  /** dump, alone on its socket; NETLINK_ROUTE */
  links(spec: NativeLinkFilter): Promise<Dump<NativeLink>>;
  /** pipelined; NETLINK_ROUTE */
  createLink(spec: NativeLinkSpec): Promise<NativeLink>;
  /** pipelined; NETLINK_ROUTE */
  changeLink(spec: NativeLinkSpec): Promise<void>;
  /** pipelined; NETLINK_ROUTE */
  deleteLink(spec: LinkRef): Promise<void>;
  /** dump, alone on its socket; NETLINK_ROUTE */
  addresses(spec: NativeAddressFilter): Promise<Dump<NativeAddress>>;
  /** pipelined; NETLINK_ROUTE */
  addAddress(spec: NativeAddressSpec): Promise<void>;
  /** pipelined; NETLINK_ROUTE */
  deleteAddress(spec: NativeAddressSpec): Promise<void>;
  /** dump, alone on its socket; NETLINK_ROUTE */
  routes(spec: NativeRouteFilter): Promise<Dump<NativeRoute>>;
  /** pipelined; NETLINK_ROUTE */
  addRoute(spec: NativeRouteSpec): Promise<NativeRoute>;
  /** pipelined; NETLINK_ROUTE */
  replaceRoute(spec: NativeRouteSpec): Promise<NativeRoute>;
  /** pipelined; NETLINK_ROUTE */
  deleteRoute(spec: NativeRouteSpec): Promise<void>;
  /** pipelined; NETLINK_ROUTE */
  getRoute(spec: NativeRouteSpec): Promise<NativeRoute>;
  /** dump, alone on its socket; NETLINK_ROUTE */
  neighbors(spec: NativeNeighborFilter): Promise<Dump<NativeNeighbor>>;
  /** pipelined; NETLINK_ROUTE */
  addNeighbor(spec: NativeNeighborSpec): Promise<void>;
  /** pipelined; NETLINK_ROUTE */
  deleteNeighbor(spec: NativeNeighborSpec): Promise<void>;
}
