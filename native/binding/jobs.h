// The jobs a SandboxHandle queues on its worker: built on the JS thread, run on the worker
// thread (Prepare/Run/Finish), settled on the JS thread. A netlink operation's job is one slot of
// a batch (all the requests lib/ queued in one turn of the event loop), settled with the rest of
// its delivery in one call; lifecycle and sysctl jobs settle a promise of their own.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "../ns/sockets.h"
#include "../ns/sysctl.h"
#include "../ns/tun.h"
#include "../ns/worker.h"
#include "convert.h"

namespace binding {

class SandboxHandle;

// The requests lib/ submitted together. `settle(first, outcomes)` is called once per delivery
// with the outcomes (a value, or an Error to reject with) of consecutive slots. JS thread only.
struct Batch {
  Napi::FunctionReference settle;
  // `progress(slot, piece)`: a piece of a dump's items while it still runs ({ count, cursor }),
  // or null when the dump restarted (NLM_F_DUMP_INTR) and the pieces before it are void.
  Napi::FunctionReference progress;
  // What `progress` threw, by slot: that dump fails with it rather than resolve without the piece.
  std::unordered_map<uint32_t, Napi::Reference<Napi::Value>> lost;
};

class JsJob : public ns::Job {
 public:
  // A job with a promise of its own.
  JsJob(Napi::Env env, SandboxHandle* owner)
      : deferred_(Napi::Promise::Deferred::New(env)), owner_(owner) {}
  // A slot of a batch.
  explicit JsJob(SandboxHandle* owner) : owner_(owner) {}
  Napi::Promise promise() const { return deferred_->Promise(); }
  void JoinBatch(std::shared_ptr<Batch> batch, uint32_t slot) {
    batch_ = std::move(batch);
    slot_ = slot;
  }
  const Batch* batch() const { return batch_.get(); }
  uint32_t slot() const { return slot_; }
  // JS thread: what the job ends with, a value or (with *failed set) an Error. Runs OnDone
  // first. Never throws: during env teardown it returns an empty value.
  Napi::Value Outcome(Napi::Env env, bool* failed);
  // JS thread: settles a job with a promise of its own, then releases the owner.
  void Settle(Napi::Env env);
  // JS thread: rejects a job that was never queued (no owner bookkeeping to undo).
  void RejectUnqueued(const Napi::Error& e) { deferred_->Reject(e.Value()); }
  // JS thread, after the job's outcome was delivered.
  void Release();
  // JS thread: hands over a piece of a running job's outcome (a DumpPiece) and says so; false for
  // a job's own outcome, which settles.
  virtual bool DeliverPiece(Napi::Env) { return false; }

 protected:
  // JS thread, before the promise settles, whether the job failed or not.
  virtual void OnDone() {}
  // JS thread: the value to resolve with (error is 0).
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }
  // JS thread: whether the job failed, and the Error to reject with.
  virtual bool failed() const { return static_cast<bool>(error); }
  virtual Napi::Value Failure(Napi::Env env) { return ToJsError(env, error).Value(); }

  std::optional<Napi::Promise::Deferred> deferred_;
  std::shared_ptr<Batch> batch_;
  uint32_t slot_ = 0;
  SandboxHandle* owner_;
};

// A slot whose spec could not be read (a shape error, or another sandbox closed): it is queued
// like the others, so the batch's outcomes keep their order, and ends with the error.
class FailedJob final : public JsJob {
 public:
  FailedJob(SandboxHandle* owner, const Napi::Error& error);
  bool exclusive() const override { return false; }  // sends nothing: it has no requests

 private:
  bool failed() const override { return true; }
  Napi::Value Failure(Napi::Env env) override;
  std::string name_;  // TypeError, RangeError or Error
  std::string code_;
  std::string message_;
};

// The typed columns of an operation's row (operations.cc).
template <typename Spec>
using Reader = Spec (*)(Napi::Value, BorrowedFds&);  // JS thread: asserts the spec's shape
template <typename Spec>
using Builder = std::vector<uint8_t> (*)(const Spec&, nl::LinkResolver&, nl::Error*);  // worker
template <typename Info>
using Parser = bool (*)(const nlmsghdr*, nl::LinkResolver&, Info*);  // worker
template <typename Info>
using Writer = Napi::Value (*)(Napi::Env, const Info&);  // JS thread
// Worker thread: writes one item as a fixed-size binary record (Row::record_bytes), for dumps of
// tables that run to 100,000s of entries: a chunk of them is one Buffer, decoded in lib/.
template <typename Info>
using Packer = void (*)(const Info&, uint8_t* record);

struct NoReply {};  // an operation that resolves to undefined

template <typename Spec, typename Info>
struct Row {
  Builder<Spec> build;
  Builder<Spec> read_back;  // optional: a get sent right after, whose answer is the result
  bool (*changes_links)(const Spec&);
  Parser<Info> parse;  // absent: resolves to undefined
  Writer<Info> write;  // a dump's items are written by `write`, or packed by `pack`
  Packer<Info> pack = nullptr;
  size_t record_bytes = 0;
};

