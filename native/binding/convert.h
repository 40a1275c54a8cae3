// The spec readers and result writers of the operation table (operations.cc), and errors.
// JS thread only. lib/ has validated every spec already, so a reader only asserts its shape, with
// one strictness: a TypeError for a value of the wrong type, a RangeError for a number outside
// its field, and nothing that re-judges meaning (the kernel and lib/ do that).
#pragma once

#include <napi.h>

#include <vector>

#include "../nl/conntrack.h"
#include "../nl/rtnl.h"

namespace binding {

// Descriptors a request borrows (dups of other sandboxes' namespace fds), closed when the
// request is done, so a sandbox closed meanwhile can't pull an fd from under it.
class BorrowedFds {
 public:
  // Dups the namespace fd of the SandboxHandle in `handle` (throws if it is not one, or closed).
  using NamespaceFdOf = int (*)(Napi::Env env, Napi::Value handle);
  explicit BorrowedFds(NamespaceFdOf fd_of) : fd_of_(fd_of) {}
  BorrowedFds(const BorrowedFds&) = delete;
  BorrowedFds& operator=(const BorrowedFds&) = delete;
  ~BorrowedFds();
  int Borrow(Napi::Value handle);

 private:
  NamespaceFdOf fd_of_;
  std::vector<int> fds_;
};

nl::LinkRef ReadLinkRef(Napi::Value value, BorrowedFds&);
nl::LinkFilter ReadLinkFilter(Napi::Value value, BorrowedFds&);
nl::LinkSpec ReadLinkSpec(Napi::Value value, BorrowedFds& fds);
nl::AddressSpec ReadAddressSpec(Napi::Value value, BorrowedFds&);
nl::AddressFilter ReadAddressFilter(Napi::Value value, BorrowedFds&);
// A route spec as a fixed-size binary record (layout in convert.cc), packed by lib/route.ts: a
// route add is read without property lookups or address text.
constexpr size_t kRouteRecordBytes = 116;  // then kRouteNexthopBytes per multipath nexthop
constexpr size_t kRouteNexthopBytes = 40;
constexpr size_t kMaxRouteNexthops = 64;
nl::RouteSpec ReadRouteRecord(Napi::Value value, BorrowedFds&);
nl::RouteFilter ReadRouteFilter(Napi::Value value, BorrowedFds&);
nl::NeighborSpec ReadNeighborSpec(Napi::Value value, BorrowedFds&);
nl::NeighborFilter ReadNeighborFilter(Napi::Value value, BorrowedFds&);
nl::Rule ReadRule(Napi::Value value, BorrowedFds&);
nl::NetnsIdSpec ReadNetnsIdSpec(Napi::Value value, BorrowedFds&);
nl::NexthopSpec ReadNexthopSpec(Napi::Value value, BorrowedFds&);
nl::FamilyFilter ReadFamilyFilter(Napi::Value value, BorrowedFds&);
nl::ConntrackEntry ReadConntrackEntry(Napi::Value value, BorrowedFds&);
nl::ConntrackFilter ReadConntrackFilter(Napi::Value value, BorrowedFds&);

Napi::Value WriteLink(Napi::Env env, const nl::LinkInfo& link);
Napi::Value WriteAddress(Napi::Env env, const nl::AddressInfo& address);
Napi::Value WriteRoute(Napi::Env env, const nl::RouteInfo& route);
Napi::Value WriteNeighbor(Napi::Env env, const nl::NeighborInfo& neighbor);
Napi::Value WriteRule(Napi::Env env, const nl::Rule& rule);
Napi::Value WriteNetnsId(Napi::Env env, const nl::NetnsId& id);
Napi::Value WriteNexthop(Napi::Env env, const nl::NexthopInfo& nexthop);
// A conntrack entry as a fixed-size little-endian record (layout in convert.cc), for dumps.
constexpr size_t kConntrackRecordBytes = 104;
void PackConntrack(const nl::ConntrackEntry& entry, uint8_t* record);
// A record as a dump delivered it, back as an entry (its tuples, zone and id): what a delete of
// a listed entry sends.
nl::ConntrackEntry ReadConntrackRecord(Napi::Value value, BorrowedFds&);
Napi::Value WriteConntrackCount(Napi::Env env, const nl::ConntrackCount& count);

// A rejected request: an Error with errno, code and the kernel's extack text.
Napi::Error ToJsError(Napi::Env env, const nl::Error& error);
// A library error with a code such as ERR_SANDBOX_CLOSED.
Napi::Error LibraryError(Napi::Env env, const char* code, const std::string& message);

}  // namespace binding
