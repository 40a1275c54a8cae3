#include "sysctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

namespace ns {

namespace {

constexpr size_t kMaxValue = 4096;  // a sysctl's text is at most a page

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

nl::Error Fail(int code, std::string message) { return nl::Error{code, std::move(message)}; }

std::string Dotted(const SysctlPath& path) {
  std::string out = "net";
  for (const auto& part : path) out += "." + part;
  return out;
}

nl::Error CheckPath(const SysctlPath& path) {
  if (path.empty()) return Fail(EINVAL, "empty sysctl key");
  for (const auto& part : path) {
    if (part.empty() || part == "." || part == ".." || part.size() > 255 ||
        part.find_first_of(std::string("/\0", 2)) != std::string::npos) {
      return Fail(EINVAL, "invalid sysctl key element '" + part + "'");
    }
  }
  return {};
}

// Where openat2 is refused with ENOSYS (an older seccomp profile, valgrind): the same walk by
// hand, one checked element at a time (no '/', '.' or '..' in any), each opened without
// following a link and required to be on the same mount as /proc/sys/net.
int OpenByWalk(int root, const SysctlPath& path, int flags) {
  struct stat top;
  if (fstat(root, &top) != 0) return -1;
  int dir = root;
  for (size_t i = 0; i < path.size(); i++) {
    const bool last = i + 1 == path.size();
    int fd = openat(dir, path[i].c_str(),
                    (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
    if (dir != root) close(dir);
    if (fd < 0) return -1;
    struct stat st;
    int code = fstat(fd, &st) != 0 ? errno : st.st_dev != top.st_dev ? EXDEV : 0;
    if (code != 0) {
      close(fd);
      errno = code;
      return -1;
    }
    dir = fd;
  }
  return dir;
}

// Opens path beneath this thread's /proc/sys/net, following no links and crossing no mounts.
int OpenBeneath(const SysctlPath& path, int flags, nl::Error* error) {
  static std::atomic<bool> no_openat2{false};  // learnt once per process
  if ((*error = CheckPath(path))) return -1;
  Fd root(open("/proc/sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    *error = Fail(errno, "cannot open /proc/sys/net");
    return -1;
  }
  int fd = -1;
  if (!no_openat2.load(std::memory_order_relaxed)) {
    std::string relative = path[0];
    for (size_t i = 1; i < path.size(); i++) relative += "/" + path[i];
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    fd = static_cast<int>(syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how));
    if (fd < 0 && errno == ENOSYS) no_openat2.store(true, std::memory_order_relaxed);
  }
  if (no_openat2.load(std::memory_order_relaxed)) fd = OpenByWalk(root.get(), path, flags);
  if (fd < 0) *error = Fail(errno, Dotted(path));
  return fd;
}

bool ReadValue(int fd, std::string* out, nl::Error* error, const SysctlPath& path) {
  char buf[kMaxValue];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  if (n < 0) {
    *error = Fail(errno, "cannot read " + Dotted(path));
    return false;
  }
  out->assign(buf, static_cast<size_t>(n));
  while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  return true;
}

// Multi-number keys print tabs where they were written with spaces: compare words, not bytes.
std::string Words(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      out += c;
      space = false;
    }
  }
  return out;
}

}  // namespace

SysctlResult SysctlGet(const SysctlPath& path) {
  SysctlResult result;
  Fd fd(OpenBeneath(path, O_RDONLY, &result.error));
  if (fd.get() >= 0) ReadValue(fd.get(), &result.value, &result.error, path);
  return result;
}

SysctlResult SysctlSet(const SysctlPath& path, const std::string& value) {
  SysctlResult result;
  if (value.size() >= kMaxValue ||
      value.find_first_of(std::string("\n\0", 2)) != std::string::npos) {
    result.error = Fail(EINVAL, "a sysctl value may not contain a newline or NUL");
    return result;
  }
  nl::Error read_error;
  Fd reader(OpenBeneath(path, O_RDONLY, &read_error));
  if (reader.get() < 0 && read_error.code != EACCES) {  // EACCES: a write-only key
    result.error = read_error;
    return result;
  }
  if (reader.get() >= 0) {
    std::string previous;
    if (!ReadValue(reader.get(), &previous, &result.error, path)) return result;
    result.previous = previous;
    if (Words(previous) == Words(value)) {
      result.value = previous;
      return result;
    }
  }
  Fd writer(OpenBeneath(path, O_WRONLY, &result.error));
  if (writer.get() < 0) return result;
  if (write(writer.get(), value.data(), value.size()) < 0) {
    result.error = Fail(errno, "cannot write " + Dotted(path));
    return result;
  }
  result.changed = true;
  result.value = value;
  if (reader.get() >= 0) ReadValue(reader.get(), &result.value, &result.error, path);
  return result;
}

nl::Error SysctlList(const SysctlPath& path, std::vector<std::pair<SysctlPath, std::string>>* out) {
  nl::Error error;
  int fd = OpenBeneath(path, O_RDONLY | O_DIRECTORY, &error);
  if (fd < 0) return error;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return Fail(errno, "cannot list " + Dotted(path));
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    SysctlPath child = path;
    child.push_back(name);
    SysctlResult r = SysctlGet(child);
    if (!r.error) {
      out->emplace_back(child, r.value);
    } else if (r.error.code == EISDIR) {
      SysctlList(child, out);  // a subdirectory
    }
    // Unreadable keys (write-only, EIO like stable_secret) are not part of a snapshot.
  }
  return {};
}

}  // namespace ns
