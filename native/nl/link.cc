#include <linux/if.h>
#include <linux/net_namespace.h>
#include <linux/veth.h>

#include <cstring>

#include "rtnl.h"

namespace nl {

namespace {

// Puts the attributes that create and change share.
void PutCommon(MessageBuilder& b, const LinkSpec& spec) {
  if (!spec.name.empty()) b.PutString(IFLA_IFNAME, spec.name);
  if (spec.mtu) b.PutU32(IFLA_MTU, *spec.mtu);
  if (!spec.mac.empty()) b.Put(IFLA_ADDRESS, spec.mac.data(), spec.mac.size());
  if (spec.txqlen) b.PutU32(IFLA_TXQLEN, *spec.txqlen);
  if (spec.group) b.PutU32(IFLA_GROUP, *spec.group);
  // Without a NUL, as iproute2 sends it; an empty one clears the alias.
  if (spec.alias) b.Put(IFLA_IFALIAS, spec.alias->data(), spec.alias->size());
}

ifinfomsg* PutIfinfo(MessageBuilder& b, int32_t index, const LinkSpec* spec) {
  auto* ifi = b.PutHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (spec == nullptr) return ifi;
  auto flag = [ifi](const std::optional<bool>& on, unsigned int bit) {
    if (!on) return;
    ifi->ifi_change |= bit;
    if (*on) ifi->ifi_flags |= bit;
  };
  flag(spec->up, IFF_UP);
  flag(spec->promisc, IFF_PROMISC);
  flag(spec->allmulti, IFF_ALLMULTI);
  return ifi;
}

void PutBridgePort(MessageBuilder& b, const BridgePort& port) {
  nlattr* info = b.NestStart(IFLA_LINKINFO);
  b.PutString(IFLA_INFO_KIND, "bridge_slave");
  nlattr* data = b.NestStart(IFLA_INFO_SLAVE_DATA);
  auto flag = [&b](uint16_t type, const std::optional<bool>& on) {
    if (on) b.PutU8(type, *on ? 1 : 0);
  };
  flag(IFLA_BRPORT_MODE, port.hairpin);
  flag(IFLA_BRPORT_LEARNING, port.learning);
  if (port.cost) b.PutU32(IFLA_BRPORT_COST, *port.cost);
  if (port.priority) b.PutU16(IFLA_BRPORT_PRIORITY, *port.priority);
  flag(IFLA_BRPORT_ISOLATED, port.isolated);
  flag(IFLA_BRPORT_UNICAST_FLOOD, port.flood);
  flag(IFLA_BRPORT_PROXYARP, port.proxy_arp);
  b.NestEnd(data);
  b.NestEnd(info);
}

BridgePort ReadBridgePort(const nlattr* nest) {
  AttributeTable a(IFLA_BRPORT_MAX);
  a.ParseNested(nest);
  BridgePort port;
  auto flag = [&a](uint16_t type, std::optional<bool>* out) {
    uint8_t v;
    if (a.U8(type, &v)) *out = v != 0;
  };
  flag(IFLA_BRPORT_MODE, &port.hairpin);
  flag(IFLA_BRPORT_ISOLATED, &port.isolated);
  flag(IFLA_BRPORT_LEARNING, &port.learning);
  flag(IFLA_BRPORT_UNICAST_FLOOD, &port.flood);
  flag(IFLA_BRPORT_PROXYARP, &port.proxy_arp);
  uint32_t cost;
  uint16_t priority;
  if (a.U32(IFLA_BRPORT_COST, &cost)) port.cost = cost;
  if (a.U16(IFLA_BRPORT_PRIORITY, &priority)) port.priority = priority;
  return port;
}

// IFLA_INFO_DATA of the kinds LinkInfo reads back; other kinds' data is skipped.
void ReadKindData(const std::string& kind, const nlattr* nest, LinkInfo* out) {
  if (nest == nullptr) return;
  if (kind == "macvlan") {
    AttributeTable a(IFLA_MACVLAN_MAX);
    a.ParseNested(nest);
    uint32_t mode;
    if (a.U32(IFLA_MACVLAN_MODE, &mode)) out->macvlan_mode = mode;
  } else if (kind == "vlan") {
    AttributeTable a(IFLA_VLAN_MAX);
    a.ParseNested(nest);
    VlanInfo vlan;
    if (!a.U16(IFLA_VLAN_ID, &vlan.id)) return;
    a.Be16(IFLA_VLAN_PROTOCOL, &vlan.protocol);
    out->vlan = vlan;
  } else if (kind == "vxlan") {
    AttributeTable a(IFLA_VXLAN_MAX);
    a.ParseNested(nest);
    VxlanInfo vxlan;
    if (!a.U32(IFLA_VXLAN_ID, &vxlan.vni)) return;
    a.Be16(IFLA_VXLAN_PORT, &vxlan.port);
    if (!a.Address(IFLA_VXLAN_LOCAL, AF_INET, &vxlan.local)) {
      a.Address(IFLA_VXLAN_LOCAL6, AF_INET6, &vxlan.local);
    }
    if (!a.Address(IFLA_VXLAN_GROUP, AF_INET, &vxlan.remote)) {
      a.Address(IFLA_VXLAN_GROUP6, AF_INET6, &vxlan.remote);
    }
    uint32_t parent;
    if (a.U32(IFLA_VXLAN_LINK, &parent)) vxlan.parent = static_cast<int32_t>(parent);
    uint8_t learning;
    vxlan.learning = a.U8(IFLA_VXLAN_LEARNING, &learning) && learning != 0;
    out->vxlan = vxlan;
  } else if (kind == "tun") {
    AttributeTable a(IFLA_TUN_MAX);
    a.ParseNested(nest);
    TunInfo tun;
    uint8_t v;
    if (!a.U8(IFLA_TUN_TYPE, &v)) return;
    tun.tap = v == 2;  // IFF_TAP; IFF_TUN is 1
    uint32_t id;
    if (a.U32(IFLA_TUN_OWNER, &id)) tun.owner = id;
    if (a.U32(IFLA_TUN_GROUP, &id)) tun.group = id;
    tun.packet_info = a.U8(IFLA_TUN_PI, &v) && v != 0;
    tun.vnet_hdr = a.U8(IFLA_TUN_VNET_HDR, &v) && v != 0;
    tun.persist = a.U8(IFLA_TUN_PERSIST, &v) && v != 0;
    tun.multi_queue = a.U8(IFLA_TUN_MULTI_QUEUE, &v) && v != 0;
    out->tun = tun;
  }
}

std::vector<uint8_t> BuildAltName(uint16_t type, uint16_t flags, const LinkSpec& spec,
                                  LinkResolver& resolver, Error* error) {
  int32_t index = resolver.IndexOf(spec.dev, error);
  if (index == 0) return {};
  MessageBuilder b(type, flags);
  PutIfinfo(b, index, nullptr);
  nlattr* list = b.NestStart(IFLA_PROP_LIST);
  b.PutString(IFLA_ALT_IFNAME, spec.alt_name);
  b.NestEnd(list);
  return b.Finish(error);
}

bool PutMaster(MessageBuilder& b, const LinkSpec& spec, LinkResolver& resolver, Error* error) {
  if (!spec.set_master) return true;
  int32_t master = 0;
  if (!spec.master.empty() && (master = resolver.IndexOf(spec.master, error)) == 0) return false;
  b.PutU32(IFLA_MASTER, static_cast<uint32_t>(master));
  return true;
}

bool PutKindData(MessageBuilder& b, const LinkSpec& spec, LinkResolver& resolver, Error* error) {
  if (spec.kind == "veth") {
    nlattr* data = b.NestStart(IFLA_INFO_DATA);
    nlattr* peer = b.NestStart(VETH_INFO_PEER);
    ifinfomsg ifi{};  // the peer's own ifinfomsg opens the nest
    b.PutRaw(&ifi, sizeof ifi);
    if (!spec.peer.name.empty()) b.PutString(IFLA_IFNAME, spec.peer.name);
    if (spec.peer.netns_fd >= 0)
      b.PutU32(IFLA_NET_NS_FD, static_cast<uint32_t>(spec.peer.netns_fd));
    if (spec.peer.mtu) b.PutU32(IFLA_MTU, *spec.peer.mtu);
    if (!spec.peer.mac.empty()) b.Put(IFLA_ADDRESS, spec.peer.mac.data(), spec.peer.mac.size());
    b.NestEnd(peer);
    b.NestEnd(data);
  } else if (spec.kind == "macvlan") {
    nlattr* data = b.NestStart(IFLA_INFO_DATA);
    b.PutU32(IFLA_MACVLAN_MODE, spec.macvlan_mode);
    b.NestEnd(data);
  } else if (spec.kind == "vlan") {
    nlattr* data = b.NestStart(IFLA_INFO_DATA);
    b.PutU16(IFLA_VLAN_ID, spec.vlan_id);
    b.NestEnd(data);
  } else if (spec.kind == "vxlan") {
    const VxlanOptions& v = spec.vxlan;
    int32_t parent = 0;
    if (!v.parent.empty() && (parent = resolver.IndexOf(v.parent, error)) == 0) return false;
    nlattr* data = b.NestStart(IFLA_INFO_DATA);
    b.PutU32(IFLA_VXLAN_ID, v.vni);
    if (v.port != 0) b.PutBe16(IFLA_VXLAN_PORT, v.port);
    if (!v.local.empty()) {
      b.PutAddress(v.local.family == AF_INET ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, v.local);
    }
    if (!v.remote.empty()) {
      b.PutAddress(v.remote.family == AF_INET ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, v.remote);
    }
    if (parent != 0) b.PutU32(IFLA_VXLAN_LINK, static_cast<uint32_t>(parent));
    if (v.learning) b.PutU8(IFLA_VXLAN_LEARNING, *v.learning ? 1 : 0);
    b.NestEnd(data);
  }
  return true;
}

}  // namespace

std::vector<uint8_t> BuildCreateLink(const LinkSpec& spec, LinkResolver& resolver, Error* error) {
  MessageBuilder b(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  PutIfinfo(b, 0, &spec);
  PutCommon(b, spec);
  if (!PutMaster(b, spec, resolver, error)) return {};
  if (!spec.parent.empty()) {
    int32_t parent = resolver.IndexOf(spec.parent, error);
    if (parent == 0) return {};
    b.PutU32(IFLA_LINK, static_cast<uint32_t>(parent));
  }
  nlattr* info = b.NestStart(IFLA_LINKINFO);
  b.PutString(IFLA_INFO_KIND, spec.kind);
  if (!PutKindData(b, spec, resolver, error)) return {};
  b.NestEnd(info);
  return b.Finish(error);
}

std::vector<uint8_t> BuildChangeLink(const LinkSpec& spec, LinkResolver& resolver, Error* error) {
  int32_t index = resolver.IndexOf(spec.dev, error);
  if (index == 0) return {};
  MessageBuilder b(RTM_NEWLINK, 0);
  PutIfinfo(b, index, &spec);
  PutCommon(b, spec);
  if (!PutMaster(b, spec, resolver, error)) return {};
  if (spec.bridge_port) PutBridgePort(b, *spec.bridge_port);
  // With IFLA_IFNAME beside it, the kernel renames while moving: no clash in either namespace.
  if (spec.netns_fd >= 0) b.PutU32(IFLA_NET_NS_FD, static_cast<uint32_t>(spec.netns_fd));
  return b.Finish(error);
}

std::vector<uint8_t> BuildDeleteLink(const LinkRef& dev, LinkResolver& resolver, Error* error) {
  int32_t index = resolver.IndexOf(dev, error);
  if (index == 0) return {};
  MessageBuilder b(RTM_DELLINK, 0);
  PutIfinfo(b, index, nullptr);
  return b.Finish(error);
}

std::vector<uint8_t> BuildGetLink(const LinkRef& dev, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETLINK, 0);
  PutIfinfo(b, dev.index, nullptr);
  // IFLA_IFNAME finds alternative names too, but only those that fit in IFNAMSIZ.
  if (dev.index == 0)
    b.PutString(dev.name.size() < IFNAMSIZ ? IFLA_IFNAME : IFLA_ALT_IFNAME, dev.name);
  return b.Finish(error);
}

std::vector<uint8_t> BuildDumpLinks(const LinkFilter&, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETLINK, 0);
  PutIfinfo(b, 0, nullptr);
  return b.Finish(error);
}

