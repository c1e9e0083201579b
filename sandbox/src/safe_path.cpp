#include "safe_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "sys_error.hpp"

namespace sandbox {

namespace {

int open_beneath(int dir, const std::string& name, bool directory) {
  open_how how{};
  // No O_NOFOLLOW: with O_PATH it would return the symlink itself instead of ELOOP.
  how.flags = O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, dir, name.c_str(), &how, sizeof how));
}

[[noreturn]] void fail(const std::string& path, const std::string& prefix, int err) {
  const std::string where = prefix == path ? path : path + " (at " + prefix + ")";
  if (err == ELOOP) throw Error(exit_code::setup_failed, "target " + where + " is a symlink");
  if (err == ENOTDIR) {
    throw Error(exit_code::setup_failed, "target " + where + " is not a directory");
  }
  throw SystemError("target " + where, err);
}

// Creates `name` in `dir` as `kind` unless something is there already (a concurrent creation or
// an existing entry of another type is then reported by the open that follows).
void create(int dir, const std::string& name, TargetKind kind, const std::string& prefix) {
  int rc;
  if (kind == TargetKind::directory) {
    rc = mkdirat(dir, name.c_str(), 0755);
  } else {
    rc = openat(dir, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (rc >= 0) close(rc);
  }
  if (rc < 0 && errno == EACCES) {
    throw Error(exit_code::setup_failed,
                "create mount point " + prefix + ": " + errno_text(EACCES) +
                    " (mount points are created as the job's identity: in a host directory used "
                    "as root, they must exist already)");
  }
  if (rc < 0 && errno != EEXIST) throw SystemError("create mount point " + prefix, errno);
}

}  // namespace

std::vector<std::string> split_sandbox_path(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    throw Error(exit_code::setup_failed, "path " + path + " is not absolute");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") throw Error(exit_code::setup_failed, "path " + path + " contains '..'");
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

namespace {

// Opens the first `count` components of `parts` (of `path`, named in errors) below `root`, the
// last of them as `kind` and every other one as a directory, creating what is missing. For
// `count` 0, returns an empty fd: the caller uses `root` itself (no dup and close of it).
UniqueFd open_components(int root, const std::string& path, const std::vector<std::string>& parts,
                         size_t count, TargetKind kind) {
  UniqueFd current;
  std::string prefix;
  for (size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    const TargetKind want = last ? kind : TargetKind::directory;
    const int parent = current ? current.get() : root;
    prefix += "/" + parts[i];
    int fd = open_beneath(parent, parts[i], want == TargetKind::directory);
    if (fd < 0 && errno == ENOENT) {
      create(parent, parts[i], want, prefix);
      fd = open_beneath(parent, parts[i], want == TargetKind::directory);
    }
    if (fd < 0) fail(path, prefix, errno);
    current.reset(fd);
  }
  return current;
}

}  // namespace

UniqueFd open_mount_target(int root, const std::string& path, TargetKind kind) {
  const auto parts = split_sandbox_path(path);
  if (parts.empty()) return UniqueFd(check(fcntl(root, F_DUPFD_CLOEXEC, 0), "dup root fd"));
  return open_components(root, path, parts, parts.size(), kind);
}

void create_symlink(int root, const std::string& path, const std::string& content) {
  const auto parts = split_sandbox_path(path);
  if (parts.empty()) {
    throw Error(exit_code::setup_failed, "symlink " + path + ": replaces the root");
  }
  const std::string& name = parts.back();
  const UniqueFd opened =
      open_components(root, path, parts, parts.size() - 1, TargetKind::directory);
  const int dir = opened ? opened.get() : root;
  if (symlinkat(content.c_str(), dir, name.c_str()) == 0) return;
  const int err = errno;
  if (err != EEXIST) {
    if (err == EACCES) {
      throw Error(exit_code::setup_failed,
                  "symlink " + path + ": " + errno_text(EACCES) +
                      " (links are created as the job's identity: in a host directory used as "
                      "root, they must exist already)");
    }
    throw SystemError("symlink " + path, err);
  }
  struct stat st {};
  if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    std::string existing(content.size() + 1, '\0');
    const ssize_t n = readlinkat(dir, name.c_str(), existing.data(), existing.size());
    if (n >= 0 && static_cast<size_t>(n) == content.size() &&
        existing.compare(0, content.size(), content) == 0) {
      return;
    }
  }
  const char* what = S_ISDIR(st.st_mode)   ? "a directory"
                     : S_ISLNK(st.st_mode) ? "a symlink to elsewhere"
                                           : "a file";
  throw Error(exit_code::setup_failed, "symlink " + path + ": exists already (" + what + ")");
}

}  // namespace sandbox
