// `npm install` must stop with one line naming what to install when a build dependency is missing.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = new URL('../../native/check-build-deps.sh', import.meta.url).pathname;
const run = (env: Record<string, string>) => spawnSync('/bin/sh', [script], { env: { ...process.env, ...env }, encoding: 'utf8', cwd: '/tmp' });

describe('native/check-build-deps.sh', () => {
  it('passes on this machine', () => {
    expect(run({}).status).toBe(0);
  });

  it('names libmnl-dev when pkg-config cannot find libmnl', () => {
    const result = run({ PKG_CONFIG_LIBDIR: '/nonexistent', PKG_CONFIG_PATH: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('netsandbox: libmnl headers not found; install them: apt-get install libmnl-dev pkg-config\n');
  });

  it('names build-essential when there is no compiler', () => {
    const result = run({ PATH: '/nonexistent' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('netsandbox: no C++ compiler or make found; install them: apt-get install build-essential\n');
  });
});
