// mask_kernel_paths() against the real /proc and /sys, always in a forked child with its own
// mount namespace (propagation private), so no mount can reach the host; the host's view is
// checked afterwards.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>

#include "child_process.hpp"
#include "hardening.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::hardening {
namespace {

using hardening_test::errno_name_of;
using hardening_test::run_in_child;

// What the job must not see (an empty file or directory in its place) ...
constexpr const char* must_be_masked[] = {"/proc/kcore", "/proc/sysrq-trigger", "/proc/timer_list",
                                          "/proc/keys",  "/proc/latency_stats", "/proc/sched_debug",
                                          "/proc/acpi",  "/proc/scsi",          "/sys/firmware"};
// ... and what it may read but never change.
constexpr const char* must_be_readonly[] = {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"};

bool exists(const char* path) {
  struct stat status {};
  return lstat(path, &status) == 0;
}

bool is_readonly_mount(const char* path) {
  struct statvfs status {};
  return statvfs(path, &status) == 0 && (status.f_flag & ST_RDONLY) != 0;
}

// Empty but for, at most, the zero-length stand-in file that masks bind over files (one masked
// directory hosts it, so that it can be bound from on kernels that cannot clone detached mounts).
bool is_empty_directory(const char* path) {
  DIR* directory = opendir(path);
  if (directory == nullptr) return false;
  int entries = 0;
  while (const dirent* entry = readdir(directory)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    const std::string full = std::string(path) + "/" + name;
    const bool stand_in =
        name == "empty" && stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
    if (!stand_in) ++entries;
  }
  closedir(directory);
  return entries == 0;
}

// Checks, inside the child after masking, everything that existed before; returns the failures.
std::string check_masked(const std::vector<std::string>& existed) {
  std::string failures;
  const auto fail = [&](const std::string& path, const std::string& what) {
    failures += path + ": " + what + "; ";
  };
  for (const auto& path : existed) {
    struct stat status {};
    if (lstat(path.c_str(), &status) != 0) {
      fail(path, "gone");
      continue;
    }
    if (path.starts_with("/proc/sys") || path == "/proc/bus" || path == "/proc/fs" ||
        path == "/proc/irq") {
      if (!is_readonly_mount(path.c_str())) fail(path, "not read-only");
      continue;
    }
    if (S_ISDIR(status.st_mode)) {
      struct statfs filesystem {};
      if (statfs(path.c_str(), &filesystem) != 0 || filesystem.f_type != TMPFS_MAGIC) {
        fail(path, "not covered by a tmpfs");
      }
      if (!is_empty_directory(path.c_str())) fail(path, "not empty");
      if (!is_readonly_mount(path.c_str())) fail(path, "not read-only");
      const std::string created = path + "/created-by-job";
      const int fd = open(created.c_str(), O_CREAT | O_WRONLY, 0600);
      if (fd >= 0) {
        close(fd);
        fail(path, "a file could be created in it");
      }
    } else {
      if (!S_ISREG(status.st_mode) || status.st_size != 0) fail(path, "not an empty file");
      const int reader = open(path.c_str(), O_RDONLY);
      char byte = 0;
      if (reader < 0 || read(reader, &byte, 1) != 0) fail(path, "reading gives data");
      if (reader >= 0) close(reader);
      const int writer = open(path.c_str(), O_WRONLY);
      const std::string result = errno_name_of(writer);
      if (writer >= 0) close(writer);
      if (result != "EROFS") fail(path, "opening for writing gave " + result);
    }
  }
  // Kernel settings stay readable, just not writable.
  std::ifstream ostype("/proc/sys/kernel/ostype");
  std::string value;
  if (!(ostype >> value) || value != "Linux") failures += "/proc/sys/kernel/ostype unreadable; ";
  const int hostname = open("/proc/sys/kernel/hostname", O_WRONLY);
  const std::string result = errno_name_of(hostname);
  if (hostname >= 0) close(hostname);
  if (result != "EROFS") failures += "/proc/sys/kernel/hostname opened for writing: " + result;
  // The rest of /proc is untouched.
  if (is_readonly_mount("/proc")) failures += "/proc itself became read-only; ";
  return failures;
}

std::vector<std::string> existing_paths() {
  std::vector<std::string> paths;
  for (const char* path : must_be_masked) {
    if (exists(path)) paths.push_back(path);
  }
  for (const char* path : must_be_readonly) {
    if (exists(path)) paths.push_back(path);
  }
  return paths;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  return static_cast<bool>(file << text << std::flush);
}

// Enters a private mount namespace in the calling child; with a user namespace too, where root
// inside is the caller's uid and gid outside (as the sandbox maps its jobs).
std::string enter_private_mount_namespace(bool with_user_namespace) {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  const int flags = CLONE_NEWNS | (with_user_namespace ? CLONE_NEWUSER : 0);
  if (unshare(flags) != 0) return "unshare: " + errno_name_of(-1);
  if (with_user_namespace &&
      (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
       !write_file("/proc/self/setgroups", "deny") ||
       !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))) {
    return "cannot map ids in the user namespace";
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return "making / private: " + errno_name_of(-1);
  }
  return "";
}

void expect_host_view_untouched() {
  if (exists("/proc/keys")) {
    struct stat status {};
    ASSERT_EQ(lstat("/proc/keys", &status), 0);
    EXPECT_TRUE(S_ISREG(status.st_mode)) << "a mask leaked to the host";
  }
  EXPECT_FALSE(is_readonly_mount("/proc/sys")) << "a read-only bind leaked to the host";
  EXPECT_FALSE(is_readonly_mount("/proc"));
}

void expect_masks_work(bool with_user_namespace) {
  const auto existed = existing_paths();
  ASSERT_GE(existed.size(), 3u) << "too little of /proc exists here for the test to mean anything";
  ASSERT_TRUE(exists("/proc/sys"));
  const auto outcome = run_in_child([&] {
    std::string entered = enter_private_mount_namespace(with_user_namespace);
    if (!entered.empty()) return entered;
    mask_kernel_paths();
    return check_masked(existed);
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "");
  expect_host_view_untouched();
}

TEST(Masks, MasksAndFreezesKernelPathsAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace without a user namespace";
  expect_masks_work(false);
}

TEST(Masks, MasksAndFreezesKernelPathsInAUserNamespace) {
  // As the sandbox runs it: the job's mount namespace belongs to its user namespace, where mounts
  // inherited from the host are locked.
  expect_masks_work(true);
}

TEST(Masks, ControlWithoutMasksTheChecksFail) {
  // The same checks on an unmasked /proc must find problems, or they could never fail.
  const auto existed = existing_paths();
  const auto outcome = run_in_child([&] { return check_masked(existed); });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_NE(outcome.report, "");
  EXPECT_NE(outcome.report.find("/proc/sys: not read-only"), std::string::npos) << outcome.report;
}

TEST(Masks, MissingProcAndSysAreSkipped) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  const auto outcome = run_in_child([] {
    std::string entered = enter_private_mount_namespace(false);
    if (!entered.empty()) return entered;
    if (umount2("/proc", MNT_DETACH) != 0) return "umount /proc: " + errno_name_of(-1);
    if (umount2("/sys", MNT_DETACH) != 0) return "umount /sys: " + errno_name_of(-1);
    mask_kernel_paths();
    return std::string(exists("/proc/keys") ? "/proc/keys appeared" : "");
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "");
}

TEST(Masks, ARootWithoutProcAndSysDirectoriesIsLeftAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  // The root of a sandbox without proc or sys mounts: an empty tmpfs, not even the directories.
  char root[] = "/tmp/sandbox-masks-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const auto outcome = run_in_child([&] {
    std::string entered = enter_private_mount_namespace(false);
    if (!entered.empty()) return entered;
    if (mount("tmpfs", root, "tmpfs", 0, "size=64k") != 0) return "tmpfs: " + errno_name_of(-1);
    if (chroot(root) != 0 || chdir("/") != 0) return "chroot: " + errno_name_of(-1);
    mask_kernel_paths();
    return std::string(is_empty_directory("/") ? "" : "something was created in the root");
  });
  rmdir(root);
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "");
}

TEST(Masks, NeedsNoDevInTheSandbox) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  const auto existed = existing_paths();
  const auto outcome = run_in_child([&] {
    std::string entered = enter_private_mount_namespace(false);
    if (!entered.empty()) return entered;
    if (mount("tmpfs", "/dev", "tmpfs", 0, "size=4k") != 0) return std::string("tmpfs on /dev");
    mask_kernel_paths();
    return check_masked(existed);
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "");
}

TEST(Masks, FailureIsAClearErrorNamingThePath) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  // A user namespace without an id map cannot create the stand-in file: the error must say so.
  if (!exists("/proc/keys")) GTEST_SKIP() << "no masked file exists on this kernel";
  const auto outcome = run_in_child([] {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return "unshare: " + errno_name_of(-1);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return "making / private: " + errno_name_of(-1);
    }
    try {
      mask_kernel_paths();
      return std::string("no error");
    } catch (const sandbox::Error& error) {
      return std::to_string(error.code) + " " + error.what();
    }
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, std::to_string(exit_code::setup_failed) +
                                " mask: creating the empty stand-in file: Value too large for "
                                "defined data type");
}

}  // namespace
}  // namespace sandbox::hardening
