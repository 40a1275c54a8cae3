#include "message.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <cstdio>

namespace nl {

size_t IpAddress::size() const { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0; }

bool IpAddress::Parse(const std::string& text, IpAddress* out) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes) == 1) {
    a.family = AF_INET6;
  } else {
    return false;
  }
  *out = a;
  return true;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (family != 0) inet_ntop(family, bytes, text, sizeof text);
  return text;
}

std::string FormatMac(const uint8_t* bytes, size_t len) {
  std::string out;
  char part[4];
  for (size_t i = 0; i < len; i++) {
    snprintf(part, sizeof part, i ? ":%02x" : "%02x", bytes[i]);
    out += part;
  }
  return out;
}

bool ParseMac(const std::string& text, std::vector<uint8_t>* out) {
  unsigned b[6];
  char tail;
  if (text.size() != 17 || sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                                  &b[3], &b[4], &b[5], &tail) != 6) {
    return false;
  }
  out->assign(b, b + 6);
  return true;
}

MessageBuilder::MessageBuilder(uint16_t type, uint16_t flags, size_t capacity)
    : buf_(capacity, 0), nlh_(mnl_nlmsg_put_header(buf_.data())) {
  nlh_->nlmsg_type = type;
  nlh_->nlmsg_flags = flags;
}

void MessageBuilder::Put(uint16_t type, const void* data, size_t len) {
  if (!mnl_attr_put_check(nlh_, buf_.size(), type, len, data)) overflowed_ = true;
}

void MessageBuilder::PutBe16(uint16_t type, uint16_t host_order) {
  PutU16(type, htons(host_order));
}

void MessageBuilder::PutBe32(uint16_t type, uint32_t host_order) {
  PutU32(type, htonl(host_order));
}

void MessageBuilder::PutString(uint16_t type, const std::string& s) {
  if (!mnl_attr_put_strz_check(nlh_, buf_.size(), type, s.c_str())) overflowed_ = true;
}

void MessageBuilder::PutRaw(const void* data, size_t len) {
  if (nlh_->nlmsg_len + MNL_ALIGN(len) > buf_.size()) {
    overflowed_ = true;
    return;
  }
  memcpy(mnl_nlmsg_put_extra_header(nlh_, len), data, len);
}

nlattr* MessageBuilder::NestStart(uint16_t type) {
  nlattr* nest = mnl_attr_nest_start_check(nlh_, buf_.size(), type);
  if (nest == nullptr) overflowed_ = true;
  return nest;
}

void MessageBuilder::NestEnd(nlattr* nest) {
  if (nest != nullptr) mnl_attr_nest_end(nlh_, nest);
}

std::vector<uint8_t> MessageBuilder::Finish(Error* error) {
  if (overflowed_) {
    *error = Error{EMSGSIZE, "request does not fit in a netlink message"};
    return {};
  }
  buf_.resize(nlh_->nlmsg_len);
  std::vector<uint8_t> out = std::move(buf_);
  nlh_ = nullptr;
  return out;
}

namespace {
int StoreAttribute(const nlattr* attr, void* data) {
  auto* table = static_cast<std::vector<const nlattr*>*>(data);
  uint16_t type = mnl_attr_get_type(attr);
  if (type < table->size()) (*table)[type] = attr;
  return MNL_CB_OK;
}
}  // namespace

void AttributeTable::ParseMessage(const nlmsghdr* nlh, size_t header_len) {
  // mnl_attr_parse stops at the first malformed attribute; what was read until then stays.
  mnl_attr_parse(nlh, header_len, StoreAttribute, &attrs_);
}

void AttributeTable::ParseNested(const nlattr* nest) {
  if (nest != nullptr) mnl_attr_parse_nested(nest, StoreAttribute, &attrs_);
}

void AttributeTable::ParsePayload(const void* data, size_t len) {
  mnl_attr_parse_payload(data, len, StoreAttribute, &attrs_);
}

bool AttributeTable::U8(uint16_t type, uint8_t* out) const {
  const nlattr* a = get(type);
  if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_U8) < 0) return false;
  *out = mnl_attr_get_u8(a);
  return true;
}

bool AttributeTable::U16(uint16_t type, uint16_t* out) const {
  const nlattr* a = get(type);
  if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_U16) < 0) return false;
  *out = mnl_attr_get_u16(a);
  return true;
}

