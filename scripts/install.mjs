// `npm install`: use the prebuilt binary for this platform (prebuilds/), or build from source.
// Only a build needs a compiler, Python and libmnl-dev, so only a build checks for them, and says
// in one line what is missing instead of a page of gyp errors.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function prebuildFits() {
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

if (!prebuildFits()) {
  const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
  process.exit(run('sh', [join(root, 'native', 'check-build-deps.sh')]) || run(...nodeGyp()));
}
