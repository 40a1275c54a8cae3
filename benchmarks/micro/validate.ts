// `npx tsx benchmarks/micro/validate.ts`: ns per call of the validation every route add runs on
// the main thread (routeFields, then routeRecord), for each input form. No privileges, no addon: the sandbox is
// a stand-in registered with request.ts. The target is well under 1 µs per call.
import { performance } from 'node:perf_hooks';

import type { Interface } from '../../lib/interface.js';
import type { NativeSandboxHandle } from '../../lib/native.js';
import { registerSandbox } from '../../lib/request.js';
import { routeFields, routeRecord, type RouteSpec } from '../../lib/route.js';
import type { Sandbox } from '../../lib/sandbox.js';
import { cidr } from '../../lib/validate.js';

const sandbox = { name: 'micro', path: '/run/netns/micro' } as Sandbox;
registerSandbox(sandbox, {} as NativeSandboxHandle);
const bridge = { sandbox, index: 3, name: 'br0' } as unknown as Interface;

const N = 5000;
const forms: Array<[string, (i: number) => RouteSpec]> = [
  ['IPv6 /48 dev name', (i) => ({ dst: `2001:db8:${i.toString(16)}::/48`, dev: 'br0' })],
  ['IPv4 /24 dev name', (i) => ({ dst: `198.18.${i >> 8}.${(i & 255) === 0 ? 0 : 0}/24`, dev: 'br0' })],
  ['IPv4 /24 via + Interface', (i) => ({ dst: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.0/24`, via: '192.0.2.1', dev: bridge })],
  ['IPv6 /128 host route', (i) => ({ dst: `2001:db8::${i.toString(16)}`, dev: 'br0' })],
  ['IPv4 /32 host route', (i) => ({ dst: `198.18.${i >> 8}.${i & 255}`, dev: 'br0' })],
  ['default via, table, metric', () => ({ dst: 'default', via: '2001:db8::1', dev: 'br0', table: 100, metric: 10 })],
];

for (const [name, make] of forms) {
  const specs = Array.from({ length: N }, (_, i) => make(i));
  let best = Infinity;
  for (let rep = 0; rep < 20; rep++) {
    const start = performance.now();
    for (const spec of specs) routeRecord(routeFields(sandbox, spec));
    best = Math.min(best, performance.now() - start);
  }
  console.log(`${name.padEnd(28)} ${((best * 1e6) / N).toFixed(0).padStart(5)} ns per route`);
}

const addresses = Array.from({ length: N }, (_, i) => `2001:db8:${i.toString(16)}::1/64`);
let best = Infinity;
for (let rep = 0; rep < 20; rep++) {
  const start = performance.now();
  for (const a of addresses) cidr(a, 'address');
  best = Math.min(best, performance.now() - start);
}
console.log(`${'address CIDR (IPv6 /64)'.padEnd(28)} ${((best * 1e6) / N).toFixed(0).padStart(5)} ns per address`);
