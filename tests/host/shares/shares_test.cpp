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
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
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

// Runs `sandbox run -p policy --report file [extra...]`, killing it (and so its jobs) after
// `limit`.
RunResult run_sandbox(const fs::path& policy, const fs::path& dir,
                      const std::vector<std::string>& extra = {},
                      std::chrono::seconds limit = std::chrono::seconds(60)) {
  const fs::path report = dir / "report.json", output = dir / "output.txt";
  std::vector<std::string> args = {"sandbox", "run", "-p", policy, "--report", report};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(out, 2);
    execv(SANDBOX_BINARY, argv.data());
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
  std::string limits;  // the job's own `limits:` map, e.g. "{cpu_max: 50%}"
  std::string before;  // shell commands run before the load, e.g. to print what the job sees
  JobLoad(std::string name, int share, std::string tenant = "", std::string limits = "",
          std::string before = "")
      : name(std::move(name)),
        share(share),
        tenant(std::move(tenant)),
        limits(std::move(limits)),
        before(std::move(before)) {}
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
    out << "    shares: {cpu: " << job.share << "}\n";
    if (!job.limits.empty()) out << "    limits: " << job.limits << "\n";
    const std::string load =
        "/usr/bin/stress-ng --cpu 1 --timeout " + std::to_string(seconds) + "s --quiet";
    if (job.before.empty()) {
      out << "    command: [/usr/bin/stress-ng, --cpu, \"1\", --timeout, " << seconds
          << "s, --quiet]\n";
    } else {
      out << "    command: [/bin/sh, -c, '" << job.before << "; exec " << load << "']\n";
    }
  }
  return out.str();
}

const json& named(const json& list, const std::string& name) {
  for (const auto& item : list) {
    if (item.at("name") == name) return item;
  }
  throw std::runtime_error("no " + name + " in " + list.dump());
}

const json& job_in(const json& report, const std::string& name) {
  return named(report.at("jobs"), name);
}

// The `--watch` output as rounds (one a second) of job name -> CPU %, from lines like
// "sandbox: [ci] cpu  74.0%  memory 3.4 MiB  pids 3". A round has a line per running job; a
// name seen again starts the next round.
std::vector<std::map<std::string, double>> watch_rounds(const std::string& output) {
  std::vector<std::map<std::string, double>> rounds(1);
  const std::string prefix = "sandbox: [";
  for (size_t at = output.find(prefix); at != std::string::npos; at = output.find(prefix, at + 1)) {
    const size_t name_end = output.find("] cpu ", at);
    if (name_end == std::string::npos || output.find('\n', at) < name_end) continue;
    const std::string name = output.substr(at + prefix.size(), name_end - at - prefix.size());
    if (rounds.back().contains(name)) rounds.emplace_back();
    rounds.back()[name] = std::strtod(output.c_str() + name_end + 6, nullptr);
  }
  return rounds;
}

class Shares : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for cgroups";
    if (access("/usr/bin/stress-ng", X_OK) != 0) {
      FAIL() << "stress-ng missing: run scripts/install-deps";
    }
  }

  RunResult run_full(const std::string& yaml, int expected_jobs,
                     const std::vector<std::string>& extra = {}) {
    const fs::path policy = dir_.path / "policy.yaml";
    std::ofstream(policy) << yaml;
    auto result = run_sandbox(policy, dir_.path, extra);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(result.report.is_object()) << "no report; output:\n" << result.output;
    if (!result.report.is_object()) {
      result.report = json::object({{"jobs", json::array()}, {"tenants", json::array()}});
      return result;
    }
    EXPECT_EQ(result.report.at("jobs").size(), static_cast<size_t>(expected_jobs));
    return result;
  }

  json run_policy(const std::string& yaml, int expected_jobs) {
    return run_full(yaml, expected_jobs).report;
  }

  // A job's or a tenant's requested and achieved share (over the window in which all its
  // siblings ran, as the report gives it).
  static void expect_share(const json& member, double requested, double tolerance = 0.03) {
    const std::string name = member.at("name");
    ASSERT_TRUE(member.contains("cpu_share_achieved")) << member.dump(2);
    // Kept in the test's XML/JSON output (--gtest_output): the split measured on this machine.
    RecordProperty(name, std::to_string(member.at("cpu_share_achieved").get<double>()));
    EXPECT_NEAR(member.at("cpu_share_requested").get<double>(), requested, 1e-6) << name;
    EXPECT_NEAR(member.at("cpu_share_achieved").get<double>(), requested, tolerance)
        << name << ": " << member.dump(2);
  }
  static void expect_share(const json& report, const std::string& job, double requested) {
    expect_share(job_in(report, job), requested);
  }
  static void expect_tenant_share(const json& report, const std::string& tenant, double requested) {
    ASSERT_TRUE(report.contains("tenants")) << report.dump(2);
    expect_share(named(report.at("tenants"), tenant), requested);
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
  // Across two cores the kernel reaches the split by moving jobs between them, which takes a
  // moment: 8 s of load, so that the window in which all four ran is not mostly that moment
  // (under the VM suite's emulated CPU the four start over about 2 s).
  const auto report = run_policy(
      farm_policy(
          {{"ci-1", 1, "ci"}, {"ci-2", 1, "ci"}, {"batch-1", 1, "batch"}, {"batch-2", 1, "batch"}},
          "0-1", 8, {{"ci", 75}, {"batch", 25}}),
      4);
  // Across tenants CPU time divides 75/25 while all four jobs run. Within a tenant the two jobs
  // are equal but each on its own core, where every move of a job between the cores falls on
  // one of them: up to 2.5 points off 0.5 were seen on the host and in the VM, so 5 are allowed.
  for (const char* job : {"ci-1", "ci-2", "batch-1", "batch-2"}) {
    expect_share(job_in(report, job), 0.5, 0.05);
  }
  expect_tenant_share(report, "ci", 0.75);
  expect_tenant_share(report, "batch", 0.25);
}

