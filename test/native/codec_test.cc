// The codec's edges that the addon's JS tests cannot reach: overflow, malformed and truncated
// input, ACK decoding and the errno table. Plain C++, no kernel.
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <climits>
#include <cstring>

#include "../../native/nl/conntrack.h"
#include "../../native/nl/rtnl.h"
#include "../../native/nl/socket.h"
#include "check.h"

namespace {

// An NLMSG_ERROR message for `error` (negative errno or 0), as the kernel writes one with
// NETLINK_CAP_ACK and NETLINK_EXT_ACK: the request's header only, then an NLMSGERR_ATTR_MSG.
std::vector<uint8_t> Ack(int error, const char* text) {
  nl::MessageBuilder b(NLMSG_ERROR, text ? NLM_F_CAPPED | NLM_F_ACK_TLVS : NLM_F_CAPPED);
  auto* err = b.PutHeader<nlmsgerr>();
  err->error = error;
  err->msg.nlmsg_len = sizeof(nlmsghdr);
  err->msg.nlmsg_type = RTM_NEWROUTE;
  if (text) b.PutString(NLMSGERR_ATTR_MSG, text);
  nl::Error e;
  return b.Finish(&e);
}

const nlmsghdr* Header(const std::vector<uint8_t>& m) {
  return reinterpret_cast<const nlmsghdr*>(m.data());
}

// Conntrack names no interfaces.
class NoResolver : public nl::LinkResolver {
 public:
  int32_t IndexOf(const nl::LinkRef&, nl::Error*) override { return 0; }
  std::string NameOf(int32_t) override { return {}; }
};

void CheckKernelError(const nl::Error& got, int code, const char* text) {
  CHECK_EQ(got.code, code);
  CHECK(got.from_kernel);
  CHECK_EQ(got.message, std::string(text));
}

}  // namespace

TEST(AddressesParseAndPrint) {
  nl::IpAddress a;
  CHECK(nl::IpAddress::Parse("192.0.2.1", &a));
  CHECK_EQ(a.size(), 4u);
  CHECK_EQ(a.ToString(), std::string("192.0.2.1"));
  CHECK(nl::IpAddress::Parse("2001:db8::1", &a));
  CHECK_EQ(a.size(), 16u);
  CHECK_EQ(a.ToString(), std::string("2001:db8::1"));
  CHECK(!nl::IpAddress::Parse("192.0.2.256", &a));
  CHECK(!nl::IpAddress::Parse("", &a));
  CHECK_EQ(nl::IpAddress().ToString(), std::string(""));
}

TEST(MacsParseAndPrint) {
  std::vector<uint8_t> mac;
  CHECK(nl::ParseMac("02:00:5e:10:00:0a", &mac));
  CHECK_EQ(nl::FormatMac(mac.data(), mac.size()), std::string("02:00:5e:10:00:0a"));
  CHECK(!nl::ParseMac("02:00:5e:10:00:0a:", &mac));
  CHECK(!nl::ParseMac("02:00:5e:10:00:0g", &mac));
  CHECK(!nl::ParseMac("02-00-5e-10-00-0a", &mac));
}

TEST(BuilderRefusesAnOverflowedMessage) {
  nl::MessageBuilder b(RTM_NEWLINK, NLM_F_CREATE, 64);
  b.PutHeader<ifinfomsg>();
  b.PutString(IFLA_IFNAME, std::string(100, 'x'));
  nl::Error error;
  CHECK(b.Finish(&error).empty());
  CHECK_EQ(error.code, EMSGSIZE);

  nl::MessageBuilder raw(RTM_NEWLINK, 0, 32);
  raw.PutRaw(std::string(64, 'x').data(), 64);
  nl::Error raw_error;
  CHECK(raw.Finish(&raw_error).empty());
  CHECK_EQ(raw_error.code, EMSGSIZE);

  nl::MessageBuilder nest(RTM_NEWLINK, 0, sizeof(nlmsghdr) + 2);
  nlattr* n = nest.NestStart(IFLA_LINKINFO);
  CHECK(n == nullptr);
  nest.NestEnd(n);
  nl::Error nest_error;
  CHECK(nest.Finish(&nest_error).empty());
  CHECK_EQ(nest_error.code, EMSGSIZE);
}

TEST(AttributesOfTheWrongLengthAreNotRead) {
  nl::MessageBuilder b(RTM_NEWLINK, 0);
  b.PutHeader<ifinfomsg>();
  b.PutU8(IFLA_MTU, 1);         // a u32 attribute one byte long
  b.PutU32(IFLA_OPERSTATE, 6);  // a u8 attribute four bytes long
  b.Put(IFLA_ADDRESS, "\x02\x00", 2);
  b.PutU32(IFLA_MAX + 5, 7);  // unknown: skipped
  nl::Error e;
  std::vector<uint8_t> m = b.Finish(&e);
  nl::AttributeTable t(IFLA_MAX);
  t.ParseMessage(Header(m), sizeof(ifinfomsg));
  uint32_t u32 = 0;
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  std::string s;
  nl::IpAddress a;
  std::vector<uint8_t> bytes;
  CHECK(!t.U32(IFLA_MTU, &u32));
  CHECK(!t.U8(IFLA_OPERSTATE, &u8));
  CHECK(!t.U16(IFLA_MTU, &u16));
  CHECK(!t.Be16(IFLA_MTU, &u16));
  CHECK(!t.String(IFLA_IFNAME, &s));
  CHECK(!t.Address(IFLA_ADDRESS, AF_INET, &a));
  CHECK(t.Bytes(IFLA_ADDRESS, &bytes));
  CHECK_EQ(bytes.size(), 2u);
  CHECK(t.get(IFLA_MAX + 5) == nullptr);
}

