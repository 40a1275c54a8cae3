#include "sandbox_handle.h"

#include <unistd.h>

#include "addon.h"

namespace binding {

namespace {

using Messages = std::vector<std::vector<uint8_t>>;

ns::SysctlPath ToSysctlPath(Napi::Value value) {
  if (!value.IsArray())
    throw Napi::TypeError::New(value.Env(), "a sysctl path is an array of strings");
  Napi::Array parts = value.As<Napi::Array>();
  ns::SysctlPath path;
  for (uint32_t i = 0; i < parts.Length(); i++) {
    if (!parts.Get(i).IsString())
      throw Napi::TypeError::New(value.Env(), "a sysctl path is an array of strings");
    path.push_back(parts.Get(i).As<Napi::String>().Utf8Value());
  }
  return path;  // its elements are checked again on the worker, right before opening
}

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "expected an object");
  return info[i].As<Napi::Object>();
}

// A dump's family filter: 4, 6, or absent (every family).
uint8_t FamilyFilter(Napi::Object o) {
  Napi::Value family = o.Get("family");
  if (!family.IsNumber()) return AF_UNSPEC;
  return family.ToNumber().Uint32Value() == 4 ? AF_INET : AF_INET6;
}

std::optional<nl::LinkRef> OptionalLink(Napi::Object o, const char* key) {
  Napi::Value value = o.Get(key);
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  return ToLinkRef(value);
}

// One message, or none when building it failed (the error is then set).
Messages One(std::vector<uint8_t> message) {
  Messages out;
  if (!message.empty()) out.push_back(std::move(message));
  return out;
}

}  // namespace

Napi::Function SandboxHandle::Define(Napi::Env env) {
  return DefineClass(env, "SandboxHandle",
                     {
                         InstanceMethod<&SandboxHandle::Enter>("enter"),
                         InstanceMethod<&SandboxHandle::Close>("close"),
                         InstanceMethod<&SandboxHandle::GetLink>("getLink"),
                         InstanceMethod<&SandboxHandle::Links>("links"),
                         InstanceMethod<&SandboxHandle::CreateLink>("createLink"),
                         InstanceMethod<&SandboxHandle::ChangeLink>("changeLink"),
                         InstanceMethod<&SandboxHandle::DeleteLink>("deleteLink"),
                         InstanceMethod<&SandboxHandle::Addresses>("addresses"),
                         InstanceMethod<&SandboxHandle::AddAddress>("addAddress"),
                         InstanceMethod<&SandboxHandle::DeleteAddress>("deleteAddress"),
                         InstanceMethod<&SandboxHandle::Routes>("routes"),
                         InstanceMethod<&SandboxHandle::AddRoute>("addRoute"),
                         InstanceMethod<&SandboxHandle::ReplaceRoute>("replaceRoute"),
                         InstanceMethod<&SandboxHandle::DeleteRoute>("deleteRoute"),
                         InstanceMethod<&SandboxHandle::RouteGet>("routeGet"),
                         InstanceMethod<&SandboxHandle::Neighbors>("neighbors"),
                         InstanceMethod<&SandboxHandle::AddNeighbor>("addNeighbor"),
                         InstanceMethod<&SandboxHandle::DeleteNeighbor>("deleteNeighbor"),
                         InstanceMethod<&SandboxHandle::Sysctl>("sysctl"),
                         InstanceMethod<&SandboxHandle::SysctlList>("sysctlList"),
                     });
}

SandboxHandle::SandboxHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SandboxHandle>(info), addon_(Addon::Of(info.Env())) {
  addon_->handles.insert(this);
}

SandboxHandle::~SandboxHandle() {
  // Garbage collected (never with jobs pending: they hold a reference) or env teardown.
  Abandon();
  addon_->handles.erase(this);
}

void SandboxHandle::Abandon() {
  worker_.reset();  // joins; queued jobs are dropped unsettled
  if (ns_fd_ >= 0) close(ns_fd_);
  ns_fd_ = -1;
  state_ = State::kClosed;
}

int SandboxHandle::BorrowNamespaceFd(Napi::Env env, Napi::Value value, BorrowedFds& fds) {
  Napi::Object object = value.As<Napi::Object>();
  if (!value.IsObject() || !object.InstanceOf(Addon::Of(env)->sandbox_handle.Value())) {
    throw Napi::TypeError::New(env, "expected a sandbox");
  }
  SandboxHandle* other = Unwrap(object);
  if (other->state_ != State::kOpen) {
    throw LibraryError(env, "ERR_SANDBOX_CLOSED", "the other sandbox is closed");
  }
  return fds.Dup(env, other->ns_fd_);
}

