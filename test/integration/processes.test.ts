// Processes and sockets inside sandboxes (DESIGN §3.3): Node's own http, net and dgram objects
// serving and connecting from inside, and programs run there.
import { type ChildProcess, execFileSync, spawn as hostSpawn, type StdioOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Interface, Sandbox } from '../../lib/index.js';
import { uniqueName } from '../support/oracle.js';

let left: Sandbox;
let right: Sandbox;
let l: Interface;

beforeAll(async () => {
  left = await Sandbox.create(uniqueName('pr-left'));
  right = await Sandbox.create(uniqueName('pr-right'));
  const [ends, peer] = await left.createVeth('pr-l', { peer: { name: 'pr-r', sandbox: right } });
  l = ends;
  await Promise.all([l.addAddress('192.0.2.1/24'), peer.addAddress('192.0.2.2/24')]);
  await Promise.all([l.setUp(), peer.setUp()]);
  await Promise.all([l.waitFor({ operState: 'up' }, { timeout: 5000 }), peer.waitFor({ operState: 'up' }, { timeout: 5000 })]);
});
afterAll(async () => {
  await left.destroy();
  await right.destroy();
});

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('sockets', () => {
  it('serves HTTP inside one sandbox to a client in the other, while the port stays free here', async () => {
    const server = createHttpServer((req, res) => res.end(`hello ${req.socket.remoteAddress}`));
    await left.listen(server, { port: 8080 });
    expect(server.address()).toMatchObject({ port: 8080 });
    // The same port in this process's own namespace is still free.
    const here = createServer();
    await new Promise<void>((resolve, reject) => here.once('error', reject).listen(8080, resolve));
    await close(here);
    const socket = await right.connect({ host: '192.0.2.1', port: 8080, timeout: 5000 });
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ createConnection: () => socket, path: '/' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text));
      });
      req.on('error', reject).end();
    });
    expect(body).toBe('hello ::ffff:192.0.2.2'); // the client's address in the other sandbox
    server.close();
  });

  it('reports ECONNREFUSED, ETIMEDOUT and EADDRINUSE as typed errors', async () => {
    await expect(right.connect({ host: '192.0.2.1', port: 9 })).rejects.toMatchObject({ code: 'ECONNREFUSED', operation: 'connect', target: '192.0.2.1:9', sandbox: right.name });
    // left does not forward: a SYN sent through it gets no answer at all.
    await right.addRoute({ dst: '198.51.100.0/24', via: '192.0.2.1' });
    await expect(right.connect({ host: '198.51.100.1', port: 9, timeout: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT', errno: 110 });
    const first = await left.listen(createServer(), { port: 8081, host: '192.0.2.1' });
    await expect(left.listen(createServer(), { port: 8081, host: '192.0.2.1' })).rejects.toMatchObject({ code: 'EADDRINUSE', errno: 98 });
    await close(first);
    await expect(left.listen(createServer(), { port: 70000 })).rejects.toBeInstanceOf(RangeError);
    await expect(left.listen({} as Server, { port: 1 })).rejects.toBeInstanceOf(TypeError);
    await expect(left.connect({ host: 'not an ip', port: 1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('sends UDP between sandboxes', async () => {
    const receiver = await left.createUdpSocket({ type: 'udp4', port: 5353, address: '192.0.2.1' });
    const sender = await right.createUdpSocket({ type: 'udp4' });
    const got = once(receiver, 'message');
    sender.send('ping', 5353, '192.0.2.1');
    const [message, from] = await got as [Buffer, { address: string }];
    expect(message.toString()).toBe('ping');
    expect(from.address).toBe('192.0.2.2');
    receiver.close();
    sender.close();
    await expect(left.createUdpSocket({ type: 'udp5' as 'udp4' })).rejects.toBeInstanceOf(TypeError);
  });

  it('connects over IPv6 too', async () => {
    await l.addAddress('2001:db8:70::1/64', { noDad: true });
    const server = createServer((s) => s.end('v6'));
    await left.listen(server, { port: 8082, host: '2001:db8:70::1' });
    const socket = await left.connect({ host: '2001:db8:70::1', port: 8082 });
    const [data] = await once(socket, 'data') as [Buffer];
    expect(data.toString()).toBe('v6');
    socket.destroy();
    server.close();
  });
});

describe('programs', () => {
  it('runs a program in the sandbox: its namespace, its /sys/class/net', async () => {
    const { stdout } = await left.exec('readlink', ['/proc/self/ns/net']);
    expect(stdout.trim()).toBe(`net:[${left.id}]`);
    const { stdout: links } = await left.exec('ls', ['/sys/class/net']);
    expect(links.split('\n').filter(Boolean).sort()).toEqual(['lo', 'pr-l']);
  });

  it('gives a real ChildProcess: stdio, exit code, signals', async () => {
    const child = left.spawn('cat');
    const out = once(child.stdout!, 'data');
    child.stdin!.write('echo\n');
    expect(String((await out)[0])).toBe('echo\n');
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    expect([code, signal]).toEqual([null, 'SIGTERM']);
    const failing = left.spawn('sh', ['-c', 'exit 3']);
    expect((await once(failing, 'exit'))[0]).toBe(3);
  });

  it('rejects a non-zero exit like execFile, and a missing command with ENOENT', async () => {
    await expect(left.exec('sh', ['-c', 'echo oops >&2; exit 2'])).rejects.toMatchObject({ code: 2, stderr: 'oops\n' });
    await expect(left.exec('no-such-command-here')).rejects.toMatchObject({ code: 'ENOENT', operation: 'spawn' });
    const [error] = await once(left.spawn('no-such-command-here'), 'error') as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOENT');
    // Like child_process.spawn's: the stdio streams asked for, 'error', then 'close'.
    const observe = async (child: ChildProcess) => {
      const events: string[] = [];
      child.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code}`));
      child.on('close', (code: number | null) => events.push(`close ${code}`));
      child.stdin!.end('dropped');
      let output = '';
      child.stdout!.on('data', (d: Buffer) => output += String(d));
      await Promise.all([once(child.stdout!, 'end'), new Promise((resolve) => child.on('close', resolve))]);
      return { stderr: child.stderr, output, events };
    };
    const stdio: StdioOptions = ['pipe', 'pipe', 'ignore'];
    const ours = await observe(left.spawn('no-such-command-here', [], { stdio }));
    expect(ours).toEqual(await observe(hostSpawn('no-such-command-here', [], { stdio })));
    expect(ours).toEqual({ stderr: null, output: '', events: ['error ENOENT', 'close -2'] });
    // Which streams exist, for every way of giving stdio, and the exit code: as Node's.
    const streams = async (child: ChildProcess) => {
      child.on('error', () => {});
      await new Promise((resolve) => child.on('close', resolve));
      return { stdio: child.stdio.map((x) => x !== null), fds: [child.stdin, child.stdout, child.stderr].map((x) => x !== null), exitCode: child.exitCode };
    };
    for (const shape of [undefined, 'ignore', 'inherit', ['ignore'], [null, null, null], ['pipe', 'ignore', 'pipe', 'pipe'], ['inherit', 'pipe']] as StdioOptions[]) {
      const options = shape === undefined ? {} : { stdio: shape };
      expect(await streams(left.spawn('no-such-command-here', [], options)), JSON.stringify(shape))
        .toEqual(await streams(hostSpawn('no-such-command-here', [], options)));
    }
    await expect(left.exec('')).rejects.toBeInstanceOf(TypeError);
    expect(() => left.spawn('ls', 'not an array' as never)).toThrow(TypeError);
    // A command by path, absolute or relative to cwd.
    expect((await left.exec('/bin/sh', ['-c', 'echo abs'])).stdout).toBe('abs\n');
    expect((await left.exec('./sh', ['-c', 'echo rel'], { cwd: '/bin' })).stdout).toBe('rel\n');
    await expect(left.exec('./nope', [], { cwd: '/bin' })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('works for sandboxes opened by pid and by path', async () => {
    // A process that sits in the left sandbox: open its namespace by pid.
    const sleeper = left.spawn('sleep', ['30']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const byPid = await Sandbox.open({ pid: sleeper.pid! });
    try {
      expect(byPid.id).toBe(left.id);
      const { stdout } = await byPid.exec('readlink', ['/proc/self/ns/net']);
      expect(stdout.trim()).toBe(`net:[${left.id}]`);
      const { stdout: links } = await byPid.exec('ls', ['/sys/class/net']);
      expect(links).toContain('pr-l');
      const server = createServer((s) => s.end('by pid'));
      await byPid.listen(server, { port: 8083, host: '192.0.2.1' });
      const socket = await right.connect({ host: '192.0.2.1', port: 8083 });
      expect(String((await once(socket, 'data'))[0])).toBe('by pid');
      server.close();
    } finally {
      await byPid.close();
      sleeper.kill();
    }
    const byPath = await Sandbox.open({ path: right.path });
    try {
      expect((await byPath.exec('ls', ['/sys/class/net'])).stdout).toContain('pr-r');
    } finally {
      await byPath.close();
    }
    await expect(byPath.exec('ls')).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
    const [refused] = await once(byPath.spawn('ls'), 'error') as [NodeJS.ErrnoException];
    expect(refused.code).toBe('ERR_SANDBOX_CLOSED');
    await expect(byPath.listen(createServer(), { port: 1 })).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
  });

  it('runs a command line through a shell with `shell`, as child_process does, still in the sandbox', async () => {
    const byPath = await Sandbox.open({ path: right.path }); // nsenter; left is ip netns exec
    try {
      for (const sb of [left, byPath]) {
        const { stdout } = await sb.exec('echo $((1 + 2)) && readlink', ['/proc/self/ns/net'], { shell: true });
        expect(stdout).toBe(`3\nnet:[${sb.id}]\n`);
        const child = sb.spawn('exit 7', [], { shell: '/bin/sh' });
        expect((await once(child, 'exit'))[0]).toBe(7);
      }
      // The namespace check finds readlink whatever PATH the caller gives.
      expect((await left.exec('ip', ['-V'], { env: { PATH: '/usr/sbin' } })).stdout).toMatch(/^ip utility/);
    } finally {
      await byPath.close();
    }
  });

  // A sandbox holds its namespace open, but a program enters it by path: a reused pid, or a name
  // removed and made again, would name another namespace. The program's shell checks the inode
  // it entered and runs nothing elsewhere.
  it('never runs a program in another namespace that took the sandbox\'s path', async () => {
    const dir = mkdtempSync('/tmp/netsandbox-swap-');
    const marker = `${dir}/ran`;
    const named = await Sandbox.create(uniqueName('swap')); // ip netns exec NAME
    const other = await Sandbox.create(uniqueName('swap-other'));
    const pathFile = `${dir}/ns`;
    execFileSync('touch', [pathFile]);
    execFileSync('mount', ['--bind', named.path, pathFile]);
    const byPath = await Sandbox.open({ path: pathFile }); // nsenter --net=PATH
    try {
      expect((await named.exec('readlink', ['/proc/self/ns/net'])).stdout.trim()).toBe(`net:[${named.id}]`);
      expect((await byPath.exec('readlink', ['/proc/self/ns/net'])).stdout.trim()).toBe(`net:[${named.id}]`);
      for (const path of [named.path, pathFile]) {
        execFileSync('umount', ['-l', path]);
        execFileSync('mount', ['--bind', other.path, path]);
      }
      for (const sb of [named, byPath]) {
        await expect(sb.exec('touch', [marker])).rejects.toMatchObject({ code: 'ERR_NAMESPACE_REPLACED', operation: 'exec', target: 'touch' });
        const child = sb.spawn('touch', [marker], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => stderr += String(d));
        expect((await once(child, 'exit'))[0]).toBe(125);
        expect(stderr).toContain(`net:[${named.id}]) is no longer at its path; nothing was run`);
      }
      expect(existsSync(marker)).toBe(false);
      // The sandbox itself still works: netlink goes through the namespace it holds.
      expect((await named.interfaces()).map((i) => i.name)).toEqual(['lo']);
    } finally {
      await byPath.close();
      execFileSync('umount', ['-l', pathFile]);
      await other.destroy();
      await named.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never lets a sandbox name reach a shell (a name is only ever an argument)', async () => {
    const dir = mkdtempSync('/tmp/netsandbox-names-');
    const marker = `${dir}/touched`;
    const odd = await Sandbox.create('x$(touch${IFS}touched)y', { basePath: dir });
    try {
      // The child starts in `dir`: a name run as shell would leave dir/touched behind.
      expect((await odd.exec('ls', ['/sys/class/net'], { cwd: dir })).stdout.trim()).toBe('lo');
      expect(existsSync(marker)).toBe(false);
    } finally {
      await odd.destroy();
      execFileSync('umount', [dir]); // create made it a mount point, as ip netns add does /run/netns
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves this process\'s own namespace alone', async () => {
    const child = hostSpawn('readlink', ['/proc/self/ns/net']);
    const [out] = await once(child.stdout!, 'data') as [Buffer];
    expect(out.toString().trim()).not.toBe(`net:[${left.id}]`);
  });
});
