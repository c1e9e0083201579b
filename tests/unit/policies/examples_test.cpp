// Every policy in examples/ loads, and the main ones say what the README says they do.
#include <gtest/gtest.h>

#include <filesystem>

#include "policies/loader.hpp"

namespace {

std::string example(const std::string& name) {
  return std::string(SANDBOX_SOURCE_DIR) + "/examples/" + name;
}

std::string all_diagnostics(const policies::LoadResult& result) {
  std::string text;
  for (const auto& d : result.diagnostics) text += d.to_string() + "\n";
  return text;
}

TEST(Examples, EveryExampleLoads) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(example(""))) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    auto result = policies::load_policy_file(entry.path().string());
    EXPECT_TRUE(result.ok()) << all_diagnostics(result);
  }
  EXPECT_GE(count, 5u);
}

TEST(Examples, FarmSplitsOneCpu75To25) {
  auto result = policies::load_policy_file(example("farm-75-25.yaml"));
  ASSERT_TRUE(result.ok()) << all_diagnostics(result);
  // Two tenants of one job each: the split is between the tenants.
  const auto& tenants = result.policy->tenants;
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants[0].shares.cpu, 75u);
  EXPECT_EQ(tenants[1].shares.cpu, 25u);
  const auto& jobs = result.policy->jobs;
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].tenant, tenants[0].name);
  EXPECT_EQ(jobs[1].tenant, tenants[1].name);
  for (const auto& job : jobs) {
    EXPECT_EQ(job.settings.limits.cpuset, "0");
    EXPECT_EQ(job.command.at(0), "stress-ng");
    EXPECT_TRUE(job.settings.namespaces.count(policies::Namespace::net));
  }
}

TEST(Examples, SingleTakesItsCommandFromTheCommandLine) {
  auto result = policies::load_policy_file(example("single.yaml"));
  ASSERT_TRUE(result.ok()) << all_diagnostics(result);
  EXPECT_TRUE(result.policy->command_from_cli);
  policies::set_cli_command(*result.policy, {"sh"});
  EXPECT_EQ(result.policy->jobs.at(0).command, std::vector<std::string>{"sh"});
}

TEST(Examples, UntrustedIsLockedDown) {
  auto result = policies::load_policy_file(example("untrusted.yaml"));
  ASSERT_TRUE(result.ok()) << all_diagnostics(result);
  const auto& s = result.policy->jobs.at(0).settings;
  EXPECT_EQ(s.namespaces.size(), 8u);
  EXPECT_EQ(s.network.mode, policies::Network::Mode::none);
  EXPECT_TRUE(s.filesystem.root_readonly);
  EXPECT_TRUE(s.limits.memory_bytes && s.limits.pids && s.limits.cpu_max && s.limits.wall_time);
  EXPECT_TRUE(s.seccomp.enabled);
  EXPECT_TRUE(s.capabilities.empty());
}

TEST(Examples, TenantsHaveTwoJobsEach) {
  auto result = policies::load_policy_file(example("tenants.yaml"));
  ASSERT_TRUE(result.ok()) << all_diagnostics(result);
  ASSERT_EQ(result.policy->tenants.size(), 2u);
  for (const auto& tenant : result.policy->tenants) {
    int jobs = 0;
    for (const auto& job : result.policy->jobs) jobs += job.tenant == tenant.name;
    EXPECT_EQ(jobs, 2) << tenant.name;
  }
}

}  // namespace
