#include "sandbox_handle.h"

#include <fcntl.h>
#include <unistd.h>

#include "addon.h"
#include "events.h"
#include "operations.h"

namespace binding {

namespace {

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

}  // namespace

Napi::Function SandboxHandle::Define(Napi::Env env) {
  std::vector<PropertyDescriptor> methods = {
      InstanceMethod<&SandboxHandle::Enter>("enter"),
      InstanceMethod<&SandboxHandle::Close>("close"),
      InstanceMethod<&SandboxHandle::Sysctl>("sysctl"),
      InstanceMethod<&SandboxHandle::SysctlList>("sysctlList"),
      InstanceMethod<&SandboxHandle::SubmitBatch>("submit"),
      InstanceMethod<&SandboxHandle::ReadDump>("readDump"),
      InstanceMethod<&SandboxHandle::OpenEvents>("openEvents"),
      InstanceMethod<&SandboxHandle::OpenSocket>("openSocket"),
      InstanceMethod<&SandboxHandle::CreateTun>("createTun"),
  };
  return DefineClass(env, "SandboxHandle", methods);
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

int SandboxHandle::BorrowNamespaceFd(Napi::Env env, Napi::Value value) {
  Napi::Object object = value.As<Napi::Object>();
  if (!value.IsObject() || !object.InstanceOf(Addon::Of(env)->sandbox_handle.Value())) {
    throw Napi::TypeError::New(env, "expected a sandbox");
  }
  SandboxHandle* other = Unwrap(object);
  int copy = other->state_ == State::kOpen ? fcntl(other->ns_fd_, F_DUPFD_CLOEXEC, 0) : -1;
  if (copy < 0) throw LibraryError(env, "ERR_SANDBOX_CLOSED", "the other sandbox is closed");
  return copy;
}

int SandboxHandle::RefuseNamespaceFd(Napi::Env env, Napi::Value) {
  throw Napi::TypeError::New(env, "the codec encodes no namespace references");
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
    // The worker exits by itself after a failed entry, settling what was queued behind it (a
    // close() settles, others are cancelled); it is joined with the handle or by that close.
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
  // A path is a C string for the kernel: one with NUL in it would name another file.
  auto path_part = [&](const char* key) {
    std::string part = o.Get(key).ToString().Utf8Value();
    if (part.find('\0') != std::string::npos) {
      throw Napi::RangeError::New(env, std::string(key) + " may not contain NUL");
    }
    return part;
  };
  ns::NamespaceSpec spec;
  if (o.Get("create").ToBoolean()) {
    spec.create = true;
    spec.dir = path_part("dir");
    spec.name = path_part("name");
  } else {
    spec.path = path_part("path");
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

Napi::Value SandboxHandle::ReadDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal() || !info[1].IsNumber() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "readDump(cursor, start: number, count: number)");
  }
  DumpItems* items = info[0].As<Napi::External<DumpItems>>().Data();
  const size_t size = items->size();
  const size_t start = std::min<size_t>(info[1].As<Napi::Number>().Uint32Value(), size);
  const size_t end = std::min<size_t>(start + info[2].As<Napi::Number>().Uint32Value(), size);
  Napi::Value out = items->WriteChunk(env, start, end);
  if (end == size) items->Clear();
  return out;
}

Napi::Value SandboxHandle::SubmitBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsArray() ||
      !info[2].IsFunction() || !info[3].IsFunction()) {
    throw Napi::TypeError::New(
        env, "submit(ops: Uint8Array, specs: unknown[], settle: Function, progress: Function)");
  }
  auto ops = info[0].As<Napi::Uint8Array>();
  Napi::Array specs = info[1].As<Napi::Array>();
  if (ops.ElementLength() != specs.Length()) throw Napi::RangeError::New(env, "one spec per op");
  if (state_ != State::kOpen)
    throw LibraryError(env, "ERR_SANDBOX_CLOSED", "the sandbox is closed");
  const std::vector<Operation>& table = Operations();
  auto batch = std::make_shared<Batch>();
  batch->settle = Napi::Persistent(info[2].As<Napi::Function>());
  batch->progress = Napi::Persistent(info[3].As<Napi::Function>());
  std::vector<std::unique_ptr<ns::Job>> jobs;
  jobs.reserve(ops.ElementLength());
  for (uint32_t i = 0; i < ops.ElementLength(); i++) {
    std::unique_ptr<JsJob> job;
    try {
      if (ops[i] >= table.size()) throw Napi::RangeError::New(env, "no such operation");
      job = table[ops[i]].make_job(this, specs.Get(i));
    } catch (const Napi::Error& e) {  // keeps its slot, in order, and fails there
      job = std::make_unique<FailedJob>(this, e);
    }
    job->JoinBatch(batch, i);
    jobs.push_back(std::move(job));
  }
  if (jobs.empty()) return env.Undefined();
  if (pending_ == 0) {
    Ref();  // a dropped Sandbox must not be collected while its requests run
    addon_->Busy(env);
  }
  pending_ += jobs.size();
  worker_->SubmitAll(std::move(jobs));
  return env.Undefined();
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

Napi::Value SandboxHandle::OpenEvents(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "openEvents(groups)");
  const uint32_t groups = info[0].As<Napi::Number>().Uint32Value();
  return Submit(info.Env(), std::make_unique<OpenEventsJob>(info.Env(), this, groups),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::OpenSocket(const Napi::CallbackInfo& info) {
  Napi::Object o = ObjectArg(info, 0);
  ns::SocketSpec spec;
  const uint32_t family = o.Get("family").ToNumber().Uint32Value();
  if (family != 4 && family != 6) throw Napi::RangeError::New(info.Env(), "family must be 4 or 6");
  spec.family = family == 4 ? AF_INET : AF_INET6;
  spec.stream = o.Get("type").ToString().Utf8Value() == "tcp";
  spec.bind = o.Get("bind").ToBoolean();
  if (Napi::Value address = o.Get("address"); address.IsString()) {
    spec.address = address.As<Napi::String>().Utf8Value();
  }
  const uint32_t port = o.Get("port").IsNumber() ? o.Get("port").ToNumber().Uint32Value() : 0;
  if (port > UINT16_MAX) throw Napi::RangeError::New(info.Env(), "port out of range");
  spec.port = static_cast<uint16_t>(port);
  if (o.Get("backlog").IsNumber()) spec.backlog = o.Get("backlog").ToNumber().Int32Value();
  return Submit(info.Env(), std::make_unique<OpenSocketJob>(info.Env(), this, std::move(spec)),
                state_ == State::kOpen);
}

Napi::Value SandboxHandle::CreateTun(const Napi::CallbackInfo& info) {
  Napi::Object o = ObjectArg(info, 0);
  ns::TunSpec spec;
  spec.name = o.Get("name").ToString().Utf8Value();  // ns::CreateTun checks it
  spec.tap = o.Get("mode").ToString().Utf8Value() == "tap";
  spec.multi_queue = o.Get("multiQueue").ToBoolean();
  if (o.Get("user").IsNumber()) spec.user = o.Get("user").ToNumber().Uint32Value();
  if (o.Get("group").IsNumber()) spec.group = o.Get("group").ToNumber().Uint32Value();
  return Submit(info.Env(), std::make_unique<TunJob>(info.Env(), this, std::move(spec)),
                state_ == State::kOpen);
}

}  // namespace binding
