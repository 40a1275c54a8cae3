// Processes and sockets inside a sandbox (DESIGN §3.3). A socket keeps the namespace it was
// made in: the sandbox's worker makes it (bound, listening) and Node's own net and dgram objects
// adopt the descriptor, then run on the main loop like any other. A program is started through
// iproute2's `ip netns exec`, or util-linux's nsenter and unshare where ip can't name the
// sandbox. Main thread only.
import { type ChildProcess, ChildProcess as ChildProcessClass, execFile, type ExecFileOptions, spawn, type SpawnOptions } from 'node:child_process';
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { accessSync, closeSync, constants as fsConstants } from 'node:fs';
import { type Server, Socket } from 'node:net';
import { Duplex, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, resolve as resolvePath } from 'node:path';

import { DEFAULT_BASE_PATH } from './constants.js';
import { libraryError, type NetsandboxError } from './errors.js';
import { label, request } from './request.js';
import type { Sandbox } from './sandbox.js';
import { type Family, ipAddress, requireInteger } from './validate.js';

export interface ListenOptions {
  port: number;
  /** An address of the sandbox; by default every address, IPv6 and IPv4. */
  host?: string | undefined;
  backlog?: number | undefined;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Milliseconds to wait for the connection; then ETIMEDOUT. */
  timeout?: number | undefined;
}

export interface UdpSocketOptions {
  type: 'udp4' | 'udp6';
  /** 0 or absent: a port the kernel picks. */
  port?: number | undefined;
  address?: string | undefined;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** A Node error about a socket or a process, as a typed error naming the sandbox. */
function nodeError(error: unknown, operation: string, sandbox: Sandbox, target: string): NetsandboxError | unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !(code in osConstants.errno)) return error;
  const typed = libraryError(code, (error as Error).message, { operation, sandbox: label(sandbox), target });
  return Object.assign(typed, { errno: osConstants.errno[code as keyof typeof osConstants.errno] });
}

function port(value: unknown, min = 0): number {
  return requireInteger(value, 'port', min, 65535);
}

/** Makes `server` (any net.Server: http, https, ...) listen inside the sandbox. */
export async function listen(sandbox: Sandbox, server: Server, options: ListenOptions): Promise<Server> {
  if (typeof (server as Partial<Server>)?.listen !== 'function') throw new TypeError('listen() takes a net.Server (or an http/https server)');
  const at = port(options?.port);
  const host = options.host === undefined ? undefined : ipAddress(options.host, 'host');
  const backlog = options.backlog === undefined ? 511 : requireInteger(options.backlog, 'backlog', 0, 65535);
  const target = `${host?.address ?? '*'}:${at}`;
  const open = (family: Family) => request(sandbox, { operation: 'listen', target },
    (h) => h.openSocket({ family, type: 'tcp', bind: true, port: at, backlog, ...(host && { address: host.address }) }));
  // Every address: IPv6's any address takes IPv4 too, unless the sandbox has IPv6 disabled.
  const fd = host ? await open(host.family) : await open(6).catch((error: unknown) => {
    if ((error as NetsandboxError).code === 'EAFNOSUPPORT') return open(4);
    throw error;
  });
  return adopt(fd, (done) => {
    settleOn(server, 'listening', done);
    server.listen({ fd, backlog });
  }, () => server, 'listen', sandbox, target);
}

/** A TCP connection made from inside the sandbox. */
export async function connect(sandbox: Sandbox, options: ConnectOptions): Promise<Socket> {
  const host = ipAddress(options?.host, 'host');
  const to = port(options.port, 1);
  const timeout = options.timeout === undefined ? undefined : requireInteger(options.timeout, 'timeout', 0, 2 ** 31 - 1);
  const target = host.family === 6 ? `[${host.address}]:${to}` : `${host.address}:${to}`;
  const fd = await request(sandbox, { operation: 'connect', target }, (h) => h.openSocket({ family: host.family, type: 'tcp' }));
  let socket: Socket | undefined;
  return adopt(fd, (done) => {
    socket = new Socket({ fd, readable: true, writable: true });
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        socket!.destroy();
        done(Object.assign(new Error(`connect ETIMEDOUT ${target}`), { code: 'ETIMEDOUT' }));
      }, timeout);
    }
    settleOn(socket, 'connect', (error) => {
      clearTimeout(timer);
      done(error);
    });
    socket.connect(to, host.address);
  }, () => socket!, 'connect', sandbox, target);
}

