#include "filesystem.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "mount_api.hpp"
#include "safe_path.hpp"
#include "sys_error.hpp"
#include "syscalls.hpp"

namespace sandbox {

namespace {

using policies::Mount;

// Host devices a minimal /dev offers, bound from the host's /dev (a user namespace cannot mknod).
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
// Where the new root is attached before pivot_root: a directory of the host tree, hidden only in
// this mount namespace. Every host path was opened before, so nothing under it is needed.
constexpr const char* kStaging = "/tmp";

std::string what(const Mount& m) {
  return "mount " + m.target;
}

unsigned int flag_attributes(const Mount& m) {
  unsigned int attributes = 0;
  if (m.readonly) attributes |= MOUNT_ATTR_RDONLY;
  if (m.nosuid) attributes |= MOUNT_ATTR_NOSUID;
  if (m.nodev) attributes |= MOUNT_ATTR_NODEV;
  if (m.noexec) attributes |= MOUNT_ATTR_NOEXEC;
  return attributes;
}

std::vector<mnt::Option> tmpfs_options(const char* mode, std::optional<uint64_t> size,
                                       const FilesystemContext& context) {
  std::vector<mnt::Option> options{{"mode", mode},
                                   {"uid", std::to_string(context.owner_uid)},
                                   {"gid", std::to_string(context.owner_gid)}};
  if (size) options.push_back({"size", std::to_string(*size)});
  return options;
}

bool is_directory(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

PreparedMount prepare_bind(const Mount& m) {
  PreparedMount prepared{&m, mnt::clone_tree(m.source, true, what(m)), TargetKind::directory, {}};
  if (!prepared.tree) {
    if (m.optional) return prepared;
    throw Error(exit_code::setup_failed, what(m) + ": source " + m.source + " does not exist");
  }
  if (!is_directory(prepared.tree.get())) prepared.kind = TargetKind::file;
  mnt::add_attributes(prepared.tree.get(), flag_attributes(m), true, what(m));
  return prepared;
}

PreparedMount prepare(const Mount& m, const FilesystemContext& context) {
  switch (m.kind) {
    case Mount::Kind::bind:
      return prepare_bind(m);
    case Mount::Kind::tmpfs:
      return {&m,
              mnt::new_filesystem("tmpfs", tmpfs_options("0755", m.size_bytes, context),
                                  flag_attributes(m), what(m)),
              TargetKind::directory,
              {}};
    case Mount::Kind::proc: {
      const unsigned int attributes = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
      if (context.fresh_proc) {
        return {
            &m, mnt::new_filesystem("proc", {}, attributes, what(m)), TargetKind::directory, {}};
      }
      // Without a pid namespace the kernel refuses a new proc instance: show the host's.
      PreparedMount prepared{
          &m, mnt::clone_tree("/proc", true, what(m)), TargetKind::directory, {}};
      if (!prepared.tree) throw Error(exit_code::setup_failed, what(m) + ": host has no /proc");
      mnt::add_attributes(prepared.tree.get(), attributes, true, what(m));
      return prepared;
    }
    case Mount::Kind::dev: {
      PreparedMount prepared{
          &m,
          // Owned by the job's identity, like every tmpfs of the sandbox: in a user namespace,
          // mount points can only be created under a directory a mapped id owns.
          mnt::new_filesystem("tmpfs", tmpfs_options("0755", 65536, context),
                              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, what(m)),
          TargetKind::directory,
          {}};
      for (const char* name : kDevices) {
        const std::string source = std::string("/dev/") + name;
        UniqueFd tree = mnt::clone_tree(source, false, what(m));
        if (!tree) continue;  // a host without it: the job does without it too
        // No nodev here: these are the device nodes themselves.
        mnt::add_attributes(tree.get(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, what(m));
        prepared.devices.push_back({name, std::move(tree)});
      }
      return prepared;
    }
    case Mount::Kind::symlink:
      return {&m, UniqueFd(), TargetKind::directory, {}};  // nothing of the host to open
  }
  throw Error(exit_code::setup_failed, what(m) + ": unknown mount kind");
}

void symlink_in(int dir, const char* target, const char* name, const std::string& where) {
  check(symlinkat(target, dir, name), "create " + where + "/" + name);
}

// Fills an attached /dev tmpfs: device binds, devpts with its own ptmx, shm, fd symlinks.
void populate_dev(int root, PreparedMount& dev, const FilesystemContext& context) {
  const std::string& base = dev.spec->target;
  const std::string where = what(*dev.spec);
  for (auto& device : dev.devices) {
    UniqueFd target = open_mount_target(root, base + "/" + device.name, TargetKind::file);
    mnt::attach(device.tree.get(), target.get(), where + "/" + device.name);
  }
  UniqueFd pts =
      mnt::new_filesystem("devpts", {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}},
                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, where + "/pts");
  mnt::attach(pts.get(), open_mount_target(root, base + "/pts", TargetKind::directory).get(),
              where + "/pts");
  UniqueFd shm = mnt::new_filesystem("tmpfs", tmpfs_options("1777", std::nullopt, context),
                                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, where + "/shm");
  mnt::attach(shm.get(), open_mount_target(root, base + "/shm", TargetKind::directory).get(),
              where + "/shm");

  UniqueFd dir = open_mount_target(root, base, TargetKind::directory);
  symlink_in(dir.get(), "pts/ptmx", "ptmx", base);
  symlink_in(dir.get(), "/proc/self/fd", "fd", base);
  symlink_in(dir.get(), "/proc/self/fd/0", "stdin", base);
  symlink_in(dir.get(), "/proc/self/fd/1", "stdout", base);
  symlink_in(dir.get(), "/proc/self/fd/2", "stderr", base);
}

UniqueFd prepare_root(const policies::Filesystem& filesystem, const FilesystemContext& context) {
  if (filesystem.root == "tmpfs") {
    return mnt::new_filesystem("tmpfs", tmpfs_options("0755", std::nullopt, context),
                               MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "root tmpfs");
  }
  const std::string where = "root " + filesystem.root;
  UniqueFd tree = mnt::clone_tree(filesystem.root, true, where);
  if (!tree) throw Error(exit_code::setup_failed, where + ": does not exist");
  if (!is_directory(tree.get())) throw Error(exit_code::setup_failed, where + ": not a directory");
  mnt::add_attributes(tree.get(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false, where);
  return tree;
}

// Makes the attached new root the process's root and detaches everything of the host.
void pivot_into(int root) {
  check(fchdir(root), "chdir to new root");
  // pivot_root(".", ".") stacks the old root on the new one; detaching "." then removes it.
  check(sys::pivot_root(".", "."), "pivot_root");
  check(umount2(".", MNT_DETACH), "detach old root");
  check(chdir("/"), "chdir /");
}

}  // namespace

PreparedFilesystem prepare_filesystem(const policies::Filesystem& filesystem,
                                      const FilesystemContext& context) {
  // Nothing mounted from here on may propagate back to the host.
  check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make / private");
  PreparedFilesystem prepared{&filesystem, prepare_root(filesystem, context), {}};
  prepared.mounts.reserve(filesystem.mounts.size());
  for (const auto& m : filesystem.mounts) prepared.mounts.push_back(prepare(m, context));
  return prepared;
}

void enter_filesystem(PreparedFilesystem& prepared, const FilesystemContext& context) {
  // move_mount moves the detached tree itself, so its fd is now the new root's top directory:
  // every target below is resolved from it, without opening the staging path again.
  mnt::attach_at(prepared.root.get(), kStaging, "root");
  const UniqueFd& root = prepared.root;
  for (auto& m : prepared.mounts) {
    if (m.spec->kind == Mount::Kind::symlink) {
      create_symlink(root.get(), m.spec->target, m.spec->source);
      continue;
    }
    if (!m.tree) continue;
    UniqueFd target = open_mount_target(root.get(), m.spec->target, m.kind);
    mnt::attach(m.tree.get(), target.get(), what(*m.spec));
    if (m.spec->kind == Mount::Kind::dev) populate_dev(root.get(), m, context);
  }
  if (prepared.spec->root_readonly) {
    mnt::add_attributes(root.get(), MOUNT_ATTR_RDONLY, false, "root");
  }
  pivot_into(root.get());
}

}  // namespace sandbox
