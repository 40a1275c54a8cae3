#include "namespace.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

namespace ns {

namespace {

// The calling thread's own namespace file: /proc/self/ns/net would be the main thread's.
constexpr const char* kThreadNamespace = "/proc/thread-self/ns/net";

nl::Error Fail(int code, std::string message) { return nl::Error{code, std::move(message)}; }

// mkdir -p with 0755 directories.
int MakeDirectories(const std::string& dir) {
  for (size_t at = 1; at <= dir.size(); at++) {
    if (at == dir.size() || dir[at] == '/') {
      std::string part = dir.substr(0, at);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return errno;
    }
  }
  return 0;
}

// Like iproute2: the directory must be a shared mount so that namespaces persisted in it are
// seen by other mount namespaces (`ip netns` in another shell). If it is not a mount point yet,
// it is bind-mounted onto itself first. Serialised: two first creates must not both bind it.
nl::Error MakeSharedMount(const std::string& dir) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return {};
  if (errno != EINVAL) return Fail(errno, "cannot make " + dir + " a shared mount");
  if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0 ||
      mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    return Fail(errno, "cannot make " + dir + " a shared mount");
  }
  return {};
}

// A file left by a create that was killed between making the file and mounting the namespace on
// it: an empty regular file with mode 0 (as creates make it, here and in iproute2), not a mount
// point (a mounted namespace file is on nsfs, another device than its directory), that no live
// create holds locked (creates here lock it until it is mounted).
bool IsDeadLeftover(const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  struct stat file, parent;
  const bool dead = fstat(fd, &file) == 0 && stat(dir.empty() ? "/" : dir.c_str(), &parent) == 0 &&
                    S_ISREG(file.st_mode) && (file.st_mode & 07777) == 0 && file.st_size == 0 &&
                    file.st_dev == parent.st_dev && flock(fd, LOCK_EX | LOCK_NB) == 0;
  close(fd);
  return dead;
}

// Makes the file a namespace is mounted on, locked until the mount is done (see IsDeadLeftover).
// A dead leftover of the same name is replaced.
int MakeMountPoint(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0 && errno == EEXIST) {
    if (!IsDeadLeftover(path) || unlink(path.c_str()) != 0) {
      errno = EEXIST;  // what the caller reports, whatever the checks set
      return -1;
    }
    fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  }
  if (fd >= 0) flock(fd, LOCK_EX);
  return fd;
}

nl::Error OpenNamespace(const std::string& path, EnteredNamespace* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno, "cannot open " + path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int code = errno;
    close(fd);
    return Fail(code, "cannot stat " + path);
  }
  out->fd = fd;
  out->id = st.st_ino;
  out->path = path;
  return {};
}

nl::Error CreateNamespace(const NamespaceSpec& spec, EnteredNamespace* out) {
  if (int code = MakeDirectories(spec.dir)) return Fail(code, "cannot create " + spec.dir);
  if (nl::Error e = MakeSharedMount(spec.dir)) return e;
  std::string path = spec.dir + "/" + spec.name;
  int fd = MakeMountPoint(path);
  if (fd < 0) {
    return Fail(errno, errno == EEXIST ? "a namespace named " + spec.name + " exists"
                                       : "cannot create " + path);
  }
  nl::Error error;
  if (unshare(CLONE_NEWNET) != 0) {
    error = Fail(errno, "unshare(CLONE_NEWNET) failed");
  } else if (mount(kThreadNamespace, path.c_str(), "none", MS_BIND, nullptr) != 0) {
    error = Fail(errno, "cannot bind-mount the namespace at " + path);
  } else {
    error = OpenNamespace(path, out);
    if (error) umount2(path.c_str(), MNT_DETACH);
  }
  // The thread may now be alone in a namespace nobody can find; it exits with the failed sandbox.
  if (error) unlink(path.c_str());
  close(fd);  // releases the lock: mounted, or removed
  return error;
}

}  // namespace

nl::Error EnterNamespace(const NamespaceSpec& spec, EnteredNamespace* out) {
  if (spec.create) return CreateNamespace(spec, out);
  if (nl::Error e = OpenNamespace(spec.path, out)) return e;
  // The thread's own namespace (Sandbox.current()) needs no setns, and so no CAP_SYS_ADMIN:
  // reading it is what an unprivileged `ip link show` does.
  struct stat target, own;
  if (fstat(out->fd, &target) == 0 && stat(kThreadNamespace, &own) == 0 &&
      target.st_dev == own.st_dev && target.st_ino == own.st_ino) {
    return {};
  }
  if (setns(out->fd, CLONE_NEWNET) != 0) {
    int code = errno;
    close(out->fd);
    out->fd = -1;
    if (code == EINVAL && IsDeadLeftover(spec.path)) {
      return Fail(code, spec.path + " is an empty file left by a create that was killed before " +
                            "it mounted the namespace; create() over it replaces it");
    }
    return Fail(code, code == EINVAL ? spec.path + " is not a network namespace"
                                     : "setns into " + spec.path + " failed");
  }
  return {};
}

nl::Error RemoveNamespaceFile(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Fail(errno, "cannot unmount " + path);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Fail(errno, "cannot remove " + path);
  return {};
}

uint64_t CurrentNamespaceId() {
  struct stat st;
  return stat(kThreadNamespace, &st) == 0 ? st.st_ino : 0;
}

}  // namespace ns
