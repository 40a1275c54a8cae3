// Events and waits: a sandbox's rtnetlink notifications as async iterators, and waits built on
// them. One socket per sandbox (its worker opens it in the namespace; the main thread polls it),
// shared by every watcher of the sandbox. Main thread only.
import { libraryError } from './errors.js';
import type { Address, Interface } from './interface.js';
import type { NativeAddress, NativeEvent, NativeEventStream, NativeLink, NativeNeighbor, NativeRoute } from './native.js';
import type { Route } from './route.js';
import type { Neighbor } from './sandbox.js';

export interface WatchOptions {
  /** Interfaces made, changed (up, down, carrier, renamed, ...) and deleted: `ip monitor link`. */
  links?: boolean | undefined;
  /** IPv4 and IPv6 addresses: `ip monitor address`. */
  addresses?: boolean | undefined;
  /** Routes of every table: `ip monitor route`. */
  routes?: boolean | undefined;
  /** IP neighbours: `ip monitor neigh`. */
  neighbors?: boolean | undefined;
}

/** What the sandbox looked like after events were lost: the lists of what was subscribed. */
export interface Snapshot {
  links?: Interface[];
  addresses?: Address[];
  routes?: Route[];
  neighbors?: Neighbor[];
}

export type EventAction = 'new' | 'delete';

/** One change, with exactly the shape its list returns; or a resync after events were lost. */
export type SandboxEvent =
  | { type: 'link'; action: EventAction; link: Interface }
  | { type: 'address'; action: EventAction; address: Address }
  | { type: 'route'; action: EventAction; route: Route }
  | { type: 'neighbor'; action: EventAction; neighbor: Neighbor }
  | { type: 'resync'; reason: 'overflow'; snapshot: Snapshot };

export interface WaitOptions {
  /** Milliseconds; then the wait rejects with code ETIMEDOUT. */
  timeout?: number | undefined;
  /** Aborting it rejects the wait with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** What a Sandbox gives its events: how to open the socket, make objects, and list. */
export interface EventSource {
  open(groups: number): Promise<NativeEventStream>;
  link(n: NativeLink): Interface;
  address(n: NativeAddress): Address;
  route(n: NativeRoute): Route;
  /** undefined for what `neighbors()` does not list (bridge FDB entries). */
  neighbor(n: NativeNeighbor): Neighbor | undefined;
  interfaces(): Promise<Interface[]>;
  addresses(): Promise<Address[]>;
  routes(): Promise<Route[]>;
  neighbors(): Promise<Neighbor[]>;
}

// nl::EventGroup bits (native/nl/events.h).
const GROUPS: Record<keyof WatchOptions, number> = { links: 1, addresses: 2, routes: 4, neighbors: 8 };
const KINDS = ['links', 'addresses', 'routes', 'neighbors'] as const;

/**
 * Events a watcher keeps for a consumer that is behind. Past this its queue is dropped and the
 * consumer gets a resync instead: a watcher nobody reads never grows without bound.
 */
export const MAX_QUEUED_EVENTS = 65_536;

/** The event socket of one sandbox and the watchers sharing it. */
export class EventHub {
  readonly #source: EventSource;
  readonly #watchers = new Set<WeakRef<Watcher>>();
  // A watcher dropped without close() is forgotten when it is collected.
  readonly #collected = new FinalizationRegistry<WeakRef<Watcher>>((ref) => this.#forget(ref));
  #stream: Promise<NativeEventStream> | undefined;
  #groups = 0;
  // Watchers with a next() pending: only they keep the event loop alive, and they are held here,
  // strongly, because nothing else may (a `for await` or a wait is only a chain of promises).
  readonly #waiting = new Set<Watcher>();

  constructor(source: EventSource) {
    this.#source = source;
  }

