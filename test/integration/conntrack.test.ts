// Conntrack over ctnetlink, with conntrack-tools as the oracle. Conntrack tables are per
// namespace and entries can be inserted without traffic; every address is a documentation one.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { type ConntrackEntry, type NewConntrackEntry, Sandbox, type UdpService } from '../../lib/index.js';
import { binding } from '../../lib/native.js';
import { conntrack, conntrackList, uniqueName } from '../support/oracle.js';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(uniqueName('ct'));
});
afterAll(() => sb.destroy());
beforeEach(() => sb.conntrack.flush());

const udp = (src: string, dst: string, srcPort: number, dstPort: number, reply?: { src: string; srcPort: number }): NewConntrackEntry => ({
  protocol: 'udp', timeout: 120,
  original: { src, dst, srcPort, dstPort },
  ...(reply && { reply: { src: reply.src, dst: src, srcPort: reply.srcPort, dstPort: srcPort } }),
});

const key = (e: { protocol: unknown; original: { src: string; dst: string; srcPort?: number; dstPort?: number } }) =>
  `${String(e.protocol)} ${e.original.src}:${e.original.srcPort ?? ''} ${e.original.dst}:${e.original.dstPort ?? ''}`;
const keys = (entries: ConntrackEntry[]) => entries.map(key).sort();

