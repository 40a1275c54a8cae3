// Pod networking (DESIGN §3.4): the set-up of seed flock-agent-netns_linux.go as one operation
// that converges. It reads what exists, changes only what differs, names each change, and takes
// ownership from the kernel alone (the host veth's alias), so a call after a crash at any step
// finishes the job, and an agent restarted without a state file can list its pods. Main thread.
import { createHash } from 'node:crypto';

import { ExistsError, libraryError, NotFoundError } from './errors.js';
import type { Interface } from './interface.js';
import type { Route } from './route.js';
import type { Sandbox } from './sandbox.js';
import type { SysctlEntries } from './sysctl.js';
import { cidr, interfaceName, ipAddress, requireString } from './validate.js';

export interface PodSpec {
  /** The pod's id (a container id, say): names the host veth and marks it as this pod's. */
  id: string;
  /** The host side's name; by default 'nsb' and 11 hex digits of a hash of the id. */
  hostIface?: string | undefined;
  /** The pod side's name, made directly in the pod (no clash with a host eth0). */
  ifName?: string | undefined;
  /** The pod's IPv4 address (a /32), reached from the host through the veth. */
  ipv4?: string | undefined;
  /** The pod's IPv6 address (a /128). */
  ipv6?: string | undefined;
  /** Addresses for the pod's lo (anycast services), CIDRs. */
  anycast?: string[] | undefined;
  /** More addresses for the pod side, CIDRs. */
  addresses?: string[] | undefined;
  /** Per-interface sysctls of the pod side ('ipv6.conf.accept_ra': 0, ...). */
  sysctls?: SysctlEntries | undefined;
  /** Who set the pod up: listPods(host, { owner }) finds its pods again. */
  owner?: string | undefined;
}

export interface PodInfo {
  id: string;
  hostIface: string;
  ipv4?: string;
  ipv6?: string;
  owner?: string;
}

/** The host side's link-local gateway, on-link for the pod: 169.254.1.1 and fe80::1. */
const GATEWAY4 = '169.254.1.1';
const GATEWAY6 = 'fe80::1';
const ALIAS_TAG = 'netsandbox-pod';
const ADDR_GEN_NONE = 1; // addr_gen_mode none: the kernel adds no link-local address of its own

/** The host veth's default name for a pod id: stable, at most 15 bytes. */
export function podHostIface(id: string): string {
  return `nsb${createHash('sha256').update(id).digest('hex').slice(0, 11)}`;
}

function alias(id: string, owner: string | undefined): string {
  const text = JSON.stringify({ [ALIAS_TAG]: id, ...(owner !== undefined && { owner }) });
  if (Buffer.byteLength(text) > 255) throw new RangeError('id and owner take at most ~230 bytes together (they go in the interface alias)');
  return text;
}

function parseAlias(text: string | null): { id: string; owner?: string } | undefined {
  if (text === null || !text.includes(ALIAS_TAG)) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const id = value[ALIAS_TAG];
    if (typeof id !== 'string') return undefined;
    return typeof value.owner === 'string' ? { id, owner: value.owner } : { id };
  } catch {
    return undefined;
  }
}

/**
 * Whether an existing host interface is this pod's: marked with its id, or, after a crash
 * between making the veth and marking it (the kernel takes no alias when it creates a link), a
 * veth without alias under the name derived from the id.
 */
function ours(iface: Interface, id: string): boolean {
  const owner = parseAlias(iface.alias);
  if (owner !== undefined) return owner.id === id;
  return iface.alias === null && iface.kind === 'veth' && iface.name === podHostIface(id);
}

interface CheckedSpec {
  id: string; hostIface: string; ifName: string; ipv4?: string; ipv6?: string;
  anycast: string[]; addresses: string[]; sysctls: SysctlEntries; owner?: string; alias: string;
}