bool ParseLink(const nlmsghdr* nlh, LinkResolver& resolver, LinkInfo* out) {
  if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) {
    return false;
  }
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  AttributeTable attrs(IFLA_MAX);
  attrs.ParseMessage(nlh, sizeof(ifinfomsg));
  *out = LinkInfo{};
  out->index = ifi->ifi_index;
  out->flags = ifi->ifi_flags;
  attrs.String(IFLA_IFNAME, &out->name);
  attrs.String(IFLA_IFALIAS, &out->alias);
  attrs.U32(IFLA_MTU, &out->mtu);
  attrs.Bytes(IFLA_ADDRESS, &out->mac);
  attrs.U8(IFLA_OPERSTATE, &out->operstate);
  uint32_t master = 0;
  if (attrs.U32(IFLA_MASTER, &master) && master != 0) {
    out->master_name = resolver.NameOf(static_cast<int32_t>(master));
    if (!out->master_name.empty()) out->master = static_cast<int32_t>(master);
  }
  if (const nlattr* s = attrs.get(IFLA_STATS64);
      s != nullptr && mnl_attr_get_payload_len(s) >= sizeof(rtnl_link_stats64)) {
    rtnl_link_stats64 k;
    memcpy(&k, mnl_attr_get_payload(s), sizeof k);
    out->has_stats = true;
    out->stats = LinkStats{k.rx_packets, k.tx_packets, k.rx_bytes,   k.tx_bytes,  k.rx_errors,
                           k.tx_errors,  k.rx_dropped, k.tx_dropped, k.multicast, k.collisions};
  }
  attrs.U32(IFLA_TXQLEN, &out->txqlen);
  attrs.U32(IFLA_GROUP, &out->group);
  uint32_t link = 0;
  if (attrs.U32(IFLA_LINK, &link) && link <= INT32_MAX) out->link = static_cast<int32_t>(link);
  uint32_t netnsid;
  // -1: the peer's namespace has no id here (it is going away, or ids are not kept).
  if (attrs.U32(IFLA_LINK_NETNSID, &netnsid) && static_cast<int32_t>(netnsid) >= 0)
    out->link_netnsid = static_cast<int32_t>(netnsid);
  if (const nlattr* props = attrs.get(IFLA_PROP_LIST)) {
    // A list of repeated IFLA_ALT_IFNAME strings, which an AttributeTable would collapse.
    mnl_attr_parse_nested(
        props,
        [](const nlattr* a, void* data) {
          if (mnl_attr_get_type(a) == IFLA_ALT_IFNAME &&
              mnl_attr_validate(a, MNL_TYPE_STRING) >= 0) {
            const char* name = mnl_attr_get_str(a);
            static_cast<std::vector<std::string>*>(data)->emplace_back(
                name, strnlen(name, mnl_attr_get_payload_len(a)));
          }
          return MNL_CB_OK;
        },
        &out->alt_names);
  }
  AttributeTable info(IFLA_INFO_MAX);
  info.ParseNested(attrs.get(IFLA_LINKINFO));
  info.String(IFLA_INFO_KIND, &out->kind);
  ReadKindData(out->kind, info.get(IFLA_INFO_DATA), out);
  std::string slave_kind;
  if (info.String(IFLA_INFO_SLAVE_KIND, &slave_kind) && slave_kind == "bridge") {
    out->bridge_port = ReadBridgePort(info.get(IFLA_INFO_SLAVE_DATA));
  }
  return true;
}

