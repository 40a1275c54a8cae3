// rtnetlink codecs: request builders from specs and parsers into plain structs, for links,
// addresses, routes, neighbours and bridge FDB entries. Pure functions, any thread.
//
// Every builder has one shape, Build*(spec, resolver, error) -> message, so that an operation of
// the binding's table names its builder directly; an empty message means *error is set.
#pragma once

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "message.h"

namespace nl {

// An interface named by index, or by name to be looked up in the namespace at send time.
struct LinkRef {
  int32_t index = 0;
  std::string name;
  bool empty() const { return index == 0 && name.empty(); }
};

// The loopback device's ifindex in every namespace.
constexpr int32_t kLoopbackIndex = 1;

// Interface names <-> indexes in the namespace the request will be sent in. Implemented by the
// namespace worker (it must run there); codec tests resolve indexes only.
class LinkResolver {
 public:
  virtual ~LinkResolver() = default;
  // The index, or 0 with *error set (ENODEV, "Cannot find device \"eth9\"").
  virtual int32_t IndexOf(const LinkRef& ref, Error* error) = 0;
  // The name of an interface, "" when there is none (or it can't be looked up).
  virtual std::string NameOf(int32_t index) = 0;
};

// A dump that takes only a family (rules, nexthop objects). AF_UNSPEC: every family.
struct FamilyFilter {
  uint8_t family = 0;
};

// ---- Links ----------------------------------------------------------------------------------

struct VethPeer {
  std::string name;
  int netns_fd = -1;  // create the peer directly in this namespace
  std::optional<uint32_t> mtu;
  std::vector<uint8_t> mac;
};

struct VxlanOptions {
  uint32_t vni = 0;
  uint16_t port = 0;  // host order; 0 lets the kernel pick its default
  IpAddress local;
  IpAddress remote;  // unicast remote or multicast group
  LinkRef parent;    // underlay device
  std::optional<bool> learning;
};

// A bridge port's settings (IFLA_BRPORT_*, `ip link set DEV type bridge_slave ...`): set ones
// are sent; a listed port has them all.
struct BridgePort {
  std::optional<bool> hairpin;  // IFLA_BRPORT_MODE
  std::optional<bool> isolated;
  std::optional<bool> learning;
  std::optional<bool> flood;  // IFLA_BRPORT_UNICAST_FLOOD
  std::optional<bool> proxy_arp;
  std::optional<uint32_t> cost;
  std::optional<uint16_t> priority;
};

struct LinkSpec {
  LinkRef dev;       // the existing link (change); empty on create
  std::string name;  // create: the new link's name; change: rename to this
  std::string kind;  // create only: veth, bridge, macvlan, vxlan, dummy, vlan
  std::optional<uint32_t> mtu;
  std::vector<uint8_t> mac;
  std::optional<bool> up;
  std::optional<std::string> alias;  // IFLA_IFALIAS; empty clears it
  bool set_master = false;
  LinkRef master;     // empty with set_master: detach from the master
  int netns_fd = -1;  // change: move into this namespace
  LinkRef parent;     // macvlan / vlan lower device
  VethPeer peer;
  uint32_t macvlan_mode = 0;  // MACVLAN_MODE_*
  uint16_t vlan_id = 0;
  VxlanOptions vxlan;
  std::optional<bool> promisc;  // IFF_PROMISC, IFF_ALLMULTI through ifi_change
  std::optional<bool> allmulti;
  std::optional<uint32_t> txqlen;
  std::optional<uint32_t> group;
  std::optional<BridgePort> bridge_port;  // change only
  std::string alt_name;                   // add / delete an alternative name only
};

struct LinkStats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
  uint64_t multicast = 0, collisions = 0;
};

// The settings of a link of these kinds, read back from IFLA_INFO_DATA (`ip -d link show`).
struct VlanInfo {
  uint16_t id = 0;
  uint16_t protocol = 0;  // host order: ETH_P_8021Q, ETH_P_8021AD; 0 when not reported
};
struct VxlanInfo {
  uint32_t vni = 0;
  uint16_t port = 0;  // host order
  IpAddress local;
  IpAddress remote;    // unicast remote or multicast group
  int32_t parent = 0;  // IFLA_VXLAN_LINK, the underlay device
  bool learning = false;
};
struct TunInfo {
  bool tap = false;
  std::optional<uint32_t> owner;  // absent: any user
  std::optional<uint32_t> group;
  bool packet_info = false;  // IFF_NO_PI unset
  bool vnet_hdr = false;
  bool persist = false;
  bool multi_queue = false;
};

