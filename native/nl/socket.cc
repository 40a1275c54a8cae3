#include "socket.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>

namespace nl {

namespace {

constexpr int kReceiveBufferBytes = 4 << 20;    // room for the ACKs and echoes of a full batch
constexpr size_t kReplyBytesPerRequest = 4096;  // conservative skb truesize of an ACK + an echo
constexpr size_t kMaxBatch = 256;
constexpr time_t kReplyTimeoutSeconds =
    10;  // rtnetlink answers synchronously; this is a safety net

Error ErrnoError(int code) { return Error{code, {}}; }

#ifdef NETSANDBOX_FAULT_HOOKS
// Developer builds only (npm run test:asan): NETSANDBOX_FAULT_DUMP_INTR=N makes the first N dump
// attempts of the process count as interrupted, so tests reach the retries deterministically.
bool FaultInterruptsDump() {
  static std::atomic<int> left{[] {
    const char* n = getenv("NETSANDBOX_FAULT_DUMP_INTR");
    return n != nullptr ? atoi(n) : 0;
  }()};
  return left.fetch_sub(1) > 0;
}
#endif

void SetOption(mnl_socket* sock, int level, int name, int value) {
  setsockopt(mnl_socket_get_fd(sock), level, name, &value, sizeof value);
}

void AppendMessage(std::vector<uint8_t>* out, const nlmsghdr* nlh) {
  const auto* p = reinterpret_cast<const uint8_t*>(nlh);
  out->insert(out->end(), p, p + NLMSG_ALIGN(nlh->nlmsg_len));
}

void AppendRequest(std::vector<uint8_t>* tx, const std::vector<uint8_t>& message, uint32_t seq,
                   uint16_t extra_flags) {
  size_t at = tx->size();
  tx->insert(tx->end(), message.begin(), message.end());
  tx->resize(at + NLMSG_ALIGN(message.size()), 0);
  auto* nlh = reinterpret_cast<nlmsghdr*>(tx->data() + at);
  nlh->nlmsg_seq = seq;
  nlh->nlmsg_pid = 0;
  nlh->nlmsg_flags |= NLM_F_REQUEST | extra_flags;
}

}  // namespace

MappedBuffer::MappedBuffer(size_t size) : data_(nullptr), size_(0) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;  // empty: Socket::Open reports ENOMEM
  data_ = static_cast<uint8_t*>(p);
  size_ = size;
}

MappedBuffer::~MappedBuffer() {
  if (data_ != nullptr) munmap(data_, size_);
}

Error ParseAck(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return ErrnoError(EBADMSG);
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  Error result{err->error == INT_MIN ? EINVAL : -err->error, {}};
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    // With NLM_F_CAPPED only the original header is echoed; otherwise the whole request.
    size_t offset = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
      if (err->msg.nlmsg_len < sizeof(nlmsghdr)) return result;
      offset += Align4(err->msg.nlmsg_len) - sizeof(nlmsghdr);
    }
    size_t payload = mnl_nlmsg_get_payload_len(nlh);
    if (offset < payload) {
      AttributeTable tlvs(NLMSGERR_ATTR_MAX);
      tlvs.ParsePayload(static_cast<const uint8_t*>(mnl_nlmsg_get_payload(nlh)) + offset,
                        payload - offset);
      result.from_kernel = tlvs.String(NLMSGERR_ATTR_MSG, &result.message);
    }
  }
  return result;
}

Error ParseDone(const nlmsghdr* nlh) {
  const size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (payload < sizeof(int)) return {};
  const auto* data = static_cast<const uint8_t*>(mnl_nlmsg_get_payload(nlh));
  int status;
  memcpy(&status, data, sizeof status);
  if (status >= 0) return {};
  Error result{status == INT_MIN ? EINVAL : -status, {}};
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && payload > sizeof(int)) {
    AttributeTable tlvs(NLMSGERR_ATTR_MAX);
    tlvs.ParsePayload(data + sizeof(int), payload - sizeof(int));
    result.from_kernel = tlvs.String(NLMSGERR_ATTR_MSG, &result.message);
  }
  return result;
}

std::unique_ptr<Socket> Socket::Open(int protocol, Error* error, size_t datagram_bytes) {
  mnl_socket* sock = mnl_socket_open2(protocol, SOCK_CLOEXEC);
  if (sock == nullptr) {
    *error = ErrnoError(errno);
    return nullptr;
  }
  SetOption(sock, SOL_NETLINK, NETLINK_EXT_ACK, 1);
  SetOption(sock, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
  SetOption(sock, SOL_NETLINK, NETLINK_CAP_ACK, 1);
  int fd = mnl_socket_get_fd(sock);
  // FORCE needs CAP_NET_ADMIN; without it the kernel caps the plain option at rmem_max.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBufferBytes, sizeof(int)) != 0) {
    SetOption(sock, SOL_SOCKET, SO_RCVBUF, kReceiveBufferBytes);
  }
  int rcvbuf = 0;
  socklen_t len = sizeof rcvbuf;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
  timeval timeout{kReplyTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) != 0) {
    *error = ErrnoError(errno);
    mnl_socket_close(sock);
    return nullptr;
  }
  size_t batch =
      std::clamp<size_t>(static_cast<size_t>(rcvbuf) / kReplyBytesPerRequest, 8, kMaxBatch);
  std::unique_ptr<Socket> socket(new Socket(sock, batch, datagram_bytes));
  if (socket->rx_.data() == nullptr) {
    *error = ErrnoError(ENOMEM);
    return nullptr;
  }
  return socket;
}

