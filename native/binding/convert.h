// JS <-> C++ conversions of specs and results. JS thread only. The TypeScript facade has
// validated and normalised every spec already; these checks are the second line and throw
// TypeError/RangeError (before anything is queued) on what must never reach the kernel.
#pragma once

#include <napi.h>

#include <vector>

#include "../nl/rtnl.h"

namespace binding {

// Owns descriptors a request borrows (a dup of another sandbox's namespace fd), closing them
// when the request is done, so a sandbox closed meanwhile can't pull the fd from under it.
class BorrowedFds {
 public:
  BorrowedFds() = default;
  BorrowedFds(const BorrowedFds&) = delete;
  BorrowedFds& operator=(const BorrowedFds&) = delete;
  ~BorrowedFds();
  int Dup(Napi::Env env, int fd);

 private:
  std::vector<int> fds_;
};

// Reads the namespace fd of the SandboxHandle in `value` and dups it into `fds`.
using NamespaceFdOf = int (*)(Napi::Env env, Napi::Value handle, BorrowedFds& fds);

nl::LinkRef ToLinkRef(Napi::Value value);
nl::LinkSpec ToLinkSpec(Napi::Object spec, BorrowedFds& fds, NamespaceFdOf fd_of);
nl::AddressSpec ToAddressSpec(Napi::Object spec);
nl::RouteSpec ToRouteSpec(Napi::Object spec);
nl::NeighborSpec ToNeighborSpec(Napi::Object spec);

// Results. Names of interfaces (dev, master) are looked up by the worker and passed in.
Napi::Object ToJs(Napi::Env env, const nl::LinkInfo& link, const std::string& master_name);
Napi::Object ToJs(Napi::Env env, const nl::AddressInfo& address, const std::string& dev);
Napi::Object ToJs(Napi::Env env, const nl::RouteInfo& route, const std::string& dev);
Napi::Object ToJs(Napi::Env env, const nl::NeighborInfo& neighbor, const std::string& dev);

// A rejected request: an Error with errno, code and the kernel's extack text.
Napi::Error ToJsError(Napi::Env env, const nl::Error& error);
// A library error with a code such as ERR_SANDBOX_CLOSED.
Napi::Error LibraryError(Napi::Env env, const char* code, const std::string& message);

}  // namespace binding
