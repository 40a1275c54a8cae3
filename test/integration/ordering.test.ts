// Requests made in one turn of the event loop go to the worker together (lib/request.ts), but
// every request on a sandbox still takes effect in submission order: none overtakes a queued one,
// whatever its kind. Each test issues its requests without awaiting in between, so they share a
// batch (or a batch and a direct call; more than 256 are handed over in several as they are
// queued), and checks an effect only the right order gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Sandbox } from '../../lib/index.js';
import { ip, type IpRoute, uniqueName } from '../support/oracle.js';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(uniqueName('order'));
  const br = await sb.createBridge('br0');
  await br.setUp();
});
afterAll(() => sb.destroy());

const dst = (i: number) => `2001:db8:${i.toString(16)}::/48`;

describe('submission order', () => {
  it('a delete after queued adds deletes the route they added', async () => {
    const adds = Array.from({ length: 300 }, (_, i) => sb.addRoute({ dst: dst(i), dev: 'br0' }));
    const deleted = sb.deleteRoute({ dst: dst(299), dev: 'br0' });
    await Promise.all([...adds, deleted]);
    const shown = ip<IpRoute[]>(sb.name!, '-6', 'route', 'show', 'dev', 'br0').map((r) => r.dst);
    expect(shown).toContain('2001:db8:12a::/48'); // 298
    expect(shown).not.toContain('2001:db8:12b::/48'); // 299
  });

  it('a dump sees the adds queued before it and none queued after it', async () => {
    const before = Array.from({ length: 200 }, (_, i) => sb.addRoute({ dst: `198.18.${i}.0/24`, dev: 'br0' }));
    const listing = sb.routes({ family: 4 });
    const after = Array.from({ length: 200 }, (_, i) => sb.addRoute({ dst: `198.19.${i}.0/24`, dev: 'br0' }));
    const [routes] = await Promise.all([listing, ...before, ...after]);
    const dsts = routes.map((r) => r.dst);
    expect(dsts.filter((d) => d.startsWith('198.18.'))).toHaveLength(200);
    expect(dsts.filter((d) => d.startsWith('198.19.'))).toHaveLength(0);
  });

  it('a sysctl read after a queued create sees the new interface', async () => {
    const created = sb.createBridge('br-sc');
    const forwarding = sb.sysctl.get('net.ipv4.conf.br-sc.forwarding');
    await created;
    await expect(forwarding).resolves.toBe('0');
  });

  it('a netlink request after a sysctl write sees the write', async () => {
    const br = await sb.createBridge('br-v6');
    const disabled = sb.sysctl.set('net.ipv6.conf.br-v6.disable_ipv6', 1);
    const refused = br.addAddress('2001:db8:ffff::1/64'); // IPv6 is off on br-v6 by then
    await disabled;
    await expect(refused).rejects.toMatchObject({ operation: 'addAddress' });
  });

  it('a request by the new name after a rename finds the interface', async () => {
    const br = await sb.createBridge('br-old');
    const renamed = br.rename('br-new');
    const found = sb.interface('br-new');
    await renamed;
    await expect(found).resolves.toMatchObject({ index: br.index, name: 'br-new' });
  });

  it('a create after a delete of the same name succeeds', async () => {
    const br = await sb.createBridge('br-again');
    const deleted = br.delete();
    const again = sb.createBridge('br-again');
    await deleted;
    await expect(again).resolves.toMatchObject({ name: 'br-again' });
    expect((await again).index).not.toBe(br.index);
  });

  it('close() after queued adds lets them all finish first, and later requests fail', async () => {
    const other = await Sandbox.create(uniqueName('order-close'));
    const br = await other.createBridge('br0');
    await br.setUp();
    const adds = Array.from({ length: 500 }, (_, i) => other.addRoute({ dst: dst(1000 + i), dev: 'br0' }));
    const closing = other.close();
    const late = other.addRoute({ dst: dst(2000), dev: 'br0' });
    late.catch(() => {}); // asserted below, after the adds
    await expect(Promise.all(adds)).resolves.toHaveLength(500);
    await closing;
    await expect(late).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED' });
    expect(ip<IpRoute[]>(other.name!, '-6', 'route', 'show', 'dev', 'br0').filter((r) => r.dst.startsWith('2001:db8:'))).toHaveLength(500);
    await other.destroy();
  });

  it('requests awaited one by one and batched ones interleave in order', async () => {
    const br = await sb.createBridge('br-mix');
    await br.setUp();
    const first = sb.addRoute({ dst: '203.0.113.0/24', dev: 'br-mix' });
    await first;
    const replaced = sb.replaceRoute({ dst: '203.0.113.0/24', dev: 'br-mix', metric: 0, protocol: 'static' });
    const asked = sb.routeTo('203.0.113.9');
    const [route, answer] = await Promise.all([replaced, asked]);
    expect(route.protocol).toBe('static');
    expect(answer).toMatchObject({ dev: 'br-mix' });
  });
});