struct LinkInfo {
  int32_t index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND, empty for loopback and kind-less devices
  uint32_t mtu = 0;
  std::vector<uint8_t> mac;
  uint32_t flags = 0;     // IFF_*
  uint8_t operstate = 0;  // IF_OPER_*
  int32_t master = 0;
  std::string master_name;
  std::string alias;  // IFLA_IFALIAS, `ip link set NAME alias TEXT`
  bool has_stats = false;
  LinkStats stats;
  uint32_t txqlen = 0;
  uint32_t group = 0;
  std::vector<std::string> alt_names;     // IFLA_PROP_LIST
  int32_t link = 0;                       // IFLA_LINK: a veth's peer, a vlan's parent
  std::optional<int32_t> link_netnsid;    // IFLA_LINK_NETNSID: `link` is in that namespace
  std::optional<BridgePort> bridge_port;  // when its master is a bridge
  std::optional<uint32_t> macvlan_mode;   // MACVLAN_MODE_*
  std::optional<VlanInfo> vlan;
  std::optional<VxlanInfo> vxlan;
  std::optional<TunInfo> tun;
};

struct LinkFilter {};  // a link dump takes no filter

// Errors are set only for what can't be encoded or resolved; the kernel judges the rest.
std::vector<uint8_t> BuildCreateLink(const LinkSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildChangeLink(const LinkSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDeleteLink(const LinkRef& dev, LinkResolver& resolver, Error* error);
// By index, or by name without a lookup (the kernel looks it up: no race with a rename); a name
// of IFNAMSIZ bytes or more is an alternative name (IFLA_ALT_IFNAME).
std::vector<uint8_t> BuildGetLink(const LinkRef& dev, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDumpLinks(const LinkFilter& filter, LinkResolver& resolver, Error* error);
// `ip link property add|del dev D altname NAME` (RTM_NEWLINKPROP / RTM_DELLINKPROP).
std::vector<uint8_t> BuildAddAltName(const LinkSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDeleteAltName(const LinkSpec& spec, LinkResolver& resolver, Error* error);

// `ip netns set` / `ip netns list-id`: the id this namespace gives another (RTM_*NSID).
struct NetnsIdSpec {
  int netns_fd = -1;
  int32_t id = -1;  // set: the id to give (-1: let the kernel pick)
};
struct NetnsId {
  int32_t id = -1;  // -1: none
};
std::vector<uint8_t> BuildGetNetnsId(const NetnsIdSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildSetNetnsId(const NetnsIdSpec& spec, LinkResolver& resolver, Error* error);
bool ParseNetnsId(const nlmsghdr* nlh, LinkResolver& resolver, NetnsId* out);
// Parsers read the NEW and DEL messages alike (a notification of a removal carries the object).
// They name the interfaces they mention through the resolver (in the namespace, at parse time).
// An address, route or neighbour whose interface is gone by then is not parsed (false): it went
// with its interface, and an entry without a device name would be a lie. A link whose master is
// gone is reported without one.
bool ParseLink(const nlmsghdr* nlh, LinkResolver& resolver, LinkInfo* out);

// ---- Addresses ------------------------------------------------------------------------------

struct AddressSpec {
  LinkRef dev;
  IpAddress local;
  uint8_t prefix_len = 0;
  IpAddress peer;       // point-to-point peer
  IpAddress broadcast;  // IPv4 only
  std::optional<uint8_t> scope;
  bool no_dad = false;           // IPv6: skip duplicate address detection
  bool no_prefix_route = false;  // IFA_F_NOPREFIXROUTE: no route for the prefix
  // IFA_CACHEINFO, seconds; kForever (both absent: forever, without the attribute).
  std::optional<uint32_t> valid_lft;
  std::optional<uint32_t> preferred_lft;
};

constexpr uint32_t kForever = 0xffffffff;  // INFINITY_LIFE_TIME

struct AddressInfo {
  uint8_t family = 0;
  uint8_t prefix_len = 0;
  uint8_t scope = 0;
  uint32_t flags = 0;  // IFA_F_*
  int32_t dev = 0;
  std::string dev_name;
  IpAddress local;
  IpAddress peer;  // set only when it differs from local
  IpAddress broadcast;
  std::string label;
  uint32_t valid_lft = kForever;  // seconds left
  uint32_t preferred_lft = kForever;
};

struct AddressFilter {
  uint8_t family = 0;  // AF_UNSPEC: every family
  LinkRef dev;         // empty: every interface
};

std::vector<uint8_t> BuildAddAddress(const AddressSpec& spec, LinkResolver& resolver, Error* error);
// `ip addr replace`: adds, or changes the flags and lifetimes of the address if it exists.
std::vector<uint8_t> BuildReplaceAddress(const AddressSpec& spec, LinkResolver& resolver,
                                         Error* error);
std::vector<uint8_t> BuildDeleteAddress(const AddressSpec& spec, LinkResolver& resolver,
                                        Error* error);
std::vector<uint8_t> BuildDumpAddresses(const AddressFilter& filter, LinkResolver& resolver,
                                        Error* error);  // filtered in the kernel (strict checks)
bool ParseAddress(const nlmsghdr* nlh, LinkResolver& resolver, AddressInfo* out);

// ---- Nexthop objects (`ip nexthop`) -----------------------------------------------------------

struct NexthopGroupMember {
  uint32_t id = 0;
  uint16_t weight = 1;  // 1-256; the wire carries weight - 1
};

struct NexthopSpec {
  uint32_t id = 0;
  uint8_t family = 0;  // of the gateway; AF_UNSPEC for a group
  IpAddress via;
  LinkRef dev;
  bool blackhole = false;
  bool on_link = false;
  std::vector<NexthopGroupMember> group;  // a group takes nothing else
};

struct NexthopInfo {
  uint32_t id = 0;
  uint8_t family = 0;
  IpAddress via;
  int32_t dev = 0;
  std::string dev_name;
  bool blackhole = false;
  uint32_t flags = 0;  // RTNH_F_*
  uint8_t protocol = 0;
  std::vector<NexthopGroupMember> group;
};

std::vector<uint8_t> BuildAddNexthop(const NexthopSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDeleteNexthop(const NexthopSpec& spec, LinkResolver& resolver,
                                        Error* error);
std::vector<uint8_t> BuildDumpNexthops(const FamilyFilter& filter, LinkResolver& resolver,
                                       Error* error);
// False for a nexthop whose device is gone (as for routes), or a message that is not one.
bool ParseNexthop(const nlmsghdr* nlh, LinkResolver& resolver, NexthopInfo* out);

// ---- Policy routing rules -------------------------------------------------------------------

// A rule as `ip rule` has it: one struct for what is added, deleted (unset fields match any
// rule) and listed.
struct Rule {
  uint8_t family = 0;
  std::optional<uint32_t> priority;  // listed: absent for priority 0 (the kernel sends none)
  IpAddress from;                    // FRA_SRC / src_len
  uint8_t from_len = 0;
  IpAddress to;  // FRA_DST / dst_len
  uint8_t to_len = 0;
  std::string iif;  // names: a rule may name an interface that does not exist (yet)
  std::string oif;
  std::optional<uint32_t> fwmark;
  std::optional<uint32_t> fwmask;
  uint32_t table = 0;  // 0: none given (an add of a lookup rule uses main, as iproute2)
  uint8_t action = 0;  // FR_ACT_*; 0: an add looks up `table`, a delete matches any action
  std::optional<uint8_t> ip_proto;
  struct PortRange {
    uint16_t start = 0;
    uint16_t end = 0;
  };
  std::optional<PortRange> sport;
  std::optional<PortRange> dport;
};

std::vector<uint8_t> BuildAddRule(const Rule& rule, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDeleteRule(const Rule& rule, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDumpRules(const FamilyFilter& filter, LinkResolver& resolver,
                                    Error* error);
bool ParseRule(const nlmsghdr* nlh, LinkResolver& resolver, Rule* out);

// ---- Routes ---------------------------------------------------------------------------------

// One name per concept from TS to the wire: `via` is RTA_GATEWAY, `src` the preferred source
// (RTA_PREFSRC), `from` the source prefix (RTA_SRC), `dev` the output interface (RTA_OIF).
struct RouteSpec {
  uint8_t family = 0;
  IpAddress dst;  // empty: the default route; a route get: the address asked about
  uint8_t dst_len = 0;
  IpAddress via;
  LinkRef dev;
  std::optional<uint8_t> scope;
  bool on_link = false;
  uint32_t table = 0;  // 0: main
  std::optional<uint32_t> metric;
  IpAddress src;
  IpAddress from;  // RTA_SRC: IPv6 source-specific routes; a route get: the source asked about
  uint8_t from_len = 0;
  std::optional<uint8_t> protocol;
  std::optional<uint8_t> type;  // add: unicast unless set; delete: any unless set
  uint32_t nexthop_id = 0;      // RTA_NH_ID: a route through a nexthop object (`nhid N`)
  // RTA_METRICS: the path MTU and advertised MSS (0: unset); `lock` holds 1 << RTAX_* of the
  // metrics the kernel must not change (`mtu lock 1400`).
  uint32_t mtu = 0;
  uint32_t advmss = 0;
  uint32_t lock = 0;
  std::optional<uint8_t> pref;  // RTA_PREF, IPv6: ICMPV6_ROUTER_PREF_LOW/MEDIUM/HIGH
  // RTA_MULTIPATH: an ECMP route (`nexthop via A dev D weight W nexthop ...`), instead of via/dev.
  struct Nexthop {
    IpAddress via;
    LinkRef dev;
    uint16_t weight = 1;  // 1-256
    bool on_link = false;
  };
  std::vector<Nexthop> nexthops;
};

struct RouteFilter {
  uint8_t family = 0;
  uint32_t table = 0;  // 0: every table
};

struct RouteInfo {
  uint8_t family = 0;
  uint8_t dst_len = 0;
  IpAddress dst;
  uint8_t from_len = 0;
  IpAddress from;  // a source prefix, or the source address of a route get's answer
  IpAddress via;
  IpAddress src;
  int32_t dev = 0;
  std::string dev_name;
  uint32_t table = 0;
  uint32_t metric = 0;
  uint8_t protocol = 0;
  uint8_t scope = 0;
  uint8_t type = 0;
  uint32_t flags = 0;       // rtm_flags | RTNH_F_* of the nexthop
  uint32_t nexthop_id = 0;  // RTA_NH_ID
  uint32_t mtu = 0;         // RTA_METRICS, as in RouteSpec
  uint32_t advmss = 0;
  uint32_t lock = 0;
  std::optional<uint8_t> pref;
  // RTA_MULTIPATH: an ECMP route's nexthops (its via and dev are then in these).
  struct Nexthop {
    IpAddress via;
    int32_t dev = 0;
    std::string dev_name;
    uint16_t weight = 1;  // rtnh_hops + 1
    uint8_t flags = 0;    // RTNH_F_*
  };
  std::vector<Nexthop> nexthops;
};

// Add and replace ask the kernel to echo the route it made when it chooses part of it (the
// device); a unicast route with its device is acked only. A get is `ip route get`: the kernel
// answers with the route it would use. An absent scope is universe: lib/ sends iproute2's.
std::vector<uint8_t> BuildAddRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildReplaceRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDeleteRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildGetRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error);
std::vector<uint8_t> BuildDumpRoutes(const RouteFilter& filter, LinkResolver& resolver,
                                     Error* error);
bool ParseRoute(const nlmsghdr* nlh, LinkResolver& resolver, RouteInfo* out);

// ---- Neighbours and bridge FDB ------------------------------------------------------------

struct NeighborSpec {
  uint8_t family = 0;  // AF_INET, AF_INET6, or AF_BRIDGE for an FDB entry
  IpAddress ip;        // the neighbour (AF_INET/6), or the remote VTEP of an FDB entry
  std::vector<uint8_t> mac;
  LinkRef dev;
  bool permanent = false;
  // FDB entries: in the bridge's table (NTF_MASTER, on a port) and/or the device's own
  // (NTF_SELF, a vxlan); static (NUD_NOARP) rather than permanent; in a VLAN.
  bool master = false;
  bool self = false;
  bool fdb_static = false;
  uint16_t vlan = 0;
  bool proxy = false;  // a proxy entry (`ip neigh add proxy IP dev DEV`): NTF_PROXY, no lladdr
};

struct NeighborInfo {
  uint8_t family = 0;
  int32_t dev = 0;
  std::string dev_name;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  IpAddress ip;
  std::vector<uint8_t> mac;
  uint16_t vlan = 0;  // NDA_VLAN of an FDB entry
};

struct NeighborFilter {
  uint8_t family = 0;  // AF_BRIDGE: the FDB
  LinkRef dev;
  bool proxy = false;  // the proxy entries (`ip neigh show proxy`), which a plain dump leaves out
};

std::vector<uint8_t> BuildAddNeighbor(const NeighborSpec& spec, LinkResolver& resolver,
                                      Error* error);
std::vector<uint8_t> BuildDeleteNeighbor(const NeighborSpec& spec, LinkResolver& resolver,
                                         Error* error);
std::vector<uint8_t> BuildDumpNeighbors(const NeighborFilter& filter, LinkResolver& resolver,
                                        Error* error);
bool ParseNeighbor(const nlmsghdr* nlh, LinkResolver& resolver, NeighborInfo* out);

}  // namespace nl
