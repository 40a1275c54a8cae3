#include "addon.h"

#include "../ns/namespace.h"
#include "codec.h"
#include "convert.h"
#include "events.h"
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
  std::string path = info[0].As<Napi::String>().Utf8Value();
  // A C string stops at NUL: '/run/netns/victim\0x' would remove /run/netns/victim.
  if (path.find('\0') != std::string::npos) {
    throw Napi::RangeError::New(info.Env(), "path may not contain NUL");
  }
  auto* worker = new RemoveNamespaceWorker(info.Env(), std::move(path));
  worker->Queue();
  return worker->promise();
}

// The calling (JS) thread's namespace inode: tests compare it before and after.
Napi::Value ThreadNamespaceId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ns::CurrentNamespaceId()));
}

}  // namespace

namespace {

// Settles one worker delivery: a job with a promise of its own settles it; consecutive slots of
// one batch settle with one call of the batch's function. JS thread.
void Settle(Napi::Env env, FinishedJobs& jobs) {
  for (size_t i = 0; i < jobs.size();) {
    auto* first = static_cast<JsJob*>(jobs[i].get());
    if (first->DeliverPiece(env)) {  // a running dump's: delivered alone, ahead of the dump
      i++;
      continue;
    }
    if (first->batch() == nullptr) {
      first->Settle(env);
      i++;
      continue;
    }
    size_t end = i + 1;
    while (end < jobs.size() && static_cast<JsJob*>(jobs[end].get())->batch() == first->batch()) {
      end++;
    }
    try {
      Napi::HandleScope scope(env);
      Napi::Array outcomes = Napi::Array::New(env, end - i);
      for (size_t k = i; k < end; k++) {
        bool failed = false;
        Napi::Value outcome = static_cast<JsJob*>(jobs[k].get())->Outcome(env, &failed);
        if (!outcome.IsEmpty()) outcomes.Set(static_cast<uint32_t>(k - i), outcome);
      }
      first->batch()->settle.Call({Napi::Number::New(env, first->slot()), outcomes});
    } catch (const std::exception&) {
      // Env teardown: nobody is left to tell (as in JsJob::Outcome).
    }
    for (size_t k = i; k < end; k++) static_cast<JsJob*>(jobs[k].get())->Release();
    i = end;
  }
}

// How long the JS thread waits for a result in flight before it lets libuv block, and how long
// it may keep delivering in one loop turn before other I/O gets its turn.
constexpr auto kWaitBudget = std::chrono::microseconds(40);
constexpr auto kTurnBudget = std::chrono::microseconds(2000);

}  // namespace

void OnWake(Napi::Env env, Napi::Function, Addon* addon, std::nullptr_t*) {
  if (env != nullptr) addon->Drain(env);  // else teardown: StopAll drops what is left
}

Addon::Addon(Napi::Env env, Napi::Object exports)
    : env_(env), async_context_(env, "netsandbox"), prepare_(nullptr) {
  // Everything that can throw comes first: an environment torn down while the addon loads (a
  // Worker terminated then) makes N-API calls fail, and node-addon-api then deletes this object.
  // The loop handle and the cleanup hook hold `this`, so they are set up last.
  wake_ = Wake::New(env, "netsandbox", 0, 1, this);
  wake_.Unref(env);
  sandbox_handle = Napi::Persistent(SandboxHandle::Define(env));
  exports.Set("SandboxHandle", sandbox_handle.Value());
  event_stream = Napi::Persistent(EventStream::Define(env));
  exports.Set("removeNamespaceFile", Napi::Function::New(env, RemoveNamespaceFile));
  exports.Set("threadNamespaceId", Napi::Function::New(env, ThreadNamespaceId));
  exports.Set("codec", DefineCodec(env));
#ifdef NETSANDBOX_FAULT_HOOKS
  exports.Set("faultHooks", true);  // a developer build: tests may inject faults
#else
  exports.Set("faultHooks", false);
#endif
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  prepare_ = new uv_prepare_t;
  uv_prepare_init(loop, prepare_);
  prepare_->data = this;
  uv_prepare_start(prepare_, OnPrepare);
  uv_unref(reinterpret_cast<uv_handle_t*>(prepare_));  // never keeps the loop alive itself
  napi_add_env_cleanup_hook(env, StopAll, this);
}

Addon::~Addon() = default;

void Addon::Post(FinishedJobs jobs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    posted_.push_back(std::move(jobs));
    posted_count_.fetch_add(1);
  }
  // A JS thread that is waiting sees the count (it clears waiting_ and then looks once more).
  if (!waiting_.load()) wake_.NonBlockingCall(nullptr);
}

void Addon::Drain(Napi::Env env) {
  std::deque<FinishedJobs> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready.swap(posted_);
    posted_count_.store(0);
  }
  for (FinishedJobs& jobs : ready) Settle(env, jobs);
}

void Addon::Busy(Napi::Env env) {
  if (busy_++ == 0) wake_.Ref(env);
}

void Addon::Idle(Napi::Env env) {
  if (--busy_ == 0) wake_.Unref(env);
}

void Addon::OnPrepare(uv_prepare_t* prepare) {
  auto* addon = static_cast<Addon*>(prepare->data);
  if (addon->busy_ > 0) addon->WaitForResults();
}

void Addon::WaitForResults() {
  // A wait that sees nothing costs CPU and saves nothing, and one whose yield returned late
  // delays other threads: after either, skip 1, 3, 7, ... 63 turns.
  if (skip_ > 0) {
    skip_--;
    return;
  }
  using Clock = std::chrono::steady_clock;
  const auto turn_end = Clock::now() + kTurnBudget;
  while (busy_ > 0 && Clock::now() < turn_end) {
    waiting_.store(true);
    const auto wait_end = Clock::now() + kWaitBudget;
    bool contended = false;  // a yield returned late: other threads want this core
    for (auto now = Clock::now(); posted_count_.load() == 0 && now < wait_end && !contended;) {
      sched_yield();
      const auto after = Clock::now();
      contended = after - now > kWaitBudget;
      now = after;
    }
    waiting_.store(false);
    const bool seen = posted_count_.load() != 0;
    if (seen && !contended) {
      misses_ = 0;
    } else {  // libuv may block after this turn: a post wakes it
      misses_ = std::min(misses_ + 1, 6u);
      skip_ = (1u << misses_) - 1;
    }
    if (seen) {
      try {
        Napi::HandleScope scope(env_);
        Napi::CallbackScope callback_scope(env_, async_context_);  // microtasks run as it closes
        Drain(env_);
      } catch (const std::exception&) {
        return;  // env teardown
      }
    }
    if (!seen || contended) return;
  }
}

void Addon::StopAll(void* data) {
  auto* addon = static_cast<Addon*>(data);
  for (SandboxHandle* handle : addon->handles) handle->Abandon();
  for (EventStream* stream : addon->streams) stream->Stop();
  // Jobs a worker posted but nobody settled: dropped with their promises, on this thread.
  addon->posted_.clear();
  uv_prepare_stop(addon->prepare_);
  uv_close(reinterpret_cast<uv_handle_t*>(addon->prepare_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_prepare_t*>(handle); });
  addon->wake_.Release();
}

}  // namespace binding

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return binding::Addon::Init(env, exports);
}

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
