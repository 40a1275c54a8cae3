import { inspect, type InspectOptionsStylized } from 'node:util';

import { addressFlags, flagNames, IFF_ALLMULTI, IFF_LOWER_UP, IFF_PROMISC, IFF_UP, macvlanModes, operStates, scopes } from './constants.js';
import { ExistsError, libraryError, NotFoundError } from './errors.js';
import { waitUntil, type WaitOptions } from './events.js';
import type { NativeAddress, NativeLink, NativeLinkSpec, NativeStats } from './native.js';
import { dump, handleOf, label, linkRef, send } from './request.js';
import type { Sandbox } from './sandbox.js';
import { applyOrUndo, InterfaceSysctl, interfacePairs, type SysctlChange, type SysctlEntries } from './sysctl.js';
import { alternativeName, cidr, interfaceName, ipAddress, macAddress, mtu, named, nameOf, requireBoolean, requireFamily, requireInteger, requireString, type Family, type FamilyFilter } from './validate.js';

/** What Interface.waitFor() waits for: every field given must hold. */
export interface LinkState {
  /** RFC 2863 state, as `operState` reads: 'up', 'down', 'lowerlayerdown', ... */
  operState?: (typeof operStates)[number] | undefined;
  up?: boolean | undefined;
  carrier?: boolean | undefined;
}