describe('entries', () => {
  it('creates what conntrack -L shows, tuple for tuple', async () => {
    await sb.conntrack.create({ protocol: 'tcp', original: { src: '192.0.2.2', dst: '198.51.100.2', srcPort: 40000, dstPort: 80 }, timeout: 300, tcpState: 'ESTABLISHED', status: ['ASSURED', 'SEEN_REPLY'], mark: 7 });
    await sb.conntrack.create({ ...udp('2001:db8::1', '2001:db8::2', 5353, 53), zone: 3 });
    await sb.conntrack.create({ protocol: 'icmp', original: { src: '192.0.2.3', dst: '198.51.100.3', icmpType: 8, icmpId: 42 }, timeout: 30 });
    const shown = conntrackList(sb.name!);
    expect(shown).toHaveLength(3);
    const tcp = shown.find((e) => e.protocol === 'tcp')!;
    expect(tcp).toMatchObject({
      family: 'ipv4', state: 'ESTABLISHED', mark: '7',
      original: { src: '192.0.2.2', dst: '198.51.100.2', sport: '40000', dport: '80' },
      reply: { src: '198.51.100.2', dst: '192.0.2.2', sport: '80', dport: '40000' },
    });
    expect(tcp.flags).toContain('ASSURED');
    expect(shown.find((e) => e.protocol === 'udp')).toMatchObject({
      family: 'ipv6', zone: '3', original: { src: '2001:db8::1', dst: '2001:db8::2', sport: '5353', dport: '53' },
      reply: { src: '2001:db8::2', dst: '2001:db8::1', sport: '53', dport: '5353' },
    });
    expect(shown.find((e) => e.protocol === 'icmp')).toMatchObject({
      original: { type: '8', code: '0', id: '42' }, reply: { type: '0', code: '0', id: '42' },
    });
  });

  it('lists what conntrack -I made, field for field, as plain data', async () => {
    const name = sb.name!;
    conntrack(name, '-I', '-p', 'tcp', '-s', '192.0.2.10', '-d', '203.0.113.10', '--sport', '1234', '--dport', '443', '--state', 'TIME_WAIT', '-t', '50', '-u', 'ASSURED', '-m', '9');
    conntrack(name, '-I', '-p', 'udp', '-s', '2001:db8::10', '-d', '2001:db8::20', '--sport', '53', '--dport', '5353', '-t', '60', '-w', '4');
    conntrack(name, '-I', '-p', 'icmp', '-s', '192.0.2.11', '-d', '203.0.113.11', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '7', '-t', '20');
    const listed = await sb.conntrack.list();
    const ids = conntrackList(name).map((e) => Number(e.id)).sort();
    expect(listed.map((e) => e.id).sort()).toEqual(ids);
    expect(JSON.parse(JSON.stringify(listed))).toEqual([...listed]);
    const tcp = listed.find((e) => e.protocol === 'tcp')!;
    expect(tcp).toMatchObject({
      family: 4, tcpState: 'TIME_WAIT', mark: 9,
      original: { src: '192.0.2.10', dst: '203.0.113.10', srcPort: 1234, dstPort: 443 },
      reply: { src: '203.0.113.10', dst: '192.0.2.10', srcPort: 443, dstPort: 1234 },
    });
    expect(tcp.status).toEqual(expect.arrayContaining(['ASSURED', 'CONFIRMED']));
    expect(tcp.timeout).toBeGreaterThan(40);
    expect(listed.find((e) => e.protocol === 'udp')).toMatchObject({ family: 6, zone: 4, original: { src: '2001:db8::10', srcPort: 53, dstPort: 5353 } });
    expect(listed.find((e) => e.protocol === 'icmp')).toMatchObject({ original: { icmpType: 8, icmpCode: 0, icmpId: 7 }, reply: { icmpType: 0, icmpId: 7 } });
    expect(await sb.conntrack.count()).toBe(Number(conntrack(name, '-C').trim()));
  });

  it('refuses an incomplete or inconsistent entry before sending anything', async () => {
    const complete = udp('192.0.2.1', '198.51.100.1', 1000, 53);
    const bad: Array<[unknown, string]> = [
      [{ ...complete, timeout: undefined }, 'TypeError'],
      [{ ...complete, original: { src: '192.0.2.1', dst: '198.51.100.1', srcPort: 1000 } }, 'TypeError'],
      [{ ...complete, original: { src: '192.0.2.1', dst: '2001:db8::1', srcPort: 1, dstPort: 2 } }, 'RangeError'],
      [{ ...complete, family: 6 }, 'RangeError'],
      [{ ...complete, protocol: 'bogus' }, 'RangeError'],
      [{ ...complete, tcpState: 'ESTABLISHED' }, 'RangeError'],
      [{ ...complete, status: ['NOPE'] }, 'RangeError'],
      [{ protocol: 'icmp', original: { src: '192.0.2.1', dst: '198.51.100.1', icmpType: 3 }, timeout: 5 }, 'RangeError'],
      [null, 'TypeError'],
    ];
    for (const [entry, name] of bad) {
      await expect(sb.conntrack.create(entry as NewConntrackEntry)).rejects.toMatchObject({ name });
    }
    expect(conntrackList(sb.name!)).toHaveLength(0);
  });

  it('rejects a duplicate with ExistsError and a missing one on delete by filter with nothing deleted', async () => {
    await sb.conntrack.create(udp('192.0.2.1', '198.51.100.1', 1000, 53));
    await expect(sb.conntrack.create(udp('192.0.2.1', '198.51.100.1', 1000, 53))).rejects.toMatchObject({
      name: 'ExistsError', code: 'EEXIST', operation: 'conntrack.create', target: 'udp 192.0.2.1:1000 -> 198.51.100.1:53',
    });
    expect(await sb.conntrack.delete({ original: { dst: '203.0.113.99' } })).toEqual({ deleted: 0, partial: false, errors: [] });
    expect(await sb.conntrack.count()).toBe(1);
  });

  it('flushes one family or all', async () => {
    await sb.conntrack.create(udp('192.0.2.1', '198.51.100.1', 1000, 53));
    await sb.conntrack.create(udp('2001:db8::1', '2001:db8::2', 1000, 53));
    await sb.conntrack.flush({ family: 6 });
    expect(conntrackList(sb.name!).map((e) => e.family)).toEqual(['ipv4']);
    await sb.conntrack.flush();
    expect(await sb.conntrack.count()).toBe(0);
  });
});

