#include "addon.h"

#include "../ns/namespace.h"
#include "codec.h"
#include "convert.h"
#include "jobs.h"
#include "sandbox_handle.h"

namespace binding {

namespace {

// Unmounting waits for an RCU grace period (milliseconds): off the JS thread. It changes no
// namespace, so the libuv pool may run it.
class RemoveNamespaceWorker : public Napi::AsyncWorker {
 public:
  RemoveNamespaceWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override { error_ = ns::RemoveNamespaceFile(path_); }  // libuv pool thread
  void OnOK() override {
    if (error_) {
      deferred_.Reject(ToJsError(Env(), error_).Value());
    } else {
      deferred_.Resolve(Env().Undefined());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  nl::Error error_;
};

Napi::Value RemoveNamespaceFile(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
  auto* worker = new RemoveNamespaceWorker(info.Env(), info[0].As<Napi::String>().Utf8Value());
  worker->Queue();
  return worker->promise();
}

// The calling (JS) thread's namespace inode: tests compare it before and after.
Napi::Value ThreadNamespaceId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ns::CurrentNamespaceId()));
}

}  // namespace

void DeliverFinished(Napi::Env env, Napi::Function, Addon*, FinishedJobs* jobs) {
  std::unique_ptr<FinishedJobs> owned(jobs);
  if (env == nullptr) return;  // teardown: the jobs are dropped with their promises
  for (auto& job : *owned) static_cast<JsJob*>(job.get())->Settle(env);
}

Addon::Addon(Napi::Env env, Napi::Object exports) {
  delivery_ = Delivery::New(env, "netsandbox", 0, 1, this);
  delivery_.Unref(env);
  napi_add_env_cleanup_hook(env, StopAll, this);
  sandbox_handle = Napi::Persistent(SandboxHandle::Define(env));
  exports.Set("SandboxHandle", sandbox_handle.Value());
  exports.Set("removeNamespaceFile", Napi::Function::New(env, RemoveNamespaceFile));
  exports.Set("threadNamespaceId", Napi::Function::New(env, ThreadNamespaceId));
  exports.Set("codec", DefineCodec(env));
}

void Addon::Post(FinishedJobs jobs) {
  auto* heap = new FinishedJobs(std::move(jobs));
  if (delivery_.NonBlockingCall(heap) != napi_ok) delete heap;  // closing: env is going away
}

void Addon::Busy(Napi::Env env) {
  if (busy_++ == 0) delivery_.Ref(env);
}

void Addon::Idle(Napi::Env env) {
  if (--busy_ == 0) delivery_.Unref(env);
}

void Addon::StopAll(void* data) {
  auto* addon = static_cast<Addon*>(data);
  for (SandboxHandle* handle : addon->handles) handle->Abandon();
  addon->delivery_.Release();
}

}  // namespace binding

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return binding::Addon::Init(env, exports);
}

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
