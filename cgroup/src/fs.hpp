// Small RAII and error-checked helpers for the cgroup filesystem: directory fds, whole-file reads
// and single writes relative to a directory fd. Internal to the cgroup module.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cgroup/cgroup.hpp"

namespace cgroup::fs {

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// "what: strerror(err)" as an Error.
[[noreturn]] void throw_errno(const std::string& what, int err = errno);

// Opens a directory (O_DIRECTORY|O_CLOEXEC). Throws Error naming `path`.
Fd open_dir(const std::string& path);
// Like open_dir, but returns an empty Fd when the directory does not exist.
Fd open_dir_if_exists(const std::string& path);

// Reads a whole (small) file of one record (see read_record_if_exists: cgroup.subtree_control,
// cpuset.cpus, ...) relative to `dir`; `where` names the directory in errors.
std::string read_at(int dir, const std::string& file, const std::string& where);
// Reads a whole file relative to `dir`, to its end; std::nullopt when it does not exist.
std::optional<std::string> read_at_if_exists(int dir, const std::string& file);
// Reads a whole file by path; std::nullopt when it does not exist.
std::optional<std::string> read_file_if_exists(const std::string& path);
// The same for a file the kernel makes as one record (a seq_file of one show(): /proc/<pid>/stat,
// /proc/self/cgroup, one-value cgroup files such as cgroup.controllers; not mountinfo, one record
// per mount): it is handed over whole, so a short read is the end and the read that would see EOF
// is spared.
std::optional<std::string> read_record_if_exists(const std::string& path);
// The same relative to `dir`: cgroup control files without seq_start (cpuacct.usage, memory.*,
// pids.*, cpu.stat, io.stat, ...; not cgroup.procs or tasks, which list one record per process).
std::optional<std::string> read_record_at_if_exists(int dir, const std::string& file);

// Writes `value` to `file` in one write(2). Returns 0 or the errno of the failure, so that callers
// can tell "file missing" (ENOENT) and "busy" (EBUSY) from real errors.
int try_write_at(int dir, const std::string& file, const std::string& value);
// Same, throwing Error "write <where>/<file> = <value>: <strerror>" on failure.
void write_at(int dir, const std::string& file, const std::string& value, const std::string& where);

// True when `file` exists relative to `dir`.
bool exists_at(int dir, const std::string& file);
// True when `path` exists.
bool exists(const std::string& path);

// Names of the subdirectories of a cgroup directory (empty when it does not exist); one stat when
// its link count says it has none.
std::vector<std::string> subdirectories(const std::string& path);

}  // namespace cgroup::fs
