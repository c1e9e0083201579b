#include "hierarchies.hpp"

#include <algorithm>
#include <array>

namespace cgroup {

namespace {

// The controllers groups are made in. devices, hugetlb, net_cls... are left to the host.
constexpr std::array<const char*, 7> kV1Controllers{"cpu",  "cpuacct", "cpuset", "memory",
                                                    "pids", "blkio",   "freezer"};
constexpr std::array<const char*, 5> kV2Controllers{"cpu", "cpuset", "memory", "pids", "io"};

}  // namespace

std::vector<Hierarchy> hierarchies(const Host& host) {
  std::vector<Hierarchy> result;

  if (!host.unified_mount.empty() && !host.unified_path.empty()) {
    Hierarchy v2{{}, 2, host.unified_mount, host.unified_path};
    for (const char* name : kV2Controllers) {
      auto it = host.controllers.find(name);
      if (it != host.controllers.end() && it->second.version == 2 && it->second.usable) {
        v2.controllers.emplace_back(name);
      }
    }
    // Without controllers the group is only worth having where we may create it.
    if (!v2.controllers.empty() || host.unified_writable) {
      result.push_back(std::move(v2));
    }
  }

  for (const char* name : kV1Controllers) {
    auto it = host.controllers.find(name);
    if (it == host.controllers.end() || it->second.version != 1 || !it->second.usable) {
      continue;
    }
    const Controller& controller = it->second;
    auto same_mount = [&](const Hierarchy& h) { return h.mount == controller.mount; };
    auto existing = std::find_if(result.begin(), result.end(), same_mount);
    if (existing != result.end()) {
      existing->controllers.push_back(controller.name);  // co-mounted, e.g. cpu,cpuacct
    } else {
      result.push_back({{controller.name}, 1, controller.mount, controller.our_path});
    }
  }
  return result;
}

std::string run_parent(const Hierarchy& hierarchy) {
  const std::string& our_path = hierarchy.our_path;
  if (hierarchy.version != 2) {
    return our_path;
  }
  const std::string suffix = std::string("/") + kSupervisorLeaf;
  if (our_path.size() > suffix.size() && our_path.ends_with(suffix)) {
    return our_path.substr(0, our_path.size() - suffix.size());
  }
  return our_path == suffix ? "/" : our_path;
}

std::string run_parent_dir(const Hierarchy& hierarchy) {
  const std::string parent = run_parent(hierarchy);
  return parent == "/" ? hierarchy.mount : hierarchy.mount + parent;
}

std::vector<std::string> run_group_parents(const Host& host) {
  std::vector<std::string> parents;
  for (const Hierarchy& hierarchy : hierarchies(host)) {
    parents.push_back(run_parent_dir(hierarchy));
  }
  return parents;
}

}  // namespace cgroup
