// mask_kernel_paths(): hides or freezes the parts of /proc and /sys that expose or control the
// whole machine rather than the job's namespaces (the list runc and docker mask by default).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hardening.hpp"
#include "hardening_error.hpp"

namespace sandbox::hardening {

namespace {

// Replaced by an empty read-only file or directory.
constexpr const char* masked_paths[] = {
    "/proc/kcore",                    // physical memory of the machine
    "/proc/sysrq-trigger",            // reboot, crash or freeze the host with one write
    "/proc/timer_list",               // host timers, with kernel addresses
    "/proc/timer_stats",              // older kernels: which host processes set timers
    "/proc/keys",                     // every key of every keyring visible to the user
    "/proc/latency_stats",            // host-wide latency records
    "/proc/sched_debug",              // every task on the host
    "/proc/acpi",                     // firmware tables and controls
    "/proc/scsi",                     // add or remove host SCSI devices
    "/sys/firmware",                  // firmware tables (ACPI, DMI, EFI variables)
    "/sys/devices/virtual/powercap",  // RAPL energy counters: a power side channel
};

// Bound read-only, recursively: the job may read them but never change kernel settings.
constexpr const char* readonly_paths[] = {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"};

std::optional<struct stat> status_of(const std::string& path) {
  struct stat status {};
  if (lstat(path.c_str(), &status) == 0) return status;
  if (errno == ENOENT) return std::nullopt;
  fail_setup("mask " + path + ": lstat", errno);
}

class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) close(fd_);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A per-mount flag change (never the superblock's), applied to the whole subtree. Unlike
// MS_REMOUNT it needs no restating of the flags a user namespace locks (nosuid, nodev, ...).
void make_readonly(int directory_fd, const std::string& path, unsigned flags,
                   const std::string& what) {
  struct mount_attr attributes {};
  attributes.attr_set = MOUNT_ATTR_RDONLY;
  if (mount_setattr(directory_fd, path.c_str(), flags | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW,
                    &attributes, sizeof attributes) != 0) {
    fail_setup(what + ": making it read-only", errno);
  }
}

// The stand-in bound over masked files: an empty, read-only regular file on a small tmpfs that
// is never attached anywhere. Reads see an empty file, as with /dev/null, but writes fail with
// EROFS (a read-only mount does not stop writes to a device node such as /dev/null), and it
// needs no /dev in the sandbox.
class EmptyFile {
 public:
  EmptyFile() : mount_(create_mount()) {
    const int file = openat(mount_.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
    if (file < 0) fail_setup("mask: creating the empty stand-in file", errno);
    close(file);
    make_readonly(mount_.get(), "", AT_EMPTY_PATH, "mask: the stand-in tmpfs");
  }

  // Attaches the stand-in tmpfs over `directory`, which it masks as an empty read-only tmpfs would,
  // and returns the path of the stand-in file there. Bound from with mount(2), it works on every
  // kernel: cloning a detached mount with open_tree (bind_over) fails with EINVAL before 6.x
  // (seen on Debian's 6.1 in the VM suite).
  std::string attach_over(const std::string& directory) const {
    if (move_mount(mount_.get(), "", AT_FDCWD, directory.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      fail_setup("mask " + directory + ": mounting the stand-in tmpfs over it", errno);
    }
    return directory + "/" + name;
  }

  void bind_over(const std::string& path) const {
    const OwnedFd copy(open_tree(mount_.get(), name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (copy.get() < 0) fail_setup("mask " + path + ": cloning the empty stand-in file", errno);
    if (move_mount(copy.get(), "", AT_FDCWD, path.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      fail_setup("mask " + path + ": mounting an empty file over it", errno);
    }
  }

 private:
  static constexpr const char* name = "empty";

  static int create_mount() {
    const OwnedFd context(fsopen("tmpfs", FSOPEN_CLOEXEC));
    if (context.get() < 0) fail_setup("mask: fsopen tmpfs", errno);
    if (fsconfig(context.get(), FSCONFIG_SET_STRING, "size", "4k", 0) != 0 ||
        fsconfig(context.get(), FSCONFIG_SET_STRING, "nr_inodes", "2", 0) != 0 ||
        fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
      fail_setup("mask: creating a tmpfs for the empty stand-in file", errno);
    }
    const int mount_fd = fsmount(context.get(), FSMOUNT_CLOEXEC,
                                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mount_fd < 0) fail_setup("mask: fsmount of the stand-in tmpfs", errno);
    return mount_fd;
  }

  OwnedFd mount_;
};

void mask_directory(const std::string& path) {
  if (mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "size=4k,nr_inodes=1,mode=0555") != 0) {
    fail_setup("mask " + path + ": mounting an empty read-only tmpfs over it", errno);
  }
}

void bind_readonly(const std::string& path) {
  if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    fail_setup("mask " + path + ": binding it onto itself", errno);
  }
  make_readonly(AT_FDCWD, path, 0, "mask " + path);
}

}  // namespace

void bind_file_over(const std::string& source, const std::string& path) {
  if (mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    fail_setup("mask " + path + ": mounting an empty file over it", errno);
  }
}

// Whether `path` can exist: false when its top directory ("/proc" of "/proc/kcore") does not.
// A sandbox without proc or sys then costs 2 path walks here instead of 15. Only ENOENT
// skips: any other failure is left to the lstat of the path itself, which reports it.
class TopDirectories {
 public:
  bool may_exist(const std::string& path) {
    const std::string top = path.substr(0, path.find('/', 1));
    for (const auto& [name, exists] : seen_) {
      if (name == top) return exists;
    }
    struct stat status {};
    const bool exists = stat(top.c_str(), &status) == 0 || errno != ENOENT;
    seen_.emplace_back(top, exists);
    return exists;
  }

 private:
  std::vector<std::pair<std::string, bool>> seen_;
};

void mask_kernel_paths() {
  TopDirectories tops;
  std::vector<std::string> files, directories;
  for (const char* path : masked_paths) {
    if (!tops.may_exist(path)) continue;
    const auto status = status_of(path);
    if (!status) continue;  // not on this kernel, or /proc or /sys is not mounted in the sandbox
    (S_ISDIR(status->st_mode) ? directories : files).emplace_back(path);
  }
  if (!files.empty()) {
    const EmptyFile empty_file;
    if (!directories.empty()) {
      // The first masked directory hosts the stand-in file; bind mounts carry its read-only flag.
      const std::string source = empty_file.attach_over(directories.front());
      directories.erase(directories.begin());
      for (const auto& file : files) bind_file_over(source, file);
    } else {
      for (const auto& file : files) empty_file.bind_over(file);
    }
  }
  for (const auto& directory : directories) mask_directory(directory);
  for (const char* path : readonly_paths) {
    if (tops.may_exist(path) && status_of(path)) bind_readonly(path);
  }
}

}  // namespace sandbox::hardening
