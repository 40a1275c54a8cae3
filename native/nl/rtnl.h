// rtnetlink codecs: request builders from specs and parsers into plain structs, for links,
// addresses, routes, neighbours and bridge FDB entries. Pure functions, any thread.
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

// Turns a LinkRef into an ifindex in the namespace the request will be sent in. Implemented by
// the namespace worker (it must run there).
class IndexResolver {
 public:
  virtual ~IndexResolver() = default;
  // The index, or 0 with *error set (ENODEV, "Cannot find device \"eth9\"").
  virtual int32_t IndexOf(const LinkRef& ref, Error* error) = 0;
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

struct LinkSpec {
  LinkRef target;    // the existing link (change, delete, get); empty on create
  std::string name;  // create: the new link's name; change: rename to this
  std::string kind;  // create only: veth, bridge, macvlan, vxlan, dummy, vlan
  std::optional<uint32_t> mtu;
  std::vector<uint8_t> mac;
  std::optional<bool> up;
  bool set_master = false;
  LinkRef master;     // empty with set_master: detach from the master
  int netns_fd = -1;  // change: move into this namespace
  LinkRef parent;     // macvlan / vlan lower device
  VethPeer peer;
  uint32_t macvlan_mode = 0;  // MACVLAN_MODE_*
  uint16_t vlan_id = 0;
  VxlanOptions vxlan;
};

struct LinkStats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
  uint64_t multicast = 0, collisions = 0;
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
  bool has_stats = false;
  LinkStats stats;
};

// Errors are set only for what can't be encoded or resolved; the kernel judges the rest.
std::vector<uint8_t> BuildCreateLink(const LinkSpec& spec, IndexResolver& resolver, Error* error);
std::vector<uint8_t> BuildChangeLink(const LinkSpec& spec, IndexResolver& resolver, Error* error);
std::vector<uint8_t> BuildDeleteLink(const LinkRef& target, IndexResolver& resolver, Error* error);
std::vector<uint8_t> BuildGetLink(const LinkRef& target);  // by index, or by name (no lookup)
std::vector<uint8_t> BuildDumpLinks();
bool ParseLink(const nlmsghdr* nlh, LinkInfo* out);

// ---- Addresses ------------------------------------------------------------------------------

struct AddressSpec {
  LinkRef link;
  IpAddress local;
  uint8_t prefix_len = 0;
  IpAddress peer;       // point-to-point peer
  IpAddress broadcast;  // IPv4 only
  std::optional<uint8_t> scope;
  bool no_dad = false;  // IPv6: skip duplicate address detection
};

struct AddressInfo {
  uint8_t family = 0;
  uint8_t prefix_len = 0;
  uint8_t scope = 0;
  uint32_t flags = 0;  // IFA_F_*
  int32_t index = 0;
  IpAddress local;
  IpAddress peer;  // set only when it differs from local
  IpAddress broadcast;
  std::string label;
};

std::vector<uint8_t> BuildAddress(uint16_t type, const AddressSpec& spec, IndexResolver& resolver,
                                  Error* error);  // RTM_NEWADDR (create, excl) or RTM_DELADDR
std::vector<uint8_t> BuildDumpAddresses(uint8_t family, int32_t index);
bool ParseAddress(const nlmsghdr* nlh, AddressInfo* out);

// ---- Routes ---------------------------------------------------------------------------------

enum class RouteOp { kAdd, kReplace, kDelete, kGet };

struct RouteSpec {
  uint8_t family = 0;
  IpAddress dst;  // empty: the default route
  uint8_t dst_len = 0;
  IpAddress gateway;
  LinkRef dev;
  std::optional<uint8_t> scope;
  bool on_link = false;
  uint32_t table = 0;  // 0: main
  std::optional<uint32_t> metric;
  IpAddress prefsrc;
  std::optional<uint8_t> protocol;
  std::optional<uint8_t> type;  // add: unicast unless set; delete: any unless set
};

struct RouteInfo {
  uint8_t family = 0;
  uint8_t dst_len = 0;
  IpAddress dst;
  uint8_t src_len = 0;
  IpAddress src;  // RTA_SRC: a source prefix, or the `from` address of a route get
  IpAddress gateway;
  IpAddress prefsrc;
  int32_t oif = 0;
  uint32_t table = 0;
  uint32_t metric = 0;
  uint8_t protocol = 0;
  uint8_t scope = 0;
  uint8_t type = 0;
  uint32_t flags = 0;  // rtm_flags | RTNH_F_* of the nexthop
};

// Add asks the kernel to echo the route it made, so the result is exactly what it installed.
std::vector<uint8_t> BuildRoute(RouteOp op, const RouteSpec& spec, IndexResolver& resolver,
                                Error* error);
std::vector<uint8_t> BuildDumpRoutes(uint8_t family, uint32_t table);  // table 0: all tables
bool ParseRoute(const nlmsghdr* nlh, RouteInfo* out);

// ---- Neighbours and bridge FDB ------------------------------------------------------------

struct NeighborSpec {
  uint8_t family = 0;  // AF_INET, AF_INET6, or AF_BRIDGE for an FDB entry
  IpAddress ip;        // the neighbour (AF_INET/6), or the remote VTEP of an FDB entry
  std::vector<uint8_t> mac;
  LinkRef dev;
  bool permanent = false;
};

struct NeighborInfo {
  uint8_t family = 0;
  int32_t index = 0;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  IpAddress ip;
  std::vector<uint8_t> mac;
};

std::vector<uint8_t> BuildNeighbor(uint16_t type, const NeighborSpec& spec, IndexResolver& resolver,
                                   Error* error);
std::vector<uint8_t> BuildDumpNeighbors(uint8_t family, int32_t index);
bool ParseNeighbor(const nlmsghdr* nlh, NeighborInfo* out);

}  // namespace nl
