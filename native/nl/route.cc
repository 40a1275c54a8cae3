#include <string.h>

#include "rtnl.h"

namespace nl {

namespace {

enum class RouteOp { kAdd, kReplace, kDelete, kGet };

uint16_t FlagsFor(RouteOp op) {
  switch (op) {
    case RouteOp::kAdd:
      return NLM_F_CREATE | NLM_F_EXCL;
    case RouteOp::kReplace:
      return NLM_F_CREATE | NLM_F_REPLACE;
    default:
      return 0;
  }
}

uint16_t TypeFor(RouteOp op) {
  switch (op) {
    case RouteOp::kDelete:
      return RTM_DELROUTE;
    case RouteOp::kGet:
      return RTM_GETROUTE;
    default:
      return RTM_NEWROUTE;
  }
}

std::vector<uint8_t> BuildRoute(RouteOp op, const RouteSpec& spec, LinkResolver& resolver,
                                Error* error) {
  int32_t oif = 0;
  if (!spec.dev.empty() && (oif = resolver.IndexOf(spec.dev, error)) == 0) return {};
  uint16_t flags = FlagsFor(op);
  // The kernel picks the device of a route given none (from the gateway; lo for IPv6's reject
  // routes): then it echoes the route, and the answer is what it made. A unicast route with its
  // device is installed as sent, and lib/ builds the result from the spec (no echo to parse).
  // Metrics are echoed too: the kernel clamps them (an IPv4 MTU to 65520) without an error.
  if ((op == RouteOp::kAdd || op == RouteOp::kReplace) &&
      (oif == 0 || spec.type.value_or(RTN_UNICAST) != RTN_UNICAST || spec.mtu != 0 ||
       spec.advmss != 0)) {
    flags |= NLM_F_ECHO;
  }
  // Room for the largest fixed part and every nexthop (an IPv6 one takes 28 bytes).
  MessageBuilder b(TypeFor(op), flags, 1024 + spec.nexthops.size() * 32);
  auto* rtm = b.PutHeader<rtmsg>();
  rtm->rtm_family = spec.family;
  if (op == RouteOp::kGet) {
    // `ip route get`: a full-length destination. IPv4 can report the table the answer came
    // from; IPv6's strict checking refuses that flag (and reports the table anyway).
    rtm->rtm_dst_len = static_cast<uint8_t>(spec.family == AF_INET ? 32 : 128);
    if (spec.family == AF_INET) rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
    b.PutAddress(RTA_DST, spec.dst);
    if (!spec.from.empty()) {
      rtm->rtm_src_len = rtm->rtm_dst_len;
      b.PutAddress(RTA_SRC, spec.from);
    }
    if (oif != 0) b.PutU32(RTA_OIF, static_cast<uint32_t>(oif));
    return b.Finish(error);
  }
  const bool adding = op != RouteOp::kDelete;
  const uint32_t table = spec.table != 0 ? spec.table : RT_TABLE_MAIN;
  rtm->rtm_dst_len = spec.dst_len;
  rtm->rtm_table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
  rtm->rtm_type = spec.type.value_or(adding ? uint8_t{RTN_UNICAST} : uint8_t{RTN_UNSPEC});
  rtm->rtm_protocol =
      spec.protocol.value_or(adding ? uint8_t{RTPROT_BOOT} : uint8_t{RTPROT_UNSPEC});
  rtm->rtm_scope =
      spec.scope.value_or(adding ? uint8_t{RT_SCOPE_UNIVERSE} : uint8_t{RT_SCOPE_NOWHERE});
  if (spec.on_link) rtm->rtm_flags |= RTNH_F_ONLINK;
  b.PutU32(RTA_TABLE, table);
  if (!spec.dst.empty()) b.PutAddress(RTA_DST, spec.dst);
  if (!spec.from.empty()) {  // `ip -6 route add DST from PREFIX`
    rtm->rtm_src_len = spec.from_len;
    b.PutAddress(RTA_SRC, spec.from);
  }
  if (!spec.via.empty()) b.PutAddress(RTA_GATEWAY, spec.via);
  if (oif != 0) b.PutU32(RTA_OIF, static_cast<uint32_t>(oif));
  if (spec.nexthop_id != 0) b.PutU32(RTA_NH_ID, spec.nexthop_id);
  if (spec.metric) b.PutU32(RTA_PRIORITY, *spec.metric);
  if (!spec.src.empty()) b.PutAddress(RTA_PREFSRC, spec.src);
  if (spec.pref) b.PutU8(RTA_PREF, *spec.pref);
  if (spec.mtu != 0 || spec.advmss != 0 || spec.lock != 0) {
    nlattr* metrics = b.NestStart(RTA_METRICS);
    if (spec.mtu != 0) b.PutU32(RTAX_MTU, spec.mtu);  // in iproute2's order
    if (spec.advmss != 0) b.PutU32(RTAX_ADVMSS, spec.advmss);
    if (spec.lock != 0) b.PutU32(RTAX_LOCK, spec.lock);
    b.NestEnd(metrics);
  }
  if (!spec.nexthops.empty()) {
    // A list of rtnexthop headers, each followed by its gateway; the nest has no attribute
    // structure of its own, so the headers are written raw inside it.
    nlattr* multipath = b.NestStart(RTA_MULTIPATH);
    for (const RouteSpec::Nexthop& hop : spec.nexthops) {
      rtnexthop rtnh{};
      if (!hop.dev.empty() && (rtnh.rtnh_ifindex = resolver.IndexOf(hop.dev, error)) == 0)
        return {};
      rtnh.rtnh_hops = static_cast<uint8_t>(hop.weight - 1);
      rtnh.rtnh_flags = hop.on_link ? RTNH_F_ONLINK : 0;
      rtnh.rtnh_len = static_cast<uint16_t>(
          RTNH_ALIGN(sizeof rtnh) +
          (hop.via.empty() ? 0 : MNL_ATTR_HDRLEN + MNL_ALIGN(hop.via.size())));
      b.PutRaw(&rtnh, sizeof rtnh);
      if (!hop.via.empty()) b.PutAddress(RTA_GATEWAY, hop.via);
    }
    b.NestEnd(multipath);
  }
  return b.Finish(error);
}

}  // namespace

std::vector<uint8_t> BuildAddRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error) {
  return BuildRoute(RouteOp::kAdd, spec, resolver, error);
}

