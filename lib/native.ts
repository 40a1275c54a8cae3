// The native addon's shape (the contract with native/binding/) and its loader: the specs and
// results by hand, beside the spec readers and result writers they mirror; which operation takes
// and gives which comes from the operation table, in the generated lib/operations.ts. Nothing
// here is public API.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeOperations } from './operations.js';

export type LinkRef = number | string; // an ifindex, or a name looked up in the namespace

export interface NativeStats {
  rxPackets: number; txPackets: number; rxBytes: number; txBytes: number;
  rxErrors: number; txErrors: number; rxDropped: number; txDropped: number;
  multicast: number; collisions: number;
}

// Results. A link reference is `dev` (the name) with `devIndex`; a link's master likewise.
export interface NativeLink {
  index: number; name: string; kind: string; mtu: number; mac: string;
  flags: number; operState: number; master?: string; masterIndex?: number; alias?: string; stats?: NativeStats;
  txQueueLen: number; group: number; altNames: string[];
  /** IFLA_LINK when it is another interface: a veth's peer, a vlan's parent; in linkNetnsId's namespace if set. */
  link?: number; linkNetnsId?: number;
  bridgePort?: NativeBridgePort;
  /** IFLA_INFO_DATA of these kinds (`ip -d link show`). */
  macvlanMode?: number;
  vlan?: { id: number; protocol?: number };
  vxlan?: { vni: number; port: number; local?: string; remote?: string; parent?: number; learning: boolean };
  tun?: { tap: boolean; owner?: number; group?: number; packetInfo: boolean; vnetHdr: boolean; persist: boolean; multiQueue: boolean };
}

/** A bridge port's settings (IFLA_BRPORT_*): what to set, or all of them as listed. */
export interface NativeBridgePort {
  hairpin?: boolean; isolated?: boolean; learning?: boolean; flood?: boolean; proxyArp?: boolean; cost?: number; priority?: number;
}

/** The namespace `netns` (a sandbox's handle) and the id this namespace gives it. */
export interface NativeNetnsIdSpec { netns: NativeSandboxHandle; id?: number }

export interface NativeAddress {
  family: 4 | 6; address: string; prefixLength: number; scope: number; flags: number;
  dev: string; devIndex: number; peer?: string; broadcast?: string; label?: string;
  /** Seconds left; 0xffffffff is forever. */
  validLifetime: number; preferredLifetime: number;
}

export interface NativeRoute {
  family: 4 | 6; dst: string; via?: string; dev?: string; devIndex?: number;
  /** The preferred source (RTA_PREFSRC). */
  src?: string;
  /** The source prefix (RTA_SRC) as 'address/length'; a route get answers with the source asked about. */
  from?: string;
  table: number; metric: number; protocol: number; scope: number; type: number; flags: number;
  /** RTA_NH_ID: a route through a nexthop object. */
  nexthopId?: number;
  /** RTA_MULTIPATH: an ECMP route's nexthops. */
  nexthops?: Array<{ via?: string; dev?: string; weight: number; flags: number }>;
  /** RTA_METRICS: path MTU, advertised MSS, and the 1 << RTAX_* bits of the locked ones. */
  mtu?: number; advmss?: number; lock?: number;
  /** RTA_PREF (IPv6): ICMPV6_ROUTER_PREF_*. */
  pref?: number;
}

export interface NativeNeighbor {
  family: 4 | 6 | 'bridge'; dev: string; devIndex: number; ip?: string; mac?: string;
  state: number; flags: number; vlan?: number;
}

/**
 * A dump's items stay in the addon until read in chunks with readDump(). A long dump hands over
 * pieces of them while it runs (submit's progress), and its outcome has the items after those.
 */
export interface DumpPiece<T> { count: number; cursor: DumpCursor<T> }
export interface Dump<T> extends DumpPiece<T> { partial: boolean }

/**
 * The items of a packed dump: fixed-size binary records, a Buffer per chunk (the conntrack
 * table runs to 100,000s of entries; lib/conntrack.ts decodes them).
 */
export interface NativeConntrackRecords { readonly records: 'conntrack' }
export type DumpChunk<T> = T extends NativeConntrackRecords ? Buffer : T[];
/** One record of such a chunk (a view of it): what a delete of a listed entry takes. */
export type NativeConntrackRecord = Buffer;
export type DumpCursor<T> = { readonly items: T[]; readonly brand: 'DumpCursor' }; // opaque