Socket::Socket(mnl_socket* sock, size_t max_batch, size_t datagram_bytes)
    : sock_(sock),
      portid_(mnl_socket_get_portid(sock)),
      next_seq_(1),
      max_batch_(max_batch),
      rx_(datagram_bytes) {}

Socket::~Socket() { mnl_socket_close(sock_); }

ssize_t Socket::Receive() {
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_, rx_.data(), rx_.size());
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    // EAGAIN: SO_RCVTIMEO expired. ENOSPC: libmnl saw MSG_TRUNC. ENOBUFS: replies were dropped.
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -ETIMEDOUT;
    if (errno == ENOSPC) return -EMSGSIZE;
    return -errno;
  }
}

Error Socket::Transact(Request* const* requests, size_t count) {
  if (count == 0) return {};
  const uint32_t base = next_seq_;
  next_seq_ += static_cast<uint32_t>(count);
  tx_.clear();
  size_t pending = count;
  for (size_t i = 0; i < count; i++) {
    Request& r = *requests[i];
    r.replies.clear();
    r.error = {};
    r.acked = false;
    if (r.message.size() < sizeof(nlmsghdr)) {  // never sent: a builder bug, not a kernel answer
      r.error = Error{EINVAL, "malformed request"};
      r.acked = true;
      pending--;
      continue;
    }
    AppendRequest(&tx_, r.message, base + static_cast<uint32_t>(i), NLM_F_ACK);
  }
  if (pending == 0) return {};
  auto fail_unacked = [&](Error e) {
    for (size_t i = 0; i < count; i++) {
      if (!requests[i]->acked) requests[i]->error = e;
    }
    return e;
  };
  if (mnl_socket_sendto(sock_, tx_.data(), tx_.size()) < 0) return fail_unacked(ErrnoError(errno));

  while (pending > 0) {
    ssize_t n = Receive();
    if (n < 0) return fail_unacked(ErrnoError(static_cast<int>(-n)));
    ForEachMessage(rx_.data(), static_cast<size_t>(n), [&](const nlmsghdr* nlh) {
      uint32_t index = nlh->nlmsg_seq - base;  // wraps to a large value for older sequences
      if (nlh->nlmsg_pid != portid_ || index >= count) return;  // not an answer to this batch
      Request& r = *requests[index];
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        r.error = ParseAck(nlh);
        if (!r.acked) pending--;
        r.acked = true;
      } else if (nlh->nlmsg_type != NLMSG_DONE && nlh->nlmsg_type != NLMSG_NOOP) {
        AppendMessage(&r.replies, nlh);
      }
    });
  }
  return {};
}

Error Socket::Dump(const std::vector<uint8_t>& request, DumpResult* out, bool* socket_failed,
                   int tries) {
  out->messages.clear();
  return Dump(
      request, [out](const nlmsghdr* nlh) { AppendMessage(&out->messages, nlh); },
      [out] { out->messages.clear(); }, &out->partial, socket_failed, tries);
}

Error Socket::Dump(const std::vector<uint8_t>& request,
                   const std::function<void(const nlmsghdr*)>& visit,
                   const std::function<void()>& restart, bool* partial, bool* socket_failed,
                   int tries) {
  *socket_failed = false;
  *partial = false;
  for (int attempt = 1;; attempt++) {
    if (attempt > 1) restart();
    const uint32_t seq = next_seq_++;
    tx_.clear();
    AppendRequest(&tx_, request, seq, NLM_F_DUMP);
    if (mnl_socket_sendto(sock_, tx_.data(), tx_.size()) < 0) {
      *socket_failed = true;
      return ErrnoError(errno);
    }
    bool interrupted = false;
    bool done = false;
    Error kernel_error;
    while (!done) {
      ssize_t n = Receive();
      if (n < 0) {
        *socket_failed = true;
        return ErrnoError(static_cast<int>(-n));
      }
      ForEachMessage(rx_.data(), static_cast<size_t>(n), [&](const nlmsghdr* nlh) {
        if (nlh->nlmsg_pid != portid_ || nlh->nlmsg_seq != seq) return;
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
        if (nlh->nlmsg_type == NLMSG_DONE) {
          // DONE carries the dump's final status as an int, then possibly extack TLVs.
          kernel_error = ParseDone(nlh);
          done = true;
        } else if (nlh->nlmsg_type == NLMSG_ERROR) {
          kernel_error = ParseAck(nlh);
          done = true;
        } else if (nlh->nlmsg_type != NLMSG_NOOP) {
          visit(nlh);
        }
      });
    }
    if (kernel_error) return kernel_error;
#ifdef NETSANDBOX_FAULT_HOOKS
    if (FaultInterruptsDump()) interrupted = true;
#endif
    if (!interrupted) return {};
    if (attempt >= tries) {
      *partial = true;
      return {};
    }
  }
}

}  // namespace nl
