#include "jobs.h"

#include <unistd.h>

#include "sandbox_handle.h"

namespace binding {

Napi::Value JsJob::Outcome(Napi::Env env, bool* failed_out) {
  OnDone();
  // While a worker_threads Worker is being torn down every N-API call can fail, and
  // node-addon-api turns failures into C++ exceptions: none may escape into the event loop.
  try {
    *failed_out = failed();
    try {
      return *failed_out ? Failure(env) : Result(env);
    } catch (const Napi::Error& e) {  // a conversion failed: reject instead
      *failed_out = true;
      return e.Value();
    }
  } catch (const std::exception&) {
    return Napi::Value();  // the environment is going away; there is nobody left to tell
  }
}

void JsJob::Settle(Napi::Env env) {
  try {
    Napi::HandleScope scope(env);
    bool failed_now = false;
    Napi::Value outcome = Outcome(env, &failed_now);
    if (!outcome.IsEmpty()) {
      if (failed_now) {
        deferred_->Reject(outcome);
      } else {
        deferred_->Resolve(outcome);
      }
    }
  } catch (const std::exception&) {
    // Env teardown, as in Outcome().
  }
  Release();
}

void JsJob::Release() { owner_->OnSettled(); }

Napi::Object DumpCursor(Napi::Env env, std::unique_ptr<DumpItems> items) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", static_cast<double>(items->size()));
  out.Set("cursor", Napi::External<DumpItems>::New(env, items.release(),
                                                   [](Napi::Env, DumpItems* d) { delete d; }));
  return out;
}

Napi::Value DumpOutcome(Napi::Env env, std::unique_ptr<DumpItems> items, bool partial) {
  Napi::Object out = DumpCursor(env, std::move(items));
  out.Set("partial", partial);
  return out;
}

bool DumpPiece::DeliverPiece(Napi::Env env) {
  // As in Outcome(): nothing may escape during env teardown.
  try {
    Napi::HandleScope scope(env);
    Napi::Value piece = items_ ? DumpCursor(env, std::move(items_)).As<Napi::Value>() : env.Null();
    batch()->progress.Call({Napi::Number::New(env, slot()), piece});
  } catch (const Napi::Error& e) {  // the dump must not resolve without this piece
    try {
      // Settled outcomes that are not Errors resolve, so anything else thrown is wrapped.
      Napi::Value thrown = e.Value();
      if (!thrown.IsObject() ||
          !thrown.As<Napi::Object>().InstanceOf(env.Global().Get("Error").As<Napi::Function>())) {
        Napi::Error wrapped =
            Napi::Error::New(env, "a dump's progress function threw a value that is no Error");
        wrapped.Set("cause", thrown);
        thrown = wrapped.Value();
      }
      batch_->lost.emplace(slot(), Napi::Persistent(thrown));
    } catch (const std::exception&) {
      // Env teardown: nobody is left to tell.
    }
  } catch (const std::exception&) {
    // Env teardown, as in Outcome().
  }
  return true;
}

FailedJob::FailedJob(SandboxHandle* owner, const Napi::Error& error)
    : JsJob(owner), message_(error.Message()) {
  Napi::Object e = error.Value();
  name_ = e.Get("name").ToString().Utf8Value();
  if (Napi::Value code = e.Get("code"); code.IsString()) code_ = code.As<Napi::String>();
}

Napi::Value FailedJob::Failure(Napi::Env env) {
  if (name_ == "TypeError") return Napi::TypeError::New(env, message_).Value();
  if (name_ == "RangeError") return Napi::RangeError::New(env, message_).Value();
  return LibraryError(env, code_.c_str(), message_).Value();
}

EnterJob::~EnterJob() {
  if (entered_.fd >= 0) close(entered_.fd);  // dropped unsettled at teardown
}

void EnterJob::Run(ns::Context& ctx) {
  error = ctx.Enter(spec_, &entered_);
  if (!error && spec_.create) {
    // A new namespace's loopback starts down; like `ip netns add` users expect it up.
    nl::LinkSpec lo;
    lo.dev.index = nl::kLoopbackIndex;
    lo.up = true;
    nl::Request request{nl::BuildChangeLink(lo, ctx, &error)};
    nl::Request* one = &request;
    if (nl::Socket* socket = error ? nullptr : ctx.SocketFor(NETLINK_ROUTE, &error)) {
      socket->Transact(&one, 1);
      error = request.error;
    }
    if (error) {
      close(entered_.fd);
      entered_.fd = -1;
      ns::RemoveNamespaceFile(entered_.path);
    }
  }
  stops_worker = static_cast<bool>(error);
}

void EnterJob::OnDone() {
  owner_->OnEntered(error ? -1 : entered_.fd);
  if (!error) entered_.fd = -1;  // the handle owns it now
}

Napi::Value EnterJob::Result(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", static_cast<double>(entered_.id));
  out.Set("path", entered_.path);
  return out;
}

void CloseJob::OnDone() { owner_->OnClosed(); }

OpenSocketJob::~OpenSocketJob() {
  if (fd_ >= 0) close(fd_);  // dropped unsettled at teardown
}

Napi::Value OpenSocketJob::Result(Napi::Env env) {
  Napi::Number fd = Napi::Number::New(env, fd_);
  fd_ = -1;  // the JS thread owns it now
  return fd;
}

}  // namespace binding

namespace binding {

namespace {
Napi::Array ToJs(Napi::Env env, const ns::SysctlPath& path) {
  Napi::Array out = Napi::Array::New(env, path.size());
  for (size_t i = 0; i < path.size(); i++) out.Set(i, path[i]);
  return out;
}
}  // namespace

void SysctlJob::Run(ns::Context&) {
  for (const Entry& e : entries_) {
    results_.push_back(e.value ? ns::SysctlSet(e.path, *e.value) : ns::SysctlGet(e.path));
  }
}

Napi::Value SysctlJob::Result(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, results_.size());
  for (size_t i = 0; i < results_.size(); i++) {
    const ns::SysctlResult& r = results_[i];
    Napi::Object o = Napi::Object::New(env);
    if (r.error) {
      o.Set("errno", Napi::Number::New(env, r.error.code));
      o.Set("code", nl::ErrnoName(r.error.code));
      o.Set("message", r.error.message);
    } else {
      if (r.previous) o.Set("previous", *r.previous);
      o.Set("value", r.value);
      o.Set("changed", r.changed);
    }
    out.Set(i, o);
  }
  return out;
}

void SysctlListJob::Run(ns::Context&) { error = ns::SysctlList(path_, &found_); }

Napi::Value SysctlListJob::Result(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, found_.size());
  for (size_t i = 0; i < found_.size(); i++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, ToJs(env, found_[i].first));
    pair.Set(1u, found_[i].second);
    out.Set(i, pair);
  }
  return out;
}

}  // namespace binding
