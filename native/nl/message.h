// Netlink message building and attribute parsing over libmnl. Plain C++17, no N-API: every
// function here is pure and may run on any thread.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nl {

// A kernel (or library) error: a positive errno plus the extended-ACK text when there is one.
struct Error {
  int code = 0;
  std::string message;       // the kernel's extack text, or the library's own explanation
  bool from_kernel = false;  // message is the kernel's extended ACK
  explicit operator bool() const { return code != 0; }
};

// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  uint8_t family = 0;  // AF_INET, AF_INET6, or 0 when absent
  uint8_t bytes[16] = {};
  size_t size() const;
  bool empty() const { return family == 0; }
  static bool Parse(const std::string& text, IpAddress* out);  // false if not an IP literal
  std::string ToString() const;
};

std::string FormatMac(const uint8_t* bytes, size_t len);
bool ParseMac(const std::string& text, std::vector<uint8_t>* out);

// Builds one netlink message with bounded, typed puts (libmnl's *_check variants). A put that
// would overflow marks the builder as overflowed instead of writing past the buffer.
class MessageBuilder {
 public:
  MessageBuilder(uint16_t type, uint16_t flags,
                 size_t capacity = 1024);  // every request we build fits
  template <typename T>
  T* PutHeader() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }
  void Put(uint16_t type, const void* data, size_t len);
  void PutU8(uint16_t type, uint8_t v) { Put(type, &v, sizeof v); }
  void PutU16(uint16_t type, uint16_t v) { Put(type, &v, sizeof v); }
  void PutU32(uint16_t type, uint32_t v) { Put(type, &v, sizeof v); }
  void PutBe16(uint16_t type, uint16_t host_order);
  void PutBe32(uint16_t type, uint32_t host_order);     // ctnetlink's numbers are big-endian
  void PutString(uint16_t type, const std::string& s);  // NUL-terminated
  void PutAddress(uint16_t type, const IpAddress& a) { Put(type, a.bytes, a.size()); }
  // Raw bytes at the tail, for a struct that opens a nest (veth's peer ifinfomsg).
  void PutRaw(const void* data, size_t len);
  nlattr* NestStart(uint16_t type);
  void NestEnd(nlattr* nest);
  // The finished message (nlmsg_len bytes), or an empty one with *error set (EMSGSIZE) when a
  // put did not fit. The only way out of a builder, so no overflow goes unnoticed.
  std::vector<uint8_t> Finish(Error* error);

 private:
  std::vector<uint8_t> buf_;
  nlmsghdr* nlh_;
  bool overflowed_ = false;
};

// Attributes of one message or nest, indexed by type. Attributes with a type above `max` are
// skipped (unknown to us, not an error); known ones must pass the length check in `Get*`.
class AttributeTable {
 public:
  explicit AttributeTable(size_t max) : attrs_(max + 1, nullptr) {}
  void ParseMessage(const nlmsghdr* nlh, size_t header_len);
  void ParseNested(const nlattr* nest);
  void ParsePayload(const void* data, size_t len);
  const nlattr* get(uint16_t type) const { return type < attrs_.size() ? attrs_[type] : nullptr; }
  bool Has(uint16_t type) const { return get(type) != nullptr; }
  // Typed reads: false when absent or of the wrong length.
  bool U8(uint16_t type, uint8_t* out) const;
  bool U16(uint16_t type, uint16_t* out) const;
  bool U32(uint16_t type, uint32_t* out) const;
  bool Be16(uint16_t type, uint16_t* out) const;
  bool Be32(uint16_t type, uint32_t* out) const;
  bool String(uint16_t type, std::string* out) const;
  bool Address(uint16_t type, uint8_t family, IpAddress* out) const;
  bool Bytes(uint16_t type, std::vector<uint8_t>* out) const;

 private:
  std::vector<const nlattr*> attrs_;
};

// Netlink alignment on size_t (NLMSG_ALIGN masks with an unsigned int and would truncate).
inline size_t Align4(size_t len) { return (len + 3) & ~size_t{3}; }

// Whether a whole message, padding included, lies within `remaining` bytes. Stricter than
// libmnl 1.0.4's mnl_nlmsg_ok, which compares lengths as int and accepts nlmsg_len >= 2^31.
inline bool MessageFits(const nlmsghdr* nlh, size_t remaining) {
  return remaining >= sizeof(nlmsghdr) && nlh->nlmsg_len >= sizeof(nlmsghdr) &&
         Align4(nlh->nlmsg_len) <= remaining;
}

// Walks concatenated netlink messages (as collected by Socket) calling fn(const nlmsghdr*).
template <typename Fn>
void ForEachMessage(const uint8_t* data, size_t size, Fn fn) {
  for (size_t at = 0; MessageFits(reinterpret_cast<const nlmsghdr*>(data + at), size - at);) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(data + at);
    fn(nlh);
    at += Align4(nlh->nlmsg_len);
  }
}

template <typename Fn>
void ForEachMessage(const std::vector<uint8_t>& buf, Fn fn) {
  ForEachMessage(buf.data(), buf.size(), fn);
}

// The errno's symbolic name ("EEXIST"), or "E<number>".
std::string ErrnoName(int code);

}  // namespace nl
