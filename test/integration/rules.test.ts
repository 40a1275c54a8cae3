import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExistsError, NotFoundError, type Rule, Sandbox } from '../../lib/index.js';
import { ip, ipRaw, uniqueName } from '../support/oracle.js';

// `ip -j rule show` prints a rule with these keys (srclen absent for a host, table by name).
interface IpRule {
  priority: number; src: string; srclen?: number; dst?: string; dstlen?: number; iif?: string; oif?: string;
  fwmark?: string; fwmask?: string; table?: string; action?: string; ipproto?: string;
  sport?: number; sport_start?: number; sport_end?: number; dport?: number; dport_start?: number; dport_end?: number;
}

const TABLE_NAMES: Record<string, number> = { local: 255, main: 254, default: 253 };

/** A rule as the library lists it, from `ip -j rule`'s form. */
function fromIp(r: IpRule, family: 4 | 6): Rule {
  const host = family === 4 ? 32 : 128;
  const rule: Rule = {
    family, priority: r.priority, action: r.action ?? 'lookup',
    table: r.table === undefined ? 0 : TABLE_NAMES[r.table] ?? Number(r.table),
  } as Rule;
  if (r.src !== 'all') rule.from = `${r.src}/${r.srclen ?? host}`;
  if (r.dst !== undefined) rule.to = `${r.dst}/${r.dstlen ?? host}`;
  if (r.iif !== undefined) rule.iif = r.iif;
  if (r.oif !== undefined) rule.oif = r.oif;
  if (r.fwmark !== undefined) rule.fwmark = Number(r.fwmark);
  if (r.fwmask !== undefined) rule.fwmask = Number(r.fwmask);
  if (r.ipproto !== undefined) rule.ipProto = r.ipproto;
  const range = (one?: number, start?: number, end?: number) => (one !== undefined ? one : start !== undefined ? [start, end!] as [number, number] : undefined);
  const sport = range(r.sport, r.sport_start, r.sport_end);
  const dport = range(r.dport, r.dport_start, r.dport_end);
  if (sport !== undefined) rule.sport = sport;
  if (dport !== undefined) rule.dport = dport;
  return rule;
}

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(uniqueName('rules'));
});
afterAll(async () => {
  await sb.destroy();
});

const shown = (family: 4 | 6) => ip<IpRule[]>(sb.name!, ...(family === 6 ? ['-6'] : []), 'rule', 'show').map((r) => fromIp(r, family));

describe('policy routing rules', () => {
  it('adds rules that ip rule shows field for field, and lists them as ip does', async () => {
    await sb.addRule({ priority: 100, from: '192.0.2.0/24', table: 100 });
    await sb.addRule({ priority: 101, to: '198.51.100.0/24', iif: 'eth9', oif: 'lo', fwmark: 5, fwmask: 0xff, action: 'blackhole' });
    await sb.addRule({ priority: 102, ipProto: 'udp', sport: [1000, 2000], dport: 53, table: 'main' });
    await sb.addRule({ priority: 103, from: '203.0.113.7', action: 'prohibit' });
    await sb.addRule({ priority: 104, fwmark: 0x10, action: 'unreachable' });
    await sb.addRule({ from: '2001:db8::/64', table: 5000 }); // the kernel picks the priority
    await sb.addRule({ priority: 105, to: '198.51.100.7/32' }); // no table: main, as `ip rule add`
    const v4 = shown(4);
    expect(v4.map((r) => r.priority)).toEqual([0, 100, 101, 102, 103, 104, 105, 32766, 32767]);
    expect(v4.find((r) => r.priority === 105)).toMatchObject({ table: 254, action: 'lookup' });
    expect([...await sb.rules({ family: 4 })]).toEqual(v4);
    const v6 = shown(6);
    expect(v6.find((r) => r.from === '2001:db8::/64')).toMatchObject({ priority: 32765, table: 5000 });
    expect([...await sb.rules({ family: 6 })]).toEqual(v6);
    expect((await sb.rules()).map((r) => r.family)).toEqual([...v4.map(() => 4), ...v6.map(() => 6)]);
  });

  it('lists rules that ip made, and deletes them: a listed rule exactly, a spec by its fields', async () => {
    ipRaw(sb.name!, 'rule', 'add', 'pref', '200', 'from', '192.0.2.64/26', 'to', '198.51.100.0/25', 'ipproto', 'tcp', 'dport', '80-90', 'lookup', '7');
    ipRaw(sb.name!, '-6', 'rule', 'add', 'pref', '201', 'iif', 'lo', 'unreachable');
    const listed = await sb.rules();
    const made = listed.find((r) => r.priority === 200)!;
    expect(made).toEqual({ family: 4, priority: 200, from: '192.0.2.64/26', to: '198.51.100.0/25', ipProto: 'tcp', dport: [80, 90], table: 7, action: 'lookup' });
    expect(listed.find((r) => r.priority === 201)).toEqual({ family: 6, priority: 201, iif: 'lo', table: 0, action: 'unreachable' });
    await sb.deleteRule(made);
    await sb.deleteRule({ family: 6, priority: 201 });
    for (const rule of listed.filter((r) => r.priority >= 100 && r.priority < 32766 && r.priority !== 200 && r.priority !== 201)) await sb.deleteRule(rule);
    expect(shown(4).map((r) => r.priority)).toEqual([0, 32766, 32767]);
    expect(shown(6).map((r) => r.priority)).toEqual([0, 32766]);
  });

  it('rejects what the kernel refuses with its typed errors, and changes nothing', async () => {
    await sb.addRule({ priority: 300, from: '192.0.2.0/24', table: 300 });
    const again = await sb.addRule({ priority: 300, from: '192.0.2.0/24', table: 300 }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ExistsError);
    expect(again).toMatchObject({ code: 'EEXIST', operation: 'addRule', target: 'pref 300 from 192.0.2.0/24 lookup 300' });
    await sb.deleteRule({ priority: 300 });
    const gone = await sb.deleteRule({ priority: 300 }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone).toMatchObject({ code: 'ENOENT', operation: 'deleteRule' });
    expect(shown(4).map((r) => r.priority)).toEqual([0, 32766, 32767]);
  });

  it('refuses bad rules before anything is sent', async () => {
    const before = JSON.stringify(shown(4));
    const cases: Array<[Parameters<Sandbox['addRule']>[0], ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp]> = [
      [{ from: '192.0.2.1/24' }, RangeError, /host bits/],
      [{ from: '192.0.2.0/24', to: '2001:db8::/64' }, RangeError, /different families/],
      [{ family: 6, from: '192.0.2.0/24' }, RangeError, /family 6/],
      [{ action: 'blackhole', table: 5 }, RangeError, /looks up no table/],
      [{ action: 'jump' as never }, RangeError, /action 'jump'/],
      [{ sport: [2000, 1000] }, RangeError, /empty/],
      [{ dport: 65535 }, RangeError, /dport/],
      [{ iif: 'a/b' }, RangeError, /iif/],
      [{ priority: -1 }, RangeError, /priority/],
      [{ fwmark: 1.5 }, TypeError, /fwmark/],
      [null as never, TypeError, /object/],
    ];
    for (const [spec, type, message] of cases) {
      const error = await sb.addRule(spec).catch((e: unknown) => e);
      expect(error, JSON.stringify(spec)).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    await expect(sb.deleteRule({ family: 4 })).rejects.toThrow(TypeError);
    await expect(sb.deleteRule({ action: 'lookup' })).rejects.toThrow(/picks the rule/);
    expect(JSON.stringify(shown(4))).toBe(before);
  });
});
