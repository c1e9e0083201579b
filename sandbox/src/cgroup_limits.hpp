// Translation of a job's policy into cgroup terms (internal; shared by `run` and `explain`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "policies/policy.hpp"

namespace sandbox {

// Kernel weights for a set of siblings' shares, scaled so that their mean is the kernel default
// (100 on the v2 scale): 75/25 becomes 150/50 (cpu.shares 1536/512 on v1), exactly 3:1. Siblings
// without a share count as the mean share. Result in the order of `shares`.
// Each sibling's fraction of what their parent has; siblings without a share count as the mean
// of the shares given (all equal when none is given). The one rule for CPU, IO and network shares.
std::vector<double> share_fractions(const std::vector<std::optional<uint32_t>>& shares);

std::vector<uint64_t> weights_for_shares(const std::vector<std::optional<uint32_t>>& shares);

// The job's limits (memory, swap, pids, cpu_max, cpuset, io) in cgroup terms; the cpu/io weight
// comes from the caller (weights_for_shares over the job's siblings).
cgroup::Limits limits_for_job(const policies::Job& job, std::optional<uint64_t> cpu_weight,
                              std::optional<uint64_t> io_weight);

// The cgroup tree of a run: tenants and tenant-less jobs are siblings under the run group (their
// shares are weighed against each other), a tenant's jobs are siblings under the tenant's group.
struct TenantPlan {
  std::string name;
  cgroup::Limits limits;  // the tenant's weights
  std::optional<double> cpu_share_requested;  // as JobPlan's, among the run's children
};
struct JobPlan {
  size_t job = 0;      // index in Policy::jobs
  int tenant = -1;     // index in RunPlan::tenants, -1 when directly under the run group
  cgroup::Limits limits;
  // Its share_fractions() among its siblings, when any sibling has a CPU share.
  std::optional<double> cpu_share_requested;
};
struct RunPlan {
  std::vector<TenantPlan> tenants;
  std::vector<JobPlan> jobs;  // in Policy::jobs order
};
RunPlan plan_run(const policies::Policy& policy);

}  // namespace sandbox