// Specs, as the binding's spec readers (native/binding/convert.cc) take them.
export interface NativeLinkSpec {
  /** The link to change; absent on create. */
  dev?: LinkRef; name?: string; kind?: string; mtu?: number; mac?: string; up?: boolean; alias?: string;
  master?: LinkRef | null; netns?: NativeSandboxHandle; parent?: LinkRef;
  peer?: { name: string; netns?: NativeSandboxHandle; mtu?: number; mac?: string };
  macvlanMode?: number; vlanId?: number;
  promisc?: boolean; allmulti?: boolean; txQueueLen?: number; group?: number; bridgePort?: NativeBridgePort; altName?: string;
  vxlan?: { vni: number; port?: number; local?: string; remote?: string; parent?: LinkRef; learning?: boolean };
}

export type NativeLinkFilter = Record<string, never>;

export interface NativeAddressSpec {
  dev: LinkRef; local: string; prefixLength: number; peer?: string; broadcast?: string;
  scope?: number; noDad?: boolean;
  noPrefixRoute?: boolean; validLifetime?: number; preferredLifetime?: number;
}

export interface NativeAddressFilter { family?: 4 | 6; dev?: LinkRef }

/** A route spec packed by lib/route.ts (routeRecord), read by native/binding/convert.cc. */
export type NativeRouteRecord = Uint8Array;

export interface NativeRouteFilter { family?: 4 | 6; table?: number }

export interface NativeNeighborSpec {
  dev: LinkRef; ip?: string; mac?: string; permanent?: boolean; fdb?: boolean;
  master?: boolean; self?: boolean; static?: boolean; vlan?: number; proxy?: boolean;
}

export interface NativeNeighborFilter { family?: 4 | 6; dev?: LinkRef; fdb?: boolean; proxy?: boolean }

/** A policy routing rule, as added, deleted (unset fields match any) and listed. */
export interface NativeRule {
  family: 4 | 6; priority?: number; from?: string; fromLen?: number; to?: string; toLen?: number;
  iif?: string; oif?: string; fwmark?: number; fwmask?: number; table?: number; action?: number;
  ipProto?: number; sport?: [number, number]; dport?: [number, number];
}

/** A nexthop object to add (or, by id, delete). */
export interface NativeNexthopSpec {
  id: number; family?: 4 | 6; via?: string; dev?: LinkRef; blackhole?: boolean; onLink?: boolean;
  group?: Array<{ id: number; weight: number }>;
}
export interface NativeNexthop {
  id: number; family?: 4 | 6; via?: string; dev?: string; devIndex?: number; blackhole: boolean; flags: number; protocol: number;
  group?: Array<{ id: number; weight: number }>;
}
/** The filter of a dump that takes only a family (rules, nexthop objects). */
export interface NativeFamilyFilter { family?: 4 | 6 }

// Conntrack (ctnetlink). Addresses are of the entry's family; numbers as the kernel has them.
export interface NativeConntrackTuple {
  src: string; dst: string; srcPort?: number; dstPort?: number; icmpType?: number; icmpCode?: number; icmpId?: number;
}

export interface NativeConntrackEntry {
  family: 4 | 6; protocol: number; original: NativeConntrackTuple; reply: NativeConntrackTuple;
  timeout?: number; mark?: number; zone?: number; status: number; tcpState?: number; id?: number;
}

/** A dump's kernel-side filter (tuple fields only with a family; callers match again). */
export interface NativeConntrackFilter {
  family?: 4 | 6; mark?: number; zone?: number; protocol?: number;
  original?: Partial<NativeConntrackTuple>; reply?: Partial<NativeConntrackTuple>;
}

/** One sysctl read or write: the value read back, or the error. */
export interface NativeSysctlResult {
  previous?: string; value?: string; changed?: boolean;
  errno?: number; code?: string; message?: string;
}

export type NamespaceTarget = { create: true; dir: string; name: string } | { create?: false; path: string };

