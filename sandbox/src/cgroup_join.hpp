// Placing a job in the cgroup hierarchies clone3(CLONE_INTO_CGROUP) cannot reach (the v1
// hierarchies of a hybrid or legacy host).
//
// The job joins them itself, writing "0" to each hierarchy's `tasks` file through an fd the
// supervisor opened: the kernel then moves just the calling thread and skips the global
// cgroup_threadgroup_rwsem, whose write side costs an RCU grace period (10-20 ms here) when the
// supervisor writes the child's pid to cgroup.procs. The opener's credentials (root) are what
// the kernel checks, so the job needs no privilege of its own. The job does this first thing
// after pid 1 forks it, before its own setup, so no job code ever runs outside its cgroup.
// pid 1 stays where the supervisor is in these hierarchies: the job's groups hold only the job's
// processes and can be removed while pid 1's exit (its namespaces' teardown) still runs.
#pragma once

#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "unique_fd.hpp"

namespace sandbox {

struct TasksFile {
  std::string path;
  UniqueFd fd;  // O_WRONLY
};

struct CgroupJoin {
  std::vector<TasksFile> tasks;  // the `tasks` files of the group's v1 hierarchies
  // A v2 part that CLONE_INTO_CGROUP does not cover (clone_into_fd() is -1): the supervisor
  // attaches the child with Group::attach() before releasing it.
  bool parent_attaches = false;
};

// Opens what the child needs. Throws Error(setup_failed) naming the file.
CgroupJoin prepare_cgroup_join(const cgroup::Group& group);

// In the child: joins every hierarchy in `join`. Throws SystemError naming the hierarchy.
void join_cgroups(const CgroupJoin& join);

}  // namespace sandbox
