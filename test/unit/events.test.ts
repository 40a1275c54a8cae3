// The watcher's queue, resync and subscription bookkeeping, against a stand-in event socket.
import { describe, expect, it } from 'vitest';

import { EventHub, type EventSource, MAX_QUEUED_EVENTS, type SandboxEvent, type WatchOptions } from '../../lib/events.js';
import { Interface, toAddress } from '../../lib/interface.js';
import type { NativeEvent, NativeEventStream, NativeSandboxHandle } from '../../lib/native.js';
import { operationIndex } from '../../lib/operations.js';
import { registerSandbox } from '../../lib/request.js';
import type { Sandbox } from '../../lib/sandbox.js';

interface FakeStream extends NativeEventStream {
  push(events: NativeEvent[]): void;
  joined: number[];
  alive: boolean[];
  closed: boolean;
  learnt: Array<[number[], string[]]>;
}

function fakeSource(failFirstOpen = false) {
  const streams: FakeStream[] = [];
  let opens = 0;
  const link = (index: number, name: string) => ({ index, name }) as never;
  const source: EventSource = {
    open: async (groups) => {
      if (failFirstOpen && opens++ === 0) throw Object.assign(new Error('the sandbox is closed'), { code: 'ERR_SANDBOX_CLOSED' });
      let deliver: (events: NativeEvent[]) => void = () => undefined;
      const stream: FakeStream = {
        joined: [groups], alive: [], closed: false, learnt: [],
        start: (onEvents) => (deliver = onEvents),
        join: (g) => stream.joined.push(g),
        learn: (indexes, names) => stream.learnt.push([indexes, names]),
        keepAlive: (yes) => stream.alive.push(yes),
        close: () => (stream.closed = true),
        push: (events) => deliver(events),
      };
      streams.push(stream);
      return stream;
    },
    link: (n) => n as never,
    address: (n) => n as never,
    route: (n) => n as never,
    neighbor: (n) => ((n as { ip?: string }).ip === undefined ? undefined : n as never),
    interfaces: async () => [link(1, 'lo'), link(7, 'eth0')],
    addresses: async () => [],
    routes: async () => [{ dst: '198.51.100.0/24' } as never],
    neighbors: async () => [],
  };
  return { source, streams };
}

const route = (dst: string): NativeEvent => ({ type: 'route', action: 'new', item: { dst } });