/** A bound UDP socket of the sandbox. */
export async function createUdpSocket(sandbox: Sandbox, options: UdpSocketOptions): Promise<UdpSocket> {
  const type = options?.type;
  if (type !== 'udp4' && type !== 'udp6') throw new TypeError("type must be 'udp4' or 'udp6'");
  const family: Family = type === 'udp4' ? 4 : 6;
  const at = port(options.port ?? 0);
  const address = options.address === undefined ? undefined : ipAddress(options.address, 'address', family).address;
  const target = `${address ?? '*'}:${at}`;
  const fd = await request(sandbox, { operation: 'createUdpSocket', target },
    (h) => h.openSocket({ family, type: 'udp', bind: true, port: at, ...(address !== undefined && { address }) }));
  const socket = createSocket(type);
  return adopt(fd, (done) => {
    settleOn(socket, 'listening', done);
    socket.bind({ fd });
  }, () => socket, 'createUdpSocket', sandbox, target);
}

/**
 * Calls done() on the `ready` event or done(error) on the first 'error', once, then takes both
 * listeners off: later errors are the caller's to handle.
 */
function settleOn(emitter: EventEmitter, ready: string, done: (error?: unknown) => void): void {
  const onReady = () => finish();
  const onError = (error: Error) => finish(error);
  const finish = (error?: Error) => {
    emitter.off(ready, onReady).off('error', onError);
    done(error);
  };
  emitter.once(ready, onReady).once('error', onError);
}

/**
 * Hands a descriptor the worker made to a Node object (`start` calls done(error?) once the
 * object is ready); if the object never takes it, it is closed here, so nothing leaks.
 */
function adopt<T>(fd: number, start: (done: (error?: unknown) => void) => void, result: () => T,
  operation: string, sandbox: Sandbox, target: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const done = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve(result());
      else reject(nodeError(error, operation, sandbox, target));
    };
    try {
      start(done);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // Node took it before it threw: its own close handles it.
      }
      done(error);
    }
  });
}

// ---- processes ---------------------------------------------------------------------------------

/** What a program exits with, having run nothing, when its sandbox's path names another namespace. */
const NAMESPACE_REPLACED_EXIT = 125;
const NAMESPACE_REPLACED_TEXT = "netsandbox: the sandbox's network namespace";

/**
 * The first words of the shell a program starts through: the namespace it entered by path must
 * still be the sandbox's ($1 is its inode). A pid reused by another process, or a name removed
 * and made again, names another namespace; then nothing runs.
 */
// readlink is coreutils': found whatever PATH the caller passed.
const CHECK_NAMESPACE = 'id=$1; shift; [ "$(PATH=/usr/bin:/bin:$PATH readlink /proc/self/ns/net)" = "net:[$id]" ] || '
  + `{ echo "${NAMESPACE_REPLACED_TEXT} (net:[$id]) is no longer at its path; nothing was run" >&2; exit ${NAMESPACE_REPLACED_EXIT}; }; `;

/**
 * The program and arguments that run `command` in the sandbox. `ip netns exec` where ip can name
 * it (created or opened by name under /run/netns); else nsenter into its network namespace and
 * unshare a mount namespace in which /sys is remounted, and /etc/netns/NAME's files are bound
 * over /etc's when the sandbox has a name: what `ip netns exec` does. Both check first that they
 * entered the sandbox's own namespace (CHECK_NAMESPACE). The scripts' only input is their
 * arguments: nothing of the sandbox's name or path is ever part of a script's text.
 */
function enterArgv(sandbox: Sandbox, command: string, args: readonly string[]): string[] {
  const id = String(sandbox.id);
  if (sandbox.name !== undefined && sandbox.path === `${DEFAULT_BASE_PATH}/${sandbox.name}`) {
    return ['ip', 'netns', 'exec', sandbox.name, '/bin/sh', '-c', `${CHECK_NAMESPACE}exec "$@"`, 'netsandbox-exec', id, command, ...args];
  }
  // After the inode: $1 the /etc/netns directory (or ''), then the command.
  const script = `${CHECK_NAMESPACE}etc=$1; shift; umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys; `
    + 'if [ -n "$etc" ]; then for f in "$etc"/*; do [ -e "$f" ] && mount --bind "$f" "/etc/${f##*/}"; done; fi; exec "$@"';
  const etc = sandbox.name === undefined ? '' : `/etc/netns/${sandbox.name}`;
  return ['nsenter', `--net=${sandbox.path}`, '--', 'unshare', '--mount', '--propagation', 'slave', '--', '/bin/sh', '-c', script, 'netsandbox-exec', id, etc, command, ...args];
}