describe('filters', () => {
  const table: NewConntrackEntry[] = [
    udp('192.0.2.1', '198.51.100.1', 1000, 53, { src: '203.0.113.1', srcPort: 5353 }),
    udp('192.0.2.2', '198.51.100.1', 1001, 53),
    udp('192.0.2.1', '198.51.100.2', 1002, 123),
    { protocol: 'tcp', original: { src: '192.0.2.1', dst: '198.51.100.1', srcPort: 2000, dstPort: 53 }, timeout: 60, tcpState: 'ESTABLISHED', mark: 5 },
    udp('2001:db8::1', '2001:db8::53', 3000, 53),
    { ...udp('::ffff:192.0.2.9', '::ffff:198.51.100.9', 4000, 53), zone: 2 },
  ];
  const cases: Array<[string, Parameters<Sandbox['conntrack']['delete']>[0], string[]]> = [
    ['an empty filter matches nothing', {}, []],
    ['a filter whose tuples set nothing matches nothing', { original: {}, reply: {} }, []],
    ['protocol', { protocol: 'tcp' }, ['tcp 192.0.2.1:2000 198.51.100.1:53']],
    ['family', { family: 6 }, ['udp 2001:db8::1:3000 2001:db8::53:53', 'udp ::ffff:192.0.2.9:4000 ::ffff:198.51.100.9:53']],
    ['original source address', { original: { src: '192.0.2.1' } }, ['tcp 192.0.2.1:2000 198.51.100.1:53', 'udp 192.0.2.1:1000 198.51.100.1:53', 'udp 192.0.2.1:1002 198.51.100.2:123']],
    ['original destination and port', { family: 4, protocol: 'udp', original: { dst: '198.51.100.1', dstPort: 53 } }, ['udp 192.0.2.1:1000 198.51.100.1:53', 'udp 192.0.2.2:1001 198.51.100.1:53']],
    ['original source port', { original: { srcPort: 1002 } }, ['udp 192.0.2.1:1002 198.51.100.2:123']],
    ['reply source (a NATed entry)', { reply: { src: '203.0.113.1' } }, ['udp 192.0.2.1:1000 198.51.100.1:53']],
    ['reply source port', { reply: { srcPort: 123 } }, ['udp 192.0.2.1:1002 198.51.100.2:123']],
    ['reply destination and port', { family: 4, protocol: 'udp', reply: { dst: '192.0.2.2', dstPort: 1001 } }, ['udp 192.0.2.2:1001 198.51.100.1:53']],
    ['mark', { mark: 5 }, ['tcp 192.0.2.1:2000 198.51.100.1:53']],
    ['zone', { zone: 2 }, ['udp ::ffff:192.0.2.9:4000 ::ffff:198.51.100.9:53']],
    ['an IPv4-mapped address equals its IPv4 form', { original: { dst: '198.51.100.9' } }, ['udp ::ffff:192.0.2.9:4000 ::ffff:198.51.100.9:53']],
    ['an IPv4 filter address given mapped', { original: { src: '::ffff:192.0.2.2' } }, ['udp 192.0.2.2:1001 198.51.100.1:53']],
    ['an OR of filters', [{ protocol: 'tcp' }, { original: { dstPort: 123 } }], ['tcp 192.0.2.1:2000 198.51.100.1:53', 'udp 192.0.2.1:1002 198.51.100.2:123']],
    ['every set field must match', { protocol: 'tcp', original: { dstPort: 123 } }, []],
  ];

  for (const [what, filter, expected] of cases) {
    it(`${what}: list and delete agree`, async () => {
      for (const entry of table) await sb.conntrack.create(entry);
      expect(keys(await sb.conntrack.list({ filter }))).toEqual(expected);
      const before = conntrackList(sb.name!).length;
      expect(await sb.conntrack.delete(filter)).toEqual({ deleted: expected.length, partial: false, errors: [] });
      expect(conntrackList(sb.name!)).toHaveLength(before - expected.length);
      expect(keys(await sb.conntrack.list({ filter }))).toEqual([]);
    });
  }

  it('list narrows by family and protocol too', async () => {
    for (const entry of table) await sb.conntrack.create(entry);
    expect(await sb.conntrack.list({ family: 4, protocol: 'udp' })).toHaveLength(3);
    expect(await sb.conntrack.list({ protocol: 'udp', filter: { original: { dstPort: 53 } } })).toHaveLength(4);
  });

  it('an entry deleted between the dump and its delete counts as deleted', async () => {
    for (const entry of table) await sb.conntrack.create(entry);
    const deleting = sb.conntrack.delete({ protocol: 'udp' });
    const flushed = sb.conntrack.flush(); // queued behind the dump, ahead of the deletes
    expect(await deleting).toEqual({ deleted: 5, partial: false, errors: [] });
    await flushed;
  });

  it('refuses malformed filters', async () => {
    for (const filter of [null, { family: 5 }, { original: { src: 'nope' } }, { original: { srcPort: 70000 } }, { protocol: 'xyz' }, [{}, 3]]) {
      const argumentError = (e: unknown) => e instanceof TypeError || e instanceof RangeError;
      await expect(sb.conntrack.delete(filter as never)).rejects.toSatisfy(argumentError);
      await expect(sb.conntrack.list({ filter: filter as never })).rejects.toSatisfy(argumentError);
    }
  });
});