// A pipelined netlink exchange. The row builds its messages on the worker right before they
// are sent, so interface names resolve in the namespace at that moment. The answer is read from
// the replies to the last message: an echo, or the read-back get; a message that asked for no
// answer resolves to undefined.
template <typename Spec, typename Info>
class RequestJob final : public JsJob {
 public:
  RequestJob(SandboxHandle* owner, int protocol_, const Row<Spec, Info>& row, Spec spec,
             std::unique_ptr<BorrowedFds> fds)
      : JsJob(owner), row_(row), spec_(std::move(spec)), fds_(std::move(fds)) {
    protocol = protocol_;
    changes_links = row_.changes_links(spec_);
  }
  bool exclusive() const override { return false; }
  void Prepare(ns::Context& ctx) override {
    requests.clear();
    for (Builder<Spec> build : {row_.build, row_.read_back}) {
      if (build == nullptr || error) continue;
      std::vector<uint8_t> message = build(spec_, ctx, &error);
      if (!error) requests.emplace_back(std::move(message));
    }
  }
  void Finish(ns::Context& ctx) override {
    for (const nl::Request& r : requests) {
      if (r.error) {
        error = r.error;
        return;
      }
    }
    // Acked without an answer (it asked for none): resolves to undefined.
    if (row_.parse == nullptr || requests.empty() || requests.back().replies.empty()) return;
    nl::ForEachMessage(requests.back().replies, [&](const nlmsghdr* nlh) {
      if (!found_) found_ = row_.parse(nlh, ctx, &info_);
    });
    // The kernel answered, but the interface the answer names was gone before it was read.
    if (!found_) error = nl::Error{ENODEV, "the interface went away before the answer was read"};
  }

 private:
  Napi::Value Result(Napi::Env env) override {
    return found_ ? row_.write(env, info_) : env.Undefined();
  }
  Row<Spec, Info> row_;
  Spec spec_;
  std::unique_ptr<BorrowedFds> fds_;  // held until the job is gone
  Info info_{};
  bool found_ = false;
};

// A dump's items, kept in C++ until JS reads them in chunks (SandboxHandle.readDump), so that
// converting 20,000 routes never blocks the event loop in one piece. Filled on the worker, read
// and freed on the JS thread once handed over.
class DumpItems {
 public:
  virtual ~DumpItems() = default;
  virtual size_t size() const = 0;
  // Items [start, end): an array of values, or one Buffer of records for a packed row.
  virtual Napi::Value WriteChunk(Napi::Env env, size_t start, size_t end) const = 0;
  virtual void Clear() = 0;  // after the last chunk: the memory goes back at once
};

template <typename Spec, typename Info>
class TypedDumpItems final : public DumpItems {
 public:
  TypedDumpItems(std::vector<Info> items, const Row<Spec, Info>& row)
      : items_(std::move(items)), row_(row) {}
  size_t size() const override { return items_.size(); }
  Napi::Value WriteChunk(Napi::Env env, size_t start, size_t end) const override {
    Napi::Array out = Napi::Array::New(env, end - start);
    for (size_t i = start; i < end; i++)
      out.Set(static_cast<uint32_t>(i - start), row_.write(env, items_[i]));
    return out;
  }
  void Clear() override { std::vector<Info>().swap(items_); }

 private:
  std::vector<Info> items_;
  Row<Spec, Info> row_;
};

// A packed row's records, written on the worker; a chunk is a Buffer copied from a slice.
class PackedDumpItems final : public DumpItems {
 public:
  PackedDumpItems(std::vector<uint8_t> records, size_t record_bytes)
      : records_(std::move(records)), record_bytes_(record_bytes) {}
  size_t size() const override { return records_.size() / record_bytes_; }
  Napi::Value WriteChunk(Napi::Env env, size_t start, size_t end) const override {
    return Napi::Buffer<uint8_t>::Copy(env, records_.data() + start * record_bytes_,
                                       (end - start) * record_bytes_);
  }
  void Clear() override { std::vector<uint8_t>().swap(records_); }

 private:
  std::vector<uint8_t> records_;
  size_t record_bytes_;
};

// { count, cursor }, and `partial` for a dump's outcome: the cursor is what readDump() takes.
Napi::Object DumpCursor(Napi::Env env, std::unique_ptr<DumpItems> items);
Napi::Value DumpOutcome(Napi::Env env, std::unique_ptr<DumpItems> items, bool partial);

// The items a running dump hands over at a time (DumpPiece): the JS thread reads one piece while
// the worker receives the next, so a long listing costs the slower of the two, not their sum.
constexpr size_t kDumpPieceItems = 1000;

