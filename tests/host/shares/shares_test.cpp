// CPU shares under contention (issue 5): jobs of one policy run at once, each in its own cgroup,
// and the kernel divides CPU time between them in proportion to their shares. Real kernel, real
// stress-ng load, real cgroups; asserted from the report `sandbox run` writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A scratch directory removed with everything in it, even when the test fails.
struct TempDir {
  fs::path path;
  TempDir() {
    char templ[] = "/tmp/sandbox-shares-XXXXXX";
    path = mkdtemp(templ);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

struct RunResult {
  int exit_code = -1;
  json report;
  std::string output;
};

// Runs `sandbox run -p policy --report file`, killing it (and so its jobs) after `limit`.
RunResult run_sandbox(const fs::path& policy, const fs::path& dir,
                      std::chrono::seconds limit = std::chrono::seconds(60)) {
  const fs::path report = dir / "report.json", output = dir / "output.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(out, 2);
    execl(SANDBOX_BINARY, "sandbox", "run", "-p", policy.c_str(), "--report", report.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  RunResult result;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "sandbox did not finish within " << limit.count() << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream out_in(output);
  result.output.assign(std::istreambuf_iterator<char>(out_in), {});
  std::ifstream report_in(report);
  if (report_in) result.report = json::parse(report_in, nullptr, false);
  return result;
}

struct JobLoad {
  std::string name;
  int share;
  std::string tenant;  // empty: directly under the run
};

// A policy of CPU-bound jobs, each one stress-ng worker for `seconds`, pinned to `cpuset`.
std::string farm_policy(const std::vector<JobLoad>& jobs, const std::string& cpuset, int seconds,
                        const std::vector<std::pair<std::string, int>>& tenants = {}) {
  std::ostringstream out;
  out << "version: 1\n"
      << "defaults:\n"
      << "  namespaces: [user, pid, mount, uts, ipc]\n"
      << "  filesystem:\n"
      << "    root: tmpfs\n"
      << "    mounts:\n"
      << "      - {bind: /usr, readonly: true}\n"
      << "      - {bind: /lib, readonly: true}\n"
      << "      - {bind: /lib64, readonly: true, optional: true}\n"
      << "      - {bind: /bin, readonly: true}\n"
      << "      - {tmpfs: /tmp, size: 16MiB}\n"
      << "      - {proc: /proc}\n"
      << "  limits: {cpuset: \"" << cpuset << "\", wall_time: " << seconds + 30 << "s}\n";
  if (!tenants.empty()) {
    out << "tenants:\n";
    for (const auto& [name, share] : tenants) {
      out << "  " << name << ": {shares: {cpu: " << share << "}}\n";
    }
  }
  out << "jobs:\n";
  for (const auto& job : jobs) {
    out << "  - name: " << job.name << "\n";
    if (!job.tenant.empty()) out << "    tenant: " << job.tenant << "\n";
    out << "    shares: {cpu: " << job.share << "}\n"
        << "    command: [/usr/bin/stress-ng, --cpu, \"1\", --timeout, " << seconds
        << "s, --quiet]\n";
  }
  return out.str();
}

const json& job_in(const json& report, const std::string& name) {
  for (const auto& job : report.at("jobs")) {
    if (job.at("name") == name) return job;
  }
  throw std::runtime_error("no job " + name + " in the report");
}

class Shares : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for cgroups";
    if (access("/usr/bin/stress-ng", X_OK) != 0) FAIL() << "stress-ng missing: run scripts/install-deps";
  }

  json run_policy(const std::string& yaml, int expected_jobs) {
    const fs::path policy = dir_.path / "policy.yaml";
    std::ofstream(policy) << yaml;
    auto result = run_sandbox(policy, dir_.path);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(result.report.is_object()) << "no report; output:\n" << result.output;
    if (!result.report.is_object()) return json::object();
    EXPECT_EQ(result.report.at("jobs").size(), static_cast<size_t>(expected_jobs));
    return result.report;
  }

  static void expect_share(const json& report, const std::string& job, double requested,
                           double tolerance = 0.03) {
    const json& j = job_in(report, job);
    ASSERT_TRUE(j.contains("cpu_share_achieved")) << j.dump(2);
    EXPECT_NEAR(j.at("cpu_share_requested").get<double>(), requested, 1e-6) << job;
    EXPECT_NEAR(j.at("cpu_share_achieved").get<double>(), requested, tolerance)
        << job << ": " << j.dump(2);
  }

  TempDir dir_;
};

TEST_F(Shares, SeventyFiveTwentyFiveOnOneCpu) {
  const auto report = run_policy(farm_policy({{"ci", 75, ""}, {"batch", 25, ""}}, "0", 4), 2);
  expect_share(report, "ci", 0.75);
  expect_share(report, "batch", 0.25);
}

TEST_F(Shares, FiftyThirtyTwentyOnOneCpu) {
  const auto report =
      run_policy(farm_policy({{"a", 50, ""}, {"b", 30, ""}, {"c", 20, ""}}, "0", 4), 3);
  expect_share(report, "a", 0.50);
  expect_share(report, "b", 0.30);
  expect_share(report, "c", 0.20);
}

TEST_F(Shares, TenantsSplitTwoCoresWithTwoJobsEach) {
  // Four CPU-bound jobs on two cores: tenant ci (75) gets 1.5 cores, batch (25) half a core.
  const auto report = run_policy(
      farm_policy({{"ci-1", 1, "ci"}, {"ci-2", 1, "ci"}, {"batch-1", 1, "batch"},
                   {"batch-2", 1, "batch"}},
                  "0-1", 4, {{"ci", 75}, {"batch", 25}}),
      4);
  // Within each tenant the two jobs are equal.
  expect_share(report, "ci-1", 0.5, 0.05);
  expect_share(report, "batch-1", 0.5, 0.05);
  // Across tenants, CPU time divides 75/25 (from the cgroup usage of each job).
  double ci = 0, batch = 0;
  for (const auto& job : report.at("jobs")) {
    const double used = job.at("usage").at("cpu_usage_us").get<double>();
    (job.at("name").get<std::string>().rfind("ci", 0) == 0 ? ci : batch) += used;
  }
  ASSERT_GT(ci + batch, 0);
  EXPECT_NEAR(ci / (ci + batch), 0.75, 0.05) << report.dump(2);
}

TEST_F(Shares, AnIdlePartnerDoesNotSlowAJobDown) {
  // Work-conserving: a 25-share job whose 75-share partner sleeps gets as much CPU as it gets
  // alone. Measured against a run of the same job alone, so that other load on the machine
  // weighs on both runs alike.
  const auto cpu_seconds = [](const json& report) {
    return job_in(report, "busy").at("usage").at("cpu_usage_us").get<double>() / 1e6;
  };
  const double alone = cpu_seconds(run_policy(farm_policy({{"busy", 25, ""}}, "0", 3), 1));
  std::string yaml = farm_policy({{"busy", 25, ""}}, "0", 3);
  yaml += "  - {name: idle, shares: {cpu: 75}, command: [/bin/sleep, \"3\"]}\n";
  const double beside_idle = cpu_seconds(run_policy(yaml, 2));
  ASSERT_GT(alone, 0.5) << "the job alone got almost no CPU: is the machine saturated?";
  EXPECT_GT(beside_idle / alone, 0.85) << "alone " << alone << " s, beside an idle partner "
                                       << beside_idle << " s";
}

}  // namespace
