// The error model: one base class with the kernel's answer and what was being done, and
// subclasses for the cases callers branch on.
import { readFileSync } from 'node:fs';

export interface ErrorContext {
  /** The public method, e.g. 'addRoute'. */
  operation: string;
  /** The sandbox's name, or its path when it has none. */
  sandbox?: string;
  /** What the operation was about, e.g. 'eth0' or '198.51.100.0/24 via 192.0.2.1'. */
  target?: string;
}

/** What an error is made of: where it happened, and the kernel's or the library's words. */
export interface ErrorDetails extends ErrorContext {
  code: string;
  errno?: number;
  extack?: string;
  detail: string;
}

// Each error's detail as worded, for afterUndo() to extend (the message also names the place).
const detailOf = new WeakMap<Error, string>();

export class NetsandboxError extends Error {
  /** 'EEXIST', 'ENOENT', ... or a library code such as 'ERR_SANDBOX_CLOSED'. */
  readonly code: string;
  // The optional fields are declared, not defined: a class field would be an own property set to
  // undefined, and util.inspect (console.log) would print `extack: undefined`.
  /** The kernel's errno, when the kernel refused. */
  declare readonly errno?: number;
  readonly operation: string;
  declare readonly sandbox?: string;
  declare readonly target?: string;
  /** The kernel's extended-ACK message, when it gave one. */
  declare readonly extack?: string;

  constructor(details: ErrorDetails) {
    const where = [details.operation, details.target].filter(Boolean).join(' ');
    const inSandbox = details.sandbox ? ` in sandbox ${details.sandbox}` : '';
    super(`${where}${inSandbox}: ${details.detail} (${details.code})`);
    this.name = new.target.name;
    this.code = details.code;
    if (details.errno !== undefined) this.errno = details.errno;
    this.operation = details.operation;
    if (details.sandbox !== undefined) this.sandbox = details.sandbox;
    if (details.target !== undefined) this.target = details.target;
    if (details.extack !== undefined) this.extack = details.extack;
    detailOf.set(this, details.detail);
  }
}

/** ENOENT, ENODEV, ESRCH: the interface, route, namespace or process is not there. */
export class NotFoundError extends NetsandboxError {}
/** EEXIST. */
export class ExistsError extends NetsandboxError {}
/** EPERM, EACCES: the message names the capability needed. */
export class PermissionError extends NetsandboxError {}
/** The running kernel lacks the feature: the message says which. */
export class UnsupportedError extends NetsandboxError {}

const notFound = new Set(['ENOENT', 'ENODEV', 'ESRCH']);
const permission = new Set(['EPERM', 'EACCES']);
const unsupported = new Set(['EOPNOTSUPP', 'EAFNOSUPPORT', 'EPROTONOSUPPORT']);

// Namespace work needs CAP_SYS_ADMIN (setns, unshare, mount); everything else CAP_NET_ADMIN.
const namespaceOperations = new Set(['create', 'open', 'current', 'destroy']);
const capabilityBits: Record<string, number> = { CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21 };

/** Whether this process has `capability` in its effective set (false if that can't be read). */
function hasCapability(capability: string): boolean {
  const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return line !== null && (BigInt(`0x${line[1]}`) >> BigInt(capabilityBits[capability]!) & 1n) === 1n;
}

/** What a refusal means for this process: the capability is missing, or not over that object. */
function permissionNote(capability: string): string {
  try {
    if (!hasCapability(capability)) return `this needs ${capability}, which this process lacks (run as root or grant it)`;
    return `this process has ${capability}, but not over this namespace (it belongs to another user namespace), or a security policy (seccomp, an LSM) refused it`;
  } catch {
    return `this needs ${capability}`;
  }
}

/** What the binding rejects with, or reports per entry (a sysctl result). */
export interface RawError { message?: string; code?: unknown; errno?: unknown; extack?: unknown }

/**
 * The one mapper from the binding's errors (errno, code, extended ACK) to the typed error for
 * `context`. `detail`, when given and it answers, words the failure better than the kernel's
 * text (a missing sysctl key: which module is not loaded). Argument errors pass unchanged.
 */
export function toError(raw: unknown, context: ErrorContext, detail?: (code: string) => string | undefined): Error {
  if (raw instanceof TypeError || raw instanceof RangeError || raw instanceof NetsandboxError) return raw;
  const r = (raw ?? {}) as RawError;
  const code = typeof r.code === 'string' ? r.code : 'EIO';
  const details: ErrorDetails = {
    ...context,
    code,
    detail: detail?.(code) ?? (typeof r.extack === 'string' ? r.extack : (r.message ?? String(raw))),
  };
  if (typeof r.errno === 'number') details.errno = r.errno;
  if (typeof r.extack === 'string') details.extack = r.extack;
  if (code === 'EEXIST') return new ExistsError(details);
  if (notFound.has(code)) return new NotFoundError(details);
  if (unsupported.has(code)) return new UnsupportedError(details);
  if (permission.has(code)) {
    const capability = namespaceOperations.has(context.operation) ? 'CAP_SYS_ADMIN' : 'CAP_NET_ADMIN';
    return new PermissionError({ ...details, detail: `${details.detail}; ${permissionNote(capability)}` });
  }
  if (code === 'EMFILE' || code === 'ENFILE') {
    const limit = code === 'EMFILE' ? "this process's file descriptor limit (RLIMIT_NOFILE, `ulimit -n`)" : "the system's file limit (fs.file-max)";
    return new NetsandboxError({ ...details, detail: `${details.detail}: ${limit} is reached; each open sandbox holds 3 descriptors` });
  }
  return new NetsandboxError(details);
}

/**
 * The same failure, reported by the operation that undid its earlier steps: `undone` says what
 * was taken back (or that taking it back failed too), so a rejection says what is left.
 */
export function afterUndo(error: unknown, context: ErrorContext, undone: string): Error {
  if (!(error instanceof NetsandboxError)) return error instanceof Error ? error : new Error(String(error));
  const Class = error.constructor as new (details: ErrorDetails) => NetsandboxError;
  return new Class({
    ...context, code: error.code, detail: `${detailOf.get(error) ?? error.message}; ${undone}`,
    ...(error.errno !== undefined && { errno: error.errno }), ...(error.extack !== undefined && { extack: error.extack }),
  });
}

/** A library-level error that did not come from the kernel. */
export function libraryError(code: string, detail: string, context: ErrorContext): NetsandboxError {
  return new NetsandboxError({ ...context, code, detail });
}
