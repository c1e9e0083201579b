#include "cgroup_limits.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace sandbox {

namespace {
constexpr double kDefaultWeight = 100.0;  // the kernel's default cpu.weight / io.weight
constexpr uint64_t kMinWeight = 1, kMaxWeight = 10000;
constexpr uint64_t kCpuPeriodUs = 100000;

// "/dev/vda" becomes "254:0"; "major:minor" and paths that do not name a block device pass
// through unchanged, for the cgroup module to reject with the name the user wrote.
std::string block_device_number(const std::string& device) {
  struct stat st {};
  if (device.empty() || device[0] != '/' || stat(device.c_str(), &st) != 0 ||
      !S_ISBLK(st.st_mode)) {
    return device;
  }
  return std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
}
}  // namespace

std::vector<double> share_fractions(const std::vector<std::optional<uint32_t>>& shares) {
  double given_sum = 0;
  size_t given = 0;
  for (const auto& share : shares) {
    if (share) {
      given_sum += *share;
      ++given;
    }
  }
  const double mean = given == 0 ? 1.0 : given_sum / static_cast<double>(given);
  double sum = 0;
  for (const auto& share : shares) sum += share ? *share : mean;
  std::vector<double> result;
  result.reserve(shares.size());
  for (const auto& share : shares) result.push_back((share ? *share : mean) / sum);
  return result;
}

std::vector<uint64_t> weights_for_shares(const std::vector<std::optional<uint32_t>>& shares) {
  // Scaled so that the mean weight is the kernel default.
  const double siblings_default = kDefaultWeight * static_cast<double>(shares.size());
  std::vector<uint64_t> weights;
  for (double fraction : share_fractions(shares)) {
    const auto weight = static_cast<uint64_t>(std::llround(fraction * siblings_default));
    weights.push_back(std::clamp(weight, kMinWeight, kMaxWeight));
  }
  return weights;
}

cgroup::Limits limits_for_job(const policies::Job& job, std::optional<uint64_t> cpu_weight,
                              std::optional<uint64_t> io_weight) {
  const policies::Limits& in = job.settings.limits;
  cgroup::Limits out;
  out.cpu_weight = cpu_weight;
  out.io_weight = io_weight;
  if (in.cpu_max) {
    const auto quota = static_cast<uint64_t>(std::llround(*in.cpu_max * kCpuPeriodUs));
    out.cpu_max = cgroup::CpuMax{std::max<uint64_t>(quota, 1000), kCpuPeriodUs};
  }
  out.cpuset_cpus = in.cpuset;
  out.memory_max = in.memory_bytes;
  out.memory_high = in.memory_high_bytes;
  out.swap_max = in.swap_bytes;
  out.pids_max = in.pids;
  for (const auto& device : in.io) {
    out.io_max.push_back(cgroup::IoMax{block_device_number(device.device), device.read_bps,
                                       device.write_bps, device.read_iops, device.write_iops});
  }
  out.optional.assign(in.optional.begin(), in.optional.end());
  return out;
}

RunPlan plan_run(const policies::Policy& policy) {
  RunPlan plan;
  std::map<std::string, int> tenant_index;
  for (const auto& tenant : policy.tenants) {
    tenant_index[tenant.name] = static_cast<int>(plan.tenants.size());
    plan.tenants.push_back(TenantPlan{tenant.name, {}, std::nullopt});
  }
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    const auto& job = policy.jobs[i];
    auto it = tenant_index.find(job.tenant);
    plan.jobs.push_back(JobPlan{i, it == tenant_index.end() ? -1 : it->second, {}, std::nullopt});
  }

  // Weigh each set of siblings: the run's children (tenants, then tenant-less jobs), and the jobs
  // of each tenant.
  struct Sibling {
    const policies::Shares* shares;
    cgroup::Limits* limits;
    std::optional<double>* requested;
  };
  const auto weigh = [](std::vector<Sibling>& siblings) {
    std::vector<std::optional<uint32_t>> cpu, io;
    for (const auto& s : siblings) {
      cpu.push_back(s.shares->cpu);
      io.push_back(s.shares->io);
    }
    const auto given = [](auto& v) { return v.has_value(); };
    const bool any_cpu = std::any_of(cpu.begin(), cpu.end(), given);
    const bool any_io = std::any_of(io.begin(), io.end(), given);
    const auto cpu_weights = weights_for_shares(cpu);
    const auto io_weights = weights_for_shares(io);
    // What is requested is what the weights enforce: the same fractions.
    const auto cpu_fractions = share_fractions(cpu);
    for (size_t i = 0; i < siblings.size(); ++i) {
      if (any_cpu) siblings[i].limits->cpu_weight = cpu_weights[i];
      if (any_io) siblings[i].limits->io_weight = io_weights[i];
      if (any_cpu) *siblings[i].requested = cpu_fractions[i];
    }
  };

  std::vector<Sibling> top;
  for (size_t t = 0; t < plan.tenants.size(); ++t) {
    top.push_back(
        {&policy.tenants[t].shares, &plan.tenants[t].limits, &plan.tenants[t].cpu_share_requested});
  }
  for (auto& job_plan : plan.jobs) {
    const auto& job = policy.jobs[job_plan.job];
    job_plan.limits = limits_for_job(job, std::nullopt, std::nullopt);
    if (job_plan.tenant < 0) {
      top.push_back({&job.shares, &job_plan.limits, &job_plan.cpu_share_requested});
    }
  }
  weigh(top);
  for (size_t t = 0; t < plan.tenants.size(); ++t) {
    std::vector<Sibling> members;
    for (auto& job_plan : plan.jobs) {
      if (job_plan.tenant == static_cast<int>(t)) {
        members.push_back(
            {&policy.jobs[job_plan.job].shares, &job_plan.limits, &job_plan.cpu_share_requested});
      }
    }
    weigh(members);
  }
  return plan;
}

}  // namespace sandbox
