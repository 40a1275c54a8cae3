// A consumer of the published package, type-checked (never run) under each module resolution a
// project may use, with strict and exactOptionalPropertyTypes: `npm run test:types`.
import {
  type Address, type AddressOptions, type BridgePortSettings, type CleanStaleUdpOptions, type ConntrackEntry, type ConntrackListOptions,
  type CreateOptions, ExistsError, type FamilyFilter, type FdbSpec, Interface, type InterfaceJSON, type LinkInfo, type LinkOptions, type Listing,
  type MacvlanMode, type TunInfo, type VxlanInfo,
  NetsandboxError, type NewConntrackEntry, type Nexthop, type NexthopSpec, type NeighborListOptions, type NeighborSpec, NotFoundError,
  type PodSpec, Route, type RouteListOptions, type RouteSpec, type RouteToOptions, type Rule, type RuleSpec, Sandbox, type SandboxJSON,
  type SandboxEvent, type StaleUdpResult, type SysctlChange, type TunOptions, type VethOptions, type WaitOptions, type WatchOptions,
  setupPod,
} from 'netsandbox';

declare const maybe: string | undefined;
declare const maybeNumber: number | undefined;

export async function consumer(): Promise<void> {
  const create: CreateOptions = { basePath: maybe };
  const sb = await Sandbox.create('types', create);
  const json: SandboxJSON = sb.toJSON();
  const link: LinkOptions = { mtu: maybeNumber, mac: maybe };
  const veth: VethOptions = { ...link, peer: { name: 'eth0', sandbox: undefined } };
  const [here]: [Interface, Interface] = await sb.createVeth('veth0', veth);
  const info: InterfaceJSON = here.toJSON();
  // linkInfo narrows on its kind.
  const kindInfo: LinkInfo | null = here.linkInfo;
  const vxlanGroup: string | null | undefined = kindInfo?.kind === 'vxlan' ? (kindInfo satisfies VxlanInfo).group : undefined;
  const tunUser: number | null | undefined = kindInfo?.kind === 'tun' ? (kindInfo satisfies TunInfo).user : undefined;
  const mode: MacvlanMode | number | undefined = kindInfo?.kind === 'macvlan' ? kindInfo.mode : undefined;
  const address: AddressOptions = { noDad: undefined, validLifetime: 'forever', preferredLifetime: maybeNumber };
  await here.addAddress('192.0.2.1/24', address);
  const addresses: Address[] = await here.addresses({ family: undefined });
  // exactOptionalPropertyTypes: an optional field takes a value that may be undefined.
  const spec: RouteSpec = { dst: 'default', via: maybe, dev: here, metric: maybeNumber, nexthops: [{ via: maybe, weight: maybeNumber }] };
  const route: Route = await sb.addRoute(spec);
  const routes: Listing<Route> = await sb.routes({ table: 'all', family: undefined } satisfies RouteListOptions);
  const to: RouteToOptions = { from: maybe, dev: undefined };
  await sb.routeTo('198.51.100.1', to);
  const rule: RuleSpec = { priority: maybeNumber, from: maybe, table: 100, action: 'lookup' };
  await sb.addRule(rule);
  const rules: Rule[] = await sb.rules({ family: 4 } satisfies FamilyFilter);
  await sb.deleteRule(rules[0]!);
  const hop: NexthopSpec = { id: 1, via: maybe, dev: here, onLink: undefined };
  await sb.addNexthop(hop);
  const hops: Nexthop[] = await sb.nexthops();
  const neighbor: NeighborSpec = { ip: '192.0.2.9', mac: maybe, dev: here, permanent: undefined };
  await sb.addNeighbor(neighbor);
  await sb.neighbors({ nud: 'all', dev: undefined } satisfies NeighborListOptions);
  const fdb: FdbSpec = { mac: '02:00:00:00:00:01', dev: here, dst: maybe };
  await sb.addFdbEntry(fdb);
  const port: BridgePortSettings = { hairpin: true, cost: maybeNumber };
  await here.setBridgePort(port).catch(() => undefined);
  const tun: TunOptions = { mode: 'tap', user: maybeNumber };
  await sb.createTun('tap0', tun);
  const entry: NewConntrackEntry = { protocol: 'udp', timeout: 30, original: { src: '192.0.2.1', dst: '198.51.100.1', srcPort: maybeNumber, dstPort: 53 } };
  await sb.conntrack.create(entry);
  const listOptions: ConntrackListOptions = { protocol: 'udp', filter: undefined };
  const entries: ConntrackEntry[] = await sb.conntrack.list(listOptions);
  const clean: CleanStaleUdpOptions = { family: 4, services: [{ ips: ['198.51.100.1'], port: 53, endpoints: [], targetPort: maybeNumber }] };
  const stale: StaleUdpResult = await sb.conntrack.cleanStaleUdp(clean);
  const change: SysctlChange = await sb.sysctl.set('net.ipv4.ip_forward', 1);
  const watch: WatchOptions = { links: true, routes: undefined };
  const wait: WaitOptions = { timeout: maybeNumber, signal: undefined };
  for await (const ev of sb.watch(watch)) {
    const event: SandboxEvent = ev;
    if (event.type === 'link') await event.link.waitFor({ up: true }, wait);
    break;
  }
  const pod: PodSpec = { id: 'pod-1', ipv4: maybe, ipv6: '2001:db8::10', owner: maybe };
  await setupPod(sb, sb, pod);
  try {
    await sb.interface('nope');
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof ExistsError) console.log(error.code);
    if (error instanceof NetsandboxError) console.log(error.operation, error.errno, error.extack);
  }
  console.log(json, info, addresses, route, routes, hops, entries, stale, change, vxlanGroup, tunUser, mode);
  await sb.destroy();
}
