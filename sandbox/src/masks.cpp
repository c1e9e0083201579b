// mask_kernel_paths(): hides or freezes the parts of /proc and /sys that expose or control the
// whole machine rather than the job's namespaces (the list runc and docker mask by default).
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>

#include <cerrno>
#include <optional>
#include <string>

#include "hardening.hpp"
#include "hardening_error.hpp"

namespace sandbox::hardening {

namespace {

// Replaced by an empty read-only file (/dev/null) or directory (tmpfs).
constexpr const char* masked_paths[] = {
    "/proc/kcore",          // physical memory of the machine
    "/proc/sysrq-trigger",  // reboot, crash or freeze the host with one write
    "/proc/timer_list",     // host timers, with kernel addresses
    "/proc/timer_stats",    // older kernels: which host processes set timers
    "/proc/keys",           // every key of every keyring visible to the user
    "/proc/latency_stats",  // host-wide latency records
    "/proc/sched_debug",    // every task on the host
    "/proc/acpi",           // firmware tables and controls
    "/proc/scsi",           // add or remove host SCSI devices
    "/sys/firmware",        // firmware tables (ACPI, DMI, EFI variables)
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

// A per-mount flag change (never the superblock's), applied to the whole subtree. Unlike
// MS_REMOUNT it needs no restating of the flags a user namespace locks (nosuid, nodev, ...).
void make_readonly(const std::string& path) {
  struct mount_attr attributes {};
  attributes.attr_set = MOUNT_ATTR_RDONLY;
  if (mount_setattr(AT_FDCWD, path.c_str(), AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &attributes,
                    sizeof attributes) != 0) {
    fail_setup("mask " + path + ": making it read-only", errno);
  }
}

void mask_file(const std::string& path) {
  struct stat null_device {};
  if (stat("/dev/null", &null_device) != 0 || !S_ISCHR(null_device.st_mode) ||
      null_device.st_rdev != makedev(1, 3)) {
    fail_setup("mask " + path + ": /dev/null is missing or not the null device in the sandbox");
  }
  if (mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    fail_setup("mask " + path + ": binding /dev/null over it", errno);
  }
  // Read-only, so that a write fails (EROFS) instead of vanishing into /dev/null unnoticed.
  make_readonly(path);
}

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
  make_readonly(path);
}

}  // namespace

void mask_kernel_paths() {
  for (const char* path : masked_paths) {
    const auto status = status_of(path);
    if (!status) continue;  // not on this kernel, or /proc or /sys is not mounted in the sandbox
    if (S_ISDIR(status->st_mode)) {
      mask_directory(path);
    } else {
      mask_file(path);
    }
  }
  for (const char* path : readonly_paths) {
    if (status_of(path)) bind_readonly(path);
  }
}

}  // namespace sandbox::hardening
