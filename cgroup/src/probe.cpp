// detect()'s probes: whether each controller is usable in our cgroup, as cheaply as the answer
// allows, and the step-by-step probe that says why not.
#include "probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

#include "cgroup/parse.hpp"
#include "fs.hpp"

namespace cgroup {

namespace {

// `file` in the directory `dir` ("/sys/fs/cgroup/cpu/" of a root cgroup ends in a slash).
std::string in_dir(const std::string& dir, const std::string& file) {
  return dir.ends_with('/') ? dir + file : dir + "/" + file;
}

// The interface files that tell kernel features apart, per controller (see Controller::files).
// Probed one by one, each by its path (one faccessat): listing every controller's directory was a
// tenth of a run's cgroup work, and opening it first costs an open and a close more.
// Only those `scope` asks for (all in the slow path, which has no scope).
std::set<std::string> feature_files(const std::string& dir, const std::string& controller,
                                    const ProbeScope& scope = {}) {
  static const std::map<std::string, std::vector<std::string>> kFeatureFiles{
      {"memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}},
      {"io", {"io.weight", "io.bfq.weight"}},
      {"blkio", {"blkio.weight", "blkio.bfq.weight"}},
  };
  std::set<std::string> files;
  const auto wanted = kFeatureFiles.find(controller);
  if (wanted == kFeatureFiles.end() || (controller == "memory" && !scope.memory_files) ||
      (controller != "memory" && !scope.io_files)) {
    return files;
  }
  for (const std::string& file : wanted->second) {
    if (fs::exists(in_dir(dir, file))) {
      files.insert(file);
    }
  }
  return files;
}

}  // namespace

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

namespace {

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
                    std::map<std::string, bool>& writable_dirs, const ProbeScope& scope) {
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
  controller.files = feature_files(dir, controller.name, scope);
  controller.usable = true;
  return true;
}

}  // namespace

ProbeScope scope_for(const std::vector<Limits>& limits_in_run) {
  // The accounting controllers (what the report shows), and the freezer, which a run needs where
  // no cgroup2 group can kill. Which limit writes to which controller is translate.cpp's table.
  ProbeScope scope;
  scope.controllers = {"cpuacct", "memory", "pids", "blkio", "io", "freezer"};
  scope.memory_files = false;
  scope.io_files = false;
  for (const Limits& limits : limits_in_run) {
    if (limits.cpu_weight || limits.cpu_max) {
      scope.controllers->insert("cpu");
    }
    if (limits.cpuset_cpus) {
      scope.controllers->insert("cpuset");
    }
    scope.memory_files = scope.memory_files || limits.swap_max;  // memsw on v1
    scope.io_files = scope.io_files || limits.io_weight;         // io.weight or BFQ's, v1 or v2
  }
  return scope;
}

void probe_controllers(Host& host, const std::string& v2_root_controllers,
                       const ProbeScope& scope) {
  const bool has_unified = !host.unified_mount.empty() && !host.unified_path.empty();
  if (has_unified) {
    const std::string dir = host.unified_mount + host.unified_path;
    host.unified_writable = ::faccessat(AT_FDCWD, dir.c_str(), W_OK, 0) == 0;
  }
  std::optional<UnifiedGroup> unified;        // read when the first v2 controller in scope needs it
  std::map<std::string, bool> writable_dirs;  // v1: co-mounted controllers share a directory
  for (auto& [name, controller] : host.controllers) {
    if (!controller.why_not.empty()) {
      continue;
    }
    if (scope.controllers && !scope.controllers->contains(name)) {
      controller.why_not = kNotProbed;
      continue;
    }
    if (controller.version == 2 && has_unified && !unified) {
      unified = read_unified_group(host, v2_root_controllers);
    }
    if (!usable_at_once(controller, unified ? &*unified : nullptr, writable_dirs, scope)) {
      probe(controller);
    }
  }
}

}  // namespace cgroup
