// The one path from an object (a Sandbox, or an Interface, Route or sysctl view of one) to its
// sandbox's native handle, and from the binding's failures to typed errors. Object files import
// this module, never each other at run time (`npm run lint:cycles` keeps it so).
//
// Netlink requests made in one turn of the event loop are queued here and handed to the
// sandbox's worker together, with one crossing into the addon (submit), 256 at a time while a
// caller keeps queuing (so the worker overlaps the caller's loop); their outcomes come back once
// per worker delivery. Every other call on the handle (sysctls, close) first hands over
// what is queued, so no request overtakes one made before it. Main thread only.
import { toError } from './errors.js';
import type { Interface } from './interface.js';
import { setImmediate as nextTurn } from 'node:timers/promises';

import type { Dump, DumpChunk, DumpPiece, LinkRef, NativeSandboxHandle } from './native.js';
import { type NativeOperations, operationIndex } from './operations.js';
import type { Sandbox } from './sandbox.js';
import { interfaceName } from './validate.js';

/**
 * A sandbox's handle and the requests queued for it, in parallel arrays (one entry per request:
 * a 5,000-route Promise.all keeps them all alive until its last result, so no object per slot).
 */
interface Entry {
  sandbox: Sandbox;
  handle: NativeSandboxHandle;
  ops: number[];
  specs: unknown[];
  contexts: RequestContext[];
  resolves: Array<(value: unknown) => void>;
  rejects: Array<(error: unknown) => void>;
  wraps: Array<((result: never) => unknown) | undefined>;
  scheduled: boolean; // a hand-over is due (a microtask, or the next turn for the rest)
  early: number; // requests handed over early in this turn (see EARLY_FLUSH)
}

/**
 * The most requests handed over in one turn: reading 1,000 specs takes the JS thread a few ms,
 * and the worker is busy with them for longer, so the rest waits a turn and the event loop
 * breathes between chunks (a 5,000-route Promise.all would block it for ~15 ms at once).
 */
const SUBMIT_CHUNK = 1000;

/**
 * A caller that queues many requests in one synchronous loop hands them over in groups of this
 * many as it goes, so the worker starts on the first while JS validates the rest (up to
 * SUBMIT_CHUNK per turn, which bounds the loop's stall).
 */
const EARLY_FLUSH = 256;

const entries = new WeakMap<Sandbox, Entry>();

/** Called once by the Sandbox constructor: the handle is reachable only through here. */
export function registerSandbox(sandbox: Sandbox, handle: NativeSandboxHandle): void {
  entries.set(sandbox, { sandbox, handle, ops: [], specs: [], contexts: [], resolves: [], rejects: [], wraps: [], scheduled: false, early: 0 });
}

function entryOf(sandbox: Sandbox): Entry {
  const entry = entries.get(sandbox);
  if (!entry) throw new TypeError('expected a Sandbox');
  return entry;
}

/** The native handle of a sandbox (its own, or another's for a veth peer or a move). */
export function handleOf(sandbox: Sandbox): NativeSandboxHandle {
  return entryOf(sandbox).handle;
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
  /** A dump's (set by dumpChunks): takes each piece it hands over while it runs, or null when it restarted. */
  onPiece?: (piece: DumpPiece<unknown> | null) => void;
}

function typed(error: unknown, sandbox: Sandbox, context: RequestContext): Error {
  const target = typeof context.target === 'function' ? context.target() : context.target;
  return toError(error, { operation: context.operation, sandbox: label(sandbox), ...(target !== undefined && { target }) }, context.detail);
}

type DumpOperation = { [K in keyof NativeOperations]: NativeOperations[K]['result'] extends Dump<unknown> ? K : never }[keyof NativeOperations];
type ItemOf<K extends DumpOperation> = NativeOperations[K]['result'] extends Dump<infer T> ? T : never;

/**
 * Queues a netlink request of `sandbox`; it goes to the worker with everything else queued in
 * this turn, in order. Resolves to the binding's result, or to `wrap(result)` (called on the main
 * thread as the result arrives, which saves a second promise per request); rejects with the
 * typed error for `context`. Never throws. Dumps go through dumpChunks: their outcome alone is
 * only the items after the pieces.
 */