Napi::Value SandboxHandle::Submit(Napi::Env env, std::unique_ptr<JsJob> job, bool allowed) {
  Napi::Promise promise = job->promise();
  if (!allowed) {
    job->RejectUnqueued(LibraryError(env, "ERR_SANDBOX_CLOSED", "the sandbox is closed"));
    return promise;
  }
  if (pending_++ == 0) {
    Ref();  // a dropped Sandbox must not be collected while its requests run
    addon_->Busy(env);
  }
  worker_->Submit(std::move(job));
  return promise;
}

void SandboxHandle::OnSettled() {
  if (--pending_ != 0) return;
  try {
    addon_->Idle(Env());
    Unref();
  } catch (const std::exception&) {
    // Env teardown: references are being released anyway.
  }
}

void SandboxHandle::OnEntered(int fd) {
  if (fd < 0) {
    worker_.reset();  // it has exited after the failed entry
    state_ = State::kClosed;
    return;
  }
  ns_fd_ = fd;
  if (state_ == State::kEntering) state_ = State::kOpen;  // else close() came first: kClosing
}

void SandboxHandle::OnClosed() {
  Abandon();  // the worker has exited after the close job: nothing is left to drop
}

Napi::Value SandboxHandle::Enter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = ObjectArg(info, 0);
  ns::NamespaceSpec spec;
  if (o.Get("create").ToBoolean()) {
    spec.create = true;
    spec.dir = o.Get("dir").ToString().Utf8Value();
    spec.name = o.Get("name").ToString().Utf8Value();
  } else {
    spec.path = o.Get("path").ToString().Utf8Value();
  }
  if (state_ != State::kNew) throw Napi::Error::New(env, "enter() may be called once");
  state_ = State::kEntering;
  Addon* addon = addon_;
  worker_ =
      std::make_unique<ns::Worker>([addon](FinishedJobs jobs) { addon->Post(std::move(jobs)); });
  return Submit(env, std::make_unique<EnterJob>(env, this, std::move(spec)), true);
}

Napi::Value SandboxHandle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_ != State::kOpen && state_ != State::kEntering) {
    Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
    done.Resolve(env.Undefined());
    return done.Promise();
  }
  state_ = State::kClosing;
  // Submit checks nothing more: the close job queues behind everything already submitted.
  return Submit(env, std::make_unique<CloseJob>(env, this), true);
}