// A dump of more than 1,000 entries reaches JS in pieces while it runs; these tests use 2,500, so
// an interrupted or failed dump has already handed pieces over when it restarts or fails.
const BIG = 2500;
const fillBig = () => Promise.all(Array.from({ length: BIG }, (_, i) =>
  sb.conntrack.create(udp(`198.18.${i >> 8}.${i & 255}`, '198.51.100.1', 1000 + i, 53))));
const dumpScript = new URL('./fixtures/dump-retry.mts', import.meta.url).pathname;

// The developer build's fault hook interrupts the first N dumps of a process (npm run test:asan).
describe.runIf(binding.faultHooks)('an interrupted conntrack dump (fault hook)', () => {
  const run = (mode: string, interrupts: number) => JSON.parse(execFileSync('node_modules/.bin/tsx', [dumpScript, sb.name!, mode],
    { encoding: 'utf8', env: { ...process.env, NETSANDBOX_FAULT_DUMP_INTR: String(interrupts) } })) as unknown;

  it('lists each entry once after restarts, though the attempts before handed over pieces', async () => {
    await fillBig();
    expect(run('conntrack-list', 2)).toEqual({ partial: false, count: BIG, distinct: BIG });
    expect(run('conntrack-list', 5)).toEqual({ partial: true, count: BIG, distinct: BIG });
  });

  it('still deletes what it saw, each entry once, and says partial', async () => {
    await fillBig();
    expect(run('conntrack-delete', 5)).toEqual({ deleted: BIG, partial: true, errors: [] });
    expect(await sb.conntrack.count()).toBe(0);
  });
});

// strace fails one receive of the worker's dump: pieces of it were already read in JS (and the
// entries to delete picked), but a rejected delete has deleted nothing.
describe('a conntrack dump that fails part-way (strace fault injection)', () => {
  it('rejects, and nothing was deleted', async () => {
    await fillBig();
    // About 170 entries per receive: the 10th falls past the first piece of 1,000 (a version
    // that sent each piece's deletes as it came deleted 1,000 entries here).
    const out = execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=recvmsg', '-e', 'inject=recvmsg:error=ENOBUFS:when=10',
      'node_modules/.bin/tsx', dumpScript, sb.name!, 'conntrack-delete'], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ rejected: 'ENOBUFS' });
    expect(await sb.conntrack.count()).toBe(BIG);
  });
});