export function send<K extends Exclude<keyof NativeOperations, DumpOperation>, T = NativeOperations[K]['result']>(sandbox: Sandbox,
  context: RequestContext, op: K, spec: NativeOperations[K]['spec'], wrap?: (result: NativeOperations[K]['result']) => T): Promise<T> {
  return enqueue(sandbox, context, op, spec, wrap);
}

/** send(), for any operation: a dump hands its context's `onPiece` its pieces as it runs. */
function enqueue<K extends keyof NativeOperations, T>(sandbox: Sandbox, context: RequestContext, op: K, spec: NativeOperations[K]['spec'],
  wrap?: (result: NativeOperations[K]['result']) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const entry = entryOf(sandbox); // a throw here rejects the promise
    if (!entry.scheduled) {
      entry.scheduled = true;
      queueMicrotask(() => handOver(entry));
    }
    entry.ops.push(operationIndex[op]);
    entry.specs.push(spec);
    entry.contexts.push(context);
    entry.resolves.push(resolve as (value: unknown) => void);
    entry.rejects.push(reject);
    entry.wraps.push(wrap as ((result: never) => unknown) | undefined);
    if (entry.ops.length >= EARLY_FLUSH && entry.early < SUBMIT_CHUNK) {
      entry.early += entry.ops.length;
      flush(entry);
    }
  });
}

/** The scheduled hand-over: a chunk now, the rest in the next turn. */
function handOver(entry: Entry): void {
  entry.scheduled = false;
  flush(entry, Math.max(0, SUBMIT_CHUNK - entry.early));
  entry.early = 0;
  if (entry.ops.length > 0) {
    entry.scheduled = true;
    setImmediate(handOver, entry);
  }
}

/** Hands the first `max` requests queued for a sandbox to its worker, in one crossing. */
function flush(entry: Entry, max = Infinity): void {
  const n = Math.min(max, entry.ops.length);
  if (n === 0) return;
  const { sandbox } = entry;
  const ops = entry.ops.splice(0, n);
  const specs = entry.specs.splice(0, n);
  const contexts = entry.contexts.splice(0, n);
  const resolves = entry.resolves.splice(0, n);
  const rejects = entry.rejects.splice(0, n);
  const wraps = entry.wraps.splice(0, n);
  const settle = (first: number, outcomes: unknown[]) => {
    for (let i = 0, at = first; i < outcomes.length; i++, at++) {
      const outcome = outcomes[i];
      if (outcome instanceof Error) {
        rejects[at]!(typed(outcome, sandbox, contexts[at]!));
        continue;
      }
      const wrap = wraps[at];
      if (wrap === undefined) {
        resolves[at]!(outcome);
        continue;
      }
      try {
        resolves[at]!(wrap(outcome as never));
      } catch (error) { // a bug of ours, not the caller's: still a rejection, never a throw here
        rejects[at]!(error);
      }
    }
  };
  const progress = (slot: number, piece: DumpPiece<unknown> | null) => contexts[slot]!.onPiece?.(piece);
  try {
    entry.handle.submit(Uint8Array.from(ops), specs, settle, progress);
  } catch (error) { // closed: nothing was queued
    for (let at = 0; at < n; at++) rejects[at]!(typed(error, sandbox, contexts[at]!));
  }
}

/** A list that may be incomplete: the kernel kept interrupting the dump (NLM_F_DUMP_INTR). */
export type Listing<T> = T[] & { partial: boolean };

export function listing<T>(items: T[], partial: boolean): Listing<T> {
  return Object.assign(items, { partial });
}

/** Items converted per event-loop turn: a chunk of routes takes a few ms. */
const DUMP_CHUNK = 1000;

