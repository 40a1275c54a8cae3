// Kernel numbers and the names iproute2 prints for them.

/** Where `ip netns add` bind-mounts namespaces, and so does Sandbox.create unless told. */
export const DEFAULT_BASE_PATH = '/run/netns';

export const scopes: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
export const routeTypes: Record<string, number> = {
  unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7,
  prohibit: 8, throw: 9, nat: 10,
};
export const protocols: Record<string, number> = {
  unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16, bgp: 186, isis: 187, ospf: 188, rip: 189,
};
export const tables: Record<string, number> = { default: 253, main: 254, local: 255 };
// FR_ACT_* (linux/fib_rules.h): what a policy routing rule does.
export const ruleActions: Record<string, number> = { lookup: 1, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 };
export const operStates = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export const macvlanModes: Record<string, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };
export const neighborStates: Record<string, number> = {
  incomplete: 0x01, reachable: 0x02, stale: 0x04, delay: 0x08, probe: 0x10, failed: 0x20, noarp: 0x40, permanent: 0x80,
};
export const addressFlags: Record<string, number> = {
  secondary: 0x01, nodad: 0x02, optimistic: 0x04, dadfailed: 0x08, homeaddress: 0x10, deprecated: 0x20,
  tentative: 0x40, permanent: 0x80, managetempaddr: 0x100, noprefixroute: 0x200, mcautojoin: 0x400,
  stableprivacy: 0x800,
};

export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000; // carrier
export const IFF_PROMISC = 0x100;
export const IFF_ALLMULTI = 0x200;
export const RTN_UNICAST = 1;
export const RTNH_F_ONLINK = 0x4;
// ICMPV6_ROUTER_PREF_* (RTA_PREF): an IPv6 route's preference, as in router advertisements.
export const routePreferences: Record<string, number> = { medium: 0, high: 1, low: 3 };
// RTAX_MTU, RTAX_ADVMSS: the metrics a route may lock (`mtu lock N`), as bits of RTAX_LOCK.
export const lockableMetrics = { mtu: 2, advmss: 8 } as const;
export const NTF_SELF = 0x2;
export const NTF_MASTER = 0x4;
export const NTF_PROXY = 0x8;

/** The names of the bits set in `value`. */
export function flagNames(value: number, table: Record<string, number>): string[] {
  return Object.entries(table).filter(([, bit]) => (value & bit) !== 0).map(([name]) => name);
}

/** Kernel config options behind each link kind, for UnsupportedError messages. */
export const linkKindConfig: Record<string, string> = {
  veth: 'CONFIG_VETH', bridge: 'CONFIG_BRIDGE', macvlan: 'CONFIG_MACVLAN', vxlan: 'CONFIG_VXLAN',
  dummy: 'CONFIG_DUMMY', vlan: 'CONFIG_VLAN_8021Q',
};

// Conntrack: IP protocols by the names conntrack-tools uses, the IPS_* status bits and TCP states.
export const ipProtocols: Record<string, number> = {
  icmp: 1, tcp: 6, udp: 17, dccp: 33, gre: 47, icmpv6: 58, sctp: 132, udplite: 136,
};
export const conntrackStatus: Record<string, number> = {
  EXPECTED: 1 << 0, SEEN_REPLY: 1 << 1, ASSURED: 1 << 2, CONFIRMED: 1 << 3, SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5, SEQ_ADJUST: 1 << 6, SRC_NAT_DONE: 1 << 7, DST_NAT_DONE: 1 << 8, DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10, TEMPLATE: 1 << 11, NAT_CLASH: 1 << 12, HELPER: 1 << 13, OFFLOAD: 1 << 14,
  HW_OFFLOAD: 1 << 15,
};
export const tcpStates: Record<string, number> = {
  NONE: 0, SYN_SENT: 1, SYN_RECV: 2, ESTABLISHED: 3, FIN_WAIT: 4, CLOSE_WAIT: 5, LAST_ACK: 6,
  TIME_WAIT: 7, CLOSE: 8, SYN_SENT2: 9,
};
