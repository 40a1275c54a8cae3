import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { NetsandboxError, Sandbox } from '../../lib/index.js';
import { binding, type NativeSandboxHandle } from '../../lib/native.js';
import { operationIndex } from '../../lib/operations.js';
import { ip, uniqueName } from '../support/oracle.js';
import { collectUntil, waitFor, workerThreads } from '../support/threads.js';

// One request on a raw handle, as lib/request.ts sends it.
const dumpLinks = (h: NativeSandboxHandle) => new Promise((resolve, reject) => {
  h.submit(Uint8Array.of(operationIndex.links), [{}], (_, [outcome]) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)), () => {});
});

const fixture = fileURLToPath(new URL('./fixtures/busy-sandbox.mjs', import.meta.url));

describe('closing', () => {
  it('finishes queued requests before close() resolves, then rejects new ones', async () => {
    const sb = await Sandbox.create(uniqueName('close'));
    const [v] = await sb.createVeth('v0', { peer: { name: 'v0p' } });
    await v.setUp();
    const adds = Array.from({ length: 300 }, (_, i) => sb.addRoute({ dst: `198.18.1.${i % 256}/32`, dev: 'v0', metric: i }));
    const closing = sb.close();
    const late = sb.interfaces();
    late.catch(() => {}); // asserted below, after the adds
    const settled = await Promise.allSettled(adds);
    await closing;
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    await expect(late).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
    expect(ip<unknown[]>(sb.name!, 'route', 'show', 'dev', 'v0')).toHaveLength(300);
    await sb.destroy();
  });

  it('destroy() while requests are pending lets them finish, then removes the namespace', async () => {
    const sb = await Sandbox.create(uniqueName('destroy'));
    const pending = Array.from({ length: 50 }, (_, i) => sb.createBridge(`br${i}`));
    await sb.destroy();
    expect((await Promise.allSettled(pending)).every((s) => s.status === 'fulfilled')).toBe(true);
    expect(await Sandbox.list()).not.toContain(sb.name);
  });

  it('stops the worker thread on close, and after a failed create', async () => {
    const before = workerThreads();
    const sb = await Sandbox.create(uniqueName('threads'));
    expect(workerThreads()).toBe(before + 1);
    await expect(Sandbox.create(sb.name!)).rejects.toMatchObject({ code: 'EEXIST' });
    await sb.destroy();
    expect(await waitFor(() => workerThreads() === before)).toBe(true);
  });
});

describe('the native handle', () => {
  it('close() while enter() is running closes once entered; both promises settle', async () => {
    const h = new binding.SandboxHandle();
    const name = uniqueName('close-enter');
    const entering = h.enter({ create: true, dir: '/run/netns', name });
    const closing = h.close();
    await entering;
    await closing;
    await expect(dumpLinks(h)).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
    await binding.removeNamespaceFile(`/run/netns/${name}`);
  });

  it('close() while a failing enter() runs settles both', async () => {
    await using existing = await Sandbox.create(uniqueName('close-fail'));
    const h = new binding.SandboxHandle();
    const entering = h.enter({ create: true, dir: '/run/netns', name: existing.name! });
    const closing = h.close();
    await expect(entering).rejects.toMatchObject({ code: 'EEXIST' });
    await closing;
  });

  it('close() after a failed enter() finished on the worker, before the JS thread heard, settles', async () => {
    // The busy wait keeps the JS thread from hearing of the failure: the worker has exited when
    // close() is called, and the handle still thinks it is entering.
    await using existing = await Sandbox.create(uniqueName('close-gap'));
    for (let i = 0; i < 20; i++) {
      const h = new binding.SandboxHandle();
      const entering = h.enter({ create: true, dir: '/run/netns', name: existing.name! });
      const until = performance.now() + 5;
      while (performance.now() < until);
      const closing = h.close();
      await expect(entering).rejects.toMatchObject({ code: 'EEXIST' });
      await expect(Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(r, 2000, 'unsettled'))])).resolves.toBe('closed');
    }
  });

  it('a spec the addon cannot read fails in its own slot of the batch, in order', async () => {
    await using sb = await Sandbox.create(uniqueName('bad-spec'));
    const h = new binding.SandboxHandle();
    await h.enter({ path: sb.path });
    const ops = Uint8Array.of(operationIndex.links, operationIndex.addRoute, 250, operationIndex.links);
    const outcomes = await new Promise<unknown[]>((resolve) => {
      const all: unknown[] = [];
      h.submit(ops, [{}, { family: 4, dst: 7 }, {}, {}], (first, some) => {
        all.splice(first, some.length, ...some);
        if (all.filter((o) => o !== undefined).length === ops.length) resolve(all);
      }, () => {});
    });
    expect(outcomes.map((o) => (o instanceof Error ? o.name : 'ok'))).toEqual(['ok', 'TypeError', 'RangeError', 'ok']);
    expect((outcomes[2] as Error).message).toBe('no such operation');
    await h.close();
  });

  it('a dump whose pieces the progress function cannot take fails with what it threw, never short', async () => {
    await using sb = await Sandbox.create(uniqueName('lost-piece'));
    const [dev] = await sb.createVeth('lp0', { peer: { name: 'lp1' } });
    await dev.setUp();
    await Promise.all(Array.from({ length: 1500 }, (_, i) => sb.addRoute({ dst: `198.18.${i >> 8}.${i & 255}/32`, dev })));
    const h = new binding.SandboxHandle();
    await h.enter({ path: sb.path });
    const dumpRoutes = (progress: () => void) => new Promise<unknown>((resolve) => {
      h.submit(Uint8Array.of(operationIndex.routes, operationIndex.links), [{ family: 4, table: 254 }, {}], (first, some) => {
        if (first === 0) resolve(some[0]);
      }, progress);
    });
    const thrown = new Error('cannot take it');
    expect(await dumpRoutes(() => {
      throw thrown;
    })).toBe(thrown);
    const odd = await dumpRoutes(() => {
      throw 42; // what the test is about: a thrown value that is no Error
    });
    expect(odd).toBeInstanceOf(Error);
    expect(odd).toMatchObject({ cause: 42 });
    let pieces = 0;
    const outcome = await dumpRoutes(() => pieces++) as { count: number };
    expect(pieces).toBe(1); // a piece of 1,000 routes, and the rest with the outcome
    expect(outcome.count).toBe(500);
    expect(await dumpLinks(h)).toMatchObject({ partial: false }); // the handle still works
    await h.close();
  });

  it('rejects every call on a handle that never entered with ERR_SANDBOX_CLOSED', async () => {
    const h = new binding.SandboxHandle();
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => dumpLinks(h)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'ERR_SANDBOX_CLOSED')).toBe(true);
  });
});