function check(spec: PodSpec): CheckedSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('a pod spec must be an object');
  const id = requireString(spec.id, 'id');
  if (id === '') throw new RangeError('id must not be empty');
  const owner = spec.owner === undefined ? undefined : requireString(spec.owner, 'owner');
  const list = (value: unknown, what: string) => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of CIDRs`);
    return value.map((v) => { const c = cidr(v, what); return `${c.address}/${c.prefixLength}`; });
  };
  return {
    id,
    hostIface: spec.hostIface === undefined ? podHostIface(id) : interfaceName(spec.hostIface, 'hostIface'),
    ifName: interfaceName(spec.ifName ?? 'eth0', 'ifName'),
    ...(spec.ipv4 !== undefined && { ipv4: ipAddress(spec.ipv4, 'ipv4', 4).address }),
    ...(spec.ipv6 !== undefined && { ipv6: ipAddress(spec.ipv6, 'ipv6', 6).address }),
    anycast: list(spec.anycast, 'anycast'),
    addresses: list(spec.addresses, 'addresses'),
    sysctls: spec.sysctls ?? {},
    ...(owner !== undefined && { owner }),
    alias: alias(id, owner),
  };
}

async function find(sandbox: Sandbox, name: string): Promise<Interface | undefined> {
  try {
    return await sandbox.interface(name);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

const sameRoute = (r: Route, dst: string, dev: string, via?: string) => r.dst === dst && r.dev === dev && r.via === via;

/**
 * Builds (or finishes) the pod's network: see README "Pod networking" for each step and its `ip`
 * command. Returns what it changed; a second call returns `changed: []`. State it must not own
 * (another interface holding a pod address, a host veth of another pod) is an error naming it,
 * with nothing changed.
 */
export async function setupPod(host: Sandbox, pod: Sandbox, spec: PodSpec): Promise<{ changed: string[] }> {
  const s = check(spec);
  const changed: string[] = [];
  const context = { operation: 'setupPod', sandbox: host.name ?? host.path, target: s.id };

  // Refuse what belongs to someone else before changing anything.
  // The host's interfaces and routes, read once: the refusals below and the routes' step use them.
  const [hostInterfaces, hostRoutes] = await Promise.all([host.interfaces(), host.routes()]);
  let hostEnd = hostInterfaces.find((i) => i.name === s.hostIface);
  if (hostEnd !== undefined && !ours(hostEnd, s.id)) {
    throw new ExistsError({ ...context, code: 'EEXIST', detail: `${s.hostIface} exists and is not this pod's (a ${hostEnd.kind || 'device'}, alias ${JSON.stringify(hostEnd.alias)})` });
  }
  let podEnd = await find(pod, s.ifName);
  if (podEnd !== undefined && (hostEnd === undefined || podEnd.kind !== 'veth')) {
    throw new ExistsError({ ...context, code: 'EEXIST', detail: `the pod already has an interface ${s.ifName} that is not this pod's veth` });
  }
  const podAddresses = [s.ipv4, s.ipv6].filter((a): a is string => a !== undefined);
  for (const [sandbox, allowed] of [[host, ''], [pod, s.ifName]] as const) {
    for (const a of await sandbox.addresses()) {
      if (podAddresses.includes(a.address) && a.dev !== allowed) {
        throw new ExistsError({ ...context, code: 'EEXIST', detail: `${a.address} is already on ${a.dev} in ${sandbox.name ?? sandbox.path}` });
      }
    }
  }
  // A host route to the pod's address through another pod's veth is that pod's: two pods with
  // one address. Through anything else it is a leftover, replaced below (and reported).
  const hostLinks = new Map(hostInterfaces.map((i) => [i.name, i]));
  for (const r of hostRoutes) {
    const other = r.dev === undefined || r.dev === s.hostIface ? undefined : parseAlias(hostLinks.get(r.dev)?.alias ?? null);
    if (other !== undefined && podAddresses.some((a) => r.dst === `${a}/${a.includes(':') ? 128 : 32}`)) {
      throw new ExistsError({ ...context, code: 'EEXIST', detail: `${r.dst} is routed to pod ${other.id} (${r.dev ?? ''})` });
    }
  }

  // Host side: the veth (its peer made directly in the pod), marked as this pod's.
  if (hostEnd === undefined) {
    [hostEnd, podEnd] = await host.createVeth(s.hostIface, { peer: { name: s.ifName, sandbox: pod } });
    changed.push(`created veth ${s.hostIface} with ${s.ifName} in the pod`);
  }
  podEnd ??= await pod.interface(s.ifName);
  if (hostEnd.alias !== s.alias) {
    await hostEnd.setAlias(s.alias);
    changed.push(`${s.hostIface} alias`);
  }
  const set = async (iface: Interface, key: string, value: number | string) => {
    if ((await iface.sysctl.set(key, value)).changed) changed.push(`${iface.name} ${key}=${value}`);
  };
  const side = podEnd;
  // What exists, read once (the kernel's answers to the steps below are what changes it).
  const [hostHas, podHas, podRoutes, loHas] = await Promise.all([
    hostEnd.addresses().then((list) => new Set(list.map((a) => `${a.address}/${a.prefixLength}`))),
    side.addresses().then((list) => new Set(list.map((a) => `${a.address}/${a.prefixLength}`))),
    pod.routes(),
    s.anycast.length > 0 ? pod.addresses().then((list) => new Set(list.filter((a) => a.dev === 'lo').map((a) => `${a.address}/${a.prefixLength}`))) : new Set<string>(),
  ]);

  // Host side. addr_gen_mode comes before the interface is up: then the kernel adds no
  // link-local address of its own.
  await set(hostEnd, 'ipv6.conf.addr_gen_mode', ADDR_GEN_NONE);
  await Promise.all([
    set(hostEnd, 'ipv4.conf.proxy_arp', 1),
    set(hostEnd, 'ipv4.conf.forwarding', 1),
    set(hostEnd, 'ipv6.conf.forwarding', 1),
    hostEnd.up ? undefined : hostEnd.setUp().then(() => changed.push(`${s.hostIface} up`)),
    hostHas.has(`${GATEWAY6}/64`) ? undefined
      : hostEnd.addAddress(`${GATEWAY6}/64`, { noDad: true }).then(() => changed.push(`${s.hostIface} ${GATEWAY6}/64`)),
  ]);

  // Pod side: its sysctls (a failure stops the set-up, saying what was done: the seed swallowed
  // it), then up, with its addresses.
  await set(side, 'ipv6.conf.addr_gen_mode', ADDR_GEN_NONE);
  for (const result of await side.sysctl.apply(s.sysctls)) {
    if (result.status === 'applied') changed.push(`${s.ifName} ${result.key}=${result.value ?? ''}`);
    if (result.status === 'error' || result.status === 'unavailable') {
      throw libraryError(result.code ?? 'ERR_SYSCTL_UNAVAILABLE', `${result.key}: ${result.reason ?? result.status}; done so far: ${changed.join('; ') || 'nothing'}`, context);
    }
  }
  const wanted = [...(s.ipv4 ? [`${s.ipv4}/32`] : []), ...(s.ipv6 ? [`${s.ipv6}/128`] : []), ...s.addresses];
  const lo = s.anycast.length > 0 ? await pod.interface('lo') : undefined;
  await Promise.all([
    side.up ? undefined : side.setUp().then(() => changed.push(`${s.ifName} up`)),
    ...wanted.filter((a) => !podHas.has(a)).map((a) => side.addAddress(a, { noDad: true }).then(() => changed.push(`${s.ifName} ${a}`))),
    ...s.anycast.filter((a) => !loHas.has(a)).map((a) => lo!.addAddress(a).then(() => changed.push(`lo ${a}`))),
  ]);

  // Routes: the pod's on-link gateways and defaults, the host's routes back to the pod. A route
  // for the same destination that differs is replaced, and the change says what it was.
  const ensure = async (sandbox: Sandbox, routes: Route[], where: string, dst: string, family: 4 | 6,
    route: Parameters<Sandbox['addRoute']>[0], dev: string) => {
    const same = routes.filter((r) => r.dst === dst && r.family === family && r.table === 254);
    if (same.some((r) => sameRoute(r, dst, dev, route.via))) return;
    if (same.length > 0) {
      await sandbox.replaceRoute(route);
      changed.push(`${where} route ${dst} replaced (was ${same.map((r) => `${r.via ? `via ${r.via} ` : ''}dev ${r.dev ?? '?'}`).join(', ')})`);
    } else {
      await sandbox.addRoute(route);
      changed.push(`${where} route ${dst}`);
    }
  };
  await Promise.all([
    ...(s.ipv4 ? [
      ensure(pod, podRoutes, 'pod', `${GATEWAY4}/32`, 4, { dst: `${GATEWAY4}/32`, dev: side, scope: 'link' }, s.ifName),
      ensure(pod, podRoutes, 'pod', 'default', 4, { dst: 'default', via: GATEWAY4, dev: side, onLink: true }, s.ifName),
      ensure(host, hostRoutes, 'host', `${s.ipv4}/32`, 4, { dst: `${s.ipv4}/32`, dev: hostEnd, scope: 'link' }, s.hostIface),
    ] : []),
    ...(s.ipv6 ? [
      ensure(pod, podRoutes, 'pod', 'default', 6, { dst: 'default', via: GATEWAY6, dev: side, family: 6 }, s.ifName),
      ensure(host, hostRoutes, 'host', `${s.ipv6}/128`, 6, { dst: `${s.ipv6}/128`, dev: hostEnd }, s.hostIface),
    ] : []),
  ]);
  return { changed };
}

