// Writes lib/operations.ts, the TypeScript face of the binding's operation table
// (native/binding/operations.cc), from the table itself: `npm run generate` after adding a row.
// test/unit/operations.test.ts fails when the file and the table disagree.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const protocols = { 0: 'NETLINK_ROUTE', 12: 'NETLINK_NETFILTER' };

/** The file's text for the table `operations` (binding.codec.operations). */
export function renderOperations(operations) {
  const lines = operations.map((op) => {
    const result = op.dump ? `Dump<${op.result}>` : op.result;
    const kind = op.dump ? 'dump, alone on its socket' : 'pipelined';
    return `  /** ${kind}; ${protocols[op.protocol] ?? `netlink protocol ${op.protocol}`} */\n  ${op.name}: { spec: ${op.spec}; result: ${result} };`;
  });
  const indexes = operations.map((op, i) => `  ${op.name}: ${i},`);
  const types = [...new Set(operations.flatMap((op) => [op.spec, ...op.result.split(' | '), ...(op.dump ? ['Dump'] : [])]))]
    .filter((t) => /^[A-Z]\w*$/.test(t))
    .sort();
  return [
    '// Generated from native/binding/operations.cc by scripts/generate-operations.mjs: do not edit.',
    `import type { ${types.join(', ')} } from './native.js';`,
    '',
    '/** The netlink operations of the binding: what each takes and resolves to. */',
    'export interface NativeOperations {',
    ...lines,
    '}',
    '',
    '/** Each operation\'s row in the table: what SandboxHandle.submit() takes. */',
    'export const operationIndex: { readonly [K in keyof NativeOperations]: number } = {',
    ...indexes,
    '};',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const require = createRequire(import.meta.url);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const binding = require('node-gyp-build')(root);
  writeFileSync(new URL('../lib/operations.ts', import.meta.url), renderOperations(binding.codec.operations));
}
