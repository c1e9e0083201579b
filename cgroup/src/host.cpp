// Host discovery: which layout this machine has, and which controllers we may use and why not.
#include <cstring>

#include "cgroup/cgroup.hpp"
#include "cgroup/parse.hpp"
#include "fs.hpp"
#include "probe.hpp"

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

Host detect_in(const ProbeScope& scope) {
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
  probe_controllers(host, v2_root_controllers, scope);
  return host;
}

}  // namespace

Host detect() {
  return detect_in(ProbeScope{});
}

Host detect(const std::vector<Limits>& limits_in_run) {
  return detect_in(scope_for(limits_in_run));
}

}  // namespace cgroup
