// Network sysctls of the calling thread's namespace (/proc/sys/net resolves per thread, by the
// network namespace of whoever opens it). Worker thread only. Plain C++, no N-API.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../nl/message.h"

namespace ns {

// A key below /proc/sys/net as path elements: {"ipv4", "conf", "eth0.100", "forwarding"}.
// Elements are never split again, so an interface name with a dot stays one element.
using SysctlPath = std::vector<std::string>;

struct SysctlResult {
  std::optional<std::string> previous;  // absent when the file can't be read (write-only keys)
  std::string value;                    // after a set: what the kernel reads back
  bool changed = false;
  nl::Error error;
};

// Reads a key. Every element is checked (no '/', '.', '..', NUL, empty) and the file is opened
// with openat2 beneath /proc/sys/net without following any link, so no key reaches outside.
SysctlResult SysctlGet(const SysctlPath& path);
// Reads, and writes only when the value differs (so a read-only /proc/sys/net still works
// for values already right), then reads back.
SysctlResult SysctlSet(const SysctlPath& path, const std::string& value);
// Every readable key below path (a directory), with its value.
nl::Error SysctlList(const SysctlPath& path, std::vector<std::pair<SysctlPath, std::string>>* out);

}  // namespace ns
