import type { ChildProcess, ExecFileOptions, SpawnOptions } from 'node:child_process';
import type { Socket as UdpSocket } from 'node:dgram';
import { readdir } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { inspect, type InspectOptionsStylized } from 'node:util';
import { isAbsolute } from 'node:path';

import { DEFAULT_BASE_PATH, flagNames, linkKindConfig, macvlanModes, neighborStates, NTF_MASTER, NTF_PROXY, NTF_SELF, tables } from './constants.js';
import { SandboxConntrack } from './conntrack.js';
import { afterUndo, libraryError, NotFoundError, toError } from './errors.js';
import { EventHub, type WaitOptions, waitUntil, type Watcher, type WatchOptions } from './events.js';
import { type Address, Interface, type InterfaceRef, type MacvlanMode, toAddress } from './interface.js';
import { binding, type NativeLinkSpec, type NativeNeighbor, type NativeSandboxHandle } from './native.js';
import {
  connect, type ConnectOptions, createUdpSocket, execIn, type ExecResult, listen, type ListenOptions, spawnIn, type UdpSocketOptions,
} from './processes.js';
import { dump, handleOf, label, linkRef, type Listing, listing, registerSandbox, request, send } from './request.js';
import { describeRoute, installedRoute, Route, routeFields, routeRecord, type RouteSpec } from './route.js';
import { describeNexthop, type Nexthop, nexthopFields, nexthopId, type NexthopSpec, toNexthop } from './nexthop.js';
import { describeRule, type Rule, ruleFields, type RuleSpec, toRule } from './rule.js';
import { applyOrUndo, interfacePairs, SandboxSysctl, type SysctlEntries } from './sysctl.js';
import {
  alternativeName, type Family, type FamilyFilter, fsPath, interfaceName, ipAddress, macAddress, mtu, named, namespaceName, requireBoolean, requireFamily, requireInteger,
} from './validate.js';

export type { Listing } from './request.js';

export interface TunOptions {
  mode: 'tun' | 'tap';
  /** The uid (a number) that may attach to the device. */
  user?: number | undefined;
  /** The gid that may attach to the device. */
  group?: number | undefined;
  /** Let several descriptors attach, a queue each (IFF_MULTI_QUEUE). */
  multiQueue?: boolean | undefined;
}

/** `routes()`: the main table unless told; 'all' for every table. */
export interface RouteListOptions { family?: Family | undefined; table?: RouteSpec['table'] | 'all' | undefined }

/** `routeTo()`: as `ip route get ADDRESS from SRC oif DEV`. */
export interface RouteToOptions { from?: string | undefined; dev?: InterfaceRef | undefined }

/** A neighbour to add: `ip neigh replace IP lladdr MAC dev D` (permanent unless told), or a proxy entry. */
export interface NeighborSpec {
  ip: string;
  mac?: string | undefined;
  dev: InterfaceRef;
  permanent?: boolean | undefined;
  proxy?: boolean | undefined;
}

/** A neighbour to delete. */
export interface NeighborRef { ip: string; dev: InterfaceRef; proxy?: boolean | undefined }

/** `neighbors()`: as `ip neigh show [dev D] [nud all] [proxy]`. */
export interface NeighborListOptions {
  dev?: InterfaceRef | undefined;
  family?: Family | undefined;
  nud?: 'all' | undefined;
  proxy?: boolean | undefined;
}

/** What `JSON.stringify(sandbox)` prints. */
export interface SandboxJSON { name: string | undefined; path: string; id: number }

export interface CreateOptions {
  /** Where the namespace is bind-mounted, as `ip netns add` does in /run/netns. */
  basePath?: string | undefined;
}

export type OpenTarget = string | { path: string } | { pid: number };

export interface LinkOptions { mtu?: number | undefined; mac?: string | undefined }

export interface VethOptions extends LinkOptions {
  peer: LinkOptions & {
    name: string;
    /** Create the peer directly in this sandbox (default: the same sandbox). */
    sandbox?: Sandbox | undefined;
    /**
     * Per-interface sysctls for the peer, applied in its sandbox before anything brings it up.
     * If one fails the pair is deleted and the error says which key and why.
     */
    sysctls?: SysctlEntries | undefined;
  };
}

export interface MacvlanOptions extends LinkOptions {
  parent: InterfaceRef;
  mode?: MacvlanMode | undefined;
}

