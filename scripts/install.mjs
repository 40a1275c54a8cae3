// `npm install`: use the prebuilt binary for this platform (prebuilds/), or build from source.
// Only a build needs a compiler, Python and libmnl-dev, so only a build checks for them, and says
// in one line what is missing instead of a page of gyp errors.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// The oldest glibc the prebuilds run on (the build machine's; test/pack.sh checks the binaries).
export const MIN_GLIBC = '2.36';

function glibcFits() {
  const runtime = process.report?.getReport().header.glibcVersionRuntime;
  if (runtime === undefined) return false; // musl: node-gyp-build would find no glibc prebuild anyway
  const [major, minor] = runtime.split('.').map(Number);
  const [needMajor, needMinor] = MIN_GLIBC.split('.').map(Number);
  return major > needMajor || (major === needMajor && minor >= needMinor);
}

function prebuildFits() {
  if (!glibcFits()) return false;
  try {
    require('node-gyp-build').path(root); // throws when no prebuild or build matches
    return true;
  } catch {
    return false;
  }
}

/** node-gyp as npm runs it (its own copy, named in npm_config_node_gyp), else ours, else PATH's. */
function nodeGyp() {
  const script = process.env.npm_config_node_gyp ?? (() => {
    try {
      return require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      return undefined;
    }
  })();
  return script ? [process.execPath, [script, 'rebuild']] : ['node-gyp', ['rebuild']];
}

if (process.argv[2] === '--min-glibc') {
  console.log(MIN_GLIBC);
} else if (!prebuildFits()) {
  const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
  process.exit(run('sh', [join(root, 'native', 'check-build-deps.sh')]) || run(...nodeGyp()));
}
