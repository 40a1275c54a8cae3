#include <linux/nexthop.h>
#include <string.h>

#include "rtnl.h"

namespace nl {

std::vector<uint8_t> BuildAddNexthop(const NexthopSpec& spec, LinkResolver& resolver,
                                     Error* error) {
  int32_t oif = 0;
  if (!spec.dev.empty() && (oif = resolver.IndexOf(spec.dev, error)) == 0) return {};
  MessageBuilder b(RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_EXCL,
                   1024 + spec.group.size() * sizeof(nexthop_grp));
  auto* nhm = b.PutHeader<nhmsg>();
  nhm->nh_family = spec.family;
  if (spec.on_link) nhm->nh_flags = RTNH_F_ONLINK;
  // In iproute2's order: id, gateway, device.
  b.PutU32(NHA_ID, spec.id);
  if (!spec.group.empty()) {
    std::vector<nexthop_grp> members(spec.group.size());
    for (size_t i = 0; i < members.size(); i++) {
      members[i].id = spec.group[i].id;
      members[i].weight = static_cast<uint8_t>(spec.group[i].weight - 1);
    }
    b.Put(NHA_GROUP, members.data(), members.size() * sizeof(nexthop_grp));
  }
  if (spec.blackhole) b.Put(NHA_BLACKHOLE, "", 0);  // a flag: no payload
  if (!spec.via.empty()) b.PutAddress(NHA_GATEWAY, spec.via);
  if (oif != 0) b.PutU32(NHA_OIF, static_cast<uint32_t>(oif));
  return b.Finish(error);
}

std::vector<uint8_t> BuildDeleteNexthop(const NexthopSpec& spec, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_DELNEXTHOP, 0);
  b.PutHeader<nhmsg>();
  b.PutU32(NHA_ID, spec.id);
  return b.Finish(error);
}

std::vector<uint8_t> BuildDumpNexthops(const FamilyFilter& filter, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETNEXTHOP, 0);
  b.PutHeader<nhmsg>()->nh_family = filter.family;
  return b.Finish(error);
}

bool ParseNexthop(const nlmsghdr* nlh, LinkResolver& resolver, NexthopInfo* out) {
  if ((nlh->nlmsg_type != RTM_NEWNEXTHOP && nlh->nlmsg_type != RTM_DELNEXTHOP) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(nhmsg)) {
    return false;
  }
  const auto* nhm = static_cast<const nhmsg*>(mnl_nlmsg_get_payload(nlh));
  AttributeTable attrs(NHA_MAX);
  attrs.ParseMessage(nlh, sizeof(nhmsg));
  *out = NexthopInfo{};
  if (!attrs.U32(NHA_ID, &out->id)) return false;
  out->family = nhm->nh_family;
  out->flags = nhm->nh_flags;
  out->protocol = nhm->nh_protocol;
  out->blackhole = attrs.Has(NHA_BLACKHOLE);
  if (out->family == AF_INET || out->family == AF_INET6) {
    attrs.Address(NHA_GATEWAY, out->family, &out->via);
  }
  uint32_t oif = 0;
  if (attrs.U32(NHA_OIF, &oif) && oif != 0) {
    out->dev = static_cast<int32_t>(oif);
    out->dev_name = resolver.NameOf(out->dev);
    if (out->dev_name.empty()) return false;
  }
  if (const nlattr* group = attrs.get(NHA_GROUP)) {
    const size_t count = mnl_attr_get_payload_len(group) / sizeof(nexthop_grp);
    const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(group));
    for (size_t i = 0; i < count; i++) {
      nexthop_grp member;
      memcpy(&member, p + i * sizeof member, sizeof member);
      out->group.push_back(NexthopGroupMember{member.id, static_cast<uint16_t>(member.weight + 1)});
    }
  }
  return true;
}

}  // namespace nl