export interface VxlanOptions extends LinkOptions {
  vni: number;
  /** UDP destination port; 4789 is IANA's. */
  port: number;
  local?: string | undefined;
  /** Unicast remote VTEP. */
  remote?: string | undefined;
  /** Multicast group (needs parent). */
  group?: string | undefined;
  parent?: InterfaceRef | undefined;
  learning?: boolean | undefined;
}

export interface VlanOptions extends LinkOptions { parent: InterfaceRef; id: number }

export interface Neighbor {
  family: Family;
  ip: string;
  mac?: string;
  dev: string;
  state: string[];
  /** A proxy entry: this host answers for the address (listed with neighbors({ proxy: true })). */
  proxy?: true;
}

export interface FdbEntry {
  mac: string;
  dev: string;
  /** The remote VTEP, for vxlan entries. */
  dst?: string;
  vlan?: number;
  /** In the bridge's table (the entry of a bridge port), as `bridge fdb` prints `master`. */
  master: boolean;
  /** In the device's own table (a vxlan's, or a port's own address list), as `self`. */
  self: boolean;
  state: string[];
}

/** An FDB entry to add or delete: `bridge fdb add MAC dev DEV [dst REMOTE] [vlan N] [master] [self] [static]`. */
export interface FdbSpec {
  mac: string;
  dev: InterfaceRef;
  /** The remote VTEP of a vxlan entry. */
  dst?: string | undefined;
  vlan?: number | undefined;
  /** The bridge's table: for a bridge port. Without master or self, self (as bridge fdb add). */
  master?: boolean | undefined;
  self?: boolean | undefined;
  /** static (NUD_NOARP) instead of permanent. */
  static?: boolean | undefined;
}

/**
 * A network namespace, driven through its own worker thread. Requests on one sandbox run in
 * submission order; several queued ones go to the kernel together (pipelining), so
 * `Promise.all(list.map(...))` is a bulk operation with one result or error per element.
 */
export class Sandbox implements AsyncDisposable {
  /** The persisted name, for sandboxes created or opened by name. */
  readonly name: string | undefined;
  readonly path: string;
  /** The namespace's inode: two sandboxes with the same id are the same namespace. */
  readonly id: number;
  /** Namespace-wide net.* sysctls, read and written inside this namespace. */
  readonly sysctl: SandboxSysctl;
  /** The namespace's connection tracking table (ctnetlink). */
  readonly conntrack: SandboxConntrack;
  /** What destroy() and disposal remove: the bind mount, if there is one. */
  readonly #persisted: boolean;
  /** Whether this object made the namespace (disposal destroys only those). */
  readonly #created: boolean;
  #closing: Promise<void> | undefined;
  #events: EventHub | undefined;

  private constructor(handle: NativeSandboxHandle, info: { id: number; path: string }, name: string | undefined,
    persisted: boolean, created: boolean) {
    this.id = info.id;
    this.path = info.path;
    this.name = name;
    this.#persisted = persisted;
    this.#created = created;
    registerSandbox(this, handle);
    this.sysctl = new SandboxSysctl(this);
    this.conntrack = new SandboxConntrack(this);
  }

  /** Like `ip netns add NAME`: a new namespace, bind-mounted at basePath/NAME, with lo up. */
  static async create(name: string, options: CreateOptions = {}): Promise<Sandbox> {
    const valid = namespaceName(name);
    const dir = basePath(options.basePath);
    const handle = new binding.SandboxHandle();
    try {
      const info = await handle.enter({ create: true, dir, name: valid });
      return new Sandbox(handle, info, valid, true, true);
    } catch (error) {
      throw toError(error, { operation: 'create', sandbox: valid });
    }
  }

  /** An existing namespace: by name (under basePath), by path, or by a process's pid. */
  static async open(target: OpenTarget, options: CreateOptions = {}): Promise<Sandbox> {
    let path: string;
    let name: string | undefined;
    if (typeof target === 'string') {
      name = namespaceName(target);
      path = `${basePath(options.basePath)}/${name}`;
    } else if (typeof target === 'object' && target !== null && 'pid' in target) {
      path = `/proc/${requireInteger(target.pid, 'pid', 1, 2 ** 22)}/ns/net`;
    } else if (typeof target === 'object' && target !== null && typeof target.path === 'string') {
      path = fsPath(target.path, 'path');
    } else {
      throw new TypeError('open() takes a name, { path } or { pid }');
    }
    const persisted = !path.startsWith('/proc/');
    const handle = new binding.SandboxHandle();
    try {
      const info = await handle.enter({ path });
      return new Sandbox(handle, info, name, persisted, false);
    } catch (error) {
      throw toError(error, { operation: 'open', sandbox: name ?? path });
    }
  }