std::vector<uint8_t> BuildReplaceRoute(const RouteSpec& spec, LinkResolver& resolver,
                                       Error* error) {
  return BuildRoute(RouteOp::kReplace, spec, resolver, error);
}

std::vector<uint8_t> BuildDeleteRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error) {
  return BuildRoute(RouteOp::kDelete, spec, resolver, error);
}

std::vector<uint8_t> BuildGetRoute(const RouteSpec& spec, LinkResolver& resolver, Error* error) {
  return BuildRoute(RouteOp::kGet, spec, resolver, error);
}

std::vector<uint8_t> BuildDumpRoutes(const RouteFilter& filter, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETROUTE, 0);
  auto* rtm = b.PutHeader<rtmsg>();
  rtm->rtm_family = filter.family;
  // Strict checking filters by it in the kernel.
  if (filter.table != 0) b.PutU32(RTA_TABLE, filter.table);
  return b.Finish(error);
}

bool ParseRoute(const nlmsghdr* nlh, LinkResolver& resolver, RouteInfo* out) {
  if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) {
    return false;
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  AttributeTable attrs(RTA_MAX);
  attrs.ParseMessage(nlh, sizeof(rtmsg));
  *out = RouteInfo{};
  out->family = rtm->rtm_family;
  out->dst_len = rtm->rtm_dst_len;
  out->from_len = rtm->rtm_src_len;
  out->table = rtm->rtm_table;
  out->protocol = rtm->rtm_protocol;
  out->scope = rtm->rtm_scope;
  out->type = rtm->rtm_type;
  out->flags = rtm->rtm_flags;
  attrs.U32(RTA_TABLE, &out->table);
  attrs.U32(RTA_PRIORITY, &out->metric);
  attrs.Address(RTA_DST, rtm->rtm_family, &out->dst);
  attrs.Address(RTA_SRC, rtm->rtm_family, &out->from);
  attrs.Address(RTA_GATEWAY, rtm->rtm_family, &out->via);
  attrs.Address(RTA_PREFSRC, rtm->rtm_family, &out->src);
  attrs.U32(RTA_NH_ID, &out->nexthop_id);
  uint8_t pref;
  if (attrs.U8(RTA_PREF, &pref)) out->pref = pref;
  if (const nlattr* metrics_nest = attrs.get(RTA_METRICS)) {
    AttributeTable metrics(RTAX_MAX);
    metrics.ParseNested(metrics_nest);
    metrics.U32(RTAX_MTU, &out->mtu);
    metrics.U32(RTAX_ADVMSS, &out->advmss);
    metrics.U32(RTAX_LOCK, &out->lock);
  }
  uint32_t oif = 0;
  if (attrs.U32(RTA_OIF, &oif) && oif != 0) {
    out->dev = static_cast<int32_t>(oif);
    out->dev_name = resolver.NameOf(out->dev);
    if (out->dev_name.empty()) return false;
  }
  if (const nlattr* multipath = attrs.get(RTA_MULTIPATH)) {
    // A list of rtnexthop headers, each followed by its own attributes (RTA_GATEWAY).
    const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(multipath));
    size_t left = mnl_attr_get_payload_len(multipath);
    while (left >= sizeof(rtnexthop)) {
      rtnexthop rtnh;
      memcpy(&rtnh, p, sizeof rtnh);
      if (rtnh.rtnh_len < sizeof(rtnexthop) || rtnh.rtnh_len > left) break;
      RouteInfo::Nexthop hop;
      hop.weight = static_cast<uint16_t>(rtnh.rtnh_hops + 1);
      hop.flags = rtnh.rtnh_flags;
      AttributeTable nested(RTA_MAX);
      nested.ParsePayload(p + RTNH_ALIGN(sizeof(rtnexthop)),
                          rtnh.rtnh_len > RTNH_ALIGN(sizeof(rtnexthop))
                              ? rtnh.rtnh_len - RTNH_ALIGN(sizeof(rtnexthop))
                              : 0);
      nested.Address(RTA_GATEWAY, rtm->rtm_family, &hop.via);
      if (rtnh.rtnh_ifindex > 0) {
        hop.dev = rtnh.rtnh_ifindex;
        hop.dev_name = resolver.NameOf(hop.dev);
        if (hop.dev_name.empty()) return false;
      }
      out->nexthops.push_back(std::move(hop));
      const size_t step = RTNH_ALIGN(rtnh.rtnh_len);
      if (step >= left) break;
      p += step;
      left -= step;
    }
  }
  return true;
}

}  // namespace nl
