#include "conntrack.h"

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

namespace nl {

namespace {

// The kernel's CTA_FILTER flags (net/netfilter/nf_conntrack_netlink.c, Linux 5.8): which fields
// of the filter's tuples a dump compares. Part of the ABI, though not in the uapi headers.
constexpr uint32_t kFilterIpSrc = 1u << 0;
constexpr uint32_t kFilterIpDst = 1u << 1;
constexpr uint32_t kFilterProtoNum = 1u << 3;
constexpr uint32_t kFilterSrcPort = 1u << 4;
constexpr uint32_t kFilterDstPort = 1u << 5;

uint16_t MessageType(uint8_t message) {
  return static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | message);
}

void PutNfgenmsg(MessageBuilder& b, uint8_t family) {
  auto* nfg = b.PutHeader<nfgenmsg>();
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
}

bool IsIcmp(uint8_t protocol) { return protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6; }

// One tuple as a nest of `type`; returns the CTA_FILTER flags of the fields it carries.
uint32_t PutTuple(MessageBuilder& b, uint16_t type, const CtTuple& t, uint8_t family,
                  std::optional<uint8_t> protocol) {
  uint32_t flags = 0;
  nlattr* tuple = b.NestStart(type);
  nlattr* ip = b.NestStart(CTA_TUPLE_IP);
  const bool v4 = family == AF_INET;
  if (!t.src.empty()) {
    b.PutAddress(v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, t.src);
    flags |= kFilterIpSrc;
  }
  if (!t.dst.empty()) {
    b.PutAddress(v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, t.dst);
    flags |= kFilterIpDst;
  }
  b.NestEnd(ip);
  if (protocol) {
    nlattr* proto = b.NestStart(CTA_TUPLE_PROTO);
    b.PutU8(CTA_PROTO_NUM, *protocol);
    flags |= kFilterProtoNum;
    if (IsIcmp(*protocol)) {
      const bool v6 = *protocol == IPPROTO_ICMPV6;
      if (t.icmp_id) b.PutBe16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, *t.icmp_id);
      if (t.icmp_type) b.PutU8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, *t.icmp_type);
      if (t.icmp_code) b.PutU8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, *t.icmp_code);
    } else {
      if (t.src_port) {
        b.PutBe16(CTA_PROTO_SRC_PORT, *t.src_port);
        flags |= kFilterSrcPort;
      }
      if (t.dst_port) {
        b.PutBe16(CTA_PROTO_DST_PORT, *t.dst_port);
        flags |= kFilterDstPort;
      }
    }
    b.NestEnd(proto);
  }
  b.NestEnd(tuple);
  return flags;
}

bool ParseTuple(const nlattr* nest, uint8_t family, CtTuple* out, uint8_t* protocol) {
  if (nest == nullptr) return false;
  AttributeTable tuple(CTA_TUPLE_MAX);
  tuple.ParseNested(nest);
  if (const nlattr* ip_nest = tuple.get(CTA_TUPLE_IP)) {
    AttributeTable ip(CTA_IP_MAX);
    ip.ParseNested(ip_nest);
    const bool v4 = family == AF_INET;
    ip.Address(v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, family, &out->src);
    ip.Address(v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, family, &out->dst);
  }
  if (const nlattr* proto_nest = tuple.get(CTA_TUPLE_PROTO)) {
    AttributeTable proto(CTA_PROTO_MAX);
    proto.ParseNested(proto_nest);
    proto.U8(CTA_PROTO_NUM, protocol);
    uint16_t u16;
    uint8_t u8;
    if (proto.Be16(CTA_PROTO_SRC_PORT, &u16)) out->src_port = u16;
    if (proto.Be16(CTA_PROTO_DST_PORT, &u16)) out->dst_port = u16;
    const bool v6 = *protocol == IPPROTO_ICMPV6;
    if (proto.Be16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, &u16)) out->icmp_id = u16;
    if (proto.U8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, &u8)) out->icmp_type = u8;
    if (proto.U8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, &u8)) out->icmp_code = u8;
  }
  return !out->src.empty() && !out->dst.empty();
}

bool Complete(const CtTuple& t) { return !t.src.empty() && !t.dst.empty(); }

}  // namespace

std::vector<uint8_t> BuildCreateConntrack(const ConntrackEntry& e, LinkResolver&, Error* error) {
  if (!Complete(e.original) || !Complete(e.reply) || !e.timeout) {
    *error = Error{EINVAL, "a conntrack entry to create needs both tuples and a timeout"};
    return {};
  }
  MessageBuilder b(MessageType(IPCTNL_MSG_CT_NEW), NLM_F_CREATE | NLM_F_EXCL);
  PutNfgenmsg(b, e.family);
  PutTuple(b, CTA_TUPLE_ORIG, e.original, e.family, e.protocol);
  PutTuple(b, CTA_TUPLE_REPLY, e.reply, e.family, e.protocol);
  b.PutBe32(CTA_TIMEOUT, *e.timeout);
  // A created entry is confirmed at once; a status without that bit would try to clear it
  // (EBUSY), so it is added as conntrack-tools does.
  if (e.status != 0) b.PutBe32(CTA_STATUS, e.status | IPS_CONFIRMED);
  if (e.mark) b.PutBe32(CTA_MARK, *e.mark);
  if (e.zone) b.PutBe16(CTA_ZONE, *e.zone);
  if (e.tcp_state) {
    nlattr* info = b.NestStart(CTA_PROTOINFO);
    nlattr* tcp = b.NestStart(CTA_PROTOINFO_TCP);
    b.PutU8(CTA_PROTOINFO_TCP_STATE, *e.tcp_state);
    b.NestEnd(tcp);
    b.NestEnd(info);
  }
  return b.Finish(error);
}