  /** The process's own namespace (the main thread's). Never destroyed by this library. */
  static async current(): Promise<Sandbox> {
    const handle = new binding.SandboxHandle();
    try {
      const info = await handle.enter({ path: '/proc/self/ns/net' });
      return new Sandbox(handle, { ...info, path: `/proc/${process.pid}/ns/net` }, undefined, false, false);
    } catch (error) {
      throw toError(error, { operation: 'current' });
    }
  }

  /** Like `ip netns list`: the names persisted under basePath. */
  static async list(options: CreateOptions = {}): Promise<string[]> {
    try {
      const entries = await readdir(basePath(options.basePath), { withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** True once close() or destroy() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Finishes queued requests, then stops the worker. The namespace stays. Idempotent. */
  close(): Promise<void> {
    this.#events?.close();
    this.#closing ??= request(this, { operation: 'close' }, (h) => h.close());
    return this.#closing;
  }

  /** Like `ip netns del`: close, unmount and remove the bind mount. Idempotent. */
  async destroy(): Promise<void> {
    if (!this.#persisted) {
      throw libraryError('ERR_NOT_PERSISTED', 'a namespace opened by pid or the current one has no bind mount to remove; use close()',
        { operation: 'destroy', sandbox: label(this) });
    }
    await this.close();
    try {
      await binding.removeNamespaceFile(this.path);
    } catch (error) {
      throw toError(error, { operation: 'destroy', sandbox: label(this) });
    }
  }

  /** `await using`: destroys a sandbox this object created, only closes one it opened. */
  async [Symbol.asyncDispose](): Promise<void> {
    await (this.#created ? this.destroy() : this.close());
  }

  toJSON(): SandboxJSON {
    return { name: this.name, path: this.path, id: this.id };
  }

  /** console.log shows what names the sandbox, not its sysctl and conntrack views. */
  [inspect.custom](depth: number, options: InspectOptionsStylized, show: typeof inspect): string {
    return `Sandbox ${show({ ...this.toJSON(), closed: this.closed }, { ...options, depth: options.depth === null ? null : depth })}`;
  }

  // ---- Interfaces ----------------------------------------------------------------------

  /** Like `ip link show`. */
  async interfaces(): Promise<Listing<Interface>> {
    const { items, partial } = await dump(this, { operation: 'interfaces' }, 'links', {}, (l) => new Interface(this, l));
    return listing(items, partial);
  }

  /** Like `ip link show NAME` (a name or an alternative name, or an index); NotFoundError if there is none. */
  async interface(ref: string | number): Promise<Interface> {
    // A name longer than IFNAMSIZ can only be an alternative one (the kernel looks those up too).
    const key = typeof ref === 'number' ? requireInteger(ref, 'index', 1, 2 ** 31 - 1)
      : typeof ref === 'string' && Buffer.byteLength(ref) > 15 ? alternativeName(ref, 'interface name') : interfaceName(ref);
    const link = await send(this, { operation: 'interface', target: String(key) }, 'getLink', key);
    return new Interface(this, link);
  }

  /**
   * Like `ip link add NAME type veth peer name PEER netns OTHER`: the peer is created directly in
   * its sandbox, so its name never clashes here. Returns [this end, the peer].
   */
  async createVeth(name: string, options: VethOptions): Promise<[Interface, Interface]> {
    const peer = options?.peer;
    if (typeof peer !== 'object' || peer === null) throw new TypeError('createVeth needs options.peer');
    const peerSandbox = peer.sandbox ?? this;
    const spec = {
      ...this.#linkOptions(name, 'veth', options),
      peer: {
        name: interfaceName(peer.name, 'peer name'),
        ...(peerSandbox !== this && { netns: handleOf(peerSandbox) }),
        ...(peer.mtu !== undefined && { mtu: mtu(peer.mtu) }),
        ...(peer.mac !== undefined && { mac: macAddress(peer.mac, 'peer mac') }),
      },
    };
    const sysctls = peer.sysctls === undefined ? [] : interfacePairs(peer.sysctls, spec.peer.name);
    const where = peerSandbox === this ? '' : ` in sandbox ${label(peerSandbox)}`;
    const target = `${spec.name} (peer ${peer.name}${where})`;
    const local = await this.#createLink(spec, target);
    // The far end is read in its own sandbox; if that fails (the sandbox was closed meanwhile),
    // the pair is taken back, so that a rejection means nothing was made.
    const remote = await peerSandbox.interface(peer.name).catch(async (error: unknown) => {
      const undone = await local.delete().then(() => 'the veth pair was deleted', (e: Error) => `deleting the pair failed too: ${e.message}`);
      throw afterUndo(error, { operation: 'createVeth', sandbox: label(this), target }, undone);
    });
    if (sysctls.length > 0) {
      await applyOrUndo(remote, sysctls, { operation: 'createVeth', sandbox: label(this), target }, async () => {
        await local.delete();
        return 'the veth pair was deleted';
      });
    }
    return [local, remote];
  }

  /** Like `ip link add NAME type bridge`. */
  async createBridge(name: string, options: LinkOptions = {}): Promise<Interface> {
    return this.#createLink(this.#linkOptions(name, 'bridge', options));
  }

  /** Like `ip link add NAME link PARENT type macvlan mode MODE` (mode defaults to bridge). */
  async createMacvlan(name: string, options: MacvlanOptions): Promise<Interface> {
    return this.#createLink({
      ...this.#linkOptions(name, 'macvlan', options),
      parent: linkRef(this, options?.parent, 'parent'),
      macvlanMode: named(options.mode ?? 'bridge', macvlanModes, 'mode', 255, 1), // 0 is no mode
    });
  }

  /** Like `ip link add NAME type vxlan id VNI dstport PORT [local L] [remote R | group G dev D]`. */
  async createVxlan(name: string, options: VxlanOptions): Promise<Interface> {
    if (typeof options !== 'object' || options === null) throw new TypeError('createVxlan needs options');
    if (options.remote !== undefined && options.group !== undefined) {
      throw new RangeError('a vxlan has a remote or a group, not both');
    }
    const local = options.local === undefined ? undefined : ipAddress(options.local, 'local');
    const remote = options.remote === undefined ? undefined : ipAddress(options.remote, 'remote', local?.family);
    const group = options.group === undefined ? undefined : ipAddress(options.group, 'group', local?.family);
    if (group && !isMulticast(group.address)) throw new RangeError(`group ${group.address} is not a multicast address`);
    if (remote && isMulticast(remote.address)) throw new RangeError(`remote ${remote.address} is multicast; pass it as group`);
    return this.#createLink({
      ...this.#linkOptions(name, 'vxlan', options),
      vxlan: {
        vni: requireInteger(options.vni, 'vni', 0, 2 ** 24 - 1),
        port: requireInteger(options.port, 'port', 1, 65535),
        ...(local && { local: local.address }),
        ...((remote ?? group) && { remote: (remote ?? group)!.address }),
        ...(options.parent !== undefined && { parent: linkRef(this, options.parent, 'parent') }),
        ...(options.learning !== undefined && { learning: Boolean(options.learning) }),
      },
    });
  }

  /** Like `ip link add NAME type dummy` (UnsupportedError on kernels without it). */
  async createDummy(name: string, options: LinkOptions = {}): Promise<Interface> {
    return this.#createLink(this.#linkOptions(name, 'dummy', options));
  }

  /** Like `ip link add NAME link PARENT type vlan id ID` (UnsupportedError without 802.1Q). */
  async createVlan(name: string, options: VlanOptions): Promise<Interface> {
    return this.#createLink({
      ...this.#linkOptions(name, 'vlan', options),
      parent: linkRef(this, options?.parent, 'parent'),
      vlanId: requireInteger(options.id, 'id', 1, 4094),
    });
  }

  /**
   * Like `ip tuntap add NAME mode tun|tap [user UID] [group GID] [multi_queue]`: a persistent
   * device (no packet info header), which a process of that user or group may then attach to
   * without CAP_NET_ADMIN. ExistsError if the name is taken; `iface.delete()` removes it.
   */
  async createTun(name: string, options: TunOptions): Promise<Interface> {
    if (typeof options !== 'object' || options === null) throw new TypeError("createTun() takes { mode: 'tun' | 'tap', user?, group?, multiQueue? }");
    if (options.mode !== 'tun' && options.mode !== 'tap') throw new RangeError(`mode must be 'tun' or 'tap', got ${String(options.mode)}`);
    const spec = {
      name: interfaceName(name),
      mode: options.mode,
      ...(options.multiQueue !== undefined && { multiQueue: requireBoolean(options.multiQueue, 'multiQueue') }),
      ...(options.user !== undefined && { user: requireInteger(options.user, 'user', 0, 0xfffffffe) }),
      ...(options.group !== undefined && { group: requireInteger(options.group, 'group', 0, 0xfffffffe) }),
    };
    await request(this, { operation: 'createTun', target: spec.name }, (h) => h.createTun(spec));
    return this.interface(spec.name);
  }

  #linkOptions(name: string, kind: string, options: LinkOptions): NativeLinkSpec & { name: string; kind: string } {
    return {
      name: interfaceName(name),
      kind,
      ...(options?.mtu !== undefined && { mtu: mtu(options.mtu) }),
      ...(options?.mac !== undefined && { mac: macAddress(options.mac) }),
    };
  }

  async #createLink(spec: NativeLinkSpec & { name: string; kind: string }, target: string = spec.name): Promise<Interface> {
    const context = {
      operation: `create${spec.kind[0]!.toUpperCase()}${spec.kind.slice(1)}`,
      target,
      // The kernel knows no such link type: say which, and what the kernel lacks.
      detail: (code: string) => (code !== 'EOPNOTSUPP' ? undefined
        : `the running kernel has no '${spec.kind}' link type (${linkKindConfig[spec.kind] ?? 'its driver'} is not built or loaded)`),
    };
    return new Interface(this, await send(this, context, 'createLink', spec));
  }

  // ---- Addresses ------------------------------------------------------------------------

  /** Like `ip addr show`. */
  async addresses(options: FamilyFilter = {}): Promise<Listing<Address>> {
    const family = options.family === undefined ? undefined : requireFamily(options.family);
    const { items, partial } = await dump(this, { operation: 'addresses' }, 'addresses', family ? { family } : {}, toAddress);
    return listing(items, partial);
  }

  // ---- Routes ---------------------------------------------------------------------------

  /** Like `ip route add`; resolves to the route exactly as the kernel installed it. */
  addRoute(spec: RouteSpec): Promise<Route> {
    return this.#installRoute('addRoute', spec);
  }

  /** Like `ip route replace`. */
  replaceRoute(spec: RouteSpec): Promise<Route> {
    return this.#installRoute('replaceRoute', spec);
  }

  // Not async: a route add is the hot path, and send's wrap saves a promise per route.
  #installRoute(op: 'addRoute' | 'replaceRoute', spec: RouteSpec): Promise<Route> {
    try {
      const fields = routeFields(this, spec);
      const record = routeRecord(fields);
      // The device as it is named now (the kernel's answer comes later).
      const dev = typeof spec.dev === 'string' ? { name: spec.dev } : spec.dev && { name: spec.dev.name, index: spec.dev.index };
      return send(this, { operation: op, target: () => describeRoute(spec) }, op, record,
        (echoed) => new Route(this, echoed ?? installedRoute(record, fields, dev)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Like `ip route del`: fields left out match any route. */
  async deleteRoute(spec: RouteSpec | Route): Promise<void> {
    if (spec instanceof Route) return spec.delete();
    const record = routeRecord(routeFields(this, spec, true));
    await send(this, { operation: 'deleteRoute', target: () => describeRoute(spec) }, 'deleteRoute', record);
  }

  /** Like `ip route show [table T]`: the main table unless told; 'all' for every table. */
  async routes(options: RouteListOptions = {}): Promise<Listing<Route>> {
    const family = options.family === undefined ? undefined : requireFamily(options.family);
    const table = options.table === 'all' ? 0 : named(options.table ?? 'main', tables, 'table', 0xffffffff);
    const { items, partial } = await dump(this, { operation: 'routes' }, 'routes', { table, ...(family && { family }) }, (r) => new Route(this, r));
    return listing(items, partial);
  }

  /** Like `ip route get ADDRESS [from SRC] [oif DEV]`: the route the kernel would use. */
  async routeTo(address: string, options: RouteToOptions = {}): Promise<Route> {
    const dst = ipAddress(address, 'address');
    const record = routeRecord({
      family: dst.family,
      dst: dst.address,
      ...(options.from !== undefined && { from: ipAddress(options.from, 'from', dst.family).address }),
      ...(options.dev !== undefined && { dev: linkRef(this, options.dev, 'dev') }),
    });
    const answer = await send(this, { operation: 'routeTo', target: address }, 'getRoute', record);
    // Asked `from` an address, the kernel answers with that address as the route's source
    // prefix (RTA_SRC), not as a preferred source: it is the source this route would use.
    return new Route(this, answer.src === undefined && answer.from ? { ...answer, src: answer.from.split('/')[0]! } : answer);
  }

  // ---- Namespace ids ---------------------------------------------------------------------

  /**
   * Like `ip netns list-id`: the id this sandbox's namespace gives `other`'s (how its veth
   * peers name where they are, as `linkNetnsId`), or null if it gave it none.
   */
  async netnsId(other: Sandbox): Promise<number | null> {
    return send(this, { operation: 'netnsId', target: label(other) }, 'getNetnsId', { netns: handleOf(other) });
  }

  /** Like `ip netns set OTHER ID`, run in this sandbox. Rejects with EEXIST if `other` has an id already. */
  async setNetnsId(other: Sandbox, id: number): Promise<void> {
    const spec = { netns: handleOf(other), id: requireInteger(id, 'id', 0, 0x7fffffff) };
    await send(this, { operation: 'setNetnsId', target: `${label(other)} ${id}` }, 'setNetnsId', spec);
  }

  // ---- Nexthop objects ---------------------------------------------------------------------

  /** Like `ip nexthop add id ID via GW dev D [onlink]`, `... blackhole`, `... group A/B,W`. */
  async addNexthop(spec: NexthopSpec): Promise<void> {
    const nexthop = nexthopFields(this, spec);
    await send(this, { operation: 'addNexthop', target: () => describeNexthop(nexthop, spec.dev) }, 'addNexthop', nexthop);
  }

  /** Like `ip nexthop del id ID`. The kernel also deletes the routes that use it. */
  async deleteNexthop(id: number | Nexthop): Promise<void> {
    const spec = { id: nexthopId(typeof id === 'object' && id !== null ? id.id : id) };
    await send(this, { operation: 'deleteNexthop', target: `id ${spec.id}` }, 'deleteNexthop', spec);
  }

  /** Like `ip nexthop show`: both families and the groups unless told, by id. */
  async nexthops(options: FamilyFilter = {}): Promise<Listing<Nexthop>> {
    const family = options.family === undefined ? undefined : requireFamily(options.family);
    const { items, partial } = await dump(this, { operation: 'nexthops' }, 'nexthops', family ? { family } : {}, toNexthop);
    return listing(items, partial);
  }

  // ---- Policy routing rules --------------------------------------------------------------

  /** Like `ip [-6] rule add`: a lookup of `table` (main unless told) for what the rule matches. */
  async addRule(spec: RuleSpec): Promise<void> {
    const rule = ruleFields(spec);
    await send(this, { operation: 'addRule', target: () => describeRule(rule) }, 'addRule', rule);
  }

  /** Like `ip [-6] rule del`: the first rule that has every field given (a listed Rule: that one). */
  async deleteRule(spec: RuleSpec | Rule): Promise<void> {
    const rule = ruleFields(spec, true);
    await send(this, { operation: 'deleteRule', target: () => describeRule(rule) }, 'deleteRule', rule);
  }

  /** Like `ip rule show` (and `ip -6 rule show`): both families unless told, by priority. */
  async rules(options: FamilyFilter = {}): Promise<Listing<Rule>> {
    const family = options.family === undefined ? undefined : requireFamily(options.family);
    const { items, partial } = await dump(this, { operation: 'rules' }, 'rules', family ? { family } : {}, toRule);
    return listing(items, partial);
  }

  // ---- Events and waits ----------------------------------------------------------------

  /**
   * The sandbox's changes as they happen, like `ip monitor`: `for await (const ev of
   * sb.watch({ links: true }))`. Every watcher of a sandbox shares one socket; close() (or
   * `break`) ends one, and the last closes the socket. See Watcher for what happens on overflow.
   */
  watch(options: WatchOptions): Watcher {
    this.#events ??= new EventHub({
      open: (groups) => request(this, { operation: 'watch' }, (h) => h.openEvents(groups)),
      link: (n) => new Interface(this, n),
      address: toAddress,
      route: (n) => new Route(this, n),
      neighbor: toNeighbor,
      interfaces: () => this.interfaces(),
      addresses: () => this.addresses(),
      routes: () => this.routes({ table: 'all' }),
      neighbors: () => this.neighbors(),
    });
    return this.#events.watch(options);
  }

  /** Resolves when an interface of this name exists (now, or once it is made or moved here). */
  waitForInterface(name: string, options?: WaitOptions): Promise<Interface> {
    let valid: string;
    try {
      valid = interfaceName(name);
    } catch (error) {
      return Promise.reject(error);
    }
    return waitUntil(options, { operation: 'waitForInterface', sandbox: label(this), target: valid }, () => this.watch({ links: true }),
      () => this.interface(valid).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }),
      (ev) => {
        if (ev.type === 'link' && ev.action === 'new' && ev.link.name === valid) return ev.link;
        return ev.type === 'resync' ? ev.snapshot.links?.find((l) => l.name === valid) : undefined;
      });
  }

  // ---- Processes and sockets ---------------------------------------------------------------

  /**
   * Like `ip netns exec NAME command args...`: a real ChildProcess in the sandbox's network
   * namespace, seeing its interfaces in /sys/class/net and /etc/netns/NAME's files over /etc.
   * A missing command emits 'error' with code ENOENT, then 'close', as child_process.spawn does;
   * the ChildProcess still has the stdio streams asked for. A program that would enter another
   * namespace at the sandbox's path runs nothing and exits with 125 (see the README).
   */
  spawn(command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess {
    return spawnIn(this, command, args, options);
  }

  /** spawn() to its end, like execFile: `{ stdout, stderr }`, rejecting on a non-zero exit. */
  exec(command: string, args?: readonly string[], options?: ExecFileOptions): Promise<ExecResult> {
    return execIn(this, command, args, options);
  }

  /** Makes any net.Server (an http or https server too) listen inside the sandbox. */
  listen(server: Server, options: ListenOptions): Promise<Server> {
    return listen(this, server, options);
  }

  /** A TCP connection from inside the sandbox: ECONNREFUSED, ETIMEDOUT, ... as typed errors. */
  connect(options: ConnectOptions): Promise<Socket> {
    return connect(this, options);
  }

  /** A UDP socket bound inside the sandbox. */
  createUdpSocket(options: UdpSocketOptions): Promise<UdpSocket> {
    return createUdpSocket(this, options);
  }

  // ---- Neighbours ------------------------------------------------------------------------

  /** Like `ip neigh replace IP lladdr MAC dev DEV [nud permanent|reachable]` (permanent by default). */
  async addNeighbor(entry: NeighborSpec): Promise<void> {
    const proxy = entry?.proxy === undefined ? false : requireBoolean(entry.proxy, 'proxy');
    const spec = {
      ip: ipAddress(entry?.ip, 'ip').address,
      // A proxy entry (`ip neigh add proxy IP dev DEV`) answers for an address: it has no lladdr.
      ...(proxy ? { proxy } : { mac: macAddress(entry.mac) }),
      dev: linkRef(this, entry.dev, 'dev'),
      permanent: entry.permanent === undefined ? true : requireBoolean(entry.permanent, 'permanent'),
    };
    await send(this, { operation: 'addNeighbor', target: `${spec.ip} dev ${String(spec.dev)}` }, 'addNeighbor', spec);
  }

  /** Like `ip neigh del [proxy] IP dev DEV`. */
  async deleteNeighbor(entry: NeighborRef): Promise<void> {
    const spec = {
      ip: ipAddress(entry?.ip, 'ip').address,
      dev: linkRef(this, entry.dev, 'dev'),
      ...(entry.proxy !== undefined && { proxy: requireBoolean(entry.proxy, 'proxy') }),
    };
    await send(this, { operation: 'deleteNeighbor', target: `${spec.ip} dev ${String(spec.dev)}` }, 'deleteNeighbor', spec);
  }

  /**
   * Like `ip neigh show [dev DEV]`: entries in state noarp or none are left out, as ip leaves
   * them out; `nud: 'all'` lists them too (`ip neigh show nud all`); `proxy: true` lists the
   * proxy entries instead (`ip neigh show proxy`).
   */
  async neighbors(options: NeighborListOptions = {}): Promise<Listing<Neighbor>> {
    const proxy = options.proxy === undefined ? false : requireBoolean(options.proxy, 'proxy');
    const filter = {
      ...(options.dev !== undefined && { dev: linkRef(this, options.dev, 'dev') }),
      ...(options.family !== undefined && { family: requireFamily(options.family) }),
      ...(proxy && { proxy }),
    };
    if (options.nud !== undefined && options.nud !== 'all') throw new RangeError("nud must be 'all' when given");
    const { items: all, partial } = await dump(this, { operation: 'neighbors' }, 'neighbors', filter, toNeighbor);
    const shown = (n: Neighbor | undefined): n is Neighbor =>
      n !== undefined && (proxy || options.nud === 'all' || !(n.state.includes('noarp') || n.state.includes('none')));
    return listing(all.filter(shown), partial);
  }

  /** Like `bridge fdb append MAC dev DEV dst REMOTE`: a static FDB entry, e.g. a vxlan flood target. */
  async addFdbEntry(entry: FdbSpec): Promise<void> {
    const spec = this.#fdbSpec(entry);
    await send(this, { operation: 'addFdbEntry', target: `${spec.mac} dev ${String(spec.dev)}` }, 'addNeighbor', spec);
  }

  /** Like `bridge fdb del MAC dev DEV [dst REMOTE] [vlan N] [master] [self]`. */
  async deleteFdbEntry(entry: FdbSpec): Promise<void> {
    const spec = this.#fdbSpec(entry);
    await send(this, { operation: 'deleteFdbEntry', target: `${spec.mac} dev ${String(spec.dev)}` }, 'deleteNeighbor', spec);
  }

  /** Like `bridge fdb show [dev DEV]`. */
  async fdbEntries(options: { dev?: InterfaceRef | undefined } = {}): Promise<Listing<FdbEntry>> {
    const filter = { fdb: true, ...(options.dev !== undefined && { dev: linkRef(this, options.dev, 'dev') }) };
    const { items, partial } = await dump(this, { operation: 'fdbEntries' }, 'neighbors', filter, (n): FdbEntry => ({
      mac: n.mac ?? '',
      dev: n.dev,
      ...(n.ip !== undefined && { dst: n.ip }),
      ...(n.vlan !== undefined && { vlan: n.vlan }),
      master: (n.flags & NTF_MASTER) !== 0,
      self: (n.flags & NTF_SELF) !== 0,
      state: neighborState(n),
    }));
    return listing(items, partial);
  }

  #fdbSpec(entry: FdbSpec) {
    return {
      fdb: true,
      mac: macAddress(entry?.mac),
      dev: linkRef(this, entry.dev, 'dev'),
      ...(entry.dst !== undefined && { ip: ipAddress(entry.dst, 'dst').address }),
      ...(entry.vlan !== undefined && { vlan: requireInteger(entry.vlan, 'vlan', 1, 4094) }),
      ...(entry.master !== undefined && { master: requireBoolean(entry.master, 'master') }),
      ...(entry.self !== undefined && { self: requireBoolean(entry.self, 'self') }),
      ...(entry.static !== undefined && { static: requireBoolean(entry.static, 'static') }),
    };
  }
}

/** 224.0.0.0/4 or ff00::/8. */
function isMulticast(address: string): boolean {
  return /^(22[4-9]|23\d)\.|^ff/i.test(address);
}

function neighborState(n: NativeNeighbor): string[] {
  return n.state === 0 ? ['none'] : flagNames(n.state, neighborStates);
}

function basePath(value: string | undefined): string {
  const dir = fsPath(value ?? DEFAULT_BASE_PATH, 'basePath');
  if (!isAbsolute(dir)) throw new TypeError('basePath must be an absolute path');
  return dir.replace(/\/+$/, '') || '/';
}

/** A neighbour as neighbors() lists it; undefined for bridge FDB entries (fdbEntries() has them). */
function toNeighbor(n: NativeNeighbor): Neighbor | undefined {
  if (n.family === 'bridge' || n.ip === undefined) return undefined;
  return {
    family: n.family,
    ip: n.ip,
    ...(n.mac !== undefined && { mac: n.mac }),
    dev: n.dev,
    state: neighborState(n),
    ...((n.flags & NTF_PROXY) !== 0 && { proxy: true as const }),
  };
}
