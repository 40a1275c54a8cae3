#include <linux/fib_rules.h>
#include <string.h>

#include "rtnl.h"

namespace nl {

namespace {

void PutPorts(MessageBuilder& b, uint16_t type, const std::optional<Rule::PortRange>& ports) {
  if (!ports) return;
  fib_rule_port_range range{ports->start, ports->end};
  b.Put(type, &range, sizeof range);
}

bool ReadPorts(const AttributeTable& attrs, uint16_t type, std::optional<Rule::PortRange>* out) {
  const nlattr* a = attrs.get(type);
  if (a == nullptr || mnl_attr_get_payload_len(a) != sizeof(fib_rule_port_range)) return false;
  fib_rule_port_range range;
  memcpy(&range, mnl_attr_get_payload(a), sizeof range);
  *out = Rule::PortRange{range.start, range.end};
  return true;
}

std::vector<uint8_t> BuildRule(uint16_t type, uint16_t flags, const Rule& r, Error* error) {
  const bool adding = type == RTM_NEWRULE;
  MessageBuilder b(type, flags);
  auto* frh = b.PutHeader<fib_rule_hdr>();
  frh->family = r.family;
  frh->src_len = r.from.empty() ? 0 : r.from_len;
  frh->dst_len = r.to.empty() ? 0 : r.to_len;
  frh->action = r.action != 0 ? r.action : adding ? uint8_t{FR_ACT_TO_TBL} : uint8_t{FR_ACT_UNSPEC};
  // `ip rule add from X` looks up main; a table above 255 only fits in FRA_TABLE.
  const uint32_t table =
      r.table != 0 || !adding || frh->action != FR_ACT_TO_TBL ? r.table : uint32_t{RT_TABLE_MAIN};
  frh->table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
  // In iproute2's order, so that its messages and ours compare byte for byte.
  if (r.priority) b.PutU32(FRA_PRIORITY, *r.priority);
  if (!r.from.empty()) b.PutAddress(FRA_SRC, r.from);
  if (!r.to.empty()) b.PutAddress(FRA_DST, r.to);
  if (r.fwmark) b.PutU32(FRA_FWMARK, *r.fwmark);
  if (r.fwmask) b.PutU32(FRA_FWMASK, *r.fwmask);
  if (!r.iif.empty()) b.PutString(FRA_IIFNAME, r.iif);
  if (!r.oif.empty()) b.PutString(FRA_OIFNAME, r.oif);
  if (table >= 256) b.PutU32(FRA_TABLE, table);
  if (r.ip_proto) b.PutU8(FRA_IP_PROTO, *r.ip_proto);
  PutPorts(b, FRA_SPORT_RANGE, r.sport);
  PutPorts(b, FRA_DPORT_RANGE, r.dport);
  return b.Finish(error);
}

}  // namespace

std::vector<uint8_t> BuildAddRule(const Rule& rule, LinkResolver&, Error* error) {
  return BuildRule(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule, error);
}

std::vector<uint8_t> BuildDeleteRule(const Rule& rule, LinkResolver&, Error* error) {
  return BuildRule(RTM_DELRULE, 0, rule, error);
}

std::vector<uint8_t> BuildDumpRules(const FamilyFilter& filter, LinkResolver&, Error* error) {
  MessageBuilder b(RTM_GETRULE, 0);
  b.PutHeader<fib_rule_hdr>()->family = filter.family;
  return b.Finish(error);
}

bool ParseRule(const nlmsghdr* nlh, LinkResolver&, Rule* out) {
  if (nlh->nlmsg_type != RTM_NEWRULE && nlh->nlmsg_type != RTM_DELRULE) return false;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(fib_rule_hdr)) return false;
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  if (frh->family != AF_INET && frh->family != AF_INET6) return false;
  AttributeTable attrs(FRA_MAX);
  attrs.ParseMessage(nlh, sizeof(fib_rule_hdr));
  *out = Rule{};
  out->family = frh->family;
  out->action = frh->action;
  out->table = frh->table;
  attrs.U32(FRA_TABLE, &out->table);
  uint32_t u32;
  uint8_t u8;
  if (attrs.U32(FRA_PRIORITY, &u32)) out->priority = u32;
  if (attrs.Address(FRA_SRC, frh->family, &out->from)) out->from_len = frh->src_len;
  if (attrs.Address(FRA_DST, frh->family, &out->to)) out->to_len = frh->dst_len;
  attrs.String(FRA_IIFNAME, &out->iif);
  attrs.String(FRA_OIFNAME, &out->oif);
  if (attrs.U32(FRA_FWMARK, &u32)) out->fwmark = u32;
  if (attrs.U32(FRA_FWMASK, &u32)) out->fwmask = u32;
  if (attrs.U8(FRA_IP_PROTO, &u8)) out->ip_proto = u8;
  ReadPorts(attrs, FRA_SPORT_RANGE, &out->sport);
  ReadPorts(attrs, FRA_DPORT_RANGE, &out->dport);
  return true;
}

}  // namespace nl