/**
 * Runs a dump and hands its items to `take` a chunk per event-loop turn (an array, or a Buffer of
 * records for a packed dump), so that a 20,000-route or 100,000-entry listing never blocks the
 * loop for long. The chunks come while the worker still receives the rest (it hands over pieces),
 * so reading them costs little time of its own. `restart` is called when the kernel interrupted
 * the dump and it started again: the items taken so far are void. A rejection comes after some
 * chunks were taken: `take` must change nothing outside until the dump has resolved.
 */
export async function dumpChunks<K extends DumpOperation>(sandbox: Sandbox, context: RequestContext, op: K,
  spec: NativeOperations[K]['spec'], take: (chunk: DumpChunk<ItemOf<K>>) => void, restart: () => void): Promise<{ partial: boolean }> {
  type Piece = DumpPiece<ItemOf<K>>;
  const handle = handleOf(sandbox);
  const arrived: Array<Piece | null> = []; // pieces not yet read, in order; null: restarted
  let outcome: { dump: Dump<ItemOf<K>> } | { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const arrive = () => {
    wake?.();
    wake = undefined;
  };
  const end = (ending: typeof outcome) => {
    outcome = ending;
    arrive();
  };
  const onPiece = (piece: DumpPiece<unknown> | null) => {
    arrived.push(piece as Piece | null);
    arrive();
  };
  void enqueue(sandbox, { ...context, onPiece }, op, spec).then((dump) => end({ dump: dump as Dump<ItemOf<K>> }), (error: unknown) => end({ error }));
  let first = true;
  const read = async (piece: Piece) => {
    for (let start = 0; start < piece.count; start += DUMP_CHUNK) {
      if (!first) await nextTurn();
      first = false;
      take(handle.readDump(piece.cursor, start, DUMP_CHUNK));
    }
  };
  for (;;) {
    if (outcome !== undefined && 'error' in outcome) throw outcome.error; // what was read is void
    const restarted = arrived.lastIndexOf(null);
    if (restarted >= 0) { // the pieces before it are void: never read them
      arrived.splice(0, restarted + 1);
      restart();
    }
    const piece = arrived.shift();
    if (piece) {
      await read(piece);
    } else if (outcome === undefined) {
      await new Promise<void>((resolve) => wake = resolve);
    } else {
      await read(outcome.dump);
      return { partial: outcome.dump.partial };
    }
  }
}

/** Runs a dump and wraps its items (see dumpChunks). */
export async function dump<K extends DumpOperation, T>(sandbox: Sandbox, context: RequestContext, op: K,
  spec: NativeOperations[K]['spec'], wrap: (item: ItemOf<K>) => T): Promise<{ items: T[]; partial: boolean }> {
  const items: T[] = [];
  const { partial } = await dumpChunks(sandbox, context, op, spec, (chunk) => {
    for (const item of chunk as ItemOf<K>[]) items.push(wrap(item));
  }, () => items.length = 0);
  return { items, partial };
}

/**
 * Runs one other call on the handle of `sandbox` (sysctls, close), after handing over what is
 * queued, turning what it throws or rejects with into the typed error for `context`. Argument
 * errors (TypeError, RangeError) pass through unchanged. Never throws.
 */
export function request<T>(sandbox: Sandbox, context: RequestContext, call: (handle: NativeSandboxHandle) => Promise<T>): Promise<T> {
  const fail = (error: unknown): never => {
    throw typed(error, sandbox, context);
  };
  try {
    const entry = entryOf(sandbox);
    flush(entry);
    return call(entry.handle).catch(fail);
  } catch (error) {
    return Promise.reject(error).catch(fail);
  }
}

/**
 * An interface as the binding takes it: the index of an Interface of `sandbox`, or a checked
 * name. An Interface of another sandbox is a RangeError: its index means nothing here.
 */
export function linkRef(sandbox: Sandbox, ref: Interface | string, what: string): LinkRef {
  if (typeof ref === 'object' && ref !== null && entries.has(ref.sandbox)) {
    if (ref.sandbox !== sandbox) throw new RangeError(`${what} ${ref.name} belongs to another sandbox (${label(ref.sandbox)})`);
    return ref.index;
  }
  return interfaceName(ref, what);
}