describe('cleanStaleUdp (kube-proxy)', () => {
  // One UDP service on port 53 with a ClusterIP, an external IP and a load-balancer IP, NodePort
  // 30053; endpoint 10.x addresses are documentation ones here: 203.0.113.10 serves,
  // 203.0.113.11 does not (terminating), 203.0.113.12 was deleted.
  const clusterIp = '198.51.100.10';
  const externalIp = '198.51.100.20';
  const lbIp = '198.51.100.30';
  const nodeIp = '192.0.2.100';
  const services: UdpService[] = [
    { ips: [clusterIp, externalIp, lbIp], port: 53, nodePort: 30053, endpoints: ['203.0.113.10'] },
    { ips: ['198.51.100.40'], port: 5000, endpoints: [] }, // no serving endpoint: every flow is stale
    { ips: ['2001:db8::10'], port: 53, endpoints: ['2001:db8::100'] },
  ];
  const nat = (client: string, frontend: string, port: number, endpoint: string, sport = 1000) => udp(client, frontend, sport, port, { src: endpoint, srcPort: port });
  const fixture: Array<[NewConntrackEntry, boolean]> = [
    [nat('192.0.2.1', clusterIp, 53, '203.0.113.10'), false], // serving
    [nat('192.0.2.1', clusterIp, 53, '203.0.113.11', 1001), true], // not serving
    [nat('192.0.2.1', externalIp, 53, '203.0.113.12', 1002), true], // deleted endpoint
    [nat('192.0.2.1', lbIp, 53, '203.0.113.10', 1003), false],
    [nat('192.0.2.1', lbIp, 53, '203.0.113.11', 1004), true],
    [udp('192.0.2.1', clusterIp, 1005, 53), true], // not DNATed: blackholed before the rules existed
    [nat('192.0.2.1', nodeIp, 30053, '203.0.113.11', 1006), true], // NodePort to a non-serving endpoint
    [nat('192.0.2.1', nodeIp, 30053, '203.0.113.10', 1007), false],
    [udp('192.0.2.1', clusterIp, 1008, 54), false], // the frontend IP on another port
    [udp('192.0.2.1', '203.0.113.50', 1009, 53), false], // not a service
    [{ protocol: 'tcp', original: { src: '192.0.2.1', dst: clusterIp, srcPort: 1010, dstPort: 53 }, reply: { src: '203.0.113.11', dst: '192.0.2.1', srcPort: 53, dstPort: 1010 }, timeout: 60, tcpState: 'ESTABLISHED' }, false], // TCP
    [{ protocol: 'sctp', original: { src: '192.0.2.1', dst: clusterIp, srcPort: 1011, dstPort: 53 }, timeout: 60 }, false], // SCTP
    [nat('192.0.2.1', '198.51.100.40', 5000, '203.0.113.13', 1012), true], // service without endpoints
    [nat('2001:db8::1', '2001:db8::10', 53, '2001:db8::101'), false], // IPv6: another family
  ];

  it('deletes exactly the stale entries, and a second run deletes nothing', async () => {
    for (const [entry] of fixture) await sb.conntrack.create(entry);
    const stale = fixture.filter(([, s]) => s).map(([e]) => key({ ...e, protocol: e.protocol }));
    const result = await sb.conntrack.cleanStaleUdp({ family: 4, services });
    expect(result).toEqual({ scanned: 11, deleted: stale.length, partial: false, errors: [] });
    const left = conntrackList(sb.name!).map((e) => `${e.protocol} ${e.original.src}:${e.original.sport} ${e.original.dst}:${e.original.dport}`);
    for (const s of stale) expect(left).not.toContain(s);
    expect(left).toHaveLength(fixture.length - stale.length);
    expect(await sb.conntrack.cleanStaleUdp({ family: 4, services })).toEqual({ scanned: 11 - stale.length, deleted: 0, partial: false, errors: [] });
  });

  it('cleans IPv6 with targetPort: a reply from another port is stale', async () => {
    await sb.conntrack.create(nat('2001:db8::1', '2001:db8::10', 53, '2001:db8::100'));
    await sb.conntrack.create(udp('2001:db8::1', '2001:db8::10', 1001, 53, { src: '2001:db8::100', srcPort: 5353 }));
    const v6 = [{ ...services[2]!, targetPort: 53 }];
    expect(await sb.conntrack.cleanStaleUdp({ family: 6, services: v6 })).toMatchObject({ scanned: 2, deleted: 1 });
    expect((await sb.conntrack.list()).map((e) => e.reply.srcPort)).toEqual([53]);
  });

  it('refuses bad services before dumping', async () => {
    await expect(sb.conntrack.cleanStaleUdp({ family: 4, services: [{ ips: ['nope'], port: 53, endpoints: [] }] })).rejects.toBeInstanceOf(RangeError);
    await expect(sb.conntrack.cleanStaleUdp({ family: 4, services: [{ port: 53 } as never] })).rejects.toBeInstanceOf(TypeError);
    await expect(sb.conntrack.cleanStaleUdp({ family: 7 as never, services: [] })).rejects.toBeInstanceOf(RangeError);
  });
});
