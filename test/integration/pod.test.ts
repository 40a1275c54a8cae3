// Pod networking (DESIGN §3.4) against `ip -j` as the oracle: the seed's end state, convergence
// after each crash point (the partial state built with `ip` first), ownership from the alias.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { listPods, podHostIface, Sandbox, setupPod, teardownPod } from '../../lib/index.js';
import { ip, type IpAddr, type IpLink, type IpRoute, ipRaw, uniqueName } from '../support/oracle.js';

let host: Sandbox;
let pod: Sandbox;
const id = 'pod-a1b2c3';
const hostIface = podHostIface(id);
const spec = { id, ipv4: '198.51.100.10', ipv6: '2001:db8:10::10', anycast: ['203.0.113.53/32'], owner: 'agent-1' };

beforeEach(async () => {
  host = await Sandbox.create(uniqueName('pod-host'));
  pod = await Sandbox.create(uniqueName('pod'));
});
afterEach(async () => {
  await host.destroy();
  await pod.destroy();
});

const sysctl = (netns: string, key: string) => execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-n', key], { encoding: 'utf8' }).trim();
const addresses = (netns: string, dev: string) =>
  (ip<IpAddr[]>(netns, 'addr', 'show', 'dev', dev)[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
const routes = (netns: string, family: '-4' | '-6') =>
  ip<IpRoute[]>(netns, family, 'route', 'show').map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}${r.flags.includes('onlink') ? ' onlink' : ''}`).sort();

/** The whole state the set-up is about, as ip shows it. */
function state() {
  return {
    hostLink: ip<IpLink[]>(host.name!, 'link', 'show', hostIface)[0],
    hostAddresses: addresses(host.name!, hostIface),
    podAddresses: addresses(pod.name!, 'eth0'),
    lo: addresses(pod.name!, 'lo'),
    hostRoutes: [...routes(host.name!, '-4'), ...routes(host.name!, '-6')],
    podRoutes: [...routes(pod.name!, '-4'), ...routes(pod.name!, '-6')],
    sysctls: [
      sysctl(host.name!, `net.ipv4.conf.${hostIface}.proxy_arp`), sysctl(host.name!, `net.ipv4.conf.${hostIface}.forwarding`),
      sysctl(host.name!, `net.ipv6.conf.${hostIface}.forwarding`), sysctl(host.name!, `net.ipv6.conf.${hostIface}.addr_gen_mode`),
      sysctl(pod.name!, 'net.ipv6.conf.eth0.addr_gen_mode'),
    ],
  };
}

describe('setupPod', () => {
  it("builds the seed's end state, and a second call changes nothing", async () => {
    const first = await setupPod(host, pod, spec);
    expect(first.changed.length).toBeGreaterThan(10);
    const s = state();
    expect(s.hostLink).toMatchObject({ ifname: hostIface, operstate: 'UP' });
    expect(JSON.parse((s.hostLink as unknown as { ifalias: string }).ifalias)).toEqual({ 'netsandbox-pod': id, owner: 'agent-1' });
    expect(s.hostAddresses).toEqual(['fe80::1/64']); // no kernel link-local address
    expect(s.podAddresses).toEqual(['198.51.100.10/32', '2001:db8:10::10/128']);
    expect(s.lo).toContain('203.0.113.53/32');
    // The /128's own route is the kernel's.
    expect(s.podRoutes).toEqual(['169.254.1.1 dev eth0', 'default via 169.254.1.1 dev eth0 onlink', '2001:db8:10::10 dev eth0', 'default via fe80::1 dev eth0']);
    expect(s.hostRoutes).toEqual(['198.51.100.10 dev ' + hostIface, `2001:db8:10::10 dev ${hostIface}`, `fe80::/64 dev ${hostIface}`].sort());
    expect(s.sysctls).toEqual(['1', '1', '1', '1', '1']);
    const again = await setupPod(host, pod, spec);
    expect(again.changed).toEqual([]);
    expect(state()).toEqual(s);
  });

  it('works on a host that has an eth0 of its own', async () => {
    ipRaw(host.name!, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer');
    await setupPod(host, pod, spec);
    expect(ip<IpLink[]>(host.name!, 'link', 'show', 'eth0')[0]?.ifname).toBe('eth0');
    expect(addresses(pod.name!, 'eth0')).toContain('198.51.100.10/32');
  });

  it('finishes after a crash at any step', async () => {
    // The veth made, nothing else.
    ipRaw(host.name!, 'link', 'add', hostIface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name!);
    const resumed = await setupPod(host, pod, spec);
    expect(resumed.changed).toContain(`${hostIface} alias`);
    const complete = state();
    // Addresses partly there, the pod side up without its routes, a host route pointing elsewhere.
    ipRaw(pod.name!, 'addr', 'del', '2001:db8:10::10/128', 'dev', 'eth0');
    ipRaw(pod.name!, 'route', 'del', 'default');
    ipRaw(host.name!, 'link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1');
    ipRaw(host.name!, 'link', 'set', 'other0', 'up');
    ipRaw(host.name!, 'route', 'replace', '198.51.100.10/32', 'dev', 'other0');
    const repaired = await setupPod(host, pod, spec);
    expect(repaired.changed).toEqual(expect.arrayContaining([
      'eth0 2001:db8:10::10/128',
      'pod route default',
      'host route 198.51.100.10/32 replaced (was dev other0)',
    ]));
    const now = state();
    expect({ ...now, hostLink: undefined }).toEqual({ ...complete, hostLink: undefined });
  });

  it('refuses state it does not own, changing nothing', async () => {
    ipRaw(host.name!, 'link', 'add', 'dummy-ish', 'type', 'veth', 'peer', 'name', 'dummy-ish-p');
    ipRaw(host.name!, 'addr', 'add', '198.51.100.10/32', 'dev', 'dummy-ish');
    const before = [...routes(host.name!, '-4'), ...routes(host.name!, '-6')];
    await expect(setupPod(host, pod, spec)).rejects.toThrow(/198\.51\.100\.10 is already on dummy-ish/);
    expect(ip<IpLink[]>(host.name!, 'link', 'show')).not.toContainEqual(expect.objectContaining({ ifname: hostIface }));
    expect([...routes(host.name!, '-4'), ...routes(host.name!, '-6')]).toEqual(before);
    // Another pod's host veth under the name asked for.
    ipRaw(host.name!, 'addr', 'flush', 'dev', 'dummy-ish');
    await setupPod(host, pod, { ...spec, id: 'pod-other', hostIface: 'shared0' });
    await expect(setupPod(host, pod, { ...spec, hostIface: 'shared0' })).rejects.toThrow(/shared0 exists and is not this pod's/);
    await expect(setupPod(host, pod, { ...spec, ipv4: '2001:db8::1' })).rejects.toBeInstanceOf(RangeError);
    // A second pod with the first one's address: the host route is the first pod's.
    const twin = await Sandbox.create(uniqueName('pod-twin'));
    try {
      await expect(setupPod(host, twin, { id: 'pod-twin', ipv4: '198.51.100.10' })).rejects.toThrow(/198\.51\.100\.10\/32 is routed to pod pod-other/);
      expect(ip<IpLink[]>(host.name!, 'link', 'show')).not.toContainEqual(expect.objectContaining({ ifname: podHostIface('pod-twin') }));
    } finally {
      await twin.destroy();
    }
    // Teardown removes only what is the pod's: an interface of that name it does not own stays.
    await expect(teardownPod(host, { id, hostIface: 'dummy-ish', ipv4: '198.51.100.10' })).rejects.toThrow(/not pod pod-a1b2c3's.*nothing removed/);
    expect(ip<IpLink[]>(host.name!, 'link', 'show', 'dummy-ish')).toHaveLength(1);
  });

  it('stops on a failed pod sysctl, saying what was done, instead of swallowing it', async () => {
    await expect(setupPod(host, pod, { ...spec, sysctls: { 'ipv4.conf.no_such_key': 1 } })).rejects.toThrow(/no_such_key.*done so far: created veth/);
  });
});

describe('listPods and teardownPod', () => {
  it('lists pods from the kernel alone, also in a fresh process, and tears them down twice', async () => {
    await setupPod(host, pod, spec);
    const other = await Sandbox.create(uniqueName('pod-b'));
    try {
      await setupPod(host, other, { id: 'pod-b', ipv4: '198.51.100.11', owner: 'agent-2' });
      expect(await listPods(host, { owner: 'agent-1' })).toEqual([{ id, hostIface, ipv4: '198.51.100.10', ipv6: '2001:db8:10::10', owner: 'agent-1' }]);
      expect((await listPods(host)).map((p) => p.id).sort()).toEqual([id, 'pod-b']);
      // A process that never saw the set-up finds the same.
      const script = `import { Sandbox, listPods } from './lib/index.ts';
        const host = await Sandbox.open(${JSON.stringify(host.name)});
        console.log(JSON.stringify(await listPods(host, { owner: 'agent-1' })));
        await host.close();`;
      const out = execFileSync('npx', ['tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual(await listPods(host, { owner: 'agent-1' }));
      const down = await teardownPod(host, spec);
      expect(down.changed).toEqual(expect.arrayContaining([`deleted ${hostIface}`, 'host route 198.51.100.10/32']));
      expect(ip<IpLink[]>(host.name!, 'link', 'show')).not.toContainEqual(expect.objectContaining({ ifname: hostIface }));
      expect(await teardownPod(host, spec)).toEqual({ changed: [] });
      // The pod's namespace destroyed first: its veth goes, and teardown still succeeds.
      await other.destroy();
      await expect(teardownPod(host, { id: 'pod-b', ipv4: '198.51.100.11' })).resolves.toBeDefined();
      expect(await listPods(host)).toEqual([]);
    } finally {
      if (!other.closed) await other.destroy();
    }
  });
});

describe('traffic', () => {
  it('carries UDP between two pods through the host (proxy ARP, forwarding)', async () => {
    const second = await Sandbox.create(uniqueName('pod-c'));
    try {
      // Like a real node, the host has a default route: proxy ARP answers for 169.254.1.1
      // because the host routes it out of another interface.
      ipRaw(host.name!, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-p');
      ipRaw(host.name!, 'link', 'set', 'uplink', 'up');
      ipRaw(host.name!, 'link', 'set', 'uplink-p', 'up');
      ipRaw(host.name!, 'addr', 'add', '203.0.113.1/24', 'dev', 'uplink');
      ipRaw(host.name!, 'route', 'add', 'default', 'via', '203.0.113.254');
      await setupPod(host, pod, spec);
      await setupPod(host, second, { id: 'pod-c', ipv4: '198.51.100.12' });
      const receiver = await pod.createUdpSocket({ type: 'udp4', port: 5000, address: '198.51.100.10' });
      const sender = await second.createUdpSocket({ type: 'udp4' });
      const got = new Promise<[Buffer, { address: string }]>((resolve) => receiver.once('message', (m, r) => resolve([m, r])));
      const timer = setInterval(() => sender.send('hello pod', 5000, '198.51.100.10'), 100); // the first may wait for ARP
      const [message, from] = await got.finally(() => clearInterval(timer));
      expect(message.toString()).toBe('hello pod');
      expect(from.address).toBe('198.51.100.12');
      receiver.close();
      sender.close();
    } finally {
      await second.destroy();
    }
  });
});
