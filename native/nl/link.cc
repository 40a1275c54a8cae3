#include <linux/if.h>
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
  // Without a NUL, as iproute2 sends it; an empty one clears the alias.
  if (spec.alias) b.Put(IFLA_IFALIAS, spec.alias->data(), spec.alias->size());
}

ifinfomsg* PutIfinfo(MessageBuilder& b, int32_t index, const std::optional<bool>& up) {
  auto* ifi = b.PutHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (up) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = *up ? IFF_UP : 0;
  }
  return ifi;
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
  PutIfinfo(b, 0, spec.up);
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
  PutIfinfo(b, index, spec.up);
  PutCommon(b, spec);
  if (!PutMaster(b, spec, resolver, error)) return {};
  // With IFLA_IFNAME beside it, the kernel renames while moving: no clash in either namespace.
  if (spec.netns_fd >= 0) b.PutU32(IFLA_NET_NS_FD, static_cast<uint32_t>(spec.netns_fd));
  return b.Finish(error);
}

std::vector<uint8_t> BuildDeleteLink(const LinkRef& dev, LinkResolver& resolver, Error* error) {
  int32_t index = resolver.IndexOf(dev, error);
  if (index == 0) return {};
  MessageBuilder b(RTM_DELLINK, 0);
  PutIfinfo(b, index, std::nullopt);
  return b.Finish(error);
}

std::vector<uint8_t> BuildGetLink(const LinkRef& dev, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETLINK, 0);
  PutIfinfo(b, dev.index, std::nullopt);
  if (dev.index == 0) b.PutString(IFLA_IFNAME, dev.name);
  return b.Finish(error);
}

std::vector<uint8_t> BuildDumpLinks(const LinkFilter&, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETLINK, 0);
  PutIfinfo(b, 0, std::nullopt);
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
  AttributeTable info(IFLA_INFO_MAX);
  info.ParseNested(attrs.get(IFLA_LINKINFO));
  info.String(IFLA_INFO_KIND, &out->kind);
  return true;
}

}  // namespace nl