std::vector<uint8_t> BuildDeleteConntrack(const ConntrackEntry& e, LinkResolver&, Error* error) {
  if (!Complete(e.original)) {
    *error = Error{EINVAL, "a conntrack entry to delete needs its original tuple"};
    return {};
  }
  MessageBuilder b(MessageType(IPCTNL_MSG_CT_DELETE), 0);
  PutNfgenmsg(b, e.family);
  PutTuple(b, CTA_TUPLE_ORIG, e.original, e.family, e.protocol);
  if (e.zone) b.PutBe16(CTA_ZONE, *e.zone);
  if (e.id) b.PutBe32(CTA_ID, *e.id);
  return b.Finish(error);
}

std::vector<uint8_t> BuildDumpConntrack(const ConntrackFilter& f, LinkResolver&, Error* error) {
  MessageBuilder b(MessageType(IPCTNL_MSG_CT_GET), 0);
  PutNfgenmsg(b, f.family);
  if (f.mark) {
    b.PutBe32(CTA_MARK, *f.mark);
    b.PutBe32(CTA_MARK_MASK, 0xffffffff);
  }
  if (f.zone) b.PutBe16(CTA_ZONE, *f.zone);
  // Tuple fields need the family to be read; without one the caller matches in user space.
  if (f.family != AF_UNSPEC && (f.protocol || !f.original.src.empty() || !f.original.dst.empty() ||
                                !f.reply.src.empty() || !f.reply.dst.empty())) {
    const uint32_t orig = PutTuple(b, CTA_TUPLE_ORIG, f.original, f.family, f.protocol);
    const uint32_t reply = PutTuple(b, CTA_TUPLE_REPLY, f.reply, f.family, f.protocol);
    nlattr* filter = b.NestStart(CTA_FILTER);
    b.PutU32(CTA_FILTER_ORIG_FLAGS, orig);
    b.PutU32(CTA_FILTER_REPLY_FLAGS, reply);
    b.NestEnd(filter);
  }
  return b.Finish(error);
}

std::vector<uint8_t> BuildFlushConntrack(const ConntrackFilter& f, LinkResolver&, Error* error) {
  MessageBuilder b(MessageType(IPCTNL_MSG_CT_DELETE), 0);
  PutNfgenmsg(b, f.family);
  return b.Finish(error);
}

bool ParseConntrack(const nlmsghdr* nlh, LinkResolver&, ConntrackEntry* out) {
  if (nlh->nlmsg_type != MessageType(IPCTNL_MSG_CT_NEW) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(nfgenmsg)) {
    return false;
  }
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  AttributeTable attrs(CTA_MAX);
  attrs.ParseMessage(nlh, sizeof(nfgenmsg));
  *out = ConntrackEntry{};
  out->family = nfg->nfgen_family;
  if (out->family != AF_INET && out->family != AF_INET6) return false;
  uint8_t reply_protocol = 0;
  if (!ParseTuple(attrs.get(CTA_TUPLE_ORIG), out->family, &out->original, &out->protocol) ||
      !ParseTuple(attrs.get(CTA_TUPLE_REPLY), out->family, &out->reply, &reply_protocol)) {
    return false;
  }
  uint32_t u32;
  uint16_t u16;
  attrs.Be32(CTA_STATUS, &out->status);
  if (attrs.Be32(CTA_TIMEOUT, &u32)) out->timeout = u32;
  if (attrs.Be32(CTA_MARK, &u32)) out->mark = u32;
  if (attrs.Be32(CTA_ID, &u32)) out->id = u32;
  if (attrs.Be16(CTA_ZONE, &u16)) out->zone = u16;
  if (const nlattr* info_nest = attrs.get(CTA_PROTOINFO)) {
    AttributeTable info(CTA_PROTOINFO_MAX);
    info.ParseNested(info_nest);
    if (const nlattr* tcp_nest = info.get(CTA_PROTOINFO_TCP)) {
      AttributeTable tcp(CTA_PROTOINFO_TCP_MAX);
      tcp.ParseNested(tcp_nest);
      uint8_t state;
      if (tcp.U8(CTA_PROTOINFO_TCP_STATE, &state)) out->tcp_state = state;
    }
  }
  return true;
}

std::vector<uint8_t> BuildGetConntrackCount(const ConntrackFilter&, LinkResolver&, Error* error) {
  MessageBuilder b(MessageType(IPCTNL_MSG_CT_GET_STATS), 0);
  PutNfgenmsg(b, AF_UNSPEC);
  return b.Finish(error);
}

bool ParseConntrackCount(const nlmsghdr* nlh, LinkResolver&, ConntrackCount* out) {
  if (nlh->nlmsg_type != MessageType(IPCTNL_MSG_CT_GET_STATS) ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(nfgenmsg)) {
    return false;
  }
  AttributeTable attrs(CTA_STATS_GLOBAL_MAX);
  attrs.ParseMessage(nlh, sizeof(nfgenmsg));
  return attrs.Be32(CTA_STATS_GLOBAL_ENTRIES, &out->entries);
}

}  // namespace nl
