#include "jobs.h"

#include <unistd.h>

#include "sandbox_handle.h"

namespace binding {

void JsJob::Settle(Napi::Env env) {
  OnDone();
  // While a worker_threads Worker is being torn down every N-API call can fail, and
  // node-addon-api turns failures into C++ exceptions: none may escape into the event loop.
  try {
    Napi::HandleScope scope(env);
    try {
      if (error) {
        deferred_.Reject(ToJsError(env, error).Value());
      } else {
        deferred_.Resolve(Result(env));
      }
    } catch (const Napi::Error& e) {  // a conversion failed: reject instead
      deferred_.Reject(e.Value());
    }
  } catch (const std::exception&) {
    // The environment is going away; there is nobody left to tell.
  }
  owner_->OnSettled();
}

const std::string& Names::Of(int32_t index) {
  auto it = cache_.find(index);
  if (it == cache_.end()) it = cache_.emplace(index, ctx_.NameOf(index)).first;
  return it->second;
}

EnterJob::~EnterJob() {
  if (entered_.fd >= 0) close(entered_.fd);  // dropped unsettled at teardown
}

void EnterJob::Run(ns::Context& ctx) {
  error = ctx.Enter(spec_, &entered_);
  if (!error && spec_.create) {
    // A new namespace's loopback starts down; like `ip netns add` users expect it up.
    nl::LinkSpec lo;
    lo.target.index = 1;
    lo.up = true;
    nl::Request request{nl::BuildChangeLink(lo, ctx, &error)};
    nl::Request* one = &request;
    ctx.route().Transact(&one, 1);
    if (request.error) {
      error = request.error;
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

}  // namespace binding