TEST(AcksCarryErrnoAndExtackText) {
  CheckKernelError(nl::ParseAck(Header(Ack(-EEXIST, "Nexthop has invalid gateway"))), EEXIST,
                   "Nexthop has invalid gateway");

  nl::Error ok = nl::ParseAck(Header(Ack(0, nullptr)));
  CHECK_EQ(ok.code, 0);
  CHECK(!ok.from_kernel);

  // INT_MIN can't be negated: it reads as EINVAL.
  CHECK_EQ(nl::ParseAck(Header(Ack(INT_MIN, nullptr))).code, EINVAL);

  // Too short for an nlmsgerr.
  nlmsghdr short_ack{};
  short_ack.nlmsg_len = sizeof short_ack;
  short_ack.nlmsg_type = NLMSG_ERROR;
  CHECK_EQ(nl::ParseAck(&short_ack).code, EBADMSG);
}

TEST(UncappedAcksSkipTheEchoedRequest) {
  // Without NETLINK_CAP_ACK the whole request is echoed before the TLVs.
  nl::MessageBuilder b(NLMSG_ERROR, NLM_F_ACK_TLVS, 256);
  auto* err = b.PutHeader<nlmsgerr>();
  err->error = -EINVAL;
  err->msg.nlmsg_len = sizeof(nlmsghdr) + 12;
  b.PutRaw("request body", 12);
  b.PutString(NLMSGERR_ATTR_MSG, "Invalid prefix for given prefix length");
  nl::Error e;
  std::vector<uint8_t> m = b.Finish(&e);
  CheckKernelError(nl::ParseAck(Header(m)), EINVAL, "Invalid prefix for given prefix length");

  // An echoed header that claims less than a header: the text can't be found, the errno stands.
  auto* bad = reinterpret_cast<nlmsgerr*>(m.data() + sizeof(nlmsghdr));
  bad->msg.nlmsg_len = 4;
  nl::Error partial = nl::ParseAck(Header(m));
  CHECK_EQ(partial.code, EINVAL);
  CHECK(partial.message.empty());
}

TEST(DoneCarriesTheDumpsStatusAndText) {
  nl::MessageBuilder b(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
  *b.PutHeader<int>() = -EINVAL;
  b.PutString(NLMSGERR_ATTR_MSG, "Invalid header for dump request");
  nl::Error e;
  CheckKernelError(nl::ParseDone(Header(b.Finish(&e))), EINVAL, "Invalid header for dump request");
  nl::MessageBuilder ok(NLMSG_DONE, NLM_F_MULTI);
  *ok.PutHeader<int>() = 0;
  CHECK_EQ(nl::ParseDone(Header(ok.Finish(&e))).code, 0);
}

TEST(WalkerStopsAtATruncatedMessage) {
  std::vector<uint8_t> two = Ack(0, nullptr);
  std::vector<uint8_t> second = Ack(-ENOENT, nullptr);
  two.insert(two.end(), second.begin(), second.end());
  int seen = 0;
  nl::ForEachMessage(two, [&](const nlmsghdr*) { seen++; });
  CHECK_EQ(seen, 2);
  two.resize(two.size() - 1);  // the second one no longer fits
  seen = 0;
  nl::ForEachMessage(two, [&](const nlmsghdr*) { seen++; });
  CHECK_EQ(seen, 1);
  auto* first = reinterpret_cast<nlmsghdr*>(two.data());
  first->nlmsg_len = 0x80000000u;  // passes libmnl's signed check, not ours
  seen = 0;
  nl::ForEachMessage(two, [&](const nlmsghdr*) { seen++; });
  CHECK_EQ(seen, 0);
}

TEST(ErrnoNamesAreSymbolic) {
  CHECK_EQ(nl::ErrnoName(EEXIST), std::string("EEXIST"));
  CHECK_EQ(nl::ErrnoName(ENOBUFS), std::string("ENOBUFS"));
  CHECK_EQ(nl::ErrnoName(EOPNOTSUPP), std::string("EOPNOTSUPP"));
  CHECK_EQ(nl::ErrnoName(9999), std::string("E9999"));
}

TEST(ConntrackBuildersRefuseIncompleteEntries) {
  NoResolver none;
  nl::ConntrackEntry e;
  e.family = AF_INET;
  e.protocol = IPPROTO_UDP;
  nl::Error error;
  CHECK(nl::BuildDeleteConntrack(e, none, &error).empty());
  CHECK_EQ(error.code, EINVAL);
  CHECK(nl::IpAddress::Parse("192.0.2.1", &e.original.src));
  CHECK(nl::IpAddress::Parse("198.51.100.1", &e.original.dst));
  e.reply.src = e.original.dst;
  e.reply.dst = e.original.src;
  nl::Error no_timeout;
  CHECK(nl::BuildCreateConntrack(e, none, &no_timeout).empty());
  CHECK_EQ(no_timeout.code, EINVAL);
  e.timeout = 30;
  nl::Error ok;
  std::vector<uint8_t> m = nl::BuildCreateConntrack(e, none, &ok);
  CHECK(!m.empty());
  // A request is not an entry of another subsystem's type, nor a count.
  nl::ConntrackCount count;
  CHECK(!nl::ParseConntrackCount(Header(m), none, &count));
}
