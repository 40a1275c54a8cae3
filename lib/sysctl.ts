// Sysctls of a sandbox's namespace: namespace-wide (net.*) and per interface. Reads and writes
// run on the sandbox's worker, inside its namespace; the host's /proc/sys is never touched.
import { libraryError, type NetsandboxError, toError } from './errors.js';
import type { Interface } from './interface.js';
import type { NativeSysctlResult } from './native.js';
import { label, request } from './request.js';
import type { Sandbox } from './sandbox.js';

export type SysctlValue = string | number;
/**
 * Keys and values in the order they are applied: an array of [key, value] pairs or of Docker's
 * 'key=value' strings, or an object.
 */
export type SysctlEntries = Array<[string, SysctlValue] | string> | Record<string, SysctlValue>;

export interface SysctlChange {
  /** The full key, e.g. 'net.ipv4.conf.eth0.forwarding' ('/'-separated if a name has a dot). */
  key: string;
  /** The value before; null for a key that can only be written. */
  previous: string | null;
  /** The value the kernel reads back now. */
  value: string;
  changed: boolean;
}

export type SysctlStatus = 'applied' | 'unchanged' | 'unavailable' | 'error';

export interface SysctlApplyResult {
  key: string;
  status: SysctlStatus;
  previous?: string | null;
  value?: string;
  /** Why a key is unavailable or failed. */
  reason?: string;
  /** For a failed key: 'EINVAL', 'ERR_SYSCTL_MISMATCH', ... */
  code?: string;
}

export interface SysctlSnapshot {
  entries: Array<{ key: string; value: string }>;
}

/** Named sets of sysctls. */
export const sysctlProfiles: Record<string, Array<[string, string]>> = {
  // Docker's ApplyOSTweaks for load-balancer sandboxes: reuse IPVS connections without the
  // one-second stall, drop connections to removed backends, expire persistent templates.
  'load-balancer': [
    ['net.ipv4.vs.conn_reuse_mode', '0'],
    ['net.ipv4.vs.expire_nodest_conn', '1'],
    ['net.ipv4.vs.expire_quiescent_template', '1'],
  ],
};

type Path = string[]; // elements below /proc/sys/net

const perInterfaceFamilies = new Set(['ipv4', 'ipv6', 'mpls']);

/** 'net.ipv4.ip_forward' or 'net/ipv4/conf/eth0.100/forwarding' -> elements below net. */
export function namespaceKey(key: unknown): Path {
  if (typeof key !== 'string') throw new TypeError(`a sysctl key must be a string, got ${typeof key}`);
  const parts = key.includes('/') ? key.replace(/^\/?(proc\/sys\/)?/, '').split('/') : key.split('.');
  if (parts[0] !== 'net') {
    throw new RangeError(`sysctl '${key}' is not per-namespace: only net.* keys belong to a sandbox`);
  }
  const path = parts.slice(1);
  checkElements(path, key);
  return path;
}

/**
 * A per-interface key for interface `name`: the short form 'ipv6.conf.accept_ra', or Docker's
 * 'net.ipv6.conf.IFNAME.accept_ra' (IFNAME or ifname). The interface name is inserted as one
 * element, never split, so 'eth0.100' works.
 */
export function interfaceKey(key: unknown, name: string): Path {
  if (typeof key !== 'string') throw new TypeError(`a sysctl key must be a string, got ${typeof key}`);
  const parts = key.split('.');
  let family: string | undefined;
  let table: string | undefined;
  let leaf: string[];
  if (parts[0] === 'net') {
    const slot = parts[3];
    [, family, table] = parts;
    if (slot === 'all' || slot === 'default') {
      throw new RangeError(`'${key}' is namespace-wide, not per interface: set it with sandbox.sysctl.set()`);
    }
    if (slot !== 'IFNAME' && slot !== 'ifname') {
      const example = ['net', family, table, 'IFNAME', ...parts.slice(4)].join('.');
      throw new RangeError(`per-interface sysctls name the interface IFNAME: represent '${key}' as '${example}'`);
    }
    leaf = parts.slice(4);
  } else {
    [family, table] = parts;
    leaf = parts.slice(2);
  }
  if (!family || !perInterfaceFamilies.has(family) || !(table === 'conf' || (table === 'neigh' && family !== 'mpls'))) {
    throw new RangeError(`'${key}' is not a per-interface key: expected ipv4|ipv6|mpls.conf.KEY or ipv4|ipv6.neigh.KEY`);
  }
  if (leaf.length !== 1) throw new RangeError(`'${key}' must name one key after the interface`);
  const path = [family, table, name, leaf[0]!];
  checkElements(path, key);
  return path;
}

