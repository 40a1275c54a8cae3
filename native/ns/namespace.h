// Entering, creating and removing network namespaces. Plain C++, no N-API.
#pragma once

#include <cstdint>
#include <string>

#include "../nl/message.h"

namespace ns {

struct NamespaceSpec {
  bool create = false;
  std::string dir;   // create: the directory of persisted namespaces (like /run/netns)
  std::string name;  // create: the file name under dir
  std::string path;  // open: an nsfs file (/run/netns/x, /proc/<pid>/ns/net)
};

struct EnteredNamespace {
  std::string path;
  uint64_t id = 0;  // the namespace's inode: equal ids, same namespace
  int fd = -1;      // O_CLOEXEC descriptor of the namespace, owned by the caller
};

// Worker thread only: moves the calling thread into the namespace named by spec, creating it
// (unshare + bind mount at dir/name, dir made a shared mount as iproute2 does) when asked.
// On failure nothing is left behind: no file, no mount.
nl::Error EnterNamespace(const NamespaceSpec& spec, EnteredNamespace* out);

// Any thread (it changes no namespace): detaches the bind mount at path and removes the file.
// A path that is already gone is not an error.
nl::Error RemoveNamespaceFile(const std::string& path);

// The calling thread's network namespace inode (for checks that nothing leaked).
uint64_t CurrentNamespaceId();

}  // namespace ns
