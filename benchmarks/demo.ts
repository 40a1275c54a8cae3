// `npm run demo`: two sandboxes joined by a veth pair, with addresses, a route and a neighbour,
// printed the way `ip -br addr` would, then an HTTP server in one answering the other and a ping,
// with how long each step took. Run by npm inside a private
// network + mount namespace (test/in-private-netns.sh); everything is destroyed, also on failure.
import { createServer, request } from 'node:http';
import { performance } from 'node:perf_hooks';

import { type Interface, Sandbox } from '../lib/index.js';

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  console.log(`  ${what.padEnd(58)} ${(performance.now() - start).toFixed(2).padStart(8)} ms`);
  return result;
}

async function briefAddresses(sb: Sandbox): Promise<string> {
  const [interfaces, addresses] = await Promise.all([sb.interfaces(), sb.addresses()]);
  return interfaces.map((i: Interface) => {
    const mine = addresses.filter((a) => a.dev === i.name).map((a) => `${a.address}/${a.prefixLength}`);
    const state = i.operState.toUpperCase();
    return `${i.name.padEnd(16)} ${state.padEnd(14)} ${mine.join(' ')}`;
  }).join('\n');
}

async function main(): Promise<void> {
  const total = performance.now();
  console.log('netsandbox demo\n');
  await using left = await step('Sandbox.create("demo-left")', () => Sandbox.create('demo-left'));
  await using right = await step('Sandbox.create("demo-right")', () => Sandbox.create('demo-right'));
  const [l, r] = await step('createVeth("veth-l", peer "veth-r" in demo-right)', () =>
    left.createVeth('veth-l', { peer: { name: 'veth-r', sandbox: right } }));
  await step('addAddress 192.0.2.1/24 + 2001:db8::1/64 on veth-l', () =>
    Promise.all([l.addAddress('192.0.2.1/24'), l.addAddress('2001:db8::1/64', { noDad: true })]));
  await step('addAddress 192.0.2.2/24 + 2001:db8::2/64 on veth-r', () =>
    Promise.all([r.addAddress('192.0.2.2/24'), r.addAddress('2001:db8::2/64', { noDad: true })]));
  await step('setUp both ends', () => Promise.all([l.setUp(), r.setUp()]));
  await step('waitFor operState up on both ends (the kernel reports carrier a bit later)', () =>
    Promise.all([l, r].map((end) => end.waitFor({ operState: 'up' }, { timeout: 5000 }))));
  const route = await step('addRoute 198.51.100.0/24 via 192.0.2.2 (in demo-left)', () =>
    left.addRoute({ dst: '198.51.100.0/24', via: '192.0.2.2' }));
  await step('addNeighbor 192.0.2.2 lladdr <veth-r mac> dev veth-l', () =>
    left.addNeighbor({ ip: '192.0.2.2', mac: r.mac, dev: l }));
  const chosen = await step('routeTo 198.51.100.7 (like ip route get)', () => left.routeTo('198.51.100.7'));
  const server = createServer((req, res) => res.end(`hello ${req.socket.remoteAddress} from ${left.name}\n`));
  await step('listen: an http.Server on port 8080 inside demo-left', () => left.listen(server, { port: 8080 }));
  const body = await step('connect from demo-right, GET / over the veth', async () => {
    const socket = await right.connect({ host: '192.0.2.1', port: 8080, timeout: 5000 });
    return new Promise<string>((resolve, reject) => {
      request({ createConnection: () => socket, path: '/' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text));
      }).on('error', reject).end();
    });
  });
  server.close();
  const links = await step('exec in demo-right: ls /sys/class/net', () => right.exec('ls', ['/sys/class/net']));

  for (const sb of [left, right]) {
    console.log(`\n$ ip -n ${sb.name} -br addr`);
    console.log(await briefAddresses(sb));
  }
  console.log(`\nroute added:   ${JSON.stringify(route)}`);
  console.log(`route chosen:  ${chosen.dst} via ${chosen.via} dev ${chosen.dev} src ${chosen.src}`);
  const neighbors = await left.neighbors({ dev: l });
  console.log(`neighbour:     ${neighbors.map((n) => `${n.ip} lladdr ${n.mac} ${n.state.join(',')}`).join('; ')}`);
  console.log(`http answer:   ${body.trim()}`);
  console.log(`demo-right's /sys/class/net, as a program there sees it: ${links.stdout.trim().split('\n').join(' ')}`);
  console.log(`\ntotal ${(performance.now() - total).toFixed(1)} ms; destroying both sandboxes`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