/** The SandboxHandle: its lifecycle and sysctl jobs, and the netlink operations' batches. */
export interface NativeSandboxHandle {
  /**
   * Queues netlink requests in order (ops[i]: operationIndex of specs[i]), with one crossing.
   * `settle(first, outcomes)` is called once per worker delivery with the outcomes (a result,
   * or an Error) of consecutive slots. Throws ERR_SANDBOX_CLOSED when nothing can be queued.
   */
  submit(ops: Uint8Array, specs: unknown[], settle: (first: number, outcomes: unknown[]) => void,
    progress: (slot: number, piece: DumpPiece<unknown> | null) => void): void;
  /** Items [start, start + count) of a dump; reading the last one frees the rest. */
  readDump<T>(cursor: DumpCursor<T>, start: number, count: number): DumpChunk<T>;
  enter(target: NamespaceTarget): Promise<{ id: number; path: string }>;
  close(): Promise<void>;
  /** Reads (no value) or sets each key below /proc/sys/net, in order; one result per entry. */
  sysctl(entries: Array<{ path: string[]; value?: string }>): Promise<NativeSysctlResult[]>;
  /** Every readable key below a sysctl directory. */
  sysctlList(path: string[]): Promise<Array<[string[], string]>>;
  /** A socket in the namespace subscribed to `groups` (lib/events.ts's GROUPS bits). */
  openEvents(groups: number): Promise<NativeEventStream>;
  /** A socket made in the namespace (bound, listening if asked): its descriptor, now the caller's. */
  openSocket(spec: { family: 4 | 6; type: 'tcp' | 'udp'; bind?: boolean; address?: string; port?: number; backlog?: number }): Promise<number>;
  /** A persistent tun/tap device made in the namespace through /dev/net/tun. */
  createTun(spec: { name: string; mode: 'tun' | 'tap'; multiQueue?: boolean; user?: number; group?: number }): Promise<void>;
}

/** A notification as the binding reads it; 'overflow' where the kernel dropped some. */
export type NativeEvent =
  | { type: 'link' | 'address' | 'route' | 'neighbor'; action: 'new' | 'delete'; item: unknown }
  | { type: 'overflow' };

/** A namespace's notification socket, polled on the main thread. */
export interface NativeEventStream {
  /** Polls the socket; `onEvents` gets what each wake-up read, in order. */
  start(onEvents: (events: NativeEvent[]) => void): void;
  join(groups: number): void;
  /** Names of interfaces from a fresh list, after an overflow. */
  learn(indexes: number[], names: string[]): void;
  /** Whether the open socket keeps the event loop alive (someone waits for an event). */
  keepAlive(yes: boolean): void;
  close(): void;
}

/** A row of the binding's operation table, as data. */
export interface OperationRow { name: keyof NativeOperations; protocol: number; dump: boolean; spec: string; result: string }

export interface Binding {
  SandboxHandle: new () => NativeSandboxHandle;
  /** Unmounts and removes a persisted namespace file (libuv pool; changes no namespace). */
  removeNamespaceFile(path: string): Promise<void>;
  /** The calling thread's network namespace inode. */
  threadNamespaceId(): number;
  /** A developer build with fault hooks (npm run test:asan): tests may inject faults. */
  faultHooks: boolean;
  codec: {
    /** The request message of an operation, outside any namespace (interfaces by index only). */
    encode<K extends keyof NativeOperations>(op: K, spec: NativeOperations[K]['spec']): Buffer;
    /** Interfaces are named if<index>, or from `names` (an index missing there is a gone interface). */
    decode(messages: Buffer, names?: Record<number, string>): Array<Record<string, unknown> & { message: string }>;
    operations: OperationRow[];
  };
}

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = require('node-gyp-build') as (dir: string) => unknown;

// NETSANDBOX_ADDON names a developer build (CMakeLists.txt, e.g. with sanitizers) to load instead.
const developerAddon = process.env.NETSANDBOX_ADDON;
export const binding = loadBinding();

function loadBinding(): Binding {
  try {
    return (developerAddon ? require(developerAddon) : load(packageRoot)) as Binding;
  } catch (error) {
    // The addon links libmnl dynamically: say what to install instead of the loader's words.
    if (error instanceof Error && /libmnl\.so/.test(error.message)) {
      throw new Error(`netsandbox: libmnl.so.0 is missing or unreadable; install it (apt-get install libmnl0, dnf install libmnl, apk add libmnl). The loader said: ${error.message}`, { cause: error });
    }
    // A prebuild loaded with install scripts skipped, on a glibc older than it was built with.
    if (error instanceof Error && /GLIBC_[\d.]+' not found/.test(error.message)) {
      throw new Error(`netsandbox: the prebuilt binary needs a newer glibc than this system's; build it from source with \`npm rebuild netsandbox\` (a C++ compiler, make, Python 3 and libmnl-dev). The loader said: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
