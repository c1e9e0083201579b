// Exit codes and error messages of `sandbox run`: the job's own code passes through, signals
// become 128+N, and the tool's failures have their own codes with one clear line each.
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cgroup/cgroup.hpp"
#include "runtime_fixture.hpp"

namespace sandbox::test {
namespace {

using ExitCodes = RuntimeTest;

// A job under a 32 MiB memory cap without swap, run with --report: the result and the report.
class OutOfMemory : public RuntimeTest {
 protected:
  CliResult run_capped(const std::string& script) {
    PolicyText policy;
    policy.extra_defaults = "  limits: {memory: 32MiB, swap: 0}\n";
    const auto file = dir_ / "report.json";
    CliResult result = run(policy, {"/bin/sh", "-c", script}, {"--report", file.string()});
    std::ifstream in(file);
    report_ = nlohmann::json::parse(in);
    return result;
  }
  const nlohmann::json& job() const { return report_.at("jobs").at(0); }
  // What an OOM kill in the job shows on every layout: the job's status and its counted kill, and
  // the exit code of a SIGKILL.
  void expect_oom_killed(const CliResult& result) const {
    EXPECT_EQ(job().at("status"), "oom") << job().dump(2);
    EXPECT_GT(job().at("usage").at("oom_kills").get<int>(), 0) << job().dump(2);
    EXPECT_EQ(result.exit_code, 128 + SIGKILL) << result.err;
  }
  nlohmann::json report_;
};

TEST_F(ExitCodes, JobExitCodePassesThrough) {
  EXPECT_EQ(run_sh("exit 0").exit_code, 0);
  EXPECT_EQ(run_sh("exit 42").exit_code, 42);
}

TEST_F(ExitCodes, SignalBecomes128PlusN) {
  EXPECT_EQ(run_sh("kill -TERM $$").exit_code, 128 + SIGTERM);
  EXPECT_EQ(run_sh("kill -KILL $$").exit_code, 128 + SIGKILL);
}

TEST_F(ExitCodes, MissingCommandIs127) {
  const auto result = run({}, {"no-such-command-here"});
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_NE(result.err.find("command not found: no-such-command-here"), std::string::npos)
      << result.err;
}

TEST_F(ExitCodes, NonExecutableFileIs126) {
  const auto file = dir_.write("not-executable", "#!/bin/sh\necho hi\n");
  chmod(file.c_str(), 0644);
  PolicyText policy;
  policy.extra_mounts = "      - {bind: " + file.string() + ", to: /opt/job}\n";
  const auto result = run(policy, {"/opt/job"});
  EXPECT_EQ(result.exit_code, 126);
  EXPECT_NE(result.err.find("cannot execute /opt/job: Permission denied"), std::string::npos)
      << result.err;
}

TEST_F(ExitCodes, MissingBindSourceIs125WithThePath) {
  const std::string missing = (dir_ / "does-not-exist").string();
  PolicyText policy;
  policy.extra_mounts = "      - {bind: " + missing + ", to: /data}\n";
  const auto result = run(policy, {"/bin/true"});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("sandbox: job '"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("mount /data: source " + missing + " does not exist"),
            std::string::npos)
      << result.err;
}

TEST_F(ExitCodes, OptionalMissingBindSourceIsSkipped) {
  PolicyText policy;
  policy.extra_mounts =
      "      - {bind: " + (dir_ / "nope").string() + ", to: /data, optional: true}\n";
  const auto result = run(policy, {"/bin/sh", "-c", "test -e /data; echo $?"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "1\n");
}

TEST_F(ExitCodes, RootThatIsNotADirectoryIs125) {
  const auto file = dir_.write("a-file", "x");
  PolicyText policy;
  policy.root = file.string();
  const auto result = run(policy, {"/bin/true"});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("root " + file.string() + ": not a directory"), std::string::npos)
      << result.err;
}

TEST_F(ExitCodes, SymlinkInAMountTargetIsRefused) {
  // A root directory of our own that holds a symlink where a mount target goes: the mount must
  // not follow it out of the root.
  const auto root = dir_ / "root";
  // The policy's other mount points exist (the job's identity could not create them here).
  for (const char* point : {"usr", "bin", "lib", "lib64", "tmp", "proc", "dev"}) {
    std::filesystem::create_directories(root / point);
  }
  std::filesystem::create_directory_symlink("/etc", root / "escape");
  PolicyText policy;
  policy.root = root.string();
  policy.extra_mounts = "      - {tmpfs: /escape/inner}\n";
  const auto result = run(policy, {"/bin/true"});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("target /escape/inner (at /escape) is a symlink"), std::string::npos)
      << result.err;
  EXPECT_FALSE(std::filesystem::exists("/etc/inner"));
}

TEST_F(ExitCodes, MissingWorkdirIs125) {
  std::string yaml = PolicyText{}.yaml();
  yaml.replace(yaml.find("workdir: /tmp"), 13, "workdir: /nowhere");
  const auto file = dir_.write("workdir.yaml", yaml);
  SandboxProcess process({"run", "-p", file.string(), "--", "/bin/true"});
  const auto result = process.wait();
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("workdir /nowhere: No such file or directory"), std::string::npos)
      << result.err;
  EXPECT_EQ(run_cgroups_of(process.pid()), std::vector<std::string>{});
}

