// Shares become sibling weights; a job's policy limits become cgroup limits.
#include "cgroup_limits.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace {

using sandbox::plan_run;
using sandbox::weights_for_shares;

policies::Job job_with(const std::string& name, std::optional<uint32_t> cpu,
                       const std::string& tenant = "") {
  policies::Job job;
  job.name = name;
  job.command = {"/bin/true"};
  job.shares.cpu = cpu;
  job.tenant = tenant;
  return job;
}

policies::Tenant tenant_with(const std::string& name, std::optional<uint32_t> cpu) {
  policies::Tenant tenant{name, {}, {}};
  tenant.shares.cpu = cpu;
  return tenant;
}

TEST(WeightsForShares, SeventyFiveTwentyFiveIsExactlyThreeToOneAroundTheDefault) {
  const auto w = weights_for_shares({75u, 25u});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], 150u);
  EXPECT_EQ(w[1], 50u);
  // v1 cpu.shares = weight * 1024 / 100 keeps the ratio: 1536 / 512.
  EXPECT_EQ(w[0] * 1024 / 100, 3 * (w[1] * 1024 / 100));
}

TEST(WeightsForShares, ThreeWaySplitKeepsProportions) {
  const auto w = weights_for_shares({50u, 30u, 20u});
  EXPECT_EQ(w, (std::vector<uint64_t>{150, 90, 60}));
}

TEST(WeightsForShares, ScaleDoesNotMatterOnlyProportion) {
  EXPECT_EQ(weights_for_shares({3u, 1u}), weights_for_shares({75u, 25u}));
}

TEST(WeightsForShares, NoSharesMeansTheKernelDefault) {
  EXPECT_EQ(weights_for_shares({std::nullopt, std::nullopt}), (std::vector<uint64_t>{100, 100}));
}

TEST(WeightsForShares, AMissingShareCountsAsTheMean) {
  const auto w = weights_for_shares({60u, std::nullopt, 20u});  // mean 40
  EXPECT_EQ(w, (std::vector<uint64_t>{150, 100, 50}));
}

TEST(WeightsForShares, ExtremeRatiosStayInTheKernelRange) {
  const auto w = weights_for_shares({10000u, 1u});
  EXPECT_LE(w[0], 10000u);
  EXPECT_GE(w[1], 1u);
}

TEST(PlanRun, JobsWithoutTenantsAreSiblings) {
  policies::Policy policy;
  policy.jobs = {job_with("ci", 75), job_with("batch", 25)};
  const auto plan = plan_run(policy);
  ASSERT_EQ(plan.jobs.size(), 2u);
  EXPECT_EQ(plan.jobs[0].tenant, -1);
  EXPECT_EQ(plan.jobs[0].limits.cpu_weight, 150u);
  EXPECT_EQ(plan.jobs[1].limits.cpu_weight, 50u);
  EXPECT_DOUBLE_EQ(*plan.jobs[0].cpu_share_requested, 0.75);
  EXPECT_DOUBLE_EQ(*plan.jobs[1].cpu_share_requested, 0.25);
}

TEST(PlanRun, TenantsAreWeighedAgainstEachOtherAndJobsWithinTheirTenant) {
  policies::Policy policy;
  policies::Tenant ci{"ci", {}, {}}, batch{"batch", {}, {}};
  ci.shares.cpu = 75;
  batch.shares.cpu = 25;
  policy.tenants = {ci, batch};
  policy.jobs = {job_with("a", 1, "ci"), job_with("b", 1, "ci"), job_with("c", 2, "batch"),
                 job_with("d", 1, "batch")};
  const auto plan = plan_run(policy);
  EXPECT_EQ(plan.tenants[0].limits.cpu_weight, 150u);
  EXPECT_EQ(plan.tenants[1].limits.cpu_weight, 50u);
  EXPECT_EQ(plan.jobs[0].tenant, 0);
  EXPECT_EQ(plan.jobs[0].limits.cpu_weight, 100u);
  EXPECT_EQ(plan.jobs[2].tenant, 1);
  EXPECT_EQ(plan.jobs[2].limits.cpu_weight, 133u);
  EXPECT_EQ(plan.jobs[3].limits.cpu_weight, 67u);
  EXPECT_NEAR(*plan.jobs[2].cpu_share_requested, 2.0 / 3, 1e-9);
}