std::vector<uint8_t> BuildAddAltName(const LinkSpec& spec, LinkResolver& resolver, Error* error) {
  return BuildAltName(RTM_NEWLINKPROP, NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND, spec, resolver,
                      error);
}

std::vector<uint8_t> BuildDeleteAltName(const LinkSpec& spec, LinkResolver& resolver,
                                        Error* error) {
  return BuildAltName(RTM_DELLINKPROP, 0, spec, resolver, error);
}

std::vector<uint8_t> BuildGetNetnsId(const NetnsIdSpec& spec, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETNSID, 0);
  b.PutHeader<rtgenmsg>()->rtgen_family = AF_UNSPEC;
  b.PutU32(NETNSA_FD, static_cast<uint32_t>(spec.netns_fd));
  return b.Finish(error);
}

std::vector<uint8_t> BuildSetNetnsId(const NetnsIdSpec& spec, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_NEWNSID, NLM_F_CREATE | NLM_F_EXCL);
  b.PutHeader<rtgenmsg>()->rtgen_family = AF_UNSPEC;
  b.PutU32(NETNSA_FD, static_cast<uint32_t>(spec.netns_fd));
  b.PutU32(NETNSA_NSID, static_cast<uint32_t>(spec.id));
  return b.Finish(error);
}

bool ParseNetnsId(const nlmsghdr* nlh, LinkResolver&, NetnsId* out) {
  if (nlh->nlmsg_type != RTM_NEWNSID || mnl_nlmsg_get_payload_len(nlh) < sizeof(rtgenmsg)) {
    return false;
  }
  AttributeTable attrs(NETNSA_MAX);
  attrs.ParseMessage(nlh, sizeof(rtgenmsg));
  uint32_t id;
  if (!attrs.U32(NETNSA_NSID, &id)) return false;
  out->id = static_cast<int32_t>(id);
  return true;
}

}  // namespace nl
