#include "fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace cgroup::fs {

Fd::~Fd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void throw_errno(const std::string& what, int err) {
  throw Error(what + ": " + std::strerror(err));
}

Fd open_dir(const std::string& path) {
  Fd fd = open_dir_if_exists(path);
  if (!fd) {
    throw_errno("open " + path, ENOENT);
  }
  return fd;
}

Fd open_dir_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Fd{};
    }
    throw_errno("open " + path);
  }
  return Fd{fd};
}

namespace {

// Reads until EOF; cgroup files are small but may be longer than one page (io.stat, cgroup.procs).
// With `record`, a read shorter than asked for ends it too (see read_record_if_exists).
std::string read_all(int fd, const std::string& what, bool record = false) {
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("read " + what);
    }
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (record && static_cast<size_t>(n) < sizeof buffer) {
      return text;
    }
  }
}

// `file` relative to `dir`, or a path with AT_FDCWD. A process gone while its /proc files are
// opened (ESRCH) counts as missing.
std::optional<std::string> read_existing_at(int dir, const std::string& file, bool record) {
  Fd fd{::openat(dir, file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) {
    if (errno == ENOENT || errno == ESRCH) {
      return std::nullopt;
    }
    throw_errno("open " + file);
  }
  return read_all(fd.get(), file, record);
}

}  // namespace

std::optional<std::string> read_at_if_exists(int dir, const std::string& file) {
  return read_existing_at(dir, file, false);
}

std::optional<std::string> read_record_at_if_exists(int dir, const std::string& file) {
  return read_existing_at(dir, file, true);
}

std::string read_at(int dir, const std::string& file, const std::string& where) {
  Fd fd{::openat(dir, file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) {
    throw_errno("open " + where + "/" + file);
  }
  return read_all(fd.get(), where + "/" + file, true);
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  return read_existing_at(AT_FDCWD, path, false);
}

std::optional<std::string> read_record_if_exists(const std::string& path) {
  return read_existing_at(AT_FDCWD, path, true);
}

int try_write_at(int dir, const std::string& file, const std::string& value) {
  Fd fd{::openat(dir, file.c_str(), O_WRONLY | O_CLOEXEC)};
  if (!fd) {
    return errno;
  }
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return errno;
  }
  return static_cast<size_t>(n) == value.size() ? 0 : EIO;
}

void write_at(int dir, const std::string& file, const std::string& value,
              const std::string& where) {
  if (int err = try_write_at(dir, file, value); err != 0) {
    throw_errno("write " + where + "/" + file + " = " + value, err);
  }
}

bool exists_at(int dir, const std::string& file) {
  return ::faccessat(dir, file.c_str(), F_OK, 0) == 0;
}

bool exists(const std::string& path) {
  return exists_at(AT_FDCWD, path);
}

std::vector<std::string> subdirectories(const std::string& path) {
  std::vector<std::string> names;
  // The cgroup file system keeps a directory's link count at two plus one per subdirectory: a
  // stat answers for the usual leaf or childless parent, where listing would read out its dozens
  // of control files (every run scans each hierarchy for stale groups). Other counts (a file
  // system that does not keep it reports one) are listed.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_nlink == 2) {
    return names;
  }
  // open and getdents64 directly: opendir adds an fstat and a 32 KB buffer, on every run.
  const Fd dir{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!dir) {
    if (errno == ENOENT) {
      return names;
    }
    throw_errno("opendir " + path);
  }
  alignas(dirent64) char buffer[4096];
  for (;;) {
    const ssize_t got = ::getdents64(dir.get(), buffer, sizeof buffer);
    if (got <= 0) {
      return names;  // a failed read ends the listing, as readdir's did
    }
    for (ssize_t at = 0; at < got;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer + at);
      at += entry->d_reclen;
      std::string name = entry->d_name;
      if (entry->d_type == DT_DIR && name != "." && name != "..") {
        names.push_back(std::move(name));
      }
    }
  }
}

}  // namespace cgroup::fs