TEST(PlanRun, TenantsRequestTheirFractionOfTheRunsChildren) {
  // Two tenants and a tenant-less job are the run's children: 60/30/10 of the machine.
  policies::Policy policy;
  policy.tenants = {tenant_with("ci", 60), tenant_with("batch", 30)};
  policy.jobs = {job_with("a", 3, "ci"), job_with("b", 1, "ci"),
                 job_with("c", std::nullopt, "batch"), job_with("loose", 10)};
  const auto plan = plan_run(policy);
  EXPECT_NEAR(*plan.tenants[0].cpu_share_requested, 0.6, 1e-9);
  EXPECT_NEAR(*plan.tenants[1].cpu_share_requested, 0.3, 1e-9);
  EXPECT_NEAR(*plan.jobs[3].cpu_share_requested, 0.1, 1e-9);
  // Within ci: 3 to 1. Alone in batch without a share: nothing was asked of the split.
  EXPECT_NEAR(*plan.jobs[0].cpu_share_requested, 0.75, 1e-9);
  EXPECT_NEAR(*plan.jobs[1].cpu_share_requested, 0.25, 1e-9);
  EXPECT_FALSE(plan.jobs[2].cpu_share_requested.has_value());
}

TEST(PlanRun, ASiblingWithoutAShareRequestsWhatItsWeightGives) {
  // The weights count a missing share as the mean of the given ones (60 here): requested follows
  // the same rule, so it is what the kernel is asked to enforce.
  policies::Policy policy;
  policy.tenants = {tenant_with("team", 80), tenant_with("other", 40)};
  policy.jobs = {job_with("a", 1, "team"), job_with("b", 1, "other"),
                 job_with("free", std::nullopt)};
  const auto plan = plan_run(policy);
  EXPECT_NEAR(*plan.tenants[0].cpu_share_requested, 80.0 / 180, 1e-9);
  EXPECT_NEAR(*plan.tenants[1].cpu_share_requested, 40.0 / 180, 1e-9);
  EXPECT_NEAR(*plan.jobs[2].cpu_share_requested, 60.0 / 180, 1e-9);
  EXPECT_EQ(plan.tenants[0].limits.cpu_weight, 133u);  // 80/180 of 3 x 100
  EXPECT_EQ(plan.jobs[2].limits.cpu_weight, 100u);
}

TEST(PlanRun, NoSharesLeavesTheWeightUnset) {
  policies::Policy policy;
  policy.jobs = {job_with("only", std::nullopt)};
  const auto plan = plan_run(policy);
  EXPECT_FALSE(plan.jobs[0].limits.cpu_weight.has_value());
  EXPECT_FALSE(plan.jobs[0].cpu_share_requested.has_value());
  policies::Policy tenants;
  tenants.tenants = {tenant_with("t", std::nullopt)};
  tenants.jobs = {job_with("j", std::nullopt, "t")};
  EXPECT_FALSE(plan_run(tenants).tenants[0].cpu_share_requested.has_value());
}

TEST(LimitsForJob, TranslatesEveryLimit) {
  policies::Job job = job_with("j", std::nullopt);
  auto& l = job.settings.limits;
  l.memory_bytes = 512ull << 20;
  l.swap_bytes = 0;
  l.pids = 64;
  l.cpu_max = 1.5;
  l.cpuset = "0";
  l.optional = {"swap"};
  l.io.push_back({"7:0", 1000, std::nullopt, std::nullopt, 50});
  const auto out = sandbox::limits_for_job(job, 150, std::nullopt);
  EXPECT_EQ(out.cpu_weight, 150u);
  EXPECT_EQ(out.memory_max, 512ull << 20);
  EXPECT_EQ(out.swap_max, 0u);
  EXPECT_EQ(out.pids_max, 64u);
  ASSERT_TRUE(out.cpu_max);
  EXPECT_EQ(out.cpu_max->quota_us, 150000u);
  EXPECT_EQ(out.cpu_max->period_us, 100000u);
  EXPECT_EQ(out.cpuset_cpus, "0");
  ASSERT_EQ(out.io_max.size(), 1u);
  EXPECT_EQ(out.io_max[0].device, "7:0");
  EXPECT_EQ(out.io_max[0].rbps, 1000u);
  EXPECT_EQ(out.io_max[0].wiops, 50u);
  EXPECT_EQ(out.optional, std::vector<std::string>{"swap"});
}

TEST(LimitsForJob, ABlockDevicePathBecomesItsNumbers) {
  policies::Job job = job_with("j", std::nullopt);
  job.settings.limits.io.push_back({"/dev/loop0", 1, {}, {}, {}});
  const auto out = sandbox::limits_for_job(job, {}, {});
  // /dev/loop0 is block device 7:0 wherever loop devices exist; elsewhere the path passes through.
  if (access("/dev/loop0", F_OK) == 0) {
    EXPECT_EQ(out.io_max[0].device, "7:0");
  } else {
    EXPECT_EQ(out.io_max[0].device, "/dev/loop0");
  }
}

}  // namespace