describe('garbage collection', () => {
  // The handle holds a reference to itself (Ref) while it has jobs: collected mid-flight, its
  // worker would be stopped and the jobs dropped unsettled. The garbage is collected while the
  // requests still run: sysctl listings of all of net.ipv4 take ~1 s here.
  it('keeps a dropped handle alive until its requests finish', async () => {
    await using sb = await Sandbox.create(uniqueName('dropped'));
    let pending: Array<Promise<unknown>> = [];
    await (async () => {
      const h = new binding.SandboxHandle();
      await h.enter({ path: sb.path });
      pending = Array.from({ length: 100 }, () => h.sysctlList(['ipv4']));
    })();
    const settled = Promise.allSettled(pending).then((all) => all.every((r) => r.status === 'fulfilled'));
    await collectUntil(() => false, 5); // collected here without the reference
    const outcome = await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 20_000, 'never settled'))]);
    expect(outcome).toBe(true);
  });

  it('cleans up handles dropped without close: their threads go away', async () => {
    const before = workerThreads();
    const names: string[] = [];
    for (let i = 0; i < 20; i++) {
      const sb = await Sandbox.create(uniqueName('gc'));
      names.push(sb.name!);
      await sb.interfaces();
    }
    expect(workerThreads()).toBe(before + 20);
    expect(await collectUntil(() => workerThreads() === before)).toBe(true);
    // Only the handles went: the namespaces are still there, persisted.
    for (const name of names) await (await Sandbox.open(name)).destroy();
  });
});