Napi::Value SandboxHandle::GetLink(const Napi::CallbackInfo& info) {
  nl::LinkRef ref = ToLinkRef(info[0]);
  auto build = [ref](ns::Context&, nl::Error*) { return One(nl::BuildGetLink(ref)); };
  return Submit(info.Env(),
                std::make_unique<RequestJob<nl::LinkInfo>>(info.Env(), this, build, false),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::Links(const Napi::CallbackInfo& info) {
  auto build = [](ns::Context&, nl::Error*) { return nl::BuildDumpLinks(); };
  return Submit(info.Env(), std::make_unique<DumpJob<nl::LinkInfo>>(info.Env(), this, build),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::CreateLink(const Napi::CallbackInfo& info) {
  auto fds = std::make_shared<BorrowedFds>();
  auto spec =
      std::make_shared<nl::LinkSpec>(ToLinkSpec(ObjectArg(info, 0), *fds, BorrowNamespaceFd));
  // Create, then read back by name in the same round trip: the result is what the kernel made.
  auto build = [spec, fds](ns::Context& ctx, nl::Error* error) {
    Messages out = One(nl::BuildCreateLink(*spec, ctx, error));
    if (!out.empty()) out.push_back(nl::BuildGetLink(nl::LinkRef{0, spec->name}));
    return out;
  };
  return Submit(info.Env(),
                std::make_unique<RequestJob<nl::LinkInfo>>(info.Env(), this, build, true),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::ChangeLink(const Napi::CallbackInfo& info) {
  auto fds = std::make_shared<BorrowedFds>();
  auto spec =
      std::make_shared<nl::LinkSpec>(ToLinkSpec(ObjectArg(info, 0), *fds, BorrowNamespaceFd));
  // Only renames and moves change what names mean to later requests.
  const bool changes_names = !spec->name.empty() || spec->netns_fd >= 0;
  auto build = [spec, fds](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildChangeLink(*spec, ctx, error));
  };
  return Submit(info.Env(),
                std::make_unique<RequestJob<NoResult>>(info.Env(), this, build, changes_names),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::DeleteLink(const Napi::CallbackInfo& info) {
  nl::LinkRef ref = ToLinkRef(info[0]);
  auto build = [ref](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildDeleteLink(ref, ctx, error));
  };
  return Submit(info.Env(), std::make_unique<RequestJob<NoResult>>(info.Env(), this, build, true),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::Addresses(const Napi::CallbackInfo& info) {
  Napi::Object o = ObjectArg(info, 0);
  const uint8_t family = FamilyFilter(o);
  std::optional<nl::LinkRef> link = OptionalLink(o, "link");
  auto build = [family, link](ns::Context& ctx, nl::Error* error) {
    int32_t index = link ? ctx.IndexOf(*link, error) : 0;
    return *error ? std::vector<uint8_t>{} : nl::BuildDumpAddresses(family, index);
  };
  return Submit(info.Env(), std::make_unique<DumpJob<nl::AddressInfo>>(info.Env(), this, build),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::AddAddress(const Napi::CallbackInfo& info) {
  nl::AddressSpec spec = ToAddressSpec(ObjectArg(info, 0));
  auto build = [spec](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildAddress(RTM_NEWADDR, spec, ctx, error));
  };
  return Submit(info.Env(), std::make_unique<RequestJob<NoResult>>(info.Env(), this, build, false),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::DeleteAddress(const Napi::CallbackInfo& info) {
  nl::AddressSpec spec = ToAddressSpec(ObjectArg(info, 0));
  auto build = [spec](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildAddress(RTM_DELADDR, spec, ctx, error));
  };
  return Submit(info.Env(), std::make_unique<RequestJob<NoResult>>(info.Env(), this, build, false),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::Routes(const Napi::CallbackInfo& info) {
  Napi::Object o = ObjectArg(info, 0);
  const uint8_t family = FamilyFilter(o);
  uint32_t table = o.Get("table").IsNumber() ? o.Get("table").ToNumber().Uint32Value() : 0;
  auto build = [family, table](ns::Context&, nl::Error*) {
    return nl::BuildDumpRoutes(family, table);
  };
  return Submit(info.Env(), std::make_unique<DumpJob<nl::RouteInfo>>(info.Env(), this, build),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::SubmitRoute(const Napi::CallbackInfo& info, nl::RouteOp op) {
  nl::RouteSpec spec = ToRouteSpec(ObjectArg(info, 0));
  auto build = [spec, op](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildRoute(op, spec, ctx, error));
  };
  return Submit(info.Env(),
                std::make_unique<RequestJob<nl::RouteInfo>>(info.Env(), this, build, false),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::AddRoute(const Napi::CallbackInfo& info) {
  return SubmitRoute(info, nl::RouteOp::kAdd);
}
Napi::Value SandboxHandle::ReplaceRoute(const Napi::CallbackInfo& info) {
  return SubmitRoute(info, nl::RouteOp::kReplace);
}
Napi::Value SandboxHandle::DeleteRoute(const Napi::CallbackInfo& info) {
  return SubmitRoute(info, nl::RouteOp::kDelete);
}
Napi::Value SandboxHandle::RouteGet(const Napi::CallbackInfo& info) {
  return SubmitRoute(info, nl::RouteOp::kGet);
}

Napi::Value SandboxHandle::Neighbors(const Napi::CallbackInfo& info) {
  Napi::Object o = ObjectArg(info, 0);
  const bool fdb = o.Get("fdb").ToBoolean();
  const uint8_t family = fdb ? AF_BRIDGE : FamilyFilter(o);
  std::optional<nl::LinkRef> dev = OptionalLink(o, "dev");
  auto build = [family, dev](ns::Context& ctx, nl::Error* error) {
    int32_t index = dev ? ctx.IndexOf(*dev, error) : 0;
    return *error ? std::vector<uint8_t>{} : nl::BuildDumpNeighbors(family, index);
  };
  return Submit(info.Env(), std::make_unique<DumpJob<nl::NeighborInfo>>(info.Env(), this, build),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::AddNeighbor(const Napi::CallbackInfo& info) {
  nl::NeighborSpec spec = ToNeighborSpec(ObjectArg(info, 0));
  auto build = [spec](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildNeighbor(RTM_NEWNEIGH, spec, ctx, error));
  };
  return Submit(info.Env(), std::make_unique<RequestJob<NoResult>>(info.Env(), this, build, false),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::DeleteNeighbor(const Napi::CallbackInfo& info) {
  nl::NeighborSpec spec = ToNeighborSpec(ObjectArg(info, 0));
  auto build = [spec](ns::Context& ctx, nl::Error* error) {
    return One(nl::BuildNeighbor(RTM_DELNEIGH, spec, ctx, error));
  };
  return Submit(info.Env(), std::make_unique<RequestJob<NoResult>>(info.Env(), this, build, false),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::Sysctl(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "expected an array of entries");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<SysctlJob::Entry> entries;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Object o = list.Get(i).As<Napi::Object>();
    SysctlJob::Entry entry{ToSysctlPath(o.Get("path")), std::nullopt};
    if (o.Get("value").IsString()) entry.value = o.Get("value").As<Napi::String>().Utf8Value();
    entries.push_back(std::move(entry));
  }
  return Submit(info.Env(), std::make_unique<SysctlJob>(info.Env(), this, std::move(entries)),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::SysctlList(const Napi::CallbackInfo& info) {
  return Submit(info.Env(),
                std::make_unique<SysctlListJob>(info.Env(), this, ToSysctlPath(info[0])),
                state_ == State::kOpen);
}

}  // namespace binding
