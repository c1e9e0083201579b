// What this host offers a sandbox, and whether a policy can run on it (internal; used by
// `sandbox check`, `sandbox validate` and before `sandbox run` launches anything).
#pragma once

#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "policies/loader.hpp"
#include "policies/policy.hpp"

namespace sandbox {

// One line of `sandbox check`: a capability of the host, present or not, and what to do if not.
struct HostFeature {
  std::string name;    // "namespace user", "cgroup memory", "seccomp", "kernel module veth"
  bool ok = false;
  std::string detail;  // where it was found, or why it is missing and how to fix it
  bool essential = false;  // without it no sandbox can run at all
};

bool namespace_supported(policies::Namespace ns);
bool user_namespaces_enabled();
bool seccomp_supported();
// A kernel module is available when loaded, built in, or installed for the running kernel.
bool kernel_module_available(const std::string& module);

std::vector<HostFeature> host_features(const cgroup::Host& host);

// Problems that stop `policy` from running here: a namespace the kernel lacks, a limit whose
// controller is missing (unless optional), bridged networking without veth/bridge/HTB. Each names
// the policy location of the key that asks for it.
std::vector<policies::Diagnostic> check_policy_against_host(const policies::Policy& policy,
                                                            const cgroup::Host& host);

}  // namespace sandbox