describe('worker_threads and exit', () => {
  for (const how of ['return', 'exit', 'throw']) {
    it(`a worker_threads Worker that ends with requests in flight (${how}) leaves the process healthy`, async () => {
      const name = uniqueName(`wt-${how}`);
      const worker = new Worker(fixture, { workerData: { how, name } });
      worker.on('error', () => {});
      await new Promise((resolve) => worker.once('message', resolve));
      await new Promise((resolve) => worker.once('exit', resolve));
      // The main thread's addon instance still works, and the namespace the worker made exists.
      await using sb = await Sandbox.open(name);
      expect((await sb.interfaces()).map((i) => i.name)).toContain('v0');
      await sb.destroy();
    });
  }

  it('terminate() of a Worker mid-flight does not crash the process', async () => {
    const name = uniqueName('wt-term');
    const worker = new Worker(fixture, { workerData: { how: 'return', name } });
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    // This thread's addon instance still works, and sees what the terminated worker made.
    await using sb = await Sandbox.open(name);
    expect((await sb.interfaces()).map((i) => i.name)).toContain('v0');
    await sb.destroy();
  });

  // node-addon-api turns a failed N-API call into a C++ exception; while an environment is being
  // torn down even throwing that to JS fails, which aborted the process before
  // NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS.
  it('terminate() of Workers while they call into the addon never aborts the process (40 rounds)', () => {
    const script = fileURLToPath(new URL('./fixtures/terminate-mid-call.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script, '40', uniqueName('wt-mid')], { encoding: 'utf8', timeout: 50_000 });
    expect(result.stderr).not.toMatch(/Abort|terminate called|Segmentation/);
    expect(result.signal).toBeNull();
    expect(result.status, result.stderr).toBe(0);
  });

  for (const how of ['exit', 'return', 'throw']) {
    it(`a process that ends (${how}) with requests in flight exits by its own rules, never aborts`, () => {
      const result = spawnSync(process.execPath, [fixture, how, uniqueName(`proc-${how}`)], { encoding: 'utf8', timeout: 20_000 });
      expect(result.signal).toBeNull();
      expect(result.status).toBe(how === 'throw' ? 1 : 0);
      expect(result.stderr).not.toMatch(/Abort|terminate called|Segmentation/);
    });
  }
});

describe('many sandboxes', () => {
  it('runs 100 open sandboxes at once, each with its own thread, all in their own namespaces', async () => {
    const sandboxes = await Promise.all(Array.from({ length: 100 }, () => Sandbox.create(uniqueName('many'))));
    try {
      const all = await Promise.all(sandboxes.map(async (sb, i) => {
        const br = await sb.createBridge(`br${i}`);
        return (await sb.interfaces()).map((x) => x.name).concat(String(br.index));
      }));
      all.forEach((names, i) => expect(names.slice(0, 2)).toEqual(['lo', `br${i}`]));
      expect(new Set(sandboxes.map((s) => s.id)).size).toBe(100);
    } finally {
      await Promise.all(sandboxes.map((s) => s.destroy()));
    }
    // The JS thread is still in the process's namespace (the main thread's), after 100 workers.
    expect(binding.threadNamespaceId()).toBe(statSync('/proc/self/ns/net').ino);
  });

  // Under ASan (npm run test:asan) freed memory waits in a quarantine: RSS says nothing there.
  const rssMeans = !process.env.NETSANDBOX_ASAN;

  it('soaks: 2,000 create/destroy cycles leave no fd, thread, mount or memory behind', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / nsfs /.test(l)).length;
    const rss = () => process.memoryUsage().rss / 2 ** 20;
    const before = { fds: fds(), threads: workerThreads(), mounts: mounts(), rss: rss() };
    for (let i = 0; i < 2000; i++) {
      const sb = await Sandbox.create(`soak-${i % 7}`);
      await sb.destroy();
    }
    // At most as many as before: sandboxes an earlier test dropped may be collected meanwhile.
    expect(await waitFor(() => workerThreads() <= before.threads)).toBe(true);
    expect(fds()).toBeLessThanOrEqual(before.fds);
    expect(mounts()).toBe(before.mounts);
    if (rssMeans) expect(rss() - before.rss).toBeLessThan(40);
    expect(await Sandbox.list()).not.toContain('soak-0');
  });

  // Each worker's socket has a 64 KiB receive buffer. From the worker thread's malloc arena it
  // stayed after the thread was gone (2,000 closed sandboxes kept ~120 MiB); mapped, it goes.
  it.skipIf(!rssMeans)('gives the memory of 2,000 sandboxes back when they are closed', async () => {
    const rss = () => process.memoryUsage().rss / 2 ** 20;
    const settle = async () => { for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50)); };
    await settle();
    const before = rss();
    const sandboxes = await Promise.all(Array.from({ length: 2000 }, () => Sandbox.create(uniqueName('rss'))));
    await Promise.all(sandboxes.map((sb) => sb.routes()));
    await Promise.all(sandboxes.map((sb) => sb.destroy()));
    await settle();
    expect(rss() - before).toBeLessThan(40);
  });

  it('errors carry the sandbox they came from', async () => {
    const a = await Sandbox.create(uniqueName('err-a'));
    const b = await Sandbox.create(uniqueName('err-b'));
    const [ea, eb] = await Promise.all([a.interface('nope'), b.interface('nope')].map((p) => p.catch((e: unknown) => e as NetsandboxError)));
    expect([ea?.sandbox, eb?.sandbox]).toEqual([a.name, b.name]);
    await Promise.all([a.destroy(), b.destroy()]);
  });
});
