// Host discovery: which layout this machine has, and which controllers we may use and why not.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>
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

std::string read_required(const std::string& path) {
  auto text = fs::read_file_if_exists(path);
  if (!text) {
    throw Error("read " + path + ": " + std::strerror(ENOENT));
  }
  return *text;
}

// The interface files that tell kernel features apart, per controller (see Controller::files).
// Probed one by one: listing every controller's directory was a tenth of a run's cgroup work.
std::set<std::string> feature_files(int dir, const std::string& controller) {
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
    if (fs::exists_at(dir, file)) {
      files.insert(file);
    }
  }
  return files;
}

// Decides whether we can create child groups with this controller, and records why not.
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
  controller.files = feature_files(fd.get(), controller.name);
  controller.usable = true;
}

}  // namespace

Host detect() {
  const auto mounts = parse::mountinfo(read_required("/proc/self/mountinfo"));
  const auto memberships = parse::proc_cgroup(read_required("/proc/self/cgroup"));
  std::string v2_root_controllers;
  for (const parse::Mount& mount : mounts) {
    if (mount.fstype == "cgroup2") {
      v2_root_controllers =
          fs::read_file_if_exists(mount.mount_point + "/cgroup.controllers").value_or("");
      break;
    }
  }
  Host host = parse::describe(mounts, memberships, v2_root_controllers);
  for (auto& [name, controller] : host.controllers) {
    probe(controller);
  }
  return host;
}

}  // namespace cgroup