  /** Subscribes a new watcher (see Sandbox.watch). */
  watch(options: WatchOptions): Watcher {
    const kinds = new Set(KINDS.filter((k) => options[k] === true));
    if (kinds.size === 0) throw new TypeError('watch() needs at least one of links, addresses, routes, neighbors');
    const groups = [...kinds].reduce((sum, k) => sum | GROUPS[k], 0);
    const watcher = new Watcher(this, kinds, this.#subscribe(groups));
    const ref = new WeakRef(watcher);
    this.#watchers.add(ref);
    this.#collected.register(watcher, ref, ref);
    return watcher;
  }

  /** Ends every watcher and closes the socket (the sandbox is closing). */
  close(): void {
    for (const ref of this.#watchers) ref.deref()?.close();
    this.#closeStream();
  }

  /** The socket, opened for the first watcher; later ones join their groups. */
  async #subscribe(groups: number): Promise<void> {
    if (this.#stream === undefined) {
      this.#groups = groups;
      const opening = this.#source.open(groups).then((stream) => {
        stream.start((events) => this.#deliver(events));
        return stream;
      });
      this.#stream = opening;
      opening.catch(() => {
        if (this.#stream === opening) this.#stream = undefined; // the next watcher tries again
      });
      await opening;
      return;
    }
    const stream = await this.#stream;
    if ((this.#groups & groups) !== groups) {
      stream.join(groups);
      this.#groups |= groups;
    }
  }

  #deliver(events: NativeEvent[]): void {
    for (const ref of this.#watchers) ref.deref()?.take(events);
  }

  /** Wraps a native event for a watcher; undefined when it is none of its business. */
  wrap(event: Exclude<NativeEvent, { type: 'overflow' }>, kinds: ReadonlySet<keyof WatchOptions>): SandboxEvent | undefined {
    const s = this.#source;
    switch (event.type) {
      case 'link': return kinds.has('links') ? { type: 'link', action: event.action, link: s.link(event.item as NativeLink) } : undefined;
      case 'address': return kinds.has('addresses') ? { type: 'address', action: event.action, address: s.address(event.item as NativeAddress) } : undefined;
      case 'route': return kinds.has('routes') ? { type: 'route', action: event.action, route: s.route(event.item as NativeRoute) } : undefined;
    }
    const neighbor = kinds.has('neighbors') ? s.neighbor(event.item as NativeNeighbor) : undefined;
    return neighbor && { type: 'neighbor', action: event.action, neighbor };
  }

  /** Fresh lists of `kinds`; the socket relearns every interface's name from the link list. */
  async snapshot(kinds: ReadonlySet<keyof WatchOptions>): Promise<Snapshot> {
    const s = this.#source;
    const [links, addresses, routes, neighbors] = await Promise.all([
      s.interfaces(),
      kinds.has('addresses') ? s.addresses() : undefined,
      kinds.has('routes') ? s.routes() : undefined,
      kinds.has('neighbors') ? s.neighbors() : undefined,
    ]);
    const stream = await this.#stream;
    stream?.learn(links.map((l) => l.index), links.map((l) => l.name));
    return {
      ...(kinds.has('links') && { links }),
      ...(addresses && { addresses }),
      ...(routes && { routes }),
      ...(neighbors && { neighbors }),
    };
  }

  /** A watcher starts or stops waiting for events: the loop stays alive while any waits. */
  waiting(watcher: Watcher, yes: boolean): void {
    const before = this.#waiting.size;
    if (yes) this.#waiting.add(watcher);
    else this.#waiting.delete(watcher);
    if ((before === 0) !== (this.#waiting.size === 0)) {
      void this.#stream?.then((stream) => stream.keepAlive(this.#waiting.size > 0), () => undefined);
    }
  }

  /** A watcher closed: the last one closes the socket. */
  release(watcher: Watcher): void {
    for (const ref of this.#watchers) {
      if (ref.deref() === watcher) {
        this.#collected.unregister(ref);
        this.#forget(ref);
        return;
      }
    }
  }

  #forget(ref: WeakRef<Watcher>): void {
    this.#watchers.delete(ref);
    if (this.#watchers.size === 0) this.#closeStream();
  }

  #closeStream(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#groups = 0;
    void stream?.then((s) => s.close(), () => undefined);
  }
}

/**
 * The changes of one sandbox, as an async iterator: `for await (const ev of sb.watch(...))`.
 * Nothing is ever lost silently: when the kernel drops notifications, or this watcher falls
 * MAX_QUEUED_EVENTS behind, it yields one resync with fresh lists, then live events again.
 */
export class Watcher implements AsyncIterableIterator<SandboxEvent>, AsyncDisposable {
  /** Resolves once the subscription is in place: every change after it is seen. */
  readonly ready: Promise<void>;
  readonly #hub: EventHub;
  readonly #kinds: ReadonlySet<keyof WatchOptions>;
  #queue: SandboxEvent[] = [];
  #head = 0;
  #resync = false;
  #closed = false;
  #failed: unknown;
  #wake: (() => void) | undefined;
  #previous: Promise<unknown> = Promise.resolve(); // next() calls run one after the other

  /** @internal */
  constructor(hub: EventHub, kinds: ReadonlySet<keyof WatchOptions>, subscribed: Promise<void>) {
    this.#hub = hub;
    this.#kinds = kinds;
    this.ready = subscribed;
    subscribed.catch((error: unknown) => {
      this.#failed = error;
      this.#wake?.();
    });
  }

  /** @internal The hub's delivery, in order. */
  take(events: NativeEvent[]): void {
    if (this.#closed) return;
    for (const event of events) {
      if (event.type === 'overflow') {
        this.#overflow();
        continue;
      }
      const wrapped = this.#hub.wrap(event, this.#kinds);
      if (wrapped === undefined) continue;
      if (this.#queue.length - this.#head >= MAX_QUEUED_EVENTS) {
        this.#overflow();
        continue;
      }
      this.#queue.push(wrapped);
    }
    this.#wake?.();
  }

  next(): Promise<IteratorResult<SandboxEvent, undefined>> {
    const result = this.#previous.then(() => this.#next());
    this.#previous = result.catch(() => undefined);
    return result;
  }

  async #next(): Promise<IteratorResult<SandboxEvent, undefined>> {
    for (;;) {
      if (this.#failed !== undefined) {
        const error = this.#failed;
        this.close();
        throw error;
      }
      if (this.#closed) return { done: true, value: undefined };
      if (this.#resync) {
        this.#resync = false;
        // Events queued so far are in the lists; those arriving while they are read follow.
        this.#queue = [];
        this.#head = 0;
        let snapshot: Snapshot;
        try {
          snapshot = await this.#hub.snapshot(this.#kinds);
        } catch (error) {
          this.#resync = true; // still owed: the next call tries again
          throw error;
        }
        if (this.#closed) return { done: true, value: undefined };
        return { done: false, value: { type: 'resync', reason: 'overflow', snapshot } };
      }
      if (this.#head < this.#queue.length) {
        const value = this.#queue[this.#head++]!;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        }
        return { done: false, value };
      }
      await this.ready.catch(() => undefined);
      if (this.#head < this.#queue.length || this.#closed || this.#resync || this.#failed !== undefined) continue;
      this.#hub.waiting(this, true);
      try {
        await new Promise<void>((resolve) => (this.#wake = resolve));
      } finally {
        this.#wake = undefined;
        this.#hub.waiting(this, false);
      }
    }
  }

  /** Ends the iteration (`break` out of `for await` calls it too); the last watcher closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#hub.release(this);
    this.#wake?.();
  }

  async return(): Promise<IteratorResult<SandboxEvent, undefined>> {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #overflow(): void {
    this.#queue = [];
    this.#head = 0;
    this.#resync = true;
  }
}

/**
 * Every wait's shape: subscribe first, then read the current state (`now`), then read events
 * (`next`) until one of them has the answer, so a change in between is never missed; all under
 * the options' timeout and signal (see deadline). What `now` or `next` throws rejects the wait.
 */
export function waitUntil<T>(options: WaitOptions | undefined, context: { operation: string; sandbox: string; target?: string },
  subscribe: () => Watcher, now: () => Promise<T | undefined>, next: (event: SandboxEvent) => T | undefined): Promise<T> {
  let limits: WaitOptions;
  try {
    limits = checkWaitOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const events = subscribe();
  return deadline(limits, context, () => events.close(), async () => {
    await events.ready;
    const current = await now();
    if (current !== undefined) return current;
    for await (const event of events) {
      const answer = next(event);
      if (answer !== undefined) return answer;
    }
    throw libraryError('ERR_SANDBOX_CLOSED', 'the sandbox was closed while waiting', context);
  });
}

/** Checks a wait's options before it subscribes (TypeError, RangeError). */
function checkWaitOptions(options: WaitOptions | undefined): WaitOptions {
  const { timeout, signal } = options ?? {};
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && timeout <= 2 ** 31 - 1)) {
    throw new RangeError(`timeout must be 0 to 2147483647 milliseconds, got ${String(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return { ...(timeout !== undefined && { timeout }), ...(signal !== undefined && { signal }) };
}

/**
 * Runs `wait` (which subscribes, reads the current state, then reads events until it has its
 * answer) under a timeout and an abort signal (checked by checkWaitOptions). On either, `stop`
 * ends the wait's watcher and the promise rejects: ETIMEDOUT, or the signal's reason.
 */
function deadline<T>(options: WaitOptions, what: { operation: string; sandbox: string; target?: string },
  stop: () => void, wait: () => Promise<T>): Promise<T> {
  const { timeout, signal } = options;
  if (signal?.aborted) {
    stop();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(signal!.reason));
    const finish = (settle: () => void) => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stop();
      settle();
    };
    if (timeout !== undefined) {
      timer = setTimeout(() => finish(() => reject(libraryError('ETIMEDOUT', `gave up after ${timeout} ms`, what))), timeout);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    wait().then((value) => finish(() => resolve(value)), (error: unknown) => finish(() => reject(error)));
  });
}
