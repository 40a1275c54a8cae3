// nl::Socket against the kernel. Needs root; ctest runs it inside test/in-private-netns.sh (label
// netns), so it only ever sees a private namespace.
#include "../../native/nl/socket.h"

#include <errno.h>

#include "../../native/nl/rtnl.h"
#include "check.h"

namespace {

// Resolves nothing: these tests name links by index.
class NoNames : public nl::LinkResolver {
 public:
  int32_t IndexOf(const nl::LinkRef& ref, nl::Error*) override { return ref.index; }
  std::string NameOf(int32_t index) override { return "if" + std::to_string(index); }
};

std::vector<uint8_t> GetLink(int32_t index) {
  NoNames names;
  nl::Error e;
  return nl::BuildGetLink(nl::LinkRef{index, {}}, names, &e);
}

std::vector<uint8_t> DumpLinks() {
  NoNames names;
  nl::Error e;
  return nl::BuildDumpLinks(nl::LinkFilter{}, names, &e);
}

}  // namespace

TEST(PipelinedRequestsGetTheirOwnAnswers) {
  nl::Error error;
  auto socket = nl::Socket::Open(NETLINK_ROUTE, &error);
  REQUIRE(socket);
  nl::Request lo(GetLink(nl::kLoopbackIndex)), missing(GetLink(9999)), malformed;
  nl::Request* batch[] = {&lo, &missing, &malformed};
  CHECK(!socket->Transact(batch, 3));
  CHECK(lo.acked);
  CHECK_EQ(lo.error.code, 0);
  NoNames names;
  nl::LinkInfo info;
  bool parsed = false;
  nl::ForEachMessage(lo.replies,
                     [&](const nlmsghdr* nlh) { parsed = nl::ParseLink(nlh, names, &info); });
  CHECK(parsed);
  CHECK_EQ(info.name, std::string("lo"));
  CHECK_EQ(missing.error.code, ENODEV);
  CHECK(missing.replies.empty());
  CHECK_EQ(malformed.error.code, EINVAL);  // never sent
  CHECK_EQ(malformed.error.message, std::string("malformed request"));
}

TEST(DumpsRunToDone) {
  nl::Error error;
  auto socket = nl::Socket::Open(NETLINK_ROUTE, &error);
  REQUIRE(socket);
  nl::DumpResult out;
  bool failed = true;
  CHECK(!socket->Dump(DumpLinks(), &out, &failed));
  CHECK(!failed);
  CHECK(!out.partial);
  int links = 0;
  nl::ForEachMessage(out.messages,
                     [&](const nlmsghdr* nlh) { links += nlh->nlmsg_type == RTM_NEWLINK; });
  CHECK(links >= 1);
}

TEST(AKernelErrorToADumpLeavesTheSocketUsable) {
  nl::Error error;
  auto socket = nl::Socket::Open(NETLINK_ROUTE, &error);
  REQUIRE(socket);
  // Strict checking refuses a route dump header with a destination length set.
  nl::MessageBuilder b(RTM_GETROUTE, 0);
  b.PutHeader<rtmsg>()->rtm_dst_len = 8;
  nl::Error e;
  nl::DumpResult out;
  bool failed = true;
  nl::Error answer = socket->Dump(b.Finish(&e), &out, &failed);
  CHECK_EQ(answer.code, EINVAL);
  CHECK(answer.from_kernel);
  CHECK(!failed);
  CHECK(!socket->Dump(DumpLinks(), &out, &failed));
  CHECK(!out.messages.empty());
}

TEST(TruncatedDatagramsFailTheExchange) {
  // 64 bytes hold no link message: the kernel truncates (MSG_TRUNC) and the socket reports it.
  nl::Error error;
  auto socket = nl::Socket::Open(NETLINK_ROUTE, &error, 64);
  REQUIRE(socket);
  nl::DumpResult out;
  bool failed = false;
  CHECK_EQ(socket->Dump(DumpLinks(), &out, &failed).code, EMSGSIZE);
  CHECK(failed);

  auto small = nl::Socket::Open(NETLINK_ROUTE, &error, 64);
  REQUIRE(small);
  nl::Request lo(GetLink(nl::kLoopbackIndex));
  nl::Request* batch[] = {&lo};
  CHECK_EQ(small->Transact(batch, 1).code, EMSGSIZE);
  CHECK(!lo.acked);
  CHECK_EQ(lo.error.code, EMSGSIZE);
}

TEST(OpeningAnUnknownProtocolFails) {
  nl::Error error;
  CHECK(nl::Socket::Open(MAX_LINKS + 1, &error) == nullptr);
  CHECK(error.code != 0);
}