function checkElements(path: Path, key: string): void {
  if (path.length === 0) throw new RangeError(`sysctl '${key}' names no key`);
  for (const part of path) {
    if (part === '' || part === '.' || part === '..' || /[/\0\n]/.test(part)) {
      throw new RangeError(`sysctl '${key}' has an invalid element '${part}'`);
    }
  }
}

export function sysctlValue(value: unknown, key: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new TypeError(`the value of ${key} must be a string or a number`);
  if (/[\n\0]/.test(value)) throw new RangeError(`the value of ${key} may not contain a newline or NUL`);
  return value;
}

/** The key as people write it: dotted, or '/'-separated when an element has a dot. */
export function formatKey(path: Path): string {
  const all = ['net', ...path];
  return all.some((p) => p.includes('.')) ? all.join('/') : all.join('.');
}

export function entriesOf(entries: SysctlEntries | string): Array<[string, SysctlValue]> {
  if (typeof entries === 'string') {
    const profile = sysctlProfiles[entries];
    if (!profile) throw new RangeError(`no sysctl profile '${entries}' (known: ${Object.keys(sysctlProfiles).join(', ')})`);
    return profile;
  }
  if (Array.isArray(entries)) return entries.map(entryOf);
  if (typeof entries === 'object' && entries !== null) return Object.entries(entries);
  throw new TypeError('sysctl entries must be an array of [key, value] pairs or an object');
}