/**
 * Removes the pod's host routes and host veth (its peer goes with it). What is already gone is
 * not an error: a second call, or one after the pod's namespace was destroyed, succeeds.
 */
export async function teardownPod(host: Sandbox, spec: Pick<PodSpec, 'id' | 'hostIface' | 'ipv4' | 'ipv6'>): Promise<{ changed: string[] }> {
  const s = check({ id: spec?.id, ...(spec?.hostIface !== undefined && { hostIface: spec.hostIface }),
    ...(spec?.ipv4 !== undefined && { ipv4: spec.ipv4 }), ...(spec?.ipv6 !== undefined && { ipv6: spec.ipv6 }) });
  const changed: string[] = [];
  const gone = (error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  };
  // Only what is this pod's, checked before anything is removed.
  const hostEnd = await find(host, s.hostIface);
  if (hostEnd !== undefined && !ours(hostEnd, s.id)) {
    throw libraryError('EEXIST', `${s.hostIface} is not pod ${s.id}'s (a ${hostEnd.kind || 'device'}, alias ${JSON.stringify(hostEnd.alias)}): nothing removed`,
      { operation: 'teardownPod', sandbox: host.name ?? host.path, target: s.id });
  }
  for (const r of await host.routes()) {
    const mine = r.dev === s.hostIface && (r.dst === `${s.ipv4}/32` || r.dst === `${s.ipv6}/128`);
    if (mine) {
      await r.delete().then(() => changed.push(`host route ${r.dst}`), gone);
    }
  }
  if (hostEnd !== undefined) await hostEnd.delete().then(() => changed.push(`deleted ${s.hostIface}`), gone);
  return { changed };
}

/** The pods set up on `host` (by `owner`, when given), read from the kernel alone. */
export async function listPods(host: Sandbox, options: { owner?: string } = {}): Promise<PodInfo[]> {
  const owner = options.owner === undefined ? undefined : requireString(options.owner, 'owner');
  const [interfaces, routes] = await Promise.all([host.interfaces(), host.routes()]);
  const pods: PodInfo[] = [];
  for (const iface of interfaces) {
    const marked = parseAlias(iface.alias);
    if (marked === undefined || (owner !== undefined && marked.owner !== owner)) continue;
    const via = routes.filter((r) => r.dev === iface.name);
    const ipv4 = via.find((r) => r.family === 4 && r.dst.endsWith('/32'))?.dst.slice(0, -3);
    const ipv6 = via.find((r) => r.family === 6 && r.dst.endsWith('/128'))?.dst.slice(0, -4);
    pods.push({ id: marked.id, hostIface: iface.name, ...(ipv4 && { ipv4 }), ...(ipv6 && { ipv6 }), ...(marked.owner !== undefined && { owner: marked.owner }) });
  }
  return pods;
}
