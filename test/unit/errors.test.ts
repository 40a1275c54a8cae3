import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { afterUndo, ExistsError, NetsandboxError, NotFoundError, PermissionError, toError, UnsupportedError } from '../../lib/errors.js';
import { inspect } from 'node:util';
import { Interface } from '../../lib/interface.js';
import type { NativeSandboxHandle } from '../../lib/native.js';
import { registerSandbox } from '../../lib/request.js';
import type { Sandbox } from '../../lib/sandbox.js';

const context = { operation: 'addRoute', sandbox: 'web-1', target: '198.51.100.0/24 via 192.0.2.1' };

describe('error mapping', () => {
  it('formats kernel errors with operation, target, sandbox, extack and code', () => {
    const raw = Object.assign(new Error('Nexthop has invalid gateway'), { code: 'EINVAL', errno: 22, extack: 'Nexthop has invalid gateway' });
    const e = toError(raw, context) as NetsandboxError;
    expect(e).toBeInstanceOf(NetsandboxError);
    expect(e.message).toBe('addRoute 198.51.100.0/24 via 192.0.2.1 in sandbox web-1: Nexthop has invalid gateway (EINVAL)');
    expect(e).toMatchObject({ code: 'EINVAL', errno: 22, operation: 'addRoute', sandbox: 'web-1', extack: 'Nexthop has invalid gateway' });
  });

  it('picks the subclass callers branch on', () => {
    const raw = (code: string, errno: number) => Object.assign(new Error(code), { code, errno });
    expect(toError(raw('EEXIST', 17), context)).toBeInstanceOf(ExistsError);
    for (const code of ['ENOENT', 'ENODEV', 'ESRCH']) expect(toError(raw(code, 2), context)).toBeInstanceOf(NotFoundError);
    const denied = toError(raw('EPERM', 1), context);
    expect(denied).toBeInstanceOf(PermissionError);
    expect(denied.message).toMatch(/CAP_NET_ADMIN/);
    expect(toError(raw('EPERM', 1), { operation: 'create', sandbox: 'x' }).message).toMatch(/CAP_SYS_ADMIN/);
  });

  it('keeps library codes and passes argument errors through', () => {
    const closed = toError(Object.assign(new Error('the sandbox is closed'), { code: 'ERR_SANDBOX_CLOSED' }), context) as NetsandboxError;
    expect(closed.code).toBe('ERR_SANDBOX_CLOSED');
    expect(closed.errno).toBeUndefined();
    const type = new TypeError('bad');
    expect(toError(type, context)).toBe(type);
  });

  it('maps a missing kernel feature to UnsupportedError, worded by the area that knows why', () => {
    const raw = Object.assign(new Error('Operation not supported'), { code: 'EOPNOTSUPP', errno: 95 });
    const e = toError(raw, { operation: 'createDummy', sandbox: 'x', target: 'd0' }, (code) => (code === 'EOPNOTSUPP' ? 'no dummy driver' : undefined));
    expect(e).toBeInstanceOf(UnsupportedError);
    expect(e.message).toBe('createDummy d0 in sandbox x: no dummy driver (EOPNOTSUPP)');
    expect(toError(raw, context).message).toMatch(/: Operation not supported \(EOPNOTSUPP\)$/);
  });

  // Root can be refused too (a user namespace, seccomp): the message must not say "needs root".
  it('says whether this process lacks the capability or has it but was refused anyway', () => {
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const hasNetAdmin = ((capEff >> 12n) & 1n) === 1n;
    const denied = toError(Object.assign(new Error('Operation not permitted'), { code: 'EPERM', errno: 1 }), context);
    expect(denied.message).toMatch(hasNetAdmin ? /has CAP_NET_ADMIN, but not over this namespace/ : /needs CAP_NET_ADMIN, which this process lacks/);
    expect(denied.message).not.toMatch(/needs root/);
  });

  it('words EMFILE as the descriptor limit, with what a sandbox holds', () => {
    const e = toError(Object.assign(new Error('cannot create /run/netns/x'), { code: 'EMFILE', errno: 24 }), { operation: 'create', sandbox: 'x' });
    expect(e.message).toBe("create in sandbox x: cannot create /run/netns/x: this process's file descriptor limit (RLIMIT_NOFILE, `ulimit -n`) is reached; each open sandbox holds 3 descriptors (EMFILE)");
  });

  it('maps what is not a kernel error too: no code is EIO, ENFILE names the system limit', () => {
    expect(toError(undefined, context)).toMatchObject({ code: 'EIO', message: expect.stringMatching(/: undefined \(EIO\)$/) });
    expect(toError({ code: 5, message: 'odd' }, context)).toMatchObject({ code: 'EIO', message: expect.stringMatching(/: odd \(EIO\)$/) });
    expect(toError({ code: 'ENFILE', message: 'too many' }, context).message).toMatch(/the system's file limit \(fs.file-max\) is reached/);
  });

  it('afterUndo keeps the class, code and errno, and says what was taken back', () => {
    const first = toError({ code: 'EEXIST', errno: 17, message: 'exists' }, context);
    const after = afterUndo(first, { operation: 'createVeth', sandbox: 'web-1', target: 'v0' }, 'the veth pair was deleted');
    expect(after).toBeInstanceOf(ExistsError);
    expect(after).toMatchObject({ code: 'EEXIST', errno: 17, operation: 'createVeth', message: 'createVeth v0 in sandbox web-1: exists; the veth pair was deleted (EEXIST)' });
    const plain = new Error('plain');
    expect(afterUndo(plain, context, 'x')).toBe(plain);
  });
});

describe('printing', () => {
  it('prints errors without the fields they do not have', () => {
    const error = new NetsandboxError({ code: 'ERR_SANDBOX_CLOSED', operation: 'watch', detail: 'the sandbox is closed' });
    const printed = inspect(error);
    expect(printed).toContain("code: 'ERR_SANDBOX_CLOSED'");
    expect(printed).not.toMatch(/extack|errno|target/);
    expect(Object.keys(error)).not.toContain('extack');
  });

  it('prints an Interface with its fields, and a Sandbox with what names it', () => {
    const sandbox = { name: 'unit', path: '/run/netns/unit' } as Sandbox;
    registerSandbox(sandbox, {} as NativeSandboxHandle);
    const iface = new Interface(sandbox, { index: 7, name: 'eth0', kind: 'veth', mtu: 1500, mac: '02:00:00:00:00:07', flags: 0x10001, operState: 6, txQueueLen: 1000, group: 0, altNames: [] });
    expect(inspect(iface)).toMatch(/^Interface \{.*name: 'eth0'.*up: true.*carrier: true.*operState: 'up'/s);
  });
});