/** One entry: a [key, value] pair, or Docker's 'key=value' string (`--sysctl`, the seed's form). */
function entryOf(entry: unknown): [string, SysctlValue] {
  if (typeof entry === 'string') {
    const at = entry.indexOf('=');
    if (at <= 0) throw new RangeError(`sysctl entry '${entry}' is not 'key=value'`);
    return [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
  }
  if (Array.isArray(entry) && entry.length === 2) return entry as [string, SysctlValue];
  throw new TypeError('a sysctl entry is a [key, value] pair or a \'key=value\' string');
}

/** Why the kernel has no such key, in words. */
async function missingReason(sandbox: Sandbox, path: Path, iface?: Interface): Promise<string> {
  if (path[0] === 'ipv4' && path[1] === 'vs') {
    const [dir] = await request(sandbox, { operation: 'sysctl.get', target: formatKey(path) }, (h) => h.sysctl([{ path: ['ipv4', 'vs'] }]));
    return dir?.code === 'ENOENT' ? 'ip_vs is not loaded' : `this kernel's ip_vs has no ${formatKey(path)}`;
  }
  if (iface && path[0] === 'ipv6') {
    const fresh = await iface.refresh().catch(() => iface);
    if (fresh.mtu < 1280) {
      return `IPv6 is off on ${fresh.name}: its MTU ${fresh.mtu} is below IPv6's minimum of 1280, so the kernel has no net.ipv6.conf.${fresh.name} keys`;
    }
  }
  return `no sysctl ${formatKey(path)} in this namespace`;
}

/**
 * What went wrong with one key, in the words users see, where the kernel's own ('No such file
 * or directory') would mislead; undefined leaves the wording to the error mapper.
 */
async function describeFailure(sandbox: Sandbox, operation: string, path: Path, r: NativeSysctlResult, iface?: Interface): Promise<string | undefined> {
  switch (r.code) {
    case 'ENOENT': return missingReason(sandbox, path, iface);
    case 'EROFS': return '/proc/sys is mounted read-only here';
    case 'EINVAL': return operation.endsWith('get') ? undefined : 'the kernel refused the value';
    default: return undefined;
  }
}

/** One entry's native result as the error a get or set rejects with. */
async function toSysctlError(sandbox: Sandbox, operation: string, path: Path, r: NativeSysctlResult, iface?: Interface): Promise<Error> {
  const detail = await describeFailure(sandbox, operation, path, r, iface);
  return toError(r, { operation, sandbox: label(sandbox), target: formatKey(path) }, () => detail);
}

/**
 * Why a set's read-back differs from what was written (the kernel clamped or ignored it), or
 * undefined. Multi-number keys read back with tabs: words are compared, not bytes.
 */
function readBackMismatch(written: string, r: NativeSysctlResult): string | undefined {
  const words = (s: string) => s.trim().split(/\s+/).join(' ');
  if (r.value === undefined || words(r.value) === words(written)) return undefined;
  return `wrote '${written}' but the kernel reads back '${r.value}'`;
}

async function get(sandbox: Sandbox, operation: string, path: Path, iface?: Interface): Promise<string> {
  const [r] = await request(sandbox, { operation, target: formatKey(path) }, (h) => h.sysctl([{ path }]));
  if (!r || r.value === undefined) throw await toSysctlError(sandbox, operation, path, r ?? {}, iface);
  return r.value;
}

async function set(sandbox: Sandbox, operation: string, path: Path, value: string, iface?: Interface): Promise<SysctlChange> {
  const [r] = await request(sandbox, { operation, target: formatKey(path) }, (h) => h.sysctl([{ path, value }]));
  if (!r || r.value === undefined) throw await toSysctlError(sandbox, operation, path, r ?? {}, iface);
  const mismatch = readBackMismatch(value, r);
  if (mismatch) throw libraryError('ERR_SYSCTL_MISMATCH', mismatch, { operation, sandbox: label(sandbox), target: formatKey(path) });
  return { key: formatKey(path), previous: r.previous ?? null, value: r.value, changed: r.changed ?? false };
}

/** Sets keys in order; one failing does not stop the others. Nothing throws for a key. */
export async function applyPaths(sandbox: Sandbox, pairs: Array<[Path, string]>, iface?: Interface): Promise<SysctlApplyResult[]> {
  const results = await request(sandbox, { operation: 'sysctl.apply', target: `${pairs.length} keys` }, (h) => h.sysctl(pairs.map(([path, value]) => ({ path, value }))));
  return Promise.all(pairs.map(async ([path, value], i): Promise<SysctlApplyResult> => {
    const r = results[i] ?? {};
    const key = formatKey(path);
    if (r.value === undefined) {
      const code = r.code ?? 'EIO';
      const reason = await describeFailure(sandbox, 'sysctl.set', path, r, iface) ?? r.message ?? code;
      return { key, status: code === 'ENOENT' ? 'unavailable' : 'error', reason, code };
    }
    const mismatch = readBackMismatch(value, r);
    if (mismatch) return { key, status: 'error', previous: r.previous ?? null, value: r.value, reason: mismatch, code: 'ERR_SYSCTL_MISMATCH' };
    return { key, status: r.changed ? 'applied' : 'unchanged', previous: r.previous ?? null, value: r.value };
  }));
}

/** `sandbox.sysctl`: namespace-wide net.* keys. */
export class SandboxSysctl {
  readonly #sandbox: Sandbox;

  /** @internal */
  constructor(sandbox: Sandbox) {
    this.#sandbox = sandbox;
  }

  /** Like `ip netns exec NAME sysctl -n KEY`. */
  async get(key: string): Promise<string> {
    return get(this.#sandbox, 'sysctl.get', namespaceKey(key));
  }

  /** Like `ip netns exec NAME sysctl -w KEY=VALUE`, but an equal value is not written. */
  async set(key: string, value: SysctlValue): Promise<SysctlChange> {
    const path = namespaceKey(key);
    return set(this.#sandbox, 'sysctl.set', path, sysctlValue(value, key));
  }

  /**
   * Sets keys in order (an array of pairs, an object, or a profile name such as
   * 'load-balancer'). Every key gets a result; a missing key is 'unavailable', not an error.
   * All keys are checked before any is written.
   */
  async apply(entries: SysctlEntries | string): Promise<SysctlApplyResult[]> {
    const pairs = entriesOf(entries).map(([key, value]): [Path, string] => [namespaceKey(key), sysctlValue(value, key)]);
    return applyPaths(this.#sandbox, pairs);
  }

  /** The current values of some keys, or of every key under a prefix ('net.ipv4.conf.all'). */
  async snapshot(keys: string[] | string): Promise<SysctlSnapshot> {
    if (Array.isArray(keys)) {
      const paths = keys.map(namespaceKey);
      const results = await request(this.#sandbox, { operation: 'sysctl.snapshot', target: `${keys.length} keys` }, (h) => h.sysctl(paths.map((path) => ({ path }))));
      const entries = await Promise.all(paths.map(async (path, i) => {
        const r = results[i] ?? {};
        if (r.value === undefined) throw await toSysctlError(this.#sandbox, 'sysctl.snapshot', path, r);
        return { key: formatKey(path), value: r.value };
      }));
      return { entries };
    }
    const prefix = namespaceKey(keys);
    const found = await request(this.#sandbox, { operation: 'sysctl.snapshot', target: formatKey(prefix) }, (h) => h.sysctlList(prefix)).catch(async (error: unknown) => {
      if ((error as NetsandboxError).code === 'ENOTDIR') return [[prefix, await this.get(keys)] as [Path, string]];
      throw error;
    });
    return { entries: found.map(([path, value]) => ({ key: formatKey(path), value })) };
  }

  /** Puts back what a snapshot recorded; keys already at that value are not written. */
  async restore(snapshot: SysctlSnapshot): Promise<SysctlApplyResult[]> {
    if (!snapshot || !Array.isArray(snapshot.entries)) throw new TypeError('restore() takes what snapshot() returned');
    return this.apply(snapshot.entries.map((e): [string, string] => [e.key, e.value]));
  }
}

/** `iface.sysctl`: keys of one interface, by its current name. */
export class InterfaceSysctl {
  readonly #iface: Interface;

  /** @internal */
  constructor(iface: Interface) {
    this.#iface = iface;
  }

  /** 'ipv6.conf.accept_ra' or 'net.ipv6.conf.IFNAME.accept_ra'. */
  async get(key: string): Promise<string> {
    return get(this.#iface.sandbox, 'sysctl.get', interfaceKey(key, this.#iface.name), this.#iface);
  }

  async set(key: string, value: SysctlValue): Promise<SysctlChange> {
    const path = interfaceKey(key, this.#iface.name);
    return set(this.#iface.sandbox, 'sysctl.set', path, sysctlValue(value, key), this.#iface);
  }

  /** Sets keys in order; every key gets a result (see SandboxSysctl.apply). */
  async apply(entries: SysctlEntries): Promise<SysctlApplyResult[]> {
    return applyPaths(this.#iface.sandbox, interfacePairs(entries, this.#iface.name), this.#iface);
  }
}

/**
 * Applies per-interface sysctls to `iface` in order, stopping at nothing; if any key failed,
 * runs `undo` (move back, or delete) and throws an error naming the key and why.
 */
export async function applyOrUndo(iface: Interface, pairs: Array<[Path, string]>,
  context: { operation: string; sandbox: string; target: string }, undo: () => Promise<string>): Promise<void> {
  const results = await applyPaths(iface.sandbox, pairs, iface);
  const index = results.findIndex((r) => r.status === 'error' || r.status === 'unavailable');
  if (index < 0) return;
  const failed = results[index]!;
  const undone = await undo().catch((e: unknown) => `undoing failed too: ${(e as Error).message}`);
  throw toError({ code: failed.code }, context, () => `sysctl ${failed.key}=${pairs[index]![1]} failed: ${failed.reason}; ${undone}`);
}

/** Checks per-interface entries for the name the interface will have; nothing is sent. */
export function interfacePairs(entries: SysctlEntries, name: string): Array<[Path, string]> {
  return entriesOf(entries).map(([key, value]): [Path, string] => [interfaceKey(key, name), sysctlValue(value, key)]);
}
