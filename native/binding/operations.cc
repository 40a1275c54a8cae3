#include "operations.h"

#include "sandbox_handle.h"

namespace binding {

namespace {

constexpr int kRoute = NETLINK_ROUTE;
constexpr int kNetfilter = NETLINK_NETFILTER;

// changes_links: whether later requests of the batch must see this one's effect on interface
// names, so the worker ends the batch after it (names are resolved per batch).
template <typename Spec>
bool KeepsLinks(const Spec&) {
  return false;
}
template <typename Spec>
bool ChangesLinks(const Spec&) {
  return true;
}
bool RenamesOrMoves(const nl::LinkSpec& spec) { return !spec.name.empty() || spec.netns_fd >= 0; }

// Reads back a created link by name in the same round trip: the result is what the kernel made.
std::vector<uint8_t> GetCreatedLink(const nl::LinkSpec& spec, nl::LinkResolver& resolver,
                                    nl::Error* error) {
  return nl::BuildGetLink(nl::LinkRef{0, spec.name}, resolver, error);
}

template <typename Spec, typename Info, template <typename, typename> class Job>
Operation MakeOperation(const char* name, int protocol, bool dump, const char* spec_type,
                        const char* result_type, Reader<Spec> read, Row<Spec, Info> row) {
  auto make_job = [protocol, read, row](SandboxHandle* owner, Napi::Value value) {
    auto fds = std::make_unique<BorrowedFds>(SandboxHandle::BorrowNamespaceFd);
    Spec spec = read(value, *fds);
    return std::unique_ptr<JsJob>(
        new Job<Spec, Info>(owner, protocol, row, std::move(spec), std::move(fds)));
  };
  auto encode = [read, row](Napi::Value value, nl::LinkResolver& resolver, nl::Error* error) {
    BorrowedFds fds(SandboxHandle::RefuseNamespaceFd);
    return row.build(read(value, fds), resolver, error);
  };
  return Operation{name, protocol, dump, spec_type, result_type, make_job, encode};
}

template <typename Spec, typename Info>
Operation Request(const char* name, int protocol, const char* spec_type, const char* result_type,
                  bool (*changes_links)(const Spec&), Reader<Spec> read, Builder<Spec> build,
                  Parser<Info> parse, Writer<Info> write, Builder<Spec> read_back = nullptr) {
  return MakeOperation<Spec, Info, RequestJob>(name, protocol, false, spec_type, result_type, read,
                                               {build, read_back, changes_links, parse, write});
}

// A request that resolves to undefined.
template <typename Spec>
Operation Request(const char* name, int protocol, const char* spec_type, const char* result_type,
                  bool (*changes_links)(const Spec&), Reader<Spec> read, Builder<Spec> build) {
  return MakeOperation<Spec, NoReply, RequestJob>(
      name, protocol, false, spec_type, result_type, read,
      {build, nullptr, changes_links, nullptr, nullptr});
}

template <typename Spec, typename Info>
Operation Dump(const char* name, int protocol, const char* spec_type, const char* result_type,
               Reader<Spec> read, Builder<Spec> build, Parser<Info> parse, Writer<Info> write) {
  return MakeOperation<Spec, Info, DumpJob>(name, protocol, true, spec_type, result_type, read,
                                            {build, nullptr, KeepsLinks, parse, write});
}

// A dump whose items reach JS as binary records, a Buffer per chunk (see Packer).
template <typename Spec, typename Info>
Operation PackedDump(const char* name, int protocol, const char* spec_type, const char* result_type,
                     Reader<Spec> read, Builder<Spec> build, Parser<Info> parse, Packer<Info> pack,
                     size_t record_bytes) {
  return MakeOperation<Spec, Info, DumpJob>(
      name, protocol, true, spec_type, result_type, read,
      {build, nullptr, KeepsLinks, parse, nullptr, pack, record_bytes});
}

}  // namespace

const std::vector<Operation>& Operations() {
  // clang-format off
  static const std::vector<Operation> table = {
    //      JS name           protocol  spec type               result type    links          spec reader        builder                  parser            result writer
    Request("getLink",        kRoute,   "LinkRef",              "NativeLink",  KeepsLinks,    ReadLinkRef,       nl::BuildGetLink,        nl::ParseLink,    WriteLink),
    Dump(   "links",          kRoute,   "NativeLinkFilter",     "NativeLink",                 ReadLinkFilter,    nl::BuildDumpLinks,      nl::ParseLink,    WriteLink),
    Request("createLink",     kRoute,   "NativeLinkSpec",       "NativeLink",  ChangesLinks,  ReadLinkSpec,      nl::BuildCreateLink,     nl::ParseLink,    WriteLink, GetCreatedLink),
    Request("changeLink",     kRoute,   "NativeLinkSpec",       "void",        RenamesOrMoves, ReadLinkSpec,     nl::BuildChangeLink),
    Request("deleteLink",     kRoute,   "LinkRef",              "void",        ChangesLinks,  ReadLinkRef,       nl::BuildDeleteLink),
    Request("addAltName",     kRoute,   "NativeLinkSpec",       "void",        ChangesLinks,  ReadLinkSpec,      nl::BuildAddAltName),
    Request("deleteAltName",  kRoute,   "NativeLinkSpec",       "void",        ChangesLinks,  ReadLinkSpec,      nl::BuildDeleteAltName),
    Request("getNetnsId",     kRoute,   "NativeNetnsIdSpec",    "number | null", KeepsLinks,  ReadNetnsIdSpec,   nl::BuildGetNetnsId,     nl::ParseNetnsId, WriteNetnsId),
    Request("setNetnsId",     kRoute,   "NativeNetnsIdSpec",    "void",        KeepsLinks,    ReadNetnsIdSpec,   nl::BuildSetNetnsId),
    Dump(   "addresses",      kRoute,   "NativeAddressFilter",  "NativeAddress",              ReadAddressFilter, nl::BuildDumpAddresses,  nl::ParseAddress, WriteAddress),
    Request("addAddress",     kRoute,   "NativeAddressSpec",    "void",        KeepsLinks,    ReadAddressSpec,   nl::BuildAddAddress),
    Request("replaceAddress", kRoute,   "NativeAddressSpec",    "void",        KeepsLinks,    ReadAddressSpec,   nl::BuildReplaceAddress),
    Request("deleteAddress",  kRoute,   "NativeAddressSpec",    "void",        KeepsLinks,    ReadAddressSpec,   nl::BuildDeleteAddress),
    Dump(   "routes",         kRoute,   "NativeRouteFilter",    "NativeRoute",                ReadRouteFilter,   nl::BuildDumpRoutes,     nl::ParseRoute,   WriteRoute),
    Request("addRoute",       kRoute,   "NativeRouteRecord",    "NativeRoute | undefined", KeepsLinks, ReadRouteRecord, nl::BuildAddRoute,  nl::ParseRoute,   WriteRoute),
    Request("replaceRoute",   kRoute,   "NativeRouteRecord",    "NativeRoute | undefined", KeepsLinks, ReadRouteRecord, nl::BuildReplaceRoute, nl::ParseRoute, WriteRoute),
    Request("deleteRoute",    kRoute,   "NativeRouteRecord",    "void",        KeepsLinks,    ReadRouteRecord,   nl::BuildDeleteRoute),
    Request("getRoute",       kRoute,   "NativeRouteRecord",    "NativeRoute", KeepsLinks,    ReadRouteRecord,   nl::BuildGetRoute,       nl::ParseRoute,   WriteRoute),
    Dump(   "neighbors",      kRoute,   "NativeNeighborFilter", "NativeNeighbor",             ReadNeighborFilter, nl::BuildDumpNeighbors, nl::ParseNeighbor, WriteNeighbor),
    Request("addNeighbor",    kRoute,   "NativeNeighborSpec",   "void",        KeepsLinks,    ReadNeighborSpec,  nl::BuildAddNeighbor),
    Request("deleteNeighbor", kRoute,   "NativeNeighborSpec",   "void",        KeepsLinks,    ReadNeighborSpec,  nl::BuildDeleteNeighbor),
    Dump(   "rules",          kRoute,   "NativeFamilyFilter",   "NativeRule",                 ReadFamilyFilter,  nl::BuildDumpRules,      nl::ParseRule,    WriteRule),
    Request("addRule",        kRoute,   "NativeRule",           "void",        KeepsLinks,    ReadRule,          nl::BuildAddRule),
    Request("deleteRule",     kRoute,   "NativeRule",           "void",        KeepsLinks,    ReadRule,          nl::BuildDeleteRule),
    Dump(   "nexthops",       kRoute,   "NativeFamilyFilter",   "NativeNexthop",              ReadFamilyFilter,  nl::BuildDumpNexthops,   nl::ParseNexthop, WriteNexthop),
    Request("addNexthop",     kRoute,   "NativeNexthopSpec",    "void",        KeepsLinks,    ReadNexthopSpec,   nl::BuildAddNexthop),
    Request("deleteNexthop",  kRoute,   "NativeNexthopSpec",    "void",        KeepsLinks,    ReadNexthopSpec,   nl::BuildDeleteNexthop),
    PackedDump("conntrack",   kNetfilter, "NativeConntrackFilter", "NativeConntrackRecords",  ReadConntrackFilter, nl::BuildDumpConntrack, nl::ParseConntrack, PackConntrack, kConntrackRecordBytes),
    Request("createConntrack", kNetfilter, "NativeConntrackEntry", "void",     KeepsLinks,    ReadConntrackEntry, nl::BuildCreateConntrack),
    Request("deleteConntrack", kNetfilter, "NativeConntrackRecord", "void",    KeepsLinks,    ReadConntrackRecord, nl::BuildDeleteConntrack),
    Request("flushConntrack", kNetfilter, "NativeConntrackFilter", "void",     KeepsLinks,    ReadConntrackFilter, nl::BuildFlushConntrack),
    Request("countConntrack", kNetfilter, "NativeConntrackFilter", "number",   KeepsLinks,    ReadConntrackFilter, nl::BuildGetConntrackCount, nl::ParseConntrackCount, WriteConntrackCount),
  };
  // clang-format on
  return table;
}

}  // namespace binding
