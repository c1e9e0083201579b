// collect_stale: run groups whose supervisor died without tearing them down (SIGKILL, crash).
// The owner is encoded in the name (sb-<pid>-<starttime>-<name>); a pid that is gone or now has
// another start time means the owner is dead. Assumes supervisors share our pid namespace, which
// holds for groups below our own cgroup. On v2 the supervisor leaf a killed owner left is put
// back last (delegation.hpp).
#include <unistd.h>

#include <cstdio>
#include <set>

#include "cgroup/parse.hpp"
#include "delegation.hpp"
#include "hierarchies.hpp"
#include "impl.hpp"
#include "libcgroup.hpp"
#include "probe.hpp"
#include "process.hpp"

namespace cgroup {

namespace {

bool owner_alive(const parse::RunGroupOwner& owner) {
  const auto starttime = process_starttime(owner.pid);
  return starttime && *starttime == owner.starttime;
}

}  // namespace

std::vector<std::string> collect_stale(const Host& host) {
  // A detect() scoped to one run leaves out the controllers that run does not need, but an earlier
  // run may have left groups in their hierarchies: they are searched as before (a directory that
  // is not there costs a failed open, and only for a dead group's name).
  Host everywhere = host;
  for (auto& [name, controller] : everywhere.controllers) {
    if (controller.why_not == kNotProbed) {
      controller.usable = true;
    }
  }
  const std::vector<Hierarchy> all = hierarchies(everywhere);
  // Every hierarchy is listed, not only the cgroup2 one where a run group is made first and
  // removed last: supervisors that share our cgroup2 cgroup may sit elsewhere in a v1 hierarchy
  // (each login session or service in a memory cgroup of its own). Such a supervisor collecting
  // a dead group of ours removes the directories it can see, the cgroup2 one among them, and only
  // our own listing of that v1 hierarchy still finds the rest.
  std::set<std::string> dead;
  for (const Hierarchy& hierarchy : all) {
    for (const std::string& name : fs::subdirectories(hierarchy.mount + run_parent(hierarchy))) {
      const auto owner = parse::run_group_owner(name);
      if (owner && !owner_alive(*owner)) {
        dead.insert(name);
      }
    }
  }

  // Each stale run group, by directory name, with its directory in every hierarchy.
  std::map<std::string, std::unique_ptr<Group::Impl>> stale;
  for (const std::string& name : dead) {
    for (const Hierarchy& hierarchy : all) {
      const std::string path = join_path(run_parent(hierarchy), name);
      fs::Fd fd = fs::open_dir_if_exists(hierarchy.mount + path);
      if (!fd) {
        continue;  // not in this hierarchy, or removed meanwhile
      }
      auto& group = stale[name];
      if (!group) {
        group = std::make_unique<Group::Impl>();
        group->host = std::make_shared<const Host>(host);
      }
      group->dirs.push_back(
          Dir{hierarchy.controllers, hierarchy.version, hierarchy.mount, path, std::move(fd)});
    }
  }

  std::vector<std::string> removed;
  std::string failures;
  for (auto& [name, group] : stale) {
    std::vector<std::string> fulls;
    for (const Dir& dir : group->dirs) {
      fulls.push_back(dir.full());
    }
    try {
      group->kill_all(std::chrono::steady_clock::now() + kTeardownTimeout);
      for (const Dir& dir : group->dirs) {
        if (!dir.controllers.empty()) {
          // The return code is not trusted (see libcgroup.hpp): the directory is checked below.
          cgroup_libcgroup::delete_recursive(dir.path, dir.controllers);
        }
      }
    } catch (const std::exception& error) {
      (void)std::fprintf(stderr, "sandbox: cgroup: stale group %s: %s\n", name.c_str(),
                         error.what());
    }
    group.reset();  // the teardown removes whatever libcgroup left, children first
    for (const std::string& full : fulls) {
      if (::access(full.c_str(), F_OK) == 0) {
        failures += (failures.empty() ? "" : ", ") + full;
      } else {
        removed.push_back(full);
      }
    }
  }
  // Then the supervisor leaf, once no live supervisor leases our cgroup and no run group is left
  // beside it: its owner was killed before it could move back out.
  for (const Hierarchy& hierarchy : all) {
    if (hierarchy.version != 2 || hierarchy.controllers.empty()) {
      continue;
    }
    const std::string where = run_parent_dir(hierarchy);
    try {
      if (collect_abandoned_leaf(where)) {
        removed.push_back(where + "/" + kSupervisorLeaf);
      }
    } catch (const Error& error) {
      failures += (failures.empty() ? "" : ", ") + std::string(error.what());
    }
  }
  if (!failures.empty()) {
    throw Error("cannot remove stale cgroups: " + failures);
  }
  return removed;
}

}  // namespace cgroup