TEST_F(Shares, NestedTenantsAndATenantlessJobOnOneCpu) {
  // The run's children are tenants ci (60), batch (30) and the tenant-less job loose (10); ci's
  // jobs split its part 3 to 1, so build gets 45 % of the CPU and test 15 %.
  const auto report = run_policy(
      farm_policy({{"build", 3, "ci"}, {"test", 1, "ci"}, {"etl", 1, "batch"}, {"loose", 10, ""}},
                  "0", 4, {{"ci", 60}, {"batch", 30}}),
      4);
  expect_tenant_share(report, "ci", 0.60);
  expect_tenant_share(report, "batch", 0.30);
  expect_share(report, "loose", 0.10);
  expect_share(report, "build", 0.75);
  expect_share(report, "test", 0.25);
}

TEST_F(Shares, CpuMaxCapsAJobAloneOnAnIdleCpu) {
  // 50 % of a CPU even with nothing to compete with. Steal time can only lower what the job
  // gets, so the cap is checked from above; from below only that the job really ran.
  const auto report = run_policy(farm_policy({{"capped", 1, "", "{cpu_max: 50%}"}}, "0", 3), 1);
  const json& job = job_in(report, "capped");
  const double cpu = job.at("usage").at("cpu_usage_us").get<double>() / 1e6;
  const double wall = job.at("wall_seconds").get<double>();
  RecordProperty("cpu_per_wall", std::to_string(cpu / wall));
  EXPECT_LT(cpu / wall, 0.55) << job.dump(2);
  EXPECT_GT(cpu / wall, 0.25) << job.dump(2);
  EXPECT_GT(job.at("usage").at("cpu_throttled_us").get<double>(), 0) << job.dump(2);
}

TEST_F(Shares, CpusetMakesJobsOnTwoCoresCompete) {
  // Free on two cores, two busy jobs would get a core each (50/50 whatever their shares); each
  // pinned to core 1 by its own cpuset they compete there and split it 75/25.
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs two CPUs";
  const std::string show = "grep Cpus_allowed_list /proc/self/status";
  const auto result = run_full(farm_policy({{"ci", 75, "", "{cpuset: \"1\"}", show},
                                            {"batch", 25, "", "{cpuset: \"1\"}", show}},
                                           "0-1", 4),
                               2);
  for (const char* job : {"ci", "batch"}) {
    EXPECT_NE(result.output.find("[" + std::string(job) + "] Cpus_allowed_list:\t1\n"),
              std::string::npos)
        << result.output;
  }
  expect_share(result.report, "ci", 0.75);
  expect_share(result.report, "batch", 0.25);
}

TEST_F(Shares, WatchShowsTheSplitLive) {
  // `--watch` prints each job's CPU % every second: under 75/25 on one CPU, in the seconds both
  // jobs ran ci's percentages add up to clearly more than batch's (per-second samples are rough,
  // and a job started late runs alone at the end, so only the order is asserted).
  const auto result =
      run_full(farm_policy({{"ci", 75, ""}, {"batch", 25, ""}}, "0", 3), 2, {"--watch"});
  double ci = 0, batch = 0;
  int together = 0;
  for (const auto& round : watch_rounds(result.output)) {
    if (!round.contains("ci") || !round.contains("batch")) continue;
    ci += round.at("ci");
    batch += round.at("batch");
    ++together;
  }
  RecordProperty("ci_percent_seconds", std::to_string(ci));
  RecordProperty("batch_percent_seconds", std::to_string(batch));
  ASSERT_GE(together, 2) << result.output;
  EXPECT_GT(ci, 1.5 * batch) << result.output;
  EXPECT_NE(result.output.find("memory"), std::string::npos) << result.output;
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
  RecordProperty("alone_seconds", std::to_string(alone));
  RecordProperty("beside_idle_seconds", std::to_string(beside_idle));
  ASSERT_GT(alone, 0.5) << "the job alone got almost no CPU: is the machine saturated?";
  EXPECT_GT(beside_idle / alone, 0.85)
      << "alone " << alone << " s, beside an idle partner " << beside_idle << " s";
}

}  // namespace