describe('watchers', () => {
  it('share one stream, join new groups once, and close it with the last', async () => {
    const { source, streams } = fakeSource();
    const hub = new EventHub(source);
    const links = hub.watch({ links: true });
    const routes = hub.watch({ routes: true, links: true });
    await Promise.all([links.ready, routes.ready]);
    expect(streams).toHaveLength(1);
    expect(streams[0]!.joined).toEqual([1, 5]);
    links.close();
    expect(streams[0]!.closed).toBe(false);
    await routes.return();
    await Promise.resolve();
    expect(streams[0]!.closed).toBe(true);
    expect(() => hub.watch({})).toThrow(TypeError);
  });

  it('deliver only the kinds each watched, in order, and skip what neighbors() would not list', async () => {
    const { source, streams } = fakeSource();
    const hub = new EventHub(source);
    const events = hub.watch({ routes: true, neighbors: true });
    await events.ready;
    streams[0]!.push([
      { type: 'link', action: 'new', item: { index: 3 } }, route('198.51.100.0/24'),
      { type: 'neighbor', action: 'new', item: { mac: '02:00:00:00:00:01' } }, // a bridge FDB entry
      { type: 'neighbor', action: 'delete', item: { ip: '192.0.2.9' } },
    ]);
    expect((await events.next()).value).toEqual({ type: 'route', action: 'new', route: { dst: '198.51.100.0/24' } });
    expect((await events.next()).value).toEqual({ type: 'neighbor', action: 'delete', neighbor: { ip: '192.0.2.9' } });
    events.close();
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it('turn a kernel overflow into one resync with fresh lists, then go on with live events', async () => {
    const { source, streams } = fakeSource();
    const hub = new EventHub(source);
    const events = hub.watch({ routes: true });
    await events.ready;
    streams[0]!.push([route('198.51.100.0/24'), { type: 'overflow' }, route('203.0.113.0/24')]);
    const first = (await events.next()).value as SandboxEvent;
    expect(first).toEqual({ type: 'resync', reason: 'overflow', snapshot: { routes: [{ dst: '198.51.100.0/24' }] } });
    expect(streams[0]!.learnt).toEqual([[[1, 7], ['lo', 'eth0']]]); // names relearnt from the link list
    streams[0]!.push([route('192.0.2.0/24')]);
    expect((await events.next()).value).toMatchObject({ route: { dst: '192.0.2.0/24' } });
  });

  it(`keep at most ${MAX_QUEUED_EVENTS} events for a consumer that is behind, then resync instead`, async () => {
    const { source, streams } = fakeSource();
    const hub = new EventHub(source);
    const events = hub.watch({ routes: true });
    await events.ready;
    streams[0]!.push(Array.from({ length: MAX_QUEUED_EVENTS + 10 }, (_, i) => route(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`)));
    expect((await events.next()).value).toMatchObject({ type: 'resync' }); // the lists hold what was queued
    streams[0]!.push([route('192.0.2.0/24')]);
    expect((await events.next()).value).toMatchObject({ type: 'route', route: { dst: '192.0.2.0/24' } });
  });

  it('answer next() calls made at once in order, none left hanging', async () => {
    const { source, streams } = fakeSource();
    const hub = new EventHub(source);
    const events = hub.watch({ routes: true });
    await events.ready;
    const both = Promise.all([events.next(), events.next()]);
    streams[0]!.push([route('192.0.2.0/24'), route('198.51.100.0/24')]);
    expect((await both).map((r) => (r.value as { route: { dst: string } }).route.dst)).toEqual(['192.0.2.0/24', '198.51.100.0/24']);
  });

  it('keep the event loop alive only while a next() waits', async () => {
    const { source, streams } = fakeSource();
    const hub = new EventHub(source);
    const events = hub.watch({ routes: true });
    await events.ready;
    const pending = events.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(streams[0]!.alive).toEqual([true]);
    streams[0]!.push([route('198.51.100.0/24')]);
    await pending;
    await new Promise((resolve) => setImmediate(resolve));
    expect(streams[0]!.alive).toEqual([true, false]);
  });

  it('reject next() when the socket could not be opened, and open it again for the next watcher', async () => {
    const { source, streams } = fakeSource(true);
    const hub = new EventHub(source);
    const failed = hub.watch({ links: true });
    await expect(failed.next()).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
    const retried = hub.watch({ links: true });
    await retried.ready;
    expect(streams).toHaveLength(1);
  });
});

describe('waits after a resync', () => {
  // A stand-in sandbox: its handle answers every request with the current state, and its watch()
  // is an EventHub over a stand-in socket.
  function fakeSandbox(state: { flags: number; addresses: unknown[] }) {
    const { source, streams } = fakeSource();
    const sandbox = { name: 'unit', path: '/run/netns/unit' } as unknown as Sandbox;
    const link = () => ({ index: 7, name: 'eth0', kind: 'veth', mtu: 1500, mac: '02:00:00:00:00:07', flags: state.flags, operState: 6 });
    const handle = {
      submit: (ops: Uint8Array, _specs: unknown[], settle: (first: number, outcomes: unknown[]) => void) => setImmediate(() =>
        settle(0, [...ops].map((op) => (op === operationIndex.getLink ? link() : { partial: false, count: state.addresses.length, cursor: state.addresses })))),
      readDump: (cursor: unknown[], start: number, count: number) => cursor.slice(start, start + count),
    } as unknown as NativeSandboxHandle;
    registerSandbox(sandbox, handle);
    const hub = new EventHub({
      ...source,
      interfaces: async () => [new Interface(sandbox, link() as never)],
      addresses: async () => state.addresses.map((a) => toAddress(a as never)),
    });
    Object.assign(sandbox, { watch: (options: WatchOptions) => hub.watch(options) });
    return { iface: new Interface(sandbox, link() as never), streams };
  }

  it('waitFor finds the interface in the resync\'s list', async () => {
    const state = { flags: 0, addresses: [] };
    const { iface, streams } = fakeSandbox(state);
    const waiting = iface.waitFor({ up: true }, { timeout: 5000 });
    while (streams.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10)); // it read the state: down
    state.flags = 1;
    streams[0]!.push([{ type: 'overflow' }]);
    expect((await waiting).up).toBe(true);
  });

  it('waitForAddresses reads the addresses again from the resync\'s list', async () => {
    const tentative = { family: 6, address: '2001:db8::1', prefixLength: 64, dev: 'eth0', scope: 0, flags: 0x40 };
    const state = { flags: 1, addresses: [tentative] as unknown[] };
    const { iface, streams } = fakeSandbox(state);
    const waiting = iface.waitForAddresses({ settled: true }, { timeout: 5000 });
    while (streams.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
    state.addresses = [{ ...tentative, flags: 0 }];
    streams[0]!.push([{ type: 'overflow' }]);
    expect((await waiting).map((a) => a.flags)).toEqual([[]]);
  });
});
