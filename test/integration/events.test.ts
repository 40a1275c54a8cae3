// Events and waits (DESIGN §3.2) against the kernel, with iproute2 as a second writer.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Interface, NotFoundError, Sandbox, type SandboxEvent, type Watcher } from '../../lib/index.js';
import { ipRaw, uniqueName } from '../support/oracle.js';

let sb: Sandbox;
let other: Sandbox;
let a: Interface;

beforeAll(async () => {
  sb = await Sandbox.create(uniqueName('ev'));
  other = await Sandbox.create(uniqueName('ev-other'));
  [a] = await sb.createVeth('ev-a', { peer: { name: 'ev-b' } });
});
afterAll(async () => {
  await sb.destroy();
  await other.destroy();
});

/** The next events of `events` until `done` says stop (or 5 s pass: then the test fails). */
async function until(events: Watcher, done: (seen: SandboxEvent[]) => boolean): Promise<SandboxEvent[]> {
  const seen: SandboxEvent[] = [];
  const timer = setTimeout(() => events.close(), 5000);
  try {
    for await (const ev of events) {
      seen.push(ev);
      if (done(seen)) return seen;
    }
    throw new Error(`gave up waiting; saw ${JSON.stringify(seen.map(describeEvent))}`);
  } finally {
    clearTimeout(timer);
  }
}

function describeEvent(ev: SandboxEvent): string {
  switch (ev.type) {
    case 'link': return `link ${ev.action} ${ev.link.name} ${ev.link.up ? 'up' : 'down'}`;
    case 'address': return `address ${ev.action} ${ev.address.address}/${ev.address.prefixLength} ${ev.address.dev}`;
    case 'route': return `route ${ev.action} ${ev.route.dst} ${ev.route.dev ?? ''} ${ev.route.via ?? ''}`.trim();
    case 'neighbor': return `neighbor ${ev.action} ${ev.neighbor.ip} ${ev.neighbor.dev}`;
    default: return 'resync';
  }
}

