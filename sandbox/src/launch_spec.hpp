// Everything a job's processes need, resolved by the supervisor before clone3(): the child only
// executes a plan (it works on a copy of this memory), so no parsing or lookup happens between
// clone and execve, and every policy error surfaces before anything is started.
#pragma once

#include <sys/resource.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup_join.hpp"
#include "identity.hpp"
#include "policies/policy.hpp"
#include "rlimits.hpp"
#include "user_namespace.hpp"

namespace sandbox {

// The job's standard streams; -1 means "inherit the supervisor's".
struct JobStdio {
  int in = -1, out = -1, err = -1;
};

struct LaunchSpec {
  std::string name;
  const policies::JobSettings* settings = nullptr;  // namespaces, filesystem, network, seccomp...
  std::optional<UserMapping> user_mapping;          // set when a user namespace is created
  IdentityPlan identity;
  std::vector<std::string> argv;
  std::vector<std::string> environment;  // "KEY=VALUE"
  std::vector<std::string> exec_candidates;
  std::vector<RlimitSetting> rlimits;
  JobStdio stdio;
  const CgroupJoin* cgroup_join = nullptr;  // v1 hierarchies the job joins itself
  bool take_terminal = false;  // stdin is our controlling tty: make the job its foreground group
  // The run does not wait for pid 1's exit (RunOptions::leave_pid1_exiting): where pid 1 is in
  // none of the job's groups, it exits at the lowest priority once it has reported (run_pid1).
  bool pid1_exit_in_background = false;

  bool has(policies::Namespace ns) const { return settings->namespaces.contains(ns); }
};

}  // namespace sandbox