bool AttributeTable::U32(uint16_t type, uint32_t* out) const {
  const nlattr* a = get(type);
  if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_U32) < 0) return false;
  *out = mnl_attr_get_u32(a);
  return true;
}

bool AttributeTable::Be16(uint16_t type, uint16_t* out) const {
  if (!U16(type, out)) return false;
  *out = ntohs(*out);
  return true;
}

bool AttributeTable::Be32(uint16_t type, uint32_t* out) const {
  if (!U32(type, out)) return false;
  *out = ntohl(*out);
  return true;
}

bool AttributeTable::String(uint16_t type, std::string* out) const {
  const nlattr* a = get(type);
  if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_STRING) < 0) return false;
  const char* s = mnl_attr_get_str(a);
  out->assign(s, strnlen(s, mnl_attr_get_payload_len(a)));
  return true;
}

bool AttributeTable::Address(uint16_t type, uint8_t family, IpAddress* out) const {
  const nlattr* a = get(type);
  size_t want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
  if (a == nullptr || want == 0 || mnl_attr_get_payload_len(a) != want) return false;
  out->family = family;
  memcpy(out->bytes, mnl_attr_get_payload(a), want);
  return true;
}

bool AttributeTable::Bytes(uint16_t type, std::vector<uint8_t>* out) const {
  const nlattr* a = get(type);
  if (a == nullptr) return false;
  const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
  out->assign(p, p + mnl_attr_get_payload_len(a));
  return true;
}

namespace {

struct ErrnoEntry {
  int code;
  const char* name;
};

// Our own table: strerrorname_np needs glibc 2.32, and musl has none.
constexpr ErrnoEntry kErrnoNames[] = {
    {EPERM, "EPERM"},
    {ENOENT, "ENOENT"},
    {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},
    {EIO, "EIO"},
    {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},
    {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"},
    {ECHILD, "ECHILD"},
    {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},
    {EXDEV, "EXDEV"},
    {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},
    {EMFILE, "EMFILE"},
    {ENOTTY, "ENOTTY"},
    {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"},
    {ESPIPE, "ESPIPE"},
    {EROFS, "EROFS"},
    {EMLINK, "EMLINK"},
    {EPIPE, "EPIPE"},
    {EDOM, "EDOM"},
    {ERANGE, "ERANGE"},
    {EDEADLK, "EDEADLK"},
    {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOLCK, "ENOLCK"},
    {ENOSYS, "ENOSYS"},
    {ENOTEMPTY, "ENOTEMPTY"},
    {ELOOP, "ELOOP"},
    {ENOMSG, "ENOMSG"},
    {EBADMSG, "EBADMSG"},
    {EOVERFLOW, "EOVERFLOW"},
    {EILSEQ, "EILSEQ"},
    {ENOTSOCK, "ENOTSOCK"},
    {EMSGSIZE, "EMSGSIZE"},
    {EPROTOTYPE, "EPROTOTYPE"},
    {ENOPROTOOPT, "ENOPROTOOPT"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {EOPNOTSUPP, "EOPNOTSUPP"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {ENETDOWN, "ENETDOWN"},
    {ENETUNREACH, "ENETUNREACH"},
    {ECONNABORTED, "ECONNABORTED"},
    {ECONNRESET, "ECONNRESET"},
    {ENOBUFS, "ENOBUFS"},
    {EISCONN, "EISCONN"},
    {ENOTCONN, "ENOTCONN"},
    {ETIMEDOUT, "ETIMEDOUT"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {EHOSTDOWN, "EHOSTDOWN"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {EALREADY, "EALREADY"},
    {EINPROGRESS, "EINPROGRESS"},
    {ECANCELED, "ECANCELED"},
    {ENODATA, "ENODATA"},
    {ENOLINK, "ENOLINK"},
    {EPROTO, "EPROTO"},
    {ENOKEY, "ENOKEY"},
    {EKEYREJECTED, "EKEYREJECTED"},
    {ERFKILL, "ERFKILL"},
    {EOWNERDEAD, "EOWNERDEAD"},
    {ENOMEDIUM, "ENOMEDIUM"},
    {ENOTUNIQ, "ENOTUNIQ"},
    {EREMOTEIO, "EREMOTEIO"},
    {ETIME, "ETIME"},
};

}  // namespace

std::string ErrnoName(int code) {
  for (const ErrnoEntry& e : kErrnoNames) {
    if (e.code == code) return e.name;
  }
  return "E" + std::to_string(code);
}

}  // namespace nl