describe('watch', () => {
  it('reports links, addresses, routes and neighbours changed by the library and by ip, in the shapes the lists return', async () => {
    await using events = sb.watch({ links: true, addresses: true, routes: true, neighbors: true });
    await using elsewhere = other.watch({ links: true, addresses: true, routes: true, neighbors: true });
    await Promise.all([events.ready, elsewhere.ready]);
    await a.setUp();
    ipRaw(sb.name!, 'link', 'set', 'ev-b', 'up');
    await a.addAddress('192.0.2.1/24');
    ipRaw(sb.name!, 'addr', 'add', '2001:db8:e::1/64', 'dev', 'ev-a', 'nodad');
    const route = await sb.addRoute({ dst: '198.51.100.0/24', via: '192.0.2.2' });
    await sb.replaceRoute({ dst: '198.51.100.0/24', via: '192.0.2.3' });
    ipRaw(sb.name!, 'route', 'del', '198.51.100.0/24');
    await sb.addNeighbor({ ip: '192.0.2.9', mac: '02:00:00:00:00:09', dev: a });
    ipRaw(sb.name!, 'neigh', 'del', '192.0.2.9', 'dev', 'ev-a');
    await a.deleteAddress('192.0.2.1/24');
    ipRaw(sb.name!, 'addr', 'del', '2001:db8:e::1/64', 'dev', 'ev-a');
    await a.setDown();
    const seen = (await until(events, (s) => s.some((e) => e.type === 'link' && e.link.name === 'ev-a' && !e.link.up))).map(describeEvent);
    for (const expected of [
      'link new ev-a up',
      'link new ev-b up',
      'address new 192.0.2.1/24 ev-a',
      'address new 2001:db8:e::1/64 ev-a',
      'route new 198.51.100.0/24 ev-a 192.0.2.2',
      'route new 198.51.100.0/24 ev-a 192.0.2.3',
      'route delete 198.51.100.0/24 ev-a 192.0.2.3',
      'neighbor new 192.0.2.9 ev-a',
      'neighbor delete 192.0.2.9 ev-a',
      'address delete 192.0.2.1/24 ev-a',
      'address delete 2001:db8:e::1/64 ev-a',
      'link new ev-a down',
    ]) expect(seen).toContain(expected);
    expect(seen.indexOf('route new 198.51.100.0/24 ev-a 192.0.2.2')).toBeLessThan(seen.indexOf('route delete 198.51.100.0/24 ev-a 192.0.2.3'));
    expect(route.via).toBe('192.0.2.2');
    // Same shapes as the lists: an address event equals the listed address.
    const [addressEvent] = await collectAddress(sb, '2001:db8:e::1');
    const listed = (await a.addresses()).find((x) => x.address === '2001:db8:e::1');
    expect(addressEvent).toEqual(listed);
    // Nothing from another namespace: the other sandbox's watcher has nothing to give.
    const nothing = await Promise.race([elsewhere.next(), new Promise((resolve) => setTimeout(() => resolve('nothing'), 100))]);
    expect(nothing).toBe('nothing');
  });

  it('shares one socket among watchers and closes it with the last', async () => {
    expect(await eventSockets(sb)).toBe(0);
    const first = sb.watch({ links: true });
    const second = sb.watch({ routes: true });
    await Promise.all([first.ready, second.ready]);
    expect(await eventSockets(sb)).toBe(1);
    first.close();
    expect(await eventSockets(sb)).toBe(1);
    second.close();
    expect(await eventSockets(sb)).toBe(0);
  });

  it('refuses a watch of nothing, and ends watchers when the sandbox closes', async () => {
    expect(() => sb.watch({})).toThrow(TypeError);
    const temp = await Sandbox.create(uniqueName('ev-close'));
    const events = temp.watch({ links: true });
    await events.ready;
    const next = events.next();
    await temp.destroy();
    expect(await next).toEqual({ done: true, value: undefined });
    await expect(temp.watch({ links: true }).next()).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
  });

  it('delivers a 30,000-route flood to a consumer that falls behind: every route, or a resync that has it', async () => {
    const flood = await Sandbox.create(uniqueName('ev-flood'));
    try {
      const [dev] = await flood.createVeth('fl0', { peer: { name: 'fl1' } });
      await dev.setUp();
      const N = 30_000;
      const batch = (verb: string, third: number) =>
        Array.from({ length: N }, (_, i) => `route ${verb} 198.18.${(i >> 8) + third}.${i & 255}/32 dev fl0`).join('\n');
      const wanted = (dst: string, third: number) => dst.startsWith('198.18.') && Number(dst.split('.')[2]) >= third;

      /** Reads until every route of the flood is known, from events or from a resync's list. */
      async function readFlood(events: Watcher, third: number, slow: boolean) {
        const known = new Set<string>();
        let resyncs = 0;
        let read = 0;
        for await (const ev of events) {
          if (ev.type === 'route' && ev.action === 'new' && wanted(ev.route.dst, third)) known.add(ev.route.dst);
          if (ev.type === 'resync') {
            resyncs++;
            for (const r of ev.snapshot.routes ?? []) if (wanted(r.dst, third)) known.add(r.dst);
          }
          if (slow && ++read % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          if (known.size === N) break;
        }
        return { known: known.size, resyncs };
      }

      // A consumer that yields to the loop every 100 events, while ip writes: it gets them all.
      const first = flood.watch({ routes: true });
      await first.ready;
      const writer = new Promise<void>((resolve, reject) => {
        const child = execFile('ip', ['-n', flood.name!, '-batch', '-'], (error) => (error ? reject(error) : resolve()));
        child.stdin!.end(batch('add', 0));
      });
      const slow = await readFlood(first, 0, true);
      await writer;
      expect(slow.known).toBe(N);

      // A main thread blocked through the whole flood: the kernel drops what its 8 MiB buffer
      // can't hold, and the watcher says so with a resync whose list has every route.
      const second = flood.watch({ routes: true });
      await second.ready;
      execFileSync('ip', ['-n', flood.name!, '-batch', '-'], { input: batch('add', 128) });
      const blocked = await readFlood(second, 128, false);
      expect(blocked).toEqual({ known: N, resyncs: 1 });
    } finally {
      await flood.destroy();
    }
  });

  it('forgets a watcher dropped without close once it is collected, and closes its socket', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let collected = false;
    const registry = new FinalizationRegistry(() => (collected = true));
    await (async () => {
      const dropped = sb.watch({ links: true });
      registry.register(dropped, 'watcher');
      await dropped.ready;
      expect(await eventSockets(sb)).toBe(1);
    })();
    for (let i = 0; i < 20 && (!collected || (await eventSockets(sb)) !== 0); i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(collected).toBe(true);
    expect(await eventSockets(sb)).toBe(0);
  });
  it('keeps a watcher that a wait is blocked on, with nothing else holding it, through garbage collection', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // No timeout and no signal: only the wait's own promises reach its watcher.
    const waiting = sb.waitForInterface('gc-late');
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    ipRaw(sb.name!, 'link', 'add', 'gc-late', 'type', 'veth', 'peer', 'name', 'gc-late-p');
    expect((await waiting).name).toBe('gc-late');
  });
});

