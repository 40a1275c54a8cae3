// `npm install` without a fitting prebuild must stop with one line per missing build dependency.
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
    expect(result.stderr).toBe('netsandbox: building needs the libmnl headers: apt-get install libmnl-dev pkg-config\n');
  });

  it('names build-essential, Python and libmnl-dev when none is on PATH', () => {
    const result = run({ PATH: '/nonexistent' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe([
      'netsandbox: no prebuilt binary fits this platform, and building one needs a C++ compiler and make: apt-get install build-essential',
      'netsandbox: building needs Python 3 (node-gyp runs it): apt-get install python3',
      'netsandbox: building needs the libmnl headers: apt-get install libmnl-dev pkg-config',
      '',
    ].join('\n'));
  });
});
