// Host discovery: which layout this machine has, and which controllers we may use and why not.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "cgroup/parse.hpp"
#include "fs.hpp"

namespace cgroup {

std::string to_string(Layout layout) {
  switch (layout) {
    case Layout::unified:
      return "unified";
    case Layout::hybrid:
      return "hybrid";
    case Layout::legacy:
      return "legacy";
  }
  return "?";
}

bool Host::has(const std::string& controller) const {
  auto it = controllers.find(controller);
  return it != controllers.end() && it->second.usable;
}

namespace {

// `record`: the file is one record (fs::read_record_if_exists).
std::string read_required(const std::string& path, bool record) {
  auto text = record ? fs::read_record_if_exists(path) : fs::read_file_if_exists(path);
  if (!text) {
    throw Error("read " + path + ": " + std::strerror(ENOENT));
  }
  return *text;
}

// `file` in the directory `dir` ("/sys/fs/cgroup/cpu/" of a root cgroup ends in a slash).
std::string in_dir(const std::string& dir, const std::string& file) {
  return dir.ends_with('/') ? dir + file : dir + "/" + file;
}

// The interface files that tell kernel features apart, per controller (see Controller::files).
// Probed one by one, each by its path (one faccessat): listing every controller's directory was a
// tenth of a run's cgroup work, and opening it first costs an open and a close more.
std::set<std::string> feature_files(const std::string& dir, const std::string& controller) {
  static const std::map<std::string, std::vector<std::string>> kFeatureFiles{
      {"memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}},
      {"io", {"io.weight", "io.bfq.weight"}},
      {"blkio", {"blkio.weight", "blkio.bfq.weight"}},
  };
  std::set<std::string> files;
  const auto wanted = kFeatureFiles.find(controller);
  if (wanted == kFeatureFiles.end()) {
    return files;
  }
  for (const std::string& file : wanted->second) {
    if (fs::exists(in_dir(dir, file))) {
      files.insert(file);
    }
  }
  return files;
}

// Decides whether we can create child groups with this controller, and records why not. Step by
// step, so that each way of failing has its own message: the slow path, taken for a controller
// the quick checks in detect() did not find usable.
void probe(Controller& controller) {
  if (!controller.why_not.empty()) {
    return;
  }
  const std::string dir = controller.mount + controller.our_path;
  fs::Fd fd = fs::open_dir_if_exists(dir);
  if (!fd) {
    controller.why_not = "our cgroup " + dir + " does not exist";
    return;
  }
  if (controller.version == 2) {
    const auto available = fs::read_at_if_exists(fd.get(), "cgroup.controllers");
    if (!available || !parse::contains_word(*available, controller.name)) {
      controller.why_not = "not delegated to " + dir + " (missing from its cgroup.controllers)";
      return;
    }
    if (::faccessat(fd.get(), "cgroup.subtree_control", W_OK, 0) != 0) {
      controller.why_not =
          "cannot write " + dir + "/cgroup.subtree_control: " + std::strerror(errno);
      return;
    }
  } else if (::faccessat(fd.get(), ".", W_OK, 0) != 0) {
    controller.why_not = "cannot create groups in " + dir + ": " + std::strerror(errno);
    return;
  }
  controller.files = feature_files(dir, controller.name);
  controller.usable = true;
}

// What our cgroup2 group offers every v2 controller at once (they all share it): its
// cgroup.controllers and whether its cgroup.subtree_control is writable, each asked once instead
// of once per controller. Null `available` when it cannot be read (probe() then says why).
struct UnifiedGroup {
  std::optional<std::string> available;
  bool subtree_writable = false;
};

UnifiedGroup read_unified_group(const Host& host, const std::string& root_controllers) {
  UnifiedGroup group;
  const std::string dir = host.unified_mount + host.unified_path;
  try {
    // In the root cgroup its cgroup.controllers is the root's, read already.
    group.available = host.unified_path == "/"
                          ? std::optional(root_controllers)
                          : fs::read_record_if_exists(in_dir(dir, "cgroup.controllers"));
  } catch (const Error&) {
    return group;  // probe() reports it in its own words
  }
  group.subtree_writable =
      ::faccessat(AT_FDCWD, in_dir(dir, "cgroup.subtree_control").c_str(), W_OK, 0) == 0;
  return group;
}

// The quick path of probe(): one or two syscalls per directory, none per co-mounted controller.
// True when it found the controller usable; false sends it to probe().
bool usable_at_once(Controller& controller, const UnifiedGroup* unified,
                    std::map<std::string, bool>& writable_dirs) {
  const std::string dir = controller.mount + controller.our_path;
  if (controller.version == 2) {
    if (!unified || !unified->available || !unified->subtree_writable ||
        !parse::contains_word(*unified->available, controller.name)) {
      return false;
    }
  } else {
    const auto [known, added] = writable_dirs.try_emplace(dir, false);
    if (added) {
      // Walks the path and checks the permission in one call; a failure takes the slow path for
      // its reason.
      known->second = ::faccessat(AT_FDCWD, dir.c_str(), W_OK, 0) == 0;
    }
    if (!known->second) {
      return false;
    }
  }
  controller.files = feature_files(dir, controller.name);
  controller.usable = true;
  return true;
}

}  // namespace

Host detect() {
  const auto mounts = parse::mountinfo(read_required("/proc/self/mountinfo", false));
  const auto memberships = parse::proc_cgroup(read_required("/proc/self/cgroup", true));
  std::string v2_root_controllers;
  for (const parse::Mount& mount : mounts) {
    if (mount.fstype == "cgroup2") {
      v2_root_controllers =
          fs::read_record_if_exists(mount.mount_point + "/cgroup.controllers").value_or("");
      break;
    }
  }
  Host host = parse::describe(mounts, memberships, v2_root_controllers);
  std::optional<UnifiedGroup> unified;
  if (!host.unified_mount.empty() && !host.unified_path.empty()) {
    unified = read_unified_group(host, v2_root_controllers);
    const std::string dir = host.unified_mount + host.unified_path;
    host.unified_writable = ::faccessat(AT_FDCWD, dir.c_str(), W_OK, 0) == 0;
  }
  std::map<std::string, bool> writable_dirs;  // v1: co-mounted controllers share a directory
  for (auto& [name, controller] : host.controllers) {
    if (controller.why_not.empty() &&
        !usable_at_once(controller, unified ? &*unified : nullptr, writable_dirs)) {
      probe(controller);
    }
  }
  return host;
}

}  // namespace cgroup
