// Which hierarchies a group lives in on a host: one directory per distinct v1 mount of a
// controller we use, plus the cgroup2 directory (with its usable controllers, or none on hybrid
// hosts, where it still gives cgroup.kill, cgroup.events and a CLONE_INTO_CGROUP fd). Internal.
#pragma once

#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"

namespace cgroup {

struct Hierarchy {
  std::vector<std::string> controllers;  // empty: controller-less cgroup2 (hybrid)
  int version = 1;
  std::string mount;
  std::string our_path;  // our cgroup in it, relative to the mount
};

std::vector<Hierarchy> hierarchies(const Host& host);

// The leaf a process moves into when its own v2 cgroup must give up its processes.
inline constexpr const char* kSupervisorLeaf = "supervisor";

// Where run groups go by default: our cgroup, or on v2 its parent once we moved into the supervisor
// leaf (then /proc/self/cgroup names the leaf, which can hold no groups of its own).
std::string run_parent(const Hierarchy& hierarchy);
// The same as an absolute directory (mount included).
std::string run_parent_dir(const Hierarchy& hierarchy);

}  // namespace cgroup