// A piece of a running dump's items, or (items null) word that the dump restarted. Made on the
// worker, delivered through the batch's progress function on the JS thread, ahead of the dump's
// own outcome (which carries the items after the last piece).
class DumpPiece final : public JsJob {
 public:
  DumpPiece(SandboxHandle* owner, std::shared_ptr<Batch> batch, uint32_t slot,
            std::unique_ptr<DumpItems> items)
      : JsJob(owner), items_(std::move(items)) {
    JoinBatch(std::move(batch), slot);
  }
  bool exclusive() const override { return false; }  // never queued
  bool DeliverPiece(Napi::Env env) override;

 private:
  std::unique_ptr<DumpItems> items_;
};

// A dump, run alone on its socket; resolves to { partial, count, cursor }.
template <typename Spec, typename Info>
class DumpJob final : public JsJob {
 public:
  DumpJob(SandboxHandle* owner, int protocol_, const Row<Spec, Info>& row, Spec spec,
          std::unique_ptr<BorrowedFds>)
      : JsJob(owner), row_(row), spec_(std::move(spec)) {
    protocol = protocol_;
  }
  bool exclusive() const override { return true; }
  void Run(ns::Context& ctx) override {
    std::vector<uint8_t> request = row_.build(spec_, ctx, &error);
    if (error) return;
    nl::Socket* socket = ctx.SocketFor(protocol, &error);
    if (socket == nullptr) return;
    bool socket_failed = false;
    auto restart = [&] {
      TakeItems();
      if (pieces_ > 0)
        ctx.DeliverPiece(std::make_unique<DumpPiece>(owner_, batch_, slot_, nullptr));
      pieces_ = 0;
    };
    error = socket->Dump(
        request, [&](const nlmsghdr* nlh) { Take(nlh, ctx); }, restart, &partial_, &socket_failed);
    if (socket_failed) ctx.DropSocket(protocol);
  }

 private:
  // Parses a message of the dump as it arrives, and hands over a piece when one is full (worker
  // thread).
  void Take(const nlmsghdr* nlh, ns::Context& ctx) {
    Info info;
    if (!row_.parse(nlh, ctx, &info)) return;
    if (row_.pack == nullptr) {
      items_.push_back(std::move(info));
    } else {
      // Packed here, on the worker, while the JS thread runs: it only copies slices.
      records_.resize(records_.size() + row_.record_bytes);
      row_.pack(info, records_.data() + records_.size() - row_.record_bytes);
    }
    if (++taken_ == kDumpPieceItems && batch_ != nullptr) {
      ctx.DeliverPiece(std::make_unique<DumpPiece>(owner_, batch_, slot_, TakeItems()));
      pieces_++;
    }
  }

  // The items taken since the last piece; none are left.
  std::unique_ptr<DumpItems> TakeItems() {
    taken_ = 0;
    if (row_.pack == nullptr) {
      std::vector<Info> items;
      items.swap(items_);
      return std::make_unique<TypedDumpItems<Spec, Info>>(std::move(items), row_);
    }
    std::vector<uint8_t> records;
    records.swap(records_);
    records_.reserve(kDumpPieceItems * row_.record_bytes);
    return std::make_unique<PackedDumpItems>(std::move(records), row_.record_bytes);
  }

  Napi::Value Result(Napi::Env env) override { return DumpOutcome(env, TakeItems(), partial_); }
  bool failed() const override { return error || (batch_ && batch_->lost.count(slot_) != 0); }
  Napi::Value Failure(Napi::Env env) override {
    return error ? ToJsError(env, error).Value() : batch_->lost.at(slot_).Value();
  }
  Row<Spec, Info> row_;
  Spec spec_;
  std::vector<Info> items_;
  std::vector<uint8_t> records_;  // for a packed row, instead of items_
  size_t taken_ = 0;              // items_ or records since the last piece
  size_t pieces_ = 0;             // pieces handed over in this attempt of the dump
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

// A socket made in the namespace (ns::OpenSocket). Resolves to its descriptor, which the JS
// thread hands to a net or dgram object; closed here if nobody took it.
class OpenSocketJob final : public JsJob {
 public:
  OpenSocketJob(Napi::Env env, SandboxHandle* owner, ns::SocketSpec spec)
      : JsJob(env, owner), spec_(std::move(spec)) {}
  ~OpenSocketJob() override;
  bool exclusive() const override { return true; }
  void Run(ns::Context&) override { error = ns::OpenSocket(spec_, &fd_); }

 private:
  Napi::Value Result(Napi::Env env) override;
  ns::SocketSpec spec_;
  int fd_ = -1;
};

// `ip tuntap add`: a persistent tun/tap device made in the namespace. Resolves to undefined.
class TunJob final : public JsJob {
 public:
  TunJob(Napi::Env env, SandboxHandle* owner, ns::TunSpec spec)
      : JsJob(env, owner), spec_(std::move(spec)) {}
  bool exclusive() const override { return true; }
  void Run(ns::Context&) override { error = ns::CreateTun(spec_); }

 private:
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }
  ns::TunSpec spec_;
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
