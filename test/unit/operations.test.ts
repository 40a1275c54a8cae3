// The operation table (native/binding/operations.cc) is the one place an operation is listed:
// what SandboxHandle.submit() takes and lib/operations.ts's types and indexes follow from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { binding } from '../../lib/native.js';
import { operationIndex } from '../../lib/operations.js';
import { routeRecord } from '../../lib/route.js';
// @ts-expect-error: a plain .mjs script, typed by its use here
import { renderOperations } from '../../scripts/generate-operations.mjs';

const { operations } = binding.codec;

describe('the operation table', () => {
  it('names each row once, and lib submits a row by its position', () => {
    expect(new Set(operations.map((op) => op.name)).size).toBe(operations.length);
    operations.forEach((op, i) => expect(operationIndex[op.name]).toBe(i));
    expect(Object.getOwnPropertyNames(binding.SandboxHandle.prototype)).toContain('submit');
  });

  it('is what lib/operations.ts types (run `npm run generate` after changing a row)', () => {
    const committed = readFileSync(new URL('../../lib/operations.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderOperations(operations));
  });

  it('encodes every pipelined row through the codec hook', () => {
    const routes = operations.filter((op) => op.spec === 'NativeRouteRecord').map((op) => op.name);
    expect(routes).toEqual(['addRoute', 'replaceRoute', 'deleteRoute', 'getRoute']);
    const record = routeRecord({ family: 4, dst: '198.51.100.0', dstLength: 24 });
    const types = routes.map((op) => binding.codec.encode(op, record).readUInt16LE(4));
    expect(types).toEqual([24, 24, 25, 26]); // RTM_NEWROUTE twice, RTM_DELROUTE, RTM_GETROUTE
  });
});
