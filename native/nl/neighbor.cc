#include <linux/neighbour.h>

#include "rtnl.h"

namespace nl {

namespace {

// RTM_NEWNEIGH or RTM_DELNEIGH.
std::vector<uint8_t> BuildNeighbor(uint16_t type, const NeighborSpec& spec, LinkResolver& resolver,
                                   Error* error) {
  int32_t index = resolver.IndexOf(spec.dev, error);
  if (index == 0) return {};
  const bool fdb = spec.family == AF_BRIDGE;
  uint16_t flags = 0;
  // An FDB entry is appended (a vxlan may flood to several remotes for one MAC); a neighbour
  // replaces the entry the kernel may already have learnt, like `ip neigh replace`.
  // A bridge's table takes one entry per MAC and VLAN: replaced, like `bridge fdb replace`.
  if (type == RTM_NEWNEIGH) {
    flags = NLM_F_CREATE | (fdb && !spec.master ? NLM_F_APPEND : NLM_F_REPLACE);
  }
  MessageBuilder b(type, flags);
  auto* ndm = b.PutHeader<ndmsg>();
  ndm->ndm_family = spec.family;
  ndm->ndm_ifindex = index;
  if (fdb) {
    // As `bridge fdb add`: the device's own table (a vxlan's) unless told `master` (a bridge
    // port's entry goes in the bridge's table).
    ndm->ndm_flags = (spec.master ? NTF_MASTER : 0) | (spec.self || !spec.master ? NTF_SELF : 0);
    // A bridge's permanent entry is a local one (its frames stop at the bridge), so a port's
    // entry is static (NOARP|REACHABLE: never aged, forwarded to the port), as is one asked for
    // static; a vxlan's own entries stay permanent.
    ndm->ndm_state =
        spec.fdb_static || spec.master ? NUD_NOARP | NUD_REACHABLE : NUD_NOARP | NUD_PERMANENT;
  } else if (spec.proxy) {
    ndm->ndm_flags = NTF_PROXY;
    ndm->ndm_state = NUD_PERMANENT;
  } else {
    ndm->ndm_state = spec.permanent ? NUD_PERMANENT : NUD_REACHABLE;
  }
  if (!spec.ip.empty()) b.PutAddress(NDA_DST, spec.ip);
  if (!spec.mac.empty()) b.Put(NDA_LLADDR, spec.mac.data(), spec.mac.size());
  if (spec.vlan != 0) b.PutU16(NDA_VLAN, spec.vlan);
  return b.Finish(error);
}

}  // namespace

std::vector<uint8_t> BuildAddNeighbor(const NeighborSpec& spec, LinkResolver& resolver,
                                      Error* error) {
  return BuildNeighbor(RTM_NEWNEIGH, spec, resolver, error);
}

std::vector<uint8_t> BuildDeleteNeighbor(const NeighborSpec& spec, LinkResolver& resolver,
                                         Error* error) {
  return BuildNeighbor(RTM_DELNEIGH, spec, resolver, error);
}

std::vector<uint8_t> BuildDumpNeighbors(const NeighborFilter& filter, LinkResolver& resolver,
                                        Error* error) {
  int32_t index = filter.dev.empty() ? 0 : resolver.IndexOf(filter.dev, error);
  if (*error) return {};
  MessageBuilder b(RTM_GETNEIGH, 0);
  auto* ndm = b.PutHeader<ndmsg>();
  ndm->ndm_family = filter.family;
  if (filter.proxy) ndm->ndm_flags = NTF_PROXY;
  if (index != 0) b.PutU32(NDA_IFINDEX, static_cast<uint32_t>(index));
  return b.Finish(error);
}

bool ParseNeighbor(const nlmsghdr* nlh, LinkResolver& resolver, NeighborInfo* out) {
  if ((nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(ndmsg)) {
    return false;
  }
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  AttributeTable attrs(NDA_MAX);
  attrs.ParseMessage(nlh, sizeof(ndmsg));
  *out = NeighborInfo{};
  out->family = ndm->ndm_family;
  out->dev = ndm->ndm_ifindex;
  out->dev_name = resolver.NameOf(out->dev);
  if (out->dev_name.empty()) return false;
  out->state = ndm->ndm_state;
  out->flags = ndm->ndm_flags;
  // NDA_DST is the neighbour's IP, or for an FDB entry the remote VTEP of either family.
  if (const nlattr* dst = attrs.get(NDA_DST); dst != nullptr) {
    uint16_t len = mnl_attr_get_payload_len(dst);
    attrs.Address(NDA_DST, len == 4 ? AF_INET : AF_INET6, &out->ip);
  }
  attrs.Bytes(NDA_LLADDR, &out->mac);
  attrs.U16(NDA_VLAN, &out->vlan);
  // A bridge reports the entries of its table with NDA_MASTER (its index), not NTF_MASTER: the
  // flag says the same as on a request, an entry of the master's table.
  uint32_t master = 0;
  if (attrs.U32(NDA_MASTER, &master) && master != 0) out->flags |= NTF_MASTER;
  return true;
}

}  // namespace nl
