export { Sandbox } from './sandbox.js';
export { listPods, podHostIface, setupPod, teardownPod } from './pod.js';
export type { PodInfo, PodSpec } from './pod.js';
export { DEFAULT_BASE_PATH } from './constants.js';
export type { ConnectOptions, ExecResult, ListenOptions, UdpSocketOptions } from './processes.js';
export type {
  CreateOptions, OpenTarget, VethOptions, MacvlanOptions, VxlanOptions, VlanOptions, Neighbor, FdbEntry, FdbSpec, Listing, TunOptions,
  LinkOptions, RouteListOptions, RouteToOptions, NeighborSpec, NeighborRef, NeighborListOptions, SandboxJSON,
} from './sandbox.js';
export { Interface } from './interface.js';
export type {
  InterfaceRef, Address, AddressOptions, BridgePortSettings, InterfaceJSON, LinkInfo, LinkState, MacvlanInfo, MacvlanMode, MoveOptions, Statistics,
  TunInfo, VlanInfo, VxlanInfo,
} from './interface.js';
export { Watcher, MAX_QUEUED_EVENTS } from './events.js';
export type { EventAction, SandboxEvent, Snapshot, WaitOptions, WatchOptions } from './events.js';
export { Route } from './route.js';
export type { RouteNexthop, RouteSpec, ScopeName } from './route.js';
export type { PortRange, Rule, RuleAction, RuleSpec } from './rule.js';
export type { Nexthop, NexthopSpec } from './nexthop.js';
export { NetsandboxError, NotFoundError, ExistsError, PermissionError, UnsupportedError } from './errors.js';
export type { ErrorContext, ErrorDetails } from './errors.js';
export type { Family, FamilyFilter } from './validate.js';
export { sysctlProfiles, SandboxSysctl, InterfaceSysctl } from './sysctl.js';
export type { SysctlChange, SysctlApplyResult, SysctlEntries, SysctlSnapshot, SysctlStatus, SysctlValue } from './sysctl.js';
export { SandboxConntrack } from './conntrack.js';
export type {
  ConntrackDeleteResult, ConntrackEntry, ConntrackFilter, ConntrackProtocol, ConntrackTuple, NewConntrackEntry, StaleUdpResult,
  UdpService, ConntrackListOptions, CleanStaleUdpOptions,
} from './conntrack.js';
