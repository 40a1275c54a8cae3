// The jobs a SandboxHandle queues on its worker. Each holds the promise it settles: built on
// the JS thread, run on the worker thread (Prepare/Run/Finish), settled on the JS thread.
#pragma once

#include <napi.h>

#include <functional>
#include <unordered_map>

#include "../ns/sysctl.h"
#include "../ns/worker.h"
#include "convert.h"

namespace binding {

class SandboxHandle;

class JsJob : public ns::Job {
 public:
  JsJob(Napi::Env env, SandboxHandle* owner)
      : deferred_(Napi::Promise::Deferred::New(env)), owner_(owner) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  // JS thread: resolves or rejects the promise, then releases the owner.
  void Settle(Napi::Env env);
  // JS thread: rejects a job that was never queued (no owner bookkeeping to undo).
  void RejectUnqueued(const Napi::Error& e) { deferred_.Reject(e.Value()); }

 protected:
  // JS thread, before the promise settles, whether the job failed or not.
  virtual void OnDone() {}
  // JS thread: the value to resolve with (error is 0).
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

  Napi::Promise::Deferred deferred_;
  SandboxHandle* owner_;
};

// Parsing and naming, overloaded per result type (worker thread).
struct NoResult {};
inline bool Parse(const nlmsghdr*, NoResult*) { return false; }
inline bool Parse(const nlmsghdr* nlh, nl::LinkInfo* out) { return nl::ParseLink(nlh, out); }
inline bool Parse(const nlmsghdr* nlh, nl::AddressInfo* out) { return nl::ParseAddress(nlh, out); }
inline bool Parse(const nlmsghdr* nlh, nl::RouteInfo* out) { return nl::ParseRoute(nlh, out); }
inline bool Parse(const nlmsghdr* nlh, nl::NeighborInfo* out) {
  return nl::ParseNeighbor(nlh, out);
}
inline std::string NameFor(ns::Context&, const NoResult&) { return ""; }
inline std::string NameFor(ns::Context& c, const nl::LinkInfo& l) {
  return l.master ? c.NameOf(l.master) : "";
}
inline std::string NameFor(ns::Context& c, const nl::AddressInfo& a) { return c.NameOf(a.index); }
inline std::string NameFor(ns::Context& c, const nl::RouteInfo& r) {
  return r.oif ? c.NameOf(r.oif) : "";
}
inline std::string NameFor(ns::Context& c, const nl::NeighborInfo& x) { return c.NameOf(x.index); }
inline Napi::Value ToJs(Napi::Env env, const NoResult&, const std::string&) {
  return env.Undefined();
}

// A pipelined netlink exchange. `build` runs on the worker right before sending, so interface
// names resolve in the namespace at that moment. The answer (if Info is not NoResult) is read
// from the replies to the last message: an echo or a get.
template <typename Info>
class RequestJob final : public JsJob {
 public:
  using Build = std::function<std::vector<std::vector<uint8_t>>(ns::Context&, nl::Error*)>;
  RequestJob(Napi::Env env, SandboxHandle* owner, Build build, bool changes)
      : JsJob(env, owner), build_(std::move(build)) {
    changes_links = changes;
  }
  bool exclusive() const override { return false; }
  void Prepare(ns::Context& ctx) override {
    requests.clear();
    for (auto& message : build_(ctx, &error)) requests.push_back(nl::Request{std::move(message)});
  }
  void Finish(ns::Context& ctx) override {
    for (const nl::Request& r : requests) {
      if (r.error) {
        error = r.error;
        return;
      }
    }
    if (requests.empty()) return;
    nl::ForEachMessage(requests.back().replies, [&](const nlmsghdr* nlh) {
      if (!found_ && Parse(nlh, &info_)) {
        found_ = true;
        name_ = NameFor(ctx, info_);
      }
    });
  }

 private:
  Napi::Value Result(Napi::Env env) override {
    return found_ ? ToJs(env, info_, name_) : env.Undefined();
  }
  Build build_;
  Info info_{};
  std::string name_;
  bool found_ = false;
};

// A dump, run alone on the socket; resolves to { items, partial }.
template <typename Info>
class DumpJob final : public JsJob {
 public:
  using Build = std::function<std::vector<uint8_t>(ns::Context&, nl::Error*)>;
  DumpJob(Napi::Env env, SandboxHandle* owner, Build build)
      : JsJob(env, owner), build_(std::move(build)) {}
  bool exclusive() const override { return true; }
  void Run(ns::Context& ctx) override {
    std::vector<uint8_t> request = build_(ctx, &error);
    if (error) return;
    nl::DumpResult result;
    bool socket_failed = false;
    error = ctx.route().Dump(request, &result, &socket_failed);
    if (socket_failed) ctx.ReplaceRouteSocket();
    if (error) return;
    partial_ = result.partial;
    nl::ForEachMessage(result.messages, [&](const nlmsghdr* nlh) {
      Info info;
      if (Parse(nlh, &info)) items_.push_back({info, NameFor(ctx, info)});
    });
  }

 private:
  Napi::Value Result(Napi::Env env) override {
    Napi::Array items = Napi::Array::New(env, items_.size());
    for (size_t i = 0; i < items_.size(); i++) {
      items.Set(i, ToJs(env, items_[i].first, items_[i].second));
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("items", items);
    out.Set("partial", partial_);
    return out;
  }
  Build build_;
  std::vector<std::pair<Info, std::string>> items_;
  bool partial_ = false;
};

// Sysctl reads and writes, in order, alone on the worker. Resolves to one result per entry
// ({ previous?, value, changed } or { errno, code, message }): a failed entry does not stop the
// others, the caller decides what a failure means.
class SysctlJob final : public JsJob {
 public:
  struct Entry {
    ns::SysctlPath path;
    std::optional<std::string> value;  // absent: read only
  };
  SysctlJob(Napi::Env env, SandboxHandle* owner, std::vector<Entry> entries)
      : JsJob(env, owner), entries_(std::move(entries)) {}
  bool exclusive() const override { return true; }
  void Run(ns::Context& ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  std::vector<Entry> entries_;
  std::vector<ns::SysctlResult> results_;
};

// Every readable key below a sysctl directory, as [path elements, value] pairs.
class SysctlListJob final : public JsJob {
 public:
  SysctlListJob(Napi::Env env, SandboxHandle* owner, ns::SysctlPath path)
      : JsJob(env, owner), path_(std::move(path)) {}
  bool exclusive() const override { return true; }
  void Run(ns::Context& ctx) override;

 private:
  Napi::Value Result(Napi::Env env) override;
  ns::SysctlPath path_;
  std::vector<std::pair<ns::SysctlPath, std::string>> found_;
};

// The first job of every worker: enter (or create) the namespace. Resolves to { id, path }.
class EnterJob final : public JsJob {
 public:
  EnterJob(Napi::Env env, SandboxHandle* owner, ns::NamespaceSpec spec)
      : JsJob(env, owner), spec_(std::move(spec)) {}
  ~EnterJob() override;
  bool exclusive() const override { return true; }
  void Run(ns::Context& ctx) override;

 private:
  void OnDone() override;
  Napi::Value Result(Napi::Env env) override;
  ns::NamespaceSpec spec_;
  ns::EnteredNamespace entered_;
};

// The last job: the worker finishes everything queued before it, then exits.
class CloseJob final : public JsJob {
 public:
  CloseJob(Napi::Env env, SandboxHandle* owner) : JsJob(env, owner) { stops_worker = true; }
  bool exclusive() const override { return true; }

 private:
  void OnDone() override;
};

}  // namespace binding