TEST_F(ExitCodes, WallTimeOverrunIsKilledAndReportedAs124) {
  PolicyText policy;
  policy.extra_defaults = "  limits: {wall_time: 500ms, kill_grace: 300ms}\n";
  const auto report = dir_ / "report.json";
  const auto started = std::chrono::steady_clock::now();
  // The job ignores SIGTERM: only the SIGKILL after the grace period ends it.
  const auto result =
      run(policy, {"/bin/sh", "-c", "trap '' TERM; sleep 30"}, {"--report", report.string()});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_NE(result.err.find("wall time limit (500ms) reached"), std::string::npos) << result.err;
  std::ifstream in(report);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json.at("exit_code"), 124);
  EXPECT_EQ(json.at("jobs").at(0).at("status"), "timeout");
}

TEST_F(ExitCodes, InvalidPolicyIs2WithALocation) {
  const auto file = dir_.write("bad.yaml", "version: 1\ndefaults:\n  limits: {memroy: 1G}\n");
  const auto result = run_cli({"run", "-p", file.string(), "--", "/bin/true"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad.yaml:3:"), std::string::npos) << result.err;
}

TEST_F(ExitCodes, CommandLinePolicyWithoutCommandIsAUsageError) {
  const auto file = dir_.write("policy.yaml", PolicyText{}.yaml());
  const auto result = run_cli({"run", "-p", file.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("give the command to run after --"), std::string::npos) << result.err;
}

TEST_F(OutOfMemory, IsReportedAsOom) {
  // tail keeps the whole newline-free input in memory: it grows until the OOM killer stops it.
  const auto result = run_capped("exec tail /dev/zero");
  expect_oom_killed(result);
  EXPECT_NE(result.err.find("killed: out of memory"), std::string::npos) << result.err;
  EXPECT_LE(job().at("usage").at("memory_peak_bytes").get<uint64_t>(), 40u << 20) << job().dump(2);
}

TEST_F(OutOfMemory, IsOomWithoutAReportToo) {
  // Without --report the run reads no usage for the report, but the OOM status still comes from
  // the job's memory group: a worker killed by the OOM killer (its shell exits 0 on v1) is 137.
  PolicyText policy;
  policy.extra_defaults = "  limits: {memory: 32MiB, swap: 0}\n";
  const auto result = run(policy, {"/bin/sh", "-c", "tail /dev/zero; exit 0"});
  EXPECT_EQ(result.exit_code, 128 + SIGKILL) << result.err;
  EXPECT_NE(result.err.find("out of memory"), std::string::npos) << result.err;
}

TEST_F(OutOfMemory, JobWhoseWorkerIsKilledIsOomOnEveryLayout) {
  // The worker (tail, see above) is the largest process: the OOM killer picks it. cgroup v1 kills
  // it alone and the shell goes on to exit 0; v2 kills the whole job (memory.oom.group).
  const auto result = run_capped("tail /dev/zero; echo worker=$?; exit 0");
  expect_oom_killed(result);
  EXPECT_EQ(report_.at("exit_code"), 128 + SIGKILL);
  const cgroup::Host host = cgroup::detect();
  if (host.controllers.at("memory").version == 1) {
    // The case this is about: the job itself lived on and exited by itself.
    EXPECT_EQ(result.out, "worker=137\n") << result.err;
    EXPECT_EQ(job().at("exit_code"), 0) << job().dump(2);
    EXPECT_NE(result.err.find("exited with 0 after an OOM kill of one of its processes: out of "
                              "memory (memory limit 33554432 bytes)"),
              std::string::npos)
        << result.err;
  } else {
    EXPECT_EQ(result.out, "") << "the shell outlived the OOM kill despite memory.oom.group";
    EXPECT_NE(result.err.find("killed: out of memory"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace sandbox::test
