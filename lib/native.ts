// The native addon's shape, typed by hand (it is the contract with native/binding/), and its
// loader. Nothing here is public API.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type LinkRef = number | string; // an ifindex, or a name looked up in the namespace

export interface NativeStats {
  rxPackets: number; txPackets: number; rxBytes: number; txBytes: number;
  rxErrors: number; txErrors: number; rxDropped: number; txDropped: number;
  multicast: number; collisions: number;
}

export interface NativeLink {
  index: number; name: string; kind: string; mtu: number; mac: string;
  flags: number; operState: number; master: number; masterName?: string; stats?: NativeStats;
}

export interface NativeAddress {
  family: 4 | 6; address: string; prefixLength: number; scope: number; flags: number;
  index: number; dev: string; peer?: string; broadcast?: string; label?: string;
}

export interface NativeRoute {
  family: 4 | 6; dst: string; gateway?: string; src?: string; oif?: number; dev?: string;
  /** RTA_SRC as 'address/length': a source prefix, or the `from` of a route get. */
  from?: string;
  table: number; metric: number; protocol: number; scope: number; type: number; flags: number;
}

export interface NativeNeighbor {
  family: 4 | 6 | 'bridge'; index: number; dev: string; ip?: string; mac?: string;
  state: number; flags: number;
}

export interface Dump<T> { items: T[]; partial: boolean }

export interface NativeLinkSpec {
  target?: LinkRef; name?: string; kind?: string; mtu?: number; mac?: string; up?: boolean;
  master?: LinkRef | null; netns?: NativeSandboxHandle; parent?: LinkRef;
  peer?: { name: string; netns?: NativeSandboxHandle; mtu?: number; mac?: string };
  macvlanMode?: number; vlanId?: number;
  vxlan?: { vni: number; port?: number; local?: string; remote?: string; parent?: LinkRef; learning?: boolean };
}

export interface NativeAddressSpec {
  link: LinkRef; local: string; prefixLength: number; peer?: string; broadcast?: string;
  scope?: number; noDad?: boolean;
}

export interface NativeRouteSpec {
  family: 4 | 6; dst?: string; dstLength?: number; gateway?: string; dev?: LinkRef; scope?: number;
  onLink?: boolean; table?: number; metric?: number; src?: string; protocol?: number; type?: number;
}

export interface NativeNeighborSpec {
  dev: LinkRef; ip?: string; mac?: string; permanent?: boolean; fdb?: boolean;
}

/** One sysctl read or write: the value read back, or the error. */
export interface NativeSysctlResult {
  previous?: string; value?: string; changed?: boolean;
  errno?: number; code?: string; message?: string;
}

export type NamespaceTarget = { create: true; dir: string; name: string } | { create?: false; path: string };

export interface NativeSandboxHandle {
  enter(target: NamespaceTarget): Promise<{ id: number; path: string }>;
  close(): Promise<void>;
  getLink(ref: LinkRef): Promise<NativeLink>;
  links(): Promise<Dump<NativeLink>>;
  createLink(spec: NativeLinkSpec): Promise<NativeLink>;
  changeLink(spec: NativeLinkSpec): Promise<void>;
  deleteLink(ref: LinkRef): Promise<void>;
  addresses(filter: { family?: 4 | 6; link?: LinkRef }): Promise<Dump<NativeAddress>>;
  addAddress(spec: NativeAddressSpec): Promise<void>;
  deleteAddress(spec: NativeAddressSpec): Promise<void>;
  routes(filter: { family?: 4 | 6; table?: number }): Promise<Dump<NativeRoute>>;
  addRoute(spec: NativeRouteSpec): Promise<NativeRoute>;
  replaceRoute(spec: NativeRouteSpec): Promise<NativeRoute>;
  deleteRoute(spec: NativeRouteSpec): Promise<void>;
  routeGet(spec: NativeRouteSpec): Promise<NativeRoute>;
  neighbors(filter: { family?: 4 | 6; dev?: LinkRef; fdb?: boolean }): Promise<Dump<NativeNeighbor>>;
  addNeighbor(spec: NativeNeighborSpec): Promise<void>;
  deleteNeighbor(spec: NativeNeighborSpec): Promise<void>;
  /** Reads (no value) or sets each key below /proc/sys/net, in order; one result per entry. */
  sysctl(entries: Array<{ path: string[]; value?: string }>): Promise<NativeSysctlResult[]>;
  /** Every readable key below a sysctl directory. */
  sysctlList(path: string[]): Promise<Array<[string[], string]>>;
}

export type CodecOperation =
  | 'createLink' | 'changeLink' | 'addAddress' | 'deleteAddress' | 'addRoute' | 'replaceRoute'
  | 'deleteRoute' | 'routeGet' | 'addNeighbor' | 'deleteNeighbor';

export interface Binding {
  SandboxHandle: new () => NativeSandboxHandle;
  /** Unmounts and removes a persisted namespace file (libuv pool; changes no namespace). */
  removeNamespaceFile(path: string): Promise<void>;
  /** The calling thread's network namespace inode. */
  threadNamespaceId(): number;
  codec: {
    encode(op: CodecOperation, spec: object): Buffer;
    decode(messages: Buffer): Array<Record<string, unknown> & { message: string }>;
  };
}

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = require('node-gyp-build') as (dir: string) => unknown;

export const binding = load(packageRoot) as Binding;
