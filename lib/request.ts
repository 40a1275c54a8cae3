// The one path from an object (a Sandbox, or an Interface, Route or sysctl view of one) to its
// sandbox's native handle, and from the binding's failures to typed errors. Object files import
// this module, never each other at run time (`npm run lint:cycles` keeps it so).
import { toError } from './errors.js';
import type { Interface } from './interface.js';
import type { LinkRef, NativeSandboxHandle } from './native.js';
import type { Sandbox } from './sandbox.js';
import { interfaceName } from './validate.js';

const handles = new WeakMap<Sandbox, NativeSandboxHandle>();

/** Called once by the Sandbox constructor: the handle is reachable only through here. */
export function registerSandbox(sandbox: Sandbox, handle: NativeSandboxHandle): void {
  handles.set(sandbox, handle);
}

/** The native handle of a sandbox (its own, or another's for a veth peer or a move). */
export function handleOf(sandbox: Sandbox): NativeSandboxHandle {
  const handle = handles.get(sandbox);
  if (!handle) throw new TypeError('expected a Sandbox');
  return handle;
}

/** How errors and messages name a sandbox: its name, or its path when it has none. */
export function label(sandbox: Sandbox): string {
  return sandbox.name ?? sandbox.path;
}

export interface RequestContext {
  /** The public method, e.g. 'addRoute'. */
  operation: string;
  /** What it is about; a function is only called to word an error (this is the hot path). */
  target?: string | (() => string);
  /** Words a failure better than the kernel's text, for the codes it answers. */
  detail?: (code: string) => string | undefined;
}

/**
 * Runs one binding call for `sandbox`, turning what it throws or rejects with into the typed
 * error for `context`. Argument errors (TypeError, RangeError) pass through unchanged. Never
 * throws: a synchronous failure becomes the returned promise's rejection.
 */
export function request<T>(sandbox: Sandbox, context: RequestContext, call: (handle: NativeSandboxHandle) => Promise<T>): Promise<T> {
  const fail = (error: unknown): never => {
    const target = typeof context.target === 'function' ? context.target() : context.target;
    throw toError(error, { operation: context.operation, sandbox: label(sandbox), ...(target !== undefined && { target }) }, context.detail);
  };
  try {
    return call(handleOf(sandbox)).catch(fail);
  } catch (error) {
    return Promise.reject(error).catch(fail);
  }
}

/**
 * An interface as the binding takes it: the index of an Interface of `sandbox`, or a checked
 * name. An Interface of another sandbox is a RangeError: its index means nothing here.
 */
export function linkRef(sandbox: Sandbox, ref: Interface | string, what: string): LinkRef {
  if (typeof ref === 'object' && ref !== null && handles.has(ref.sandbox)) {
    if (ref.sandbox !== sandbox) throw new RangeError(`${what} ${ref.name} belongs to another sandbox (${label(ref.sandbox)})`);
    return ref.index;
  }
  return interfaceName(ref, what);
}
