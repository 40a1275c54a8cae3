import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NetsandboxError, Route, Sandbox } from '../../lib/index.js';
import { binding } from '../../lib/native.js';
import { dumpChunks } from '../../lib/request.js';
import { ip, type IpRoute, uniqueName } from '../support/oracle.js';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(uniqueName('pipe'));
  const [a] = await sb.createVeth('bulk0', { peer: { name: 'bulk0p' } });
  await a!.setUp();
  await a!.addAddress('192.0.2.1/24');
});
afterAll(() => sb.destroy());

const dst = (i: number) => `198.18.${i >> 8}.${i & 0xff}/32`;

describe('pipelined requests', () => {
  it('adds 1,000 routes with Promise.all, each resolving to its own route; a bad one rejects alone', async () => {
    const bad = 500;
    const specs = Array.from({ length: 1000 }, (_, i) => (i === bad
      ? { dst: dst(i), via: '203.0.113.1' } // not on any connected network: the kernel refuses it
      : { dst: dst(i), via: '192.0.2.2' }));
    const results = await Promise.allSettled(specs.map((s) => sb.addRoute(s)));
    results.forEach((r, i) => {
      if (i === bad) {
        expect(r.status).toBe('rejected');
        const error = (r as PromiseRejectedResult).reason as NetsandboxError;
        expect(error).toBeInstanceOf(NetsandboxError);
        expect(error).toMatchObject({ code: 'ENETUNREACH', extack: 'Nexthop has invalid gateway', target: `${dst(i)} via 203.0.113.1` });
      } else {
        expect(r.status).toBe('fulfilled');
        const route = (r as PromiseFulfilledResult<Route>).value;
        expect([route.dst, route.via]).toEqual([dst(i), '192.0.2.2']);
      }
    });
    const shown = ip<IpRoute[]>(sb.name!, 'route', 'show', 'root', '198.18.0.0/15');
    expect(shown).toHaveLength(999);
    expect(new Set(shown.map((r) => r.dst))).toEqual(new Set(specs.filter((_, i) => i !== bad).map((s) => s.dst.replace('/32', ''))));
    // And delete them the same way.
    await Promise.all((await sb.routes()).filter((r) => r.dst.startsWith('198.18.')).map((r) => r.delete()));
    expect(ip<IpRoute[]>(sb.name!, 'route', 'show', 'root', '198.18.0.0/15')).toEqual([]);
  });

  it('keeps submission order: a rename queued before a route by the new name takes effect first', async () => {
    const [a] = await sb.createVeth('order0', { peer: { name: 'order0p' } });
    await a!.setUp();
    const [, , route, , gone] = await Promise.allSettled([
      a!.setDown(),
      a!.rename('order1'),
      a!.setUp().then(() => sb.addRoute({ dst: '198.51.100.0/24', dev: 'order1' })),
      sb.addRoute({ dst: '198.51.100.128/25', dev: 'order1' }),
      sb.deleteRoute({ dst: '198.51.100.128/25', dev: 'order1' }),
    ]);
    expect(route.status).toBe('fulfilled');
    expect(gone.status).toBe('fulfilled');
    expect(ip<IpRoute[]>(sb.name!, 'route', 'show', 'dev', 'order1').map((r) => r.dst)).toEqual(['198.51.100.0/24']);
  });

  it('runs requests of different sandboxes in parallel without mixing them up', async () => {
    const others = await Promise.all([0, 1, 2].map(() => Sandbox.create(uniqueName('par'))));
    try {
      await Promise.all(others.map(async (o, n) => {
        const [v] = await o.createVeth('par0', { peer: { name: 'par0p' } });
        await v!.setUp();
        await Promise.all(Array.from({ length: 100 }, (_, i) => o.addRoute({ dst: `198.18.${10 + n}.${i}/32`, dev: v! })));
      }));
      others.forEach((o, n) => {
        const shown = ip<IpRoute[]>(o.name!, 'route', 'show', 'dev', 'par0');
        expect(shown).toHaveLength(100);
        expect(shown.every((r) => r.dst.startsWith(`198.18.${10 + n}.`))).toBe(true);
      });
    } finally {
      await Promise.all(others.map((o) => o.destroy()));
    }
  });

  it('retries dumps the kernel interrupts; one returned without partial is complete', async () => {
    const [dev] = await sb.createVeth('dump0', { peer: { name: 'dump0p' } });
    await dev!.setUp();
    await Promise.all(Array.from({ length: 3000 }, (_, i) => dev!.addAddress(`198.18.${i >> 8}.${i & 255}/32`)));
    // Another socket (a second handle on the same namespace) keeps changing addresses, so
    // multi-part address dumps see NLM_F_DUMP_INTR.
    const other = await Sandbox.open(sb.name!);
    const churnDev = await other.interface('dump0p');
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        await churnDev.addAddress(`198.19.0.${i % 200}/32`);
        await churnDev.deleteAddress(`198.19.0.${i % 200}/32`);
      }
    })();
    const results = [];
    for (let k = 0; k < 30; k++) results.push(await sb.addresses({ family: 4 }));
    stop = true;
    await churn;
    await other.close();
    for (const r of results.filter((x) => !x.partial)) expect(r.filter((a) => a.dev === 'dump0').length).toBe(3000);
    const quiet = await sb.addresses({ family: 4 });
    expect(quiet.partial).toBe(false);
    expect(quiet.filter((a) => a.dev === 'dump0').length).toBe(3000);
    for (const r of results.filter((x) => x.partial)) expect(r.length).toBeGreaterThan(0);
    await dev!.delete();
  });
});

