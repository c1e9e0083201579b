// Starting a job: clone3() into its namespaces (and, where the kernel can, directly into its
// cgroup), the parent's share of the setup while the child waits, then the release.
#pragma once

#include <sys/types.h>

#include "cgroup/cgroup.hpp"
#include "launch_spec.hpp"
#include "network.hpp"
#include "seccomp_programs.hpp"
#include "unique_fd.hpp"

namespace sandbox {

struct LaunchedJob {
  pid_t pid = -1;    // of the job's pid 1, in our pid namespace
  UniqueFd pidfd;    // readable when pid 1 exits
  UniqueFd channel;  // ChildMessages (non-blocking)
  // pid 1 was placed in the job's group (born in its cgroup2 group, or attached there): the group
  // cannot be removed before pid 1 has exited. Otherwise only the job's processes are in it (pid 1
  // stays where we are in the v1 hierarchies, which the job joins itself).
  bool pid1_in_group = false;
};

// Throws Error(setup_failed) naming the step when the job cannot be started; the child, if one
// was created, is then killed and reaped. `network` is null unless the policy is bridged. The
// job's seccomp filter comes from `seccomp`, compiled (on first use) after the child is released,
// so that libseccomp's work overlaps with the child's own setup.
LaunchedJob launch_job(const LaunchSpec& spec, const policies::Job& job, cgroup::Group& group,
                       net::RunNetwork* network, SeccompPrograms& seccomp);

}  // namespace sandbox
