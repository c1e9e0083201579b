// Features around the core: the cgroup and time namespaces, --watch, tenants in the report, and
// a run where one job cannot start while the others run.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cgroup/cgroup.hpp"
#include "runtime_fixture.hpp"

namespace sandbox::test {
namespace {

using Features = RuntimeTest;

std::string own_namespace(const char* name) {
  return std::filesystem::read_symlink(std::string("/proc/self/ns/") + name).string();
}

TEST_F(Features, CgroupNamespaceIsRootedAtTheJobsCgroup) {
  const auto result = run_sh("cat /proc/self/cgroup");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Every hierarchy shows the job's own group as its root: nothing of the host's tree.
  std::istringstream lines(result.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_EQ(line.substr(line.rfind(':')), ":/") << result.out;
  }
  EXPECT_GT(count, 0);
}

TEST_F(Features, TimeNamespaceOnlyWhenAsked) {
  PolicyText without;
  auto result = run(without, {"/bin/sh", "-c", "readlink /proc/self/ns/time"});
  EXPECT_EQ(result.out, own_namespace("time") + "\n");
  PolicyText with;
  with.namespaces = "[user, pid, mount, uts, ipc, net, cgroup, time]";
  result = run(with, {"/bin/sh", "-c", "readlink /proc/self/ns/time"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("time:[")) << result.out;
  EXPECT_NE(result.out, own_namespace("time") + "\n");
}

TEST_F(Features, WatchPrintsUsageEverySecond) {
  const auto result = run({}, {"/bin/sleep", "2.5"}, {"--watch"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  size_t lines = 0;
  for (size_t at = result.err.find("sandbox: [policy] cpu"); at != std::string::npos;
       at = result.err.find("sandbox: [policy] cpu", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 2u) << result.err;
  EXPECT_NE(result.err.find("memory"), std::string::npos) << result.err;
}

TEST_F(Features, AJobThatCannotStartDoesNotStopTheOthers) {
  PolicyText policy;
  policy.jobs =
      "jobs:\n"
      "  - {name: fine, command: [/bin/sh, -c, 'sleep 0.3; echo fine-ran']}\n"
      "  - name: broken\n"
      "    command: [/bin/true]\n"
      "    filesystem:\n"
      "      mounts:\n"
      "        - {bind: " +
      (dir_ / "missing").string() + ", to: /data}\n";
  const auto report = dir_ / "report.json";
  const auto result = run(policy, {}, {"--report", report.string()});
  EXPECT_EQ(result.exit_code, 125) << result.err;
  EXPECT_NE(result.out.find("[fine] fine-ran"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("sandbox: job 'broken': mount /data: source"), std::string::npos)
      << result.err;
  std::ifstream in(report);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json.at("jobs").at(0).at("status"), "exited");
  EXPECT_EQ(json.at("jobs").at(1).at("status"), "setup_failed");
}

// The first job's cgroup as a run's --report file names it.
std::string first_job_cgroup(const std::filesystem::path& report) {
  std::ifstream in(report);
  return nlohmann::json::parse(in).at("jobs").at(0).at("cgroup");
}

TEST_F(Features, TenantsAppearInTheJobsCgroupPath) {
  PolicyText policy;
  policy.name = "farm";
  policy.jobs =
      "tenants:\n"
      "  team: {shares: {cpu: 60}}\n"
      "  other: {shares: {cpu: 40}}\n"
      "jobs:\n"
      "  - {name: build, tenant: team, command: [/bin/true]}\n"
      "  - {name: lint, tenant: other, command: [/bin/true]}\n";
  const auto report = dir_ / "report.json";
  const auto result = run(policy, {}, {"--report", report.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string path = first_job_cgroup(report);
  EXPECT_TRUE(path.starts_with("/sb-")) << path;
  EXPECT_TRUE(path.ends_with("-farm/team/build")) << path;
}

TEST_F(Features, RunOfOneJobIsTheJobsOwnCgroup) {
  PolicyText policy;
  policy.name = "solo";
  policy.namespaces = "[user, pid, mount, uts, ipc, net]";  // no cgroup namespace: real paths
  const auto report = dir_ / "report.json";
  const auto result = run(policy, {"/bin/cat", "/proc/self/cgroup"}, {"--report", report.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string path = first_job_cgroup(report);
  // No level below the run group: /sb-<pid>-<start>-solo itself, and the job is in it.
  EXPECT_TRUE(path.starts_with("/sb-")) << path;
  EXPECT_TRUE(path.ends_with("-solo")) << path;
  EXPECT_EQ(path.find('/', 1), std::string::npos) << path;
  std::istringstream lines(result.out);
  int in_run_group = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.ends_with(path)) ++in_run_group;
  }
  EXPECT_GT(in_run_group, 0) << result.out;
}

TEST_F(Features, PidOneStaysOutOfTheJobsV1Groups) {
  // The job joins its v1 groups itself; pid 1 stays where `sandbox` is, so that the job's groups
  // can be removed while pid 1's own exit still runs.
  if (cgroup::detect().layout == cgroup::Layout::unified) {
    GTEST_SKIP() << "no v1 hierarchies: on cgroup v2 pid 1 is born in the job's group";
  }
  PolicyText policy;
  policy.namespaces = "[user, pid, mount, uts, ipc, net]";  // no cgroup namespace: real paths
  const auto report = dir_ / "report.json";
  const auto result =
      run(policy, {"/bin/sh", "-c", "cat /proc/1/cgroup; echo --; cat /proc/self/cgroup"},
          {"--report", report.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string group = first_job_cgroup(report);  // "/sb-<pid>-<start>-<name>"
  const auto split = result.out.find("--\n");
  ASSERT_NE(split, std::string::npos) << result.out;
  const auto lines_in_group = [&](const std::string& text) {
    std::istringstream lines(text);
    int count = 0;
    for (std::string line; std::getline(lines, line);) count += line.ends_with(group) ? 1 : 0;
    return count;
  };
  EXPECT_GT(lines_in_group(result.out.substr(split + 3)), 0) << group << "\n" << result.out;
  EXPECT_EQ(lines_in_group(result.out.substr(0, split)), 0) << group << "\n" << result.out;
}

TEST_F(Features, UsageIsAccountedOnlyWhereTheOutputShowsIt) {
  // Without --report or --watch nothing shows the job's CPU, pids or IO use: its group is made
  // only where its limits and its OOM status (memory) need one. With --report, in the accounting
  // hierarchies too. Counted in the job's own /proc/self/cgroup (no cgroup namespace).
  PolicyText policy;
  policy.namespaces = "[user, pid, mount, uts, ipc, net]";
  const auto lines_in_run_group = [](const std::string& text) {
    std::istringstream lines(text);
    std::vector<std::string> found;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("/sb-") != std::string::npos) found.push_back(line);
    }
    return found;
  };
  const auto plain = run(policy, {"/bin/cat", "/proc/self/cgroup"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto without = lines_in_run_group(plain.out);
  ASSERT_EQ(without.size(), 1u) << plain.out;
  const bool v2 = cgroup::detect().layout == cgroup::Layout::unified;
  EXPECT_TRUE(v2 ? without[0].starts_with("0::") : without[0].find(":memory:") != std::string::npos)
      << plain.out;

  const auto report = dir_ / "report.json";
  const auto reported =
      run(policy, {"/bin/cat", "/proc/self/cgroup"}, {"--report", report.string()});
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  if (!v2) {
    // cpuacct, pids and blkio beside memory (cgroup v2 has one group with more controllers).
    EXPECT_GE(lines_in_run_group(reported.out).size(), 4u) << reported.out;
  }
  std::ifstream in(report);
  const auto json = nlohmann::json::parse(in);
  EXPECT_TRUE(json.at("jobs").at(0).contains("usage")) << json.dump(2);
}

}  // namespace
}  // namespace sandbox::test