// Interrupted dumps are retried five times, then returned with partial: true. The developer
// build's fault hook interrupts the first N attempts of a process (npm run test:asan, in CI).
describe.runIf(binding.faultHooks)('interrupted dumps (fault hook)', () => {
  const script = new URL('./fixtures/dump-retry.mts', import.meta.url).pathname;
  const dump = (interrupts: number) => JSON.parse(execFileSync('node_modules/.bin/tsx', [script, sb.name!, 'routes'],
    { encoding: 'utf8', env: { ...process.env, NETSANDBOX_FAULT_DUMP_INTR: String(interrupts) } })) as { partial: boolean; count: number };

  it('retries: four interruptions, then a complete dump', () => {
    const complete = dump(0);
    expect(complete.partial).toBe(false);
    expect(dump(4)).toEqual(complete);
  });

  it('says partial after the fifth, and still returns what it read', () => {
    const partial = dump(5);
    expect(partial.partial).toBe(true);
    expect(partial.count).toBeGreaterThan(0);
  });
});

// A socket whose exchange failed is in an unknown state: it is replaced, never reused. strace
// makes one receive (or one send) of the worker's netlink socket fail; the requests of that
// exchange reject with the error, every later one works, and a second netlink socket was opened.
describe('socket failures (strace fault injection)', () => {
  const script = new URL('./fixtures/socket-failure.mts', import.meta.url).pathname;
  let quiet: Sandbox; // small tables: a dump is one datagram
  beforeAll(async () => {
    quiet = await Sandbox.create(uniqueName('sockfail'));
  });
  afterAll(() => quiet.destroy());
  const run = (inject: string, mode = 'get') => {
    const log = `/tmp/netsandbox-strace-${process.pid}.log`;
    const out = execFileSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=socket,recvmsg,sendto', '-e', inject,
      'node_modules/.bin/tsx', script, quiet.name!, mode], { encoding: 'utf8' });
    const sockets = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('socket(AF_NETLINK')).length;
    return { ...(JSON.parse(out) as { results: string[]; after: string[] }), sockets };
  };

  it('a failed receive (ENOBUFS) fails its request only, and the socket is replaced', () => {
    // Each request takes two receives (the answer, the ACK): the 5th is the 3rd request's.
    expect(run('inject=recvmsg:error=ENOBUFS:when=5')).toEqual({ results: ['ok', 'ok', 'ENOBUFS', 'ok', 'ok', 'ok'], after: ['ok'], sockets: 2 });
  });

  it('a failed send fails its request only, and the socket is replaced', () => {
    expect(run('inject=sendto:error=EPERM:when=2')).toEqual({ results: ['ok', 'EPERM', 'ok', 'ok', 'ok', 'ok'], after: ['ok'], sockets: 2 });
  });

  it('a dump whose receive or send fails rejects alone, and the socket is replaced', () => {
    // A small dump is one send and one receive.
    expect(run('inject=recvmsg:error=ENOBUFS:when=3', 'dump')).toEqual({ results: ['ok', 'ok', 'ENOBUFS', 'ok', 'ok', 'ok'], after: ['ok'], sockets: 2 });
    expect(run('inject=sendto:error=ENOBUFS:when=4', 'dump')).toEqual({ results: ['ok', 'ok', 'ok', 'ENOBUFS', 'ok', 'ok'], after: ['ok'], sockets: 2 });
  });

  it('a dump the kernel refuses rejects with its error and leaves the socket as it was', async () => {
    // Strict checking: an address dump filtered by an interface that does not exist is refused.
    const refused = await dumpChunks(sb, { operation: 'addresses' }, 'addresses', { dev: 999_999 }, () => {}, () => {}).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ENODEV', operation: 'addresses' });
    expect((await sb.routes()).length).toBeGreaterThan(0);
  });
});