describe('waits', () => {
  it('waitFor resolves when the veth peer comes up, and times out while it stays down', async () => {
    const [x, y] = await sb.createVeth('wt-x', { peer: { name: 'wt-y' } });
    await x.setUp();
    await expect(x.waitFor({ carrier: true }, { timeout: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT', operation: 'waitFor', target: 'wt-x' });
    const waiting = x.waitFor({ operState: 'up', carrier: true }, { timeout: 5000 });
    await y.setUp();
    expect(await waiting).toBe(x);
    expect(x).toMatchObject({ operState: 'up', carrier: true });
    const controller = new AbortController();
    const aborted = x.waitFor({ up: false }, { signal: controller.signal });
    controller.abort(new Error('no longer needed'));
    await expect(aborted).rejects.toThrow('no longer needed');
    await expect(x.waitFor({ up: true })).resolves.toBe(x); // already true: no event needed
    await expect(x.waitFor({ operState: 'sideways' as 'up' })).rejects.toBeInstanceOf(RangeError);
    await expect(x.waitFor({})).rejects.toBeInstanceOf(TypeError);
    const gone = x.waitFor({ up: false }, { timeout: 5000 });
    await y.delete();
    await expect(gone).rejects.toBeInstanceOf(NotFoundError);
  });

  it('waitForInterface resolves for an interface made later, and at once for one that exists', async () => {
    const later = sb.waitForInterface('wt-late', { timeout: 5000 });
    ipRaw(sb.name!, 'link', 'add', 'wt-late', 'type', 'veth', 'peer', 'name', 'wt-late-p');
    expect((await later).name).toBe('wt-late');
    expect((await sb.waitForInterface('wt-late')).name).toBe('wt-late');
    await expect(sb.waitForInterface('wt-never', { timeout: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(sb.waitForInterface('bad/name')).rejects.toBeInstanceOf(RangeError);
  });

  it('waitForAddresses waits out IPv6 duplicate address detection, and reports a duplicate', async () => {
    const peerSide = await Sandbox.create(uniqueName('ev-dad'));
    try {
      const [x, y] = await sb.createVeth('dad-x', { peer: { name: 'dad-y', sandbox: peerSide } });
      await Promise.all([x.sysctl.set('ipv6.conf.addr_gen_mode', 1), y.sysctl.set('ipv6.conf.addr_gen_mode', 1)]);
      await Promise.all([x.setUp(), y.setUp()]);
      await x.waitFor({ carrier: true }, { timeout: 5000 });
      await x.addAddress('2001:db8:d::1/64');
      expect((await x.addresses()).find((ad) => ad.address === '2001:db8:d::1')?.flags).toContain('tentative');
      const settled = await x.waitForAddresses({ settled: true }, { timeout: 10_000 });
      expect(settled.find((ad) => ad.address === '2001:db8:d::1')?.flags).not.toContain('tentative');
      // The peer holds an address already: DAD on this side fails.
      await y.addAddress('2001:db8:d::2/64', { noDad: true });
      await x.addAddress('2001:db8:d::2/64');
      await expect(x.waitForAddresses({ settled: true }, { timeout: 10_000 })).rejects.toMatchObject({ code: 'ERR_DAD_FAILED' });
    } finally {
      await peerSide.destroy();
    }
  });
});

describe('wait edges', () => {
  it('end with ERR_SANDBOX_CLOSED when the sandbox closes, and check their options first', async () => {
    const temp = await Sandbox.create(uniqueName('ev-edge'));
    const [x, y] = await temp.createVeth('edge-x', { peer: { name: 'edge-y' } });
    await Promise.all([x.setUp(), y.setUp()]);
    await x.waitFor({ carrier: true }, { timeout: 5000 });
    await x.addAddress('2001:db8:ed::1/64'); // tentative for about a second
    const waits = [
      x.waitFor({ up: false }),
      x.waitForAddresses({ settled: true }),
      temp.waitForInterface('edge-never'),
    ].map((wait) => wait.catch((error: unknown) => error));
    await new Promise((resolve) => setTimeout(resolve, 50)); // all three subscribed and waiting
    await temp.destroy();
    for (const outcome of await Promise.all(waits)) expect(outcome).toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
    await expect(a.waitFor({ up: true }, { timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(a.waitForAddresses({ settled: false } as never)).rejects.toBeInstanceOf(TypeError);
    await expect(a.waitFor({ up: 'yes' as never })).rejects.toBeInstanceOf(TypeError);
    const aborted = AbortSignal.abort(new Error('already aborted'));
    await expect(sb.waitForInterface('ev-a', { signal: aborted })).rejects.toThrow('already aborted');
  });

  it('waitForAddresses settles when the tentative address is deleted', async () => {
    const peerSide = await Sandbox.create(uniqueName('ev-del'));
    try {
      const [x, y] = await sb.createVeth('del-x', { peer: { name: 'del-y', sandbox: peerSide } });
      await Promise.all([x.setUp(), y.setUp()]);
      await x.waitFor({ carrier: true }, { timeout: 5000 });
      await x.addAddress('2001:db8:de::1/64');
      const settled = x.waitForAddresses({ settled: true }, { timeout: 5000 });
      await x.deleteAddress('2001:db8:de::1/64');
      expect((await settled).map((ad) => ad.address)).not.toContain('2001:db8:de::1');
    } finally {
      await peerSide.destroy();
    }
  });
});

async function collectAddress(sandbox: Sandbox, address: string) {
  const events = sandbox.watch({ addresses: true });
  await events.ready;
  ipRaw(sandbox.name!, 'addr', 'change', `${address}/64`, 'dev', 'ev-a', 'nodad');
  const seen = await until(events, (s) => s.some((e) => e.type === 'address' && e.address.address === address));
  events.close();
  return seen.filter((e) => e.type === 'address').map((e) => (e as { address: unknown }).address);
}

/**
 * The event sockets open in `sandbox`'s namespace: netlink route sockets that joined a group, as
 * /proc/net/netlink lists them for a thread in that namespace (its worker).
 */
async function eventSockets(sandbox: Sandbox): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve)); // closes finish in libuv's next turn
  await new Promise((resolve) => setImmediate(resolve));
  const worker = readdirSync('/proc/self/task').find((tid) => {
    try {
      return readlinkSync(`/proc/self/task/${tid}/ns/net`) === `net:[${sandbox.id}]`;
    } catch {
      return false;
    }
  });
  if (worker === undefined) throw new Error('no thread in the sandbox');
  const rows = readFileSync(`/proc/self/task/${worker}/net/netlink`, 'utf8').trim().split('\n').slice(1);
  return rows.map((row) => row.trim().split(/\s+/)).filter((f) => f[1] === '0' && Number.parseInt(f[3]!, 16) !== 0).length;
}
