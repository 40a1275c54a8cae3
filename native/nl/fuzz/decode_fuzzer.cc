// libFuzzer target: arbitrary bytes as a netlink receive buffer, through every decoder the
// worker runs on kernel replies (native/nl only, no N-API).
//
// The input is treated the way Socket::Transact / Socket::Dump treat a datagram: walked with
// nl::ForEachMessage, each message given to ParseAck, to every Parse* decoder (rtnetlink and
// ctnetlink, NEW and DEL messages alike) and to the event stream's KindOf, and the
// decoded values formatted the way native/binding/convert.cc formats them. The parsers name
// interfaces through a fake LinkResolver, and the names they report must be the resolver's. The
// replies a request collects (AppendMessage: NLMSG_ALIGN'ed copies) are walked again the way
// RequestJob::Finish / DumpJob::Run do.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../conntrack.h"
#include "../events.h"
#include "../rtnl.h"
#include "../socket.h"

namespace {

// Touch every byte of a result so that uninitialised or out-of-bounds data is actually read.
volatile size_t sink;

void Consume(const std::string& s) { sink = sink + s.size() + (s.empty() ? 0 : s.back()); }

void Consume(const nl::IpAddress& a) {
  if (a.family != 0 && a.family != AF_INET && a.family != AF_INET6) __builtin_trap();
  Consume(a.ToString());
}

// The name the resolver gives an index: "if<index>", or "" for none (0 and negative, like the
// worker's Context::NameOf). Parsers must report exactly what the resolver said.
std::string FakeName(int32_t index) { return index > 0 ? "if" + std::to_string(index) : ""; }

// Parsers only name indexes they read; they never look a name up.
class FakeResolver : public nl::LinkResolver {
 public:
  int32_t IndexOf(const nl::LinkRef&, nl::Error*) override {
    fprintf(stderr, "a parser called LinkResolver::IndexOf\n");
    __builtin_trap();
  }
  std::string NameOf(int32_t index) override { return FakeName(index); }
};

void CheckName(const std::string& got, int32_t index) {
  if (got != FakeName(index)) {
    fprintf(stderr, "parser reported name \"%s\" for index %d, the resolver says \"%s\"\n",
            got.c_str(), index, FakeName(index).c_str());
    __builtin_trap();
  }
}

void DecodeOne(const nlmsghdr* nlh) {
  // What codec.cc's decode() and the worker do with each message.
  FakeResolver resolver;
  nl::Error e = nl::ParseAck(nlh);
  Consume(e.message);
  if (e.code != 0) Consume(nl::ErrnoName(e.code));

  nl::LinkInfo link;
  if (nl::ParseLink(nlh, resolver, &link)) {
    Consume(link.name);
    Consume(link.kind);
    Consume(nl::FormatMac(link.mac.data(), link.mac.size()));
    // The master's name only when there is a master.
    CheckName(link.master_name, link.master);
    Consume(link.master_name);
    sink = sink + link.mtu + link.flags + link.operstate + link.master + link.stats.collisions +
           link.txqlen + link.group + link.link + link.link_netnsid.value_or(0);
    for (const std::string& name : link.alt_names) Consume(name);
    if (link.bridge_port) {
      sink = sink + link.bridge_port->cost.value_or(0) + link.bridge_port->priority.value_or(0) +
             link.bridge_port->hairpin.value_or(false);
    }
    sink += link.macvlan_mode.value_or(0);
    if (link.vlan) sink = sink + link.vlan->id + link.vlan->protocol;
    if (link.vxlan) {
      Consume(link.vxlan->local);
      Consume(link.vxlan->remote);
      sink = sink + link.vxlan->vni + link.vxlan->port + link.vxlan->parent + link.vxlan->learning;
    }
    if (link.tun) {
      sink = sink + link.tun->tap + link.tun->owner.value_or(0) + link.tun->group.value_or(0) +
             link.tun->multi_queue + link.tun->persist + link.tun->packet_info;
    }
  }
  nl::AddressInfo address;
  if (nl::ParseAddress(nlh, resolver, &address)) {
    Consume(address.local);
    Consume(address.peer);
    Consume(address.broadcast);
    Consume(address.label);
    CheckName(address.dev_name, address.dev);
    Consume(address.dev_name);
    sink = sink + address.flags + address.prefix_len + address.scope + address.dev;
  }
  nl::RouteInfo route;
  if (nl::ParseRoute(nlh, resolver, &route)) {
    Consume(route.dst);
    Consume(route.from);
    Consume(route.via);
    Consume(route.src);
    CheckName(route.dev_name, route.dev);
    Consume(route.dev_name);
    sink = sink + route.table + route.metric + route.dev + route.flags + route.type +
           route.dst_len + route.from_len + route.protocol + route.scope + route.nexthop_id;
    for (const nl::RouteInfo::Nexthop& hop : route.nexthops) {
      Consume(hop.via);
      CheckName(hop.dev_name, hop.dev);
      sink = sink + hop.weight + hop.flags;
    }
  }
  nl::NeighborInfo neighbor;
  if (nl::ParseNeighbor(nlh, resolver, &neighbor)) {
    Consume(neighbor.ip);
    Consume(nl::FormatMac(neighbor.mac.data(), neighbor.mac.size()));
    CheckName(neighbor.dev_name, neighbor.dev);
    Consume(neighbor.dev_name);
    sink = sink + neighbor.state + neighbor.flags + neighbor.dev;
  }
  nl::NexthopInfo nexthop;
  if (nl::ParseNexthop(nlh, resolver, &nexthop)) {
    Consume(nexthop.via);
    CheckName(nexthop.dev_name, nexthop.dev);
    Consume(nexthop.dev_name);
    sink = sink + nexthop.id + nexthop.flags + nexthop.protocol + nexthop.blackhole;
    for (const nl::NexthopGroupMember& m : nexthop.group) sink = sink + m.id + m.weight;
  }
  nl::NetnsId nsid;
  if (nl::ParseNetnsId(nlh, resolver, &nsid)) sink = sink + static_cast<size_t>(nsid.id);
  nl::Rule rule;
  if (nl::ParseRule(nlh, resolver, &rule)) {
    Consume(rule.from);
    Consume(rule.to);
    Consume(rule.iif);
    Consume(rule.oif);
    sink = sink + rule.priority.value_or(0) + rule.table + rule.action + rule.fwmark.value_or(0) +
           rule.fwmask.value_or(0) + rule.ip_proto.value_or(0) + rule.from_len + rule.to_len;
    if (rule.sport) sink = sink + rule.sport->start + rule.sport->end;
    if (rule.dport) sink = sink + rule.dport->start + rule.dport->end;
  }
  nl::ConntrackEntry ct;
  if (nl::ParseConntrack(nlh, resolver, &ct)) {
    for (const nl::CtTuple* t : {&ct.original, &ct.reply}) {
      if (t->src.family != ct.family || t->dst.family != ct.family) __builtin_trap();
      Consume(t->src);
      Consume(t->dst);
      sink = sink + t->src_port.value_or(0) + t->dst_port.value_or(0) + t->icmp_id.value_or(0) +
             t->icmp_type.value_or(0) + t->icmp_code.value_or(0);
    }
    sink = sink + ct.protocol + ct.status + ct.timeout.value_or(0) + ct.mark.value_or(0) +
           ct.zone.value_or(0) + ct.tcp_state.value_or(0) + ct.id.value_or(0);
  }
  nl::ConntrackCount count;
  if (nl::ParseConntrackCount(nlh, resolver, &count)) sink = sink + count.entries;
  // What the event stream reads first of each notification.
  bool removed = false;
  sink = sink + static_cast<size_t>(nl::KindOf(nlh, &removed)) + removed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy: ASan sees any read past the end of the "datagram".
  std::vector<uint8_t> buf(data, data + size);
  std::vector<uint8_t> replies;
  nl::ForEachMessage(buf, [&](const nlmsghdr* nlh) {
    // ForEachMessage must only hand out messages that lie inside the buffer.
    if (nlh->nlmsg_len < sizeof(nlmsghdr)) __builtin_trap();
    if (nlh->nlmsg_len >
        static_cast<size_t>(buf.data() + buf.size() - reinterpret_cast<const uint8_t*>(nlh))) {
      fprintf(stderr,
              "ForEachMessage handed out a message of nlmsg_len 0x%x that overruns the "
              "%zu-byte buffer\n",
              nlh->nlmsg_len, buf.size());
      __builtin_trap();
    }
    DecodeOne(nlh);
    // Socket::AppendMessage, bounded the way the socket's 64 KiB rx buffer bounds it.
    const auto* p = reinterpret_cast<const uint8_t*>(nlh);
    size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
    size_t room = static_cast<size_t>(buf.data() + buf.size() - p);
    replies.insert(replies.end(), p, p + (len < room ? len : room));
    replies.resize(replies.size() + (len < room ? 0 : len - room), 0);
  });
  // The second walk, over collected replies (RequestJob::Finish, DumpJob::Run).
  nl::ForEachMessage(replies, [&](const nlmsghdr* nlh) { DecodeOne(nlh); });
  return 0;
}
