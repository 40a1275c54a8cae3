// A netlink socket with extended ACKs, strict checking and capped ACKs, that sends many requests
// in one sendmsg and matches every ACK by sequence number. Not thread-safe: one owner thread (a
// namespace worker), and the socket belongs to the network namespace of the thread that opened it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "message.h"

namespace nl {

// One request of a pipelined exchange. The socket sets its sequence number and NLM_F_ACK.
struct Request {
  Request() = default;
  explicit Request(std::vector<uint8_t> m) : message(std::move(m)) {}
  std::vector<uint8_t> message;
  std::vector<uint8_t>
      replies;  // messages the kernel sent back with this seq (echo, get), concatenated
  Error error;
  bool acked = false;
};

struct DumpResult {
  std::vector<uint8_t> messages;  // concatenated
  bool partial = false;           // still interrupted (NLM_F_DUMP_INTR) after every retry
};

// A receive buffer mapped straight from the kernel, not from malloc: a worker thread's malloc
// arena would keep 64 KiB per closed sandbox after its thread is gone (2,000 closed sandboxes
// held ~120 MiB of RSS); unmapping gives it back at once.
class MappedBuffer {
 public:
  explicit MappedBuffer(size_t size);  // empty (data() null) if the mapping failed
  ~MappedBuffer();
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

class Socket {
 public:
  // >= 32 KiB, the kernel's largest dump datagram: nothing it sends is truncated.
  static constexpr size_t kDatagramBytes = 64 << 10;

  // Opens a socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER) in the calling thread's
  // network namespace. Returns nullptr and sets *error on failure. A smaller receive buffer
  // (tests only) makes the kernel truncate datagrams, which fails the exchange with EMSGSIZE.
  static std::unique_ptr<Socket> Open(int protocol, Error* error,
                                      size_t datagram_bytes = kDatagramBytes);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // How many requests fit in one round trip without overflowing the receive buffer with replies.
  size_t max_batch() const { return max_batch_; }

  // Sends the requests (at most max_batch(), in one sendmsg) and waits for each ACK. On success
  // every request has acked == true and its own error (0 or errno). A socket-level failure (send
  // error, lost replies, timeout) is returned: requests left without an ACK carry it too, and the
  // caller must replace the socket, whose state is then unknown.
  Error Transact(Request* const* requests, size_t count);

  // Runs one dump request to NLMSG_DONE. Interrupted dumps are drained and retried up to
  // `tries` times; the last one is returned with partial = true. The returned error is either
  // the kernel's answer to the dump (socket still fine) or a socket failure (socket_failed set).
  Error Dump(const std::vector<uint8_t>& request, DumpResult* out, bool* socket_failed,
             int tries = 5);
  // The same, handing each message to `visit` straight from the receive buffer (no copy of the
  // whole dump); `restart` is called before a retry: the caller drops what it was given.
  Error Dump(const std::vector<uint8_t>& request, const std::function<void(const nlmsghdr*)>& visit,
             const std::function<void()>& restart, bool* partial, bool* socket_failed,
             int tries = 5);

 private:
  Socket(mnl_socket* sock, size_t max_batch, size_t datagram_bytes);
  // Receives one datagram into rx_; returns its length or -errno.
  ssize_t Receive();

  mnl_socket* sock_;
  uint32_t portid_;
  uint32_t next_seq_;
  size_t max_batch_;
  std::vector<uint8_t> tx_;
  MappedBuffer rx_;
};

// Reads an NLMSG_ERROR message: its errno (positive, 0 for an ACK) and extack text.
Error ParseAck(const nlmsghdr* nlh);
// Reads a dump's NLMSG_DONE: the dump's final status (an int, negative errno) and extack text.
Error ParseDone(const nlmsghdr* nlh);

}  // namespace nl