function linkStateTest(state: LinkState): (link: Interface) => boolean {
  if (typeof state !== 'object' || state === null) throw new TypeError('waitFor() takes { operState?, up?, carrier? }');
  const { operState, up, carrier } = state;
  if (operState === undefined && up === undefined && carrier === undefined) {
    throw new TypeError('waitFor() needs at least one of operState, up, carrier');
  }
  if (operState !== undefined && !operStates.includes(operState)) {
    throw new RangeError(`operState '${String(operState)}' is not one of ${operStates.join(', ')}`);
  }
  for (const [what, value] of [['up', up], ['carrier', carrier]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean`);
  }
  return (link) => (operState === undefined || link.operState === operState) && (up === undefined || link.up === up)
    && (carrier === undefined || link.carrier === carrier);
}

/** A bridge port's settings (`bridge link set dev PORT ...`); `flood` is unicast flooding. */
export interface BridgePortSettings {
  hairpin?: boolean | undefined;
  isolated?: boolean | undefined;
  learning?: boolean | undefined;
  flood?: boolean | undefined;
  proxyArp?: boolean | undefined;
  /** STP path cost, 1-65535. */
  cost?: number | undefined;
  /** STP port priority, 0-63. */
  priority?: number | undefined;
}

function bridgePortFields(settings: BridgePortSettings): BridgePortSettings {
  if (typeof settings !== 'object' || settings === null) throw new TypeError('setBridgePort() takes { hairpin?, isolated?, learning?, flood?, proxyArp?, cost?, priority? }');
  const out: BridgePortSettings = {};
  for (const key of ['hairpin', 'isolated', 'learning', 'flood', 'proxyArp'] as const) {
    if (settings[key] !== undefined) out[key] = requireBoolean(settings[key], key);
  }
  if (settings.cost !== undefined) out.cost = requireInteger(settings.cost, 'cost', 1, 65535);
  if (settings.priority !== undefined) out.priority = requireInteger(settings.priority, 'priority', 0, 63);
  if (Object.keys(out).length === 0) throw new TypeError('setBridgePort() needs at least one setting');
  return out;
}

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';

/**
 * The settings of a link of these kinds, as `ip -d link show` prints them (IFLA_INFO_DATA). A
 * parent is an interface index, in the namespace `linkNetnsId` names when it is another.
 */
export type LinkInfo = VlanInfo | MacvlanInfo | VxlanInfo | TunInfo;
export interface VlanInfo { kind: 'vlan'; id: number; protocol: '802.1Q' | '802.1ad' | number; parentIndex: number | null }
export interface MacvlanInfo { kind: 'macvlan'; mode: MacvlanMode | number; parentIndex: number | null }
export interface VxlanInfo {
  kind: 'vxlan'; vni: number; port: number; local: string | null;
  /** The unicast remote, or the multicast group: whichever the one address is. */
  remote: string | null; group: string | null;
  parentIndex: number | null; learning: boolean;
}
/** `ip tuntap`'s settings; user and group are null when any may open it. */
export interface TunInfo {
  kind: 'tun'; mode: 'tun' | 'tap'; user: number | null; group: number | null; multiQueue: boolean; persistent: boolean;
  /** Frames carry the 4-byte packet information header (no IFF_NO_PI). */
  packetInfo: boolean; vnetHdr: boolean;
}

const VLAN_PROTOCOLS = new Map<number, VlanInfo['protocol']>([[0x8100, '802.1Q'], [0x88a8, '802.1ad']]);
const MACVLAN_MODE_NAMES = new Map(Object.entries(macvlanModes).map(([name, n]) => [n, name as MacvlanMode]));
// ff00::/8 (a first group of four digits starting ff) and 224.0.0.0/4.
const isMulticast = (ip: string) => ip.includes(':') ? /^ff[0-9a-f]{2}:/i.test(ip) : Number(ip.split('.')[0]) >> 4 === 14;

/** A listed link's kind settings, as Interface.linkInfo gives them. */
export function linkInfoOf(link: NativeLink): LinkInfo | null {
  const parentIndex = link.link ?? null;
  if (link.vlan) return { kind: 'vlan', id: link.vlan.id, protocol: VLAN_PROTOCOLS.get(link.vlan.protocol ?? 0x8100) ?? link.vlan.protocol!, parentIndex };
  if (link.macvlanMode !== undefined) return { kind: 'macvlan', mode: MACVLAN_MODE_NAMES.get(link.macvlanMode) ?? link.macvlanMode, parentIndex };
  if (link.vxlan) {
    const { vni, port, local, remote, parent, learning } = link.vxlan;
    const multicast = remote !== undefined && isMulticast(remote);
    return {
      kind: 'vxlan', vni, port, local: local ?? null, remote: multicast ? null : remote ?? null, group: multicast ? remote : null,
      parentIndex: parent ?? null, learning,
    };
  }
  if (link.tun) {
    const { tap, owner, group, multiQueue, persist, packetInfo, vnetHdr } = link.tun;
    return { kind: 'tun', mode: tap ? 'tap' : 'tun', user: owner ?? null, group: group ?? null, multiQueue, persistent: persist, packetInfo, vnetHdr };
  }
  return null;
}

/** What `JSON.stringify(iface)` prints: the fields, and the sandbox's name or path. */
export interface InterfaceJSON {
  index: number; name: string; kind: string; mtu: number; mac: string; up: boolean; carrier: boolean; operState: string;
  master: string | null; alias: string | null; promisc: boolean; allmulti: boolean; txQueueLen: number; group: number;
  altNames: readonly string[]; peerIndex: number | null; linkNetnsId: number | null; linkInfo: LinkInfo | null; sandbox: string;
}

/** An interface given as an Interface object or by name. */
export type InterfaceRef = Interface | string;

/** Counters, like `ip -s link show` prints them. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the public name of the binding's shape, documented
export interface Statistics extends NativeStats {}

export interface Address {
  family: Family;
  address: string;
  prefixLength: number;
  dev: string;
  scope: string;
  flags: string[];
  peer?: string;
  broadcast?: string;
  label?: string;
  /** Seconds left, or 'forever' (`valid_lft`, `preferred_lft`). */
  validLifetime: number | 'forever';
  preferredLifetime: number | 'forever';
}

export interface AddressOptions {
  /** IPv6: skip duplicate address detection (`ip addr add ... nodad`). */
  noDad?: boolean | undefined;
  scope?: 'global' | 'site' | 'link' | 'host' | number | undefined;
  /** IPv4 broadcast address. */
  broadcast?: string | undefined;
  /** Point-to-point peer (`ip addr add LOCAL peer PEER`). */
  peer?: string | undefined;
  /** Add no route for the address's prefix (`noprefixroute`). */
  noPrefixRoute?: boolean | undefined;
  /** Seconds until the address is removed (`valid_lft`); forever unless set. */
  validLifetime?: number | 'forever' | undefined;
  /** Seconds until it is deprecated (`preferred_lft`), at most validLifetime; validLifetime unless set. */
  preferredLifetime?: number | 'forever' | undefined;
}

export interface MoveOptions {
  /** The name in the target sandbox: the kernel renames as it moves, so nothing clashes. */
  name?: string | undefined;
  /**
   * Per-interface sysctls ('ipv6.conf.accept_ra' or 'net.ipv6.conf.IFNAME.accept_ra'), applied
   * in the target after the move and before anything brings the interface up. The kernel resets
   * per-interface sysctls on a move, so this is the moment they stick. If one fails, the
   * interface is moved back under its old name and the error says which key and why.
   */
  sysctls?: SysctlEntries | undefined;
}

/**
 * A snapshot of one interface of a sandbox. Methods change the kernel's interface and update the
 * fields they changed; refresh() re-reads everything.
 */
export class Interface {
  readonly #sandbox: Sandbox;
  #link: NativeLink;

  /** @internal */
  constructor(sandbox: Sandbox, link: NativeLink) {
    this.#sandbox = sandbox;
    this.#link = link;
  }

  get sandbox(): Sandbox { return this.#sandbox; }
  get index(): number { return this.#link.index; }
  get name(): string { return this.#link.name; }
  /** 'veth', 'bridge', ...; '' for loopback and other kind-less devices. */
  get kind(): string { return this.#link.kind; }
  get mtu(): number { return this.#link.mtu; }
  get mac(): string { return this.#link.mac; }
  /** Administratively up (IFF_UP). */
  get up(): boolean { return (this.#link.flags & IFF_UP) !== 0; }
  /** The link has carrier (IFF_LOWER_UP): a veth whose peer is up, a cable plugged in. */
  get carrier(): boolean { return (this.#link.flags & IFF_LOWER_UP) !== 0; }
  /** RFC 2863 state: 'up', 'down', 'lowerlayerdown', 'unknown', ... */
  get operState(): string { return operStates[this.#link.operState] ?? 'unknown'; }
  /** The master's name (a bridge), or null. */
  get master(): string | null { return this.#link.master ?? null; }
  /** The interface's alias (IFLA_IFALIAS, `ip link set NAME alias TEXT`), or null. */
  get alias(): string | null { return this.#link.alias ?? null; }
  /** IFF_PROMISC, as `ip link set NAME promisc on` sets it (a bridge port's own count is not it). */
  get promisc(): boolean { return (this.#link.flags & IFF_PROMISC) !== 0; }
  get allmulti(): boolean { return (this.#link.flags & IFF_ALLMULTI) !== 0; }
  get txQueueLen(): number { return this.#link.txQueueLen; }
  /** The interface group (`ip link set NAME group N`); 0 is 'default'. */
  get group(): number { return this.#link.group; }
  /** Alternative names (`ip link property add dev NAME altname ALT`). */
  get altNames(): readonly string[] { return this.#link.altNames; }
  /** A veth's peer's index (in the namespace linkNetnsId names, when it is another), or null. */
  get peerIndex(): number | null { return this.kind === 'veth' ? this.#link.link ?? null : null; }
  /** The id this sandbox gives the namespace of the interface's peer or parent, or null (same namespace). */
  get linkNetnsId(): number | null { return this.#link.linkNetnsId ?? null; }
  /** A vlan's, macvlan's, vxlan's or tun/tap's own settings (`ip -d link show`); null for other kinds. */
  get linkInfo(): LinkInfo | null { return linkInfoOf(this.#link); }

  /** This interface's sysctls: `iface.sysctl.set('ipv6.conf.accept_ra', 2)`. */
  get sysctl(): InterfaceSysctl {
    return new InterfaceSysctl(this);
  }

  toJSON(): InterfaceJSON {
    const { index, name, kind, mtu, mac, up, carrier, operState, master, alias, promisc, allmulti, txQueueLen, group, altNames, peerIndex, linkNetnsId, linkInfo } = this;
    return {
      index, name, kind, mtu, mac, up, carrier, operState, master, alias, promisc, allmulti, txQueueLen, group, altNames, peerIndex, linkNetnsId, linkInfo,
      sandbox: label(this.#sandbox),
    };
  }

  /** console.log shows the fields (they are getters, which it would not print). */
  [inspect.custom](depth: number, options: InspectOptionsStylized, show: typeof inspect): string {
    return `Interface ${show(this.toJSON(), { ...options, depth: options.depth === null ? null : depth })}`;
  }

  /** Like `ip link set NAME up`. */
  async setUp(): Promise<void> {
    await this.#setFlag('setUp', 'up', IFF_UP, true);
  }

  /** Like `ip link set NAME down`. */
  async setDown(): Promise<void> {
    await this.#setFlag('setDown', 'up', IFF_UP, false);
  }

  /** Like `ip link set NAME alias TEXT` (null clears it: `ip link set NAME alias ""`). */
  async setAlias(value: string | null): Promise<void> {
    const alias = value === null ? '' : requireString(value, 'alias');
    if (Buffer.byteLength(alias) > 255) throw new RangeError('an alias is at most 255 bytes');
    await this.#change('setAlias', { alias });
    if (alias === '') delete this.#link.alias;
    else this.#link.alias = alias;
  }

  /** Like `ip link set NAME promisc on|off`. */
  async setPromisc(on: boolean): Promise<void> {
    await this.#setFlag('setPromisc', 'promisc', IFF_PROMISC, requireBoolean(on, 'promisc'));
  }

  /** Like `ip link set NAME allmulticast on|off`. */
  async setAllmulti(on: boolean): Promise<void> {
    await this.#setFlag('setAllmulti', 'allmulti', IFF_ALLMULTI, requireBoolean(on, 'allmulti'));
  }

  /** Like `ip link set NAME txqueuelen N`. */
  async setTxQueueLen(value: number): Promise<void> {
    await this.#change('setTxQueueLen', { txQueueLen: requireInteger(value, 'txQueueLen', 0, 0xffffffff) });
    this.#link.txQueueLen = value;
  }

  /** Like `ip link set NAME group N`. */
  async setGroup(value: number): Promise<void> {
    await this.#change('setGroup', { group: requireInteger(value, 'group', 0, 0xffffffff) });
    this.#link.group = value;
  }

  /** Like `ip link property add dev NAME altname ALT`: the interface answers to ALT too. */
  async addAltName(name: string): Promise<void> {
    const altName = alternativeName(name);
    await send(this.#sandbox, { operation: 'addAltName', target: `${this.name} altname ${altName}` }, 'addAltName', { dev: this.index, altName });
    this.#link.altNames = [...this.#link.altNames, altName];
  }

  /** Like `ip link property del dev NAME altname ALT`. */
  async deleteAltName(name: string): Promise<void> {
    const altName = alternativeName(name);
    await send(this.#sandbox, { operation: 'deleteAltName', target: `${this.name} altname ${altName}` }, 'deleteAltName', { dev: this.index, altName });
    this.#link.altNames = this.#link.altNames.filter((n) => n !== altName);
  }

  /**
   * Like `ip link set NAME type bridge_slave hairpin on ...` (`bridge link set dev NAME ...`):
   * the settings given change, the others stay. The interface must be a bridge's port.
   */
  async setBridgePort(settings: BridgePortSettings): Promise<void> {
    const bridgePort = bridgePortFields(settings);
    await this.#change('setBridgePort', { bridgePort });
    if (this.#link.bridgePort) Object.assign(this.#link.bridgePort, bridgePort);
  }

  /** The interface's settings as a bridge port, read now; rejects with ERR_NOT_BRIDGE_PORT if it is none. */
  async bridgePort(): Promise<BridgePortSettings> {
    await this.refresh();
    const port = this.#link.bridgePort;
    if (!port) {
      throw libraryError('ERR_NOT_BRIDGE_PORT', `${this.name} is not a bridge's port`, { operation: 'bridgePort', sandbox: label(this.#sandbox), target: this.name });
    }
    return { ...port };
  }

  /** Like `ip link set NAME mtu N`. */
  async setMtu(value: number): Promise<void> {
    await this.#change('setMtu', { mtu: mtu(value) });
    this.#link.mtu = value;
  }

  /** Like `ip link set NAME address MAC`. */
  async setMac(value: string): Promise<void> {
    const mac = macAddress(value);
    await this.#change('setMac', { mac });
    this.#link.mac = mac;
  }

  /** Like `ip link set NAME name NEW` (the kernel refuses while the interface is up). */
  async rename(value: string): Promise<void> {
    const name = interfaceName(value);
    await this.#change('rename', { name });
    this.#link.name = name;
  }

  /** Like `ip link set NAME master BRIDGE`, or `nomaster` for null. */
  async setMaster(bridge: InterfaceRef | null): Promise<void> {
    const master = bridge === null ? null : linkRef(this.#sandbox, bridge, 'bridge');
    await this.#change('setMaster', { master });
    if (master === null) {
      delete this.#link.master;
      delete this.#link.masterIndex;
    } else {
      const found = await this.#sandbox.interface(master);
      this.#link.master = found.name;
      this.#link.masterIndex = found.index;
    }
  }

  /**
   * Like `ip link set NAME netns TARGET name NEW`: moves the interface (renaming it in the same
   * step when asked) and returns it as seen in the target. This object then describes nothing.
   */
  async moveTo(target: Sandbox, options: MoveOptions = {}): Promise<Interface> {
    const name = options.name === undefined ? this.name : interfaceName(options.name);
    const sysctls = options.sysctls === undefined ? [] : interfacePairs(options.sysctls, name);
    const netns = handleOf(target);
    const source = this.#sandbox;
    const oldName = this.name;
    const what = `${oldName} to sandbox ${label(target)}${name === oldName ? '' : ` as ${name}`}`;
    // The kernel moves first and renames after: onto a name taken in the target it would move
    // the interface under its old name and then refuse the rename. Refuse before anything moves.
    const taken = await target.interface(name).then(() => true, (e: unknown) => {
      if (e instanceof NotFoundError) return false;
      throw e;
    });
    if (taken) {
      throw new ExistsError({ operation: 'moveTo', sandbox: label(source), target: what, code: 'EEXIST', errno: 17,
        detail: `sandbox ${label(target)} has an interface named ${name} already; nothing was moved` });
    }
    await send(source, { operation: 'moveTo', target: what }, 'changeLink',
      { dev: this.index, netns, ...(options.name === undefined ? {} : { name }) });
    const moved = await target.interface(name);
    if (sysctls.length > 0) {
      const context = { operation: 'moveTo', sandbox: label(source), target: what };
      await applyOrUndo(moved, sysctls, context, async () => {
        const home = handleOf(source);
        await send(target, { operation: 'moveTo', target: `${name} back` }, 'changeLink', { dev: moved.index, netns: home, name: oldName });
        return `${name} was moved back to sandbox ${label(source)} as ${oldName}`;
      });
    }
    return moved;
  }

  /**
   * Turns IPv6 on or off for this interface (net.ipv6.conf.IFNAME.disable_ipv6). Disabling drops
   * the interface's IPv6 addresses: the result lists them.
   */
  async setIPv6(enabled: boolean): Promise<SysctlChange & { droppedAddresses: string[] }> {
    const v6 = async () => (enabled ? [] : (await this.addresses({ family: 6 })).map((a) => `${a.address}/${a.prefixLength}`));
    const before = await v6();
    const change = await this.sysctl.set('ipv6.conf.disable_ipv6', enabled ? 0 : 1);
    const after = await v6();
    return { ...change, droppedAddresses: before.filter((a) => !after.includes(a)) };
  }

  /**
   * For an interface that holds virtual IPs it must not answer ARP for (Docker's load-balancer
   * VIPs): arp_ignore=1 (answer only for addresses on the asked interface) and arp_announce=2
   * (use the best local source address in requests).
   */
  async disableArpForVip(): Promise<SysctlChange[]> {
    return [await this.sysctl.set('ipv4.conf.arp_ignore', 1), await this.sysctl.set('ipv4.conf.arp_announce', 2)];
  }

  /** Like `ip link del NAME` (a veth takes its peer with it). */
  async delete(): Promise<void> {
    await send(this.#sandbox, { operation: 'delete', target: this.name }, 'deleteLink', this.index);
  }

  /** Re-reads the interface from the kernel. */
  async refresh(): Promise<this> {
    this.#link = await send(this.#sandbox, { operation: 'refresh', target: this.name }, 'getLink', this.index);
    return this;
  }

  /** Counters, like `ip -s link show NAME`. */
  async statistics(): Promise<Statistics> {
    const link = await send(this.#sandbox, { operation: 'statistics', target: this.name }, 'getLink', this.index);
    if (!link.stats) {
      throw libraryError('ERR_NO_STATISTICS', 'the kernel sent no statistics', { operation: 'statistics', sandbox: label(this.#sandbox), target: this.name });
    }
    return link.stats;
  }

  /** Like `ip addr add CIDR dev NAME [nodad] [noprefixroute] [scope S] [broadcast B] [peer P] [valid_lft N preferred_lft M]`. */
  async addAddress(address: string, options: AddressOptions = {}): Promise<void> {
    const spec = toNativeAddress(this.index, address, options);
    await send(this.#sandbox, { operation: 'addAddress', target: () => `${address} dev ${this.name}` }, 'addAddress', spec);
  }

  /**
   * Like `ip addr replace CIDR dev NAME ...`: adds the address, or if it is there changes its
   * lifetimes (and for IPv6 its flags: the kernel keeps an IPv4 address's).
   */
  async replaceAddress(address: string, options: AddressOptions = {}): Promise<void> {
    const spec = toNativeAddress(this.index, address, options);
    await send(this.#sandbox, { operation: 'replaceAddress', target: () => `${address} dev ${this.name}` }, 'replaceAddress', spec);
  }

  /** Like `ip addr del CIDR dev NAME`. */
  async deleteAddress(address: string): Promise<void> {
    const spec = toNativeAddress(this.index, address, {});
    await send(this.#sandbox, { operation: 'deleteAddress', target: `${address} dev ${this.name}` }, 'deleteAddress', spec);
  }

  /** Like `ip addr show dev NAME`. */
  async addresses(options: FamilyFilter = {}): Promise<Address[]> {
    const { items } = await dump(this.#sandbox, { operation: 'addresses', target: this.name }, 'addresses',
      { dev: this.index, ...(options.family !== undefined && { family: requireFamily(options.family) }) }, toAddress);
    return items;
  }

  /**
   * Resolves (to this interface, updated) once it is in `state`: `{ operState: 'up' }`, `{ up:
   * true }`, `{ carrier: true }`, or several (all must hold). Subscribes first, then reads the
   * interface, so a change in between is never missed. Rejects with NotFoundError if the
   * interface goes away, ETIMEDOUT after `timeout` ms, or the signal's reason.
   */
  waitFor(state: LinkState, options?: WaitOptions): Promise<this> {
    let holds: (link: Interface) => boolean;
    try {
      holds = linkStateTest(state);
    } catch (error) {
      return Promise.reject(error);
    }
    const context = { operation: 'waitFor', sandbox: label(this.#sandbox), target: this.name };
    return waitUntil(options, context, () => this.#sandbox.watch({ links: true }), async () => {
      await this.refresh();
      return holds(this) ? this : undefined;
    }, (ev) => {
      let now: Interface | undefined;
      if (ev.type === 'link') {
        if (ev.link.index !== this.index) return undefined;
        now = ev.action === 'new' ? ev.link : undefined;
      } else if (ev.type === 'resync') {
        now = ev.snapshot.links?.find((l) => l.index === this.index);
      } else {
        return undefined;
      }
      if (now === undefined) throw new NotFoundError({ ...context, code: 'ENODEV', detail: 'the interface went away' });
      this.#link = now.#link;
      return holds(this) ? this : undefined;
    });
  }

  /**
   * Resolves to the interface's addresses once none is tentative: IPv6 duplicate address
   * detection is done (the kernel announces each address again when its tentative flag clears).
   * Rejects with ERR_DAD_FAILED if an address turned out to be a duplicate, and as waitFor().
   */
  waitForAddresses(condition: { settled: true }, options?: WaitOptions): Promise<Address[]> {
    if (condition?.settled !== true) return Promise.reject(new TypeError('waitForAddresses() takes { settled: true }'));
    const context = { operation: 'waitForAddresses', sandbox: label(this.#sandbox), target: this.name };
    const mine = new Map<string, Address>();
    const key = (a: Address) => `${a.address}/${a.prefixLength}`;
    const settled = (): boolean => {
      const failed = [...mine.values()].find((a) => a.flags.includes('dadfailed'));
      if (failed) throw libraryError('ERR_DAD_FAILED', `duplicate address detection failed for ${key(failed)}: another host has it`, context);
      return [...mine.values()].every((a) => !a.flags.includes('tentative'));
    };
    return waitUntil(options, context, () => this.#sandbox.watch({ addresses: true }), async () => {
      for (const a of await this.addresses()) mine.set(key(a), a);
      return settled() ? [...mine.values()] : undefined;
    }, (ev) => {
      if (ev.type === 'address' && ev.address.dev === this.name) {
        if (ev.action === 'new') mine.set(key(ev.address), ev.address);
        else mine.delete(key(ev.address));
      } else if (ev.type === 'resync') {
        mine.clear();
        for (const a of ev.snapshot.addresses ?? []) if (a.dev === this.name) mine.set(key(a), a);
      } else {
        return undefined;
      }
      return settled() ? [...mine.values()] : undefined;
    });
  }

  async #change(operation: string, change: Omit<NativeLinkSpec, 'dev'>): Promise<void> {
    await send(this.#sandbox, { operation, target: this.name }, 'changeLink', { dev: this.index, ...change });
  }

  /** Sets or clears one IFF_* flag (through ifi_change, as `ip link set NAME FLAG on|off`). */
  async #setFlag(operation: string, key: 'up' | 'promisc' | 'allmulti', bit: number, on: boolean): Promise<void> {
    await this.#change(operation, { [key]: on });
    this.#link.flags = on ? this.#link.flags | bit : this.#link.flags & ~bit;
  }
}

function toNativeAddress(dev: number, address: string, options: AddressOptions) {
  const c = cidr(address, 'address');
  return {
    dev,
    local: c.address,
    prefixLength: c.prefixLength,
    // Like iproute2: loopback addresses are host-scoped unless told otherwise.
    scope: options.scope !== undefined ? named(options.scope, scopes, 'scope')
      : /^127\.|^::1$/.test(c.address) ? scopes.host : undefined,
    ...(options.peer !== undefined && { peer: ipAddress(options.peer, 'peer', c.family).address }),
    ...(options.broadcast !== undefined && { broadcast: ipAddress(options.broadcast, 'broadcast', 4).address }),
    ...(options.noDad && { noDad: true }),
    ...(options.noPrefixRoute && { noPrefixRoute: true }),
    ...lifetimes(options),
  };
}

const FOREVER = 0xffffffff;

/** Seconds; a preferred lifetime may be 0 (the address is deprecated at once), a valid one not. */
function lifetime(value: number | 'forever', what: string, min: number): number {
  return value === 'forever' ? FOREVER : requireInteger(value, what, min, FOREVER - 1);
}

function lifetimes(options: AddressOptions): { validLifetime?: number; preferredLifetime?: number } {
  if (options.validLifetime === undefined && options.preferredLifetime === undefined) return {};
  const valid = options.validLifetime === undefined ? FOREVER : lifetime(options.validLifetime, 'validLifetime', 1);
  const preferred = options.preferredLifetime === undefined ? valid : lifetime(options.preferredLifetime, 'preferredLifetime', 0);
  if (preferred > valid) throw new RangeError(`preferredLifetime ${String(options.preferredLifetime)} is longer than validLifetime ${String(options.validLifetime)}`);
  return { validLifetime: valid, preferredLifetime: preferred };
}

const fromLifetime = (seconds: number): number | 'forever' => (seconds === FOREVER ? 'forever' : seconds);

export function toAddress(a: NativeAddress): Address {
  const out: Address = {
    family: a.family,
    address: a.address,
    prefixLength: a.prefixLength,
    dev: a.dev,
    scope: nameOf(a.scope, scopes),
    flags: flagNames(a.flags, addressFlags),
    validLifetime: fromLifetime(a.validLifetime),
    preferredLifetime: fromLifetime(a.preferredLifetime),
  };
  if (a.peer !== undefined) out.peer = a.peer;
  if (a.broadcast !== undefined) out.broadcast = a.broadcast;
  if (a.label !== undefined) out.label = a.label;
  return out;
}