/** Where `command` is, as execvp would find it (for an ENOENT before anything starts), or undefined. */
function findCommand(command: string, env: NodeJS.ProcessEnv | undefined, cwd: string | URL | undefined): string | undefined {
  const executable = (file: string) => {
    try {
      accessSync(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolvePath(cwd === undefined ? process.cwd() : String(cwd), command);
    return executable(file) ? file : undefined;
  }
  const path = (env ?? process.env).PATH ?? '/usr/local/bin:/usr/bin:/bin';
  return path.split(delimiter).map((dir) => `${dir || '.'}/${command}`).find(executable);
}

function checkCommand(command: unknown, args: unknown): readonly string[] {
  if (typeof command !== 'string' || command === '') throw new TypeError('command must be a non-empty string');
  if (args !== undefined && (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))) {
    throw new TypeError('args must be an array of strings');
  }
  return (args ?? []) as readonly string[];
}

function notFound(command: string, sandbox: Sandbox): NetsandboxError {
  return Object.assign(libraryError('ENOENT', `${command}: command not found`, { operation: 'spawn', sandbox: label(sandbox), target: command }),
    { errno: osConstants.errno.ENOENT });
}

/**
 * What child_process.spawn gives for a program it can't start: a ChildProcess with the stdio
 * streams asked for (input taken and dropped, output ended at once), then 'error' and 'close'
 * events, never a throw. A caller's `child.stdout.on(...)` works either way. As Node reads
 * `stdio`, fds 0-2 left unset or null are pipes.
 */
function refusedChild(error: NetsandboxError, stdio: SpawnOptions['stdio']): ChildProcess {
  const child = new ChildProcessClass();
  const kinds: unknown[] = Array.isArray(stdio) ? [...stdio] : [stdio, stdio, stdio];
  while (kinds.length < 3) kinds.push(undefined);
  const streams = kinds.map((kind, fd) => {
    if (!(kind === 'pipe' || kind === 'overlapped' || (fd < 3 && (kind === undefined || kind === null)))) return null;
    if (fd === 0) return new Writable({ write: (_chunk, _encoding, done) => done() });
    const stream = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    stream.push(null);
    return stream;
  });
  const code = error.errno === undefined ? null : -error.errno;
  Object.assign(child, { stdin: streams[0], stdout: streams[1], stderr: streams[2], stdio: streams, exitCode: code });
  process.nextTick(() => {
    child.emit('error', error);
    child.emit('close', code, null);
  });
  return child;
}

/**
 * `shell` as child_process takes it: the command and its arguments, joined with spaces, are one
 * script for that shell (true: /bin/sh). Node would run the shell around the sandbox's entry
 * instead, outside the namespace, so the shell becomes the program.
 */
function unshell<T extends { shell?: boolean | string | undefined }>(command: string, args: readonly string[], options: T): [string, readonly string[], T] {
  if (!options.shell) return [command, args, options];
  return [typeof options.shell === 'string' ? options.shell : '/bin/sh', ['-c', [command, ...args].join(' ')], { ...options, shell: false }];
}

/** Starts `command` in the sandbox: a real ChildProcess (see enterArgv for what it sees). */
export function spawnIn(sandbox: Sandbox, commandIn: string, args?: readonly string[], optionsIn: SpawnOptions = {}): ChildProcess {
  const [command, argv, options] = unshell(commandIn, checkCommand(commandIn, args), optionsIn); // a TypeError throws, as spawn's do
  const refused = sandbox.closed ? libraryError('ERR_SANDBOX_CLOSED', 'the sandbox is closed', { operation: 'spawn', sandbox: label(sandbox), target: commandIn })
    : findCommand(command, options.env, options.cwd) === undefined ? notFound(command, sandbox) : undefined;
  if (refused !== undefined) return refusedChild(refused, options.stdio);
  const [file, ...rest] = enterArgv(sandbox, command, argv);
  return spawn(file!, rest, options);
}

/** Runs `command` in the sandbox to its end, like execFile: rejects on a non-zero exit. */
export function execIn(sandbox: Sandbox, commandIn: string, args?: readonly string[], optionsIn: ExecFileOptions = {}): Promise<ExecResult> {
  let command: string, argv: readonly string[], options: ExecFileOptions;
  try {
    [command, argv, options] = unshell(commandIn, checkCommand(commandIn, args), optionsIn);
  } catch (error) {
    return Promise.reject(error);
  }
  if (findCommand(command, options.env, options.cwd) === undefined) return Promise.reject(notFound(command, sandbox));
  if (sandbox.closed) {
    return Promise.reject(libraryError('ERR_SANDBOX_CLOSED', 'the sandbox is closed', { operation: 'exec', sandbox: label(sandbox), target: commandIn }));
  }
  const [file, ...rest] = enterArgv(sandbox, command, argv);
  return new Promise((resolve, reject) => {
    execFile(file!, rest, { maxBuffer: 64 << 20, ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error?.code === NAMESPACE_REPLACED_EXIT && stderr.includes(NAMESPACE_REPLACED_TEXT)) {
        reject(libraryError('ERR_NAMESPACE_REPLACED', stderr.trim(), { operation: 'exec', sandbox: label(sandbox), target: commandIn }));
      } else if (error) {
        reject(Object.assign(error, { stdout, stderr }));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}
