// Supervision of running jobs: several jobs at once with prefixed output, signals forwarded,
// orphans and zombies reaped, nothing alive after `sandbox` itself is SIGKILLed.
#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cgroup/cgroup.hpp"
#include "runtime_fixture.hpp"

namespace sandbox::test {
namespace {

using Supervision = RuntimeTest;
using namespace std::chrono_literals;

std::string unique_marker(const char* base) {
  return std::string("sleep ") + base + std::to_string(getpid() % 10000);
}

TEST_F(Supervision, TwoJobsRunConcurrentlyWithPrefixedOutput) {
  PolicyText policy;
  policy.jobs =
      "jobs:\n"
      "  - {name: alpha, command: [/bin/sh, -c, 'echo start; sleep 1; echo end; echo oops >&2']}\n"
      "  - {name: beta, command: [/bin/sh, -c, 'echo start; sleep 1; echo end']}\n";
  const auto started = std::chrono::steady_clock::now();
  const auto result = run(policy, {});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // One second each, side by side: well under the two seconds of running them in turn.
  EXPECT_LT(took, 1900ms);
  for (const char* line : {"[alpha] start\n", "[alpha] end\n", "[beta] start\n", "[beta] end\n"}) {
    EXPECT_NE(result.out.find(line), std::string::npos) << line << " in:\n" << result.out;
  }
  EXPECT_NE(result.err.find("[alpha] oops\n"), std::string::npos) << result.err;
  // Both had started before either ended.
  EXPECT_LT(std::max(result.out.find("[alpha] start"), result.out.find("[beta] start")),
            std::min(result.out.find("[alpha] end"), result.out.find("[beta] end")))
      << result.out;
}

TEST_F(Supervision, SeveralJobsExitWithTheFirstFailingCode) {
  PolicyText policy;
  policy.jobs =
      "jobs:\n"
      "  - {name: ok, command: [/bin/true]}\n"
      "  - {name: three, command: [/bin/sh, -c, 'sleep 0.3; exit 3']}\n"
      "  - {name: four, command: [/bin/sh, -c, 'exit 4']}\n";
  EXPECT_EQ(run(policy, {}).exit_code, 3);
  policy.jobs = "jobs:\n  - {name: a, command: [/bin/true]}\n  - {name: b, command: [/bin/true]}\n";
  EXPECT_EQ(run(policy, {}).exit_code, 0);
}

TEST_F(Supervision, OutputToPerJobFiles) {
  PolicyText policy;
  policy.jobs =
      "jobs:\n"
      "  - name: writer\n"
      "    command: [/bin/sh, -c, 'echo to-out; echo to-err >&2']\n"
      "    output: {file: '" + (dir_ / "{name}.log").string() + "'}\n";
  const auto result = run(policy, {});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::ifstream in(dir_ / "writer.log");
  const std::string log((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(log, "to-out\nto-err\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(Supervision, StdinReachesASingleJob) {
  const auto result = run({}, {"/bin/sh", "-c", "read line; echo got:$line"}, {}, "hello\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "got:hello\n");
}

TEST_F(Supervision, SigtermIsForwardedToTheJob) {
  SandboxProcess process(run_args(
      {}, {"/bin/sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done"}));
  ASSERT_TRUE(eventually([&] { return process.out_so_far().find("ready") != std::string::npos; }));
  process.signal(SIGTERM);
  const auto result = process.wait(10s);
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_NE(result.out.find("got-term"), std::string::npos) << result.out;
  EXPECT_EQ(run_cgroups_of(process.pid()), std::vector<std::string>{});
}

TEST_F(Supervision, OrphansAndZombiesAreReaped) {
  // The inner shell leaves a background sleep behind and exits: the orphan is re-parented to
  // the sandbox's pid 1, which must reap it when it exits. A second later no process of the
  // sandbox is a zombie.
  const auto result = run_sh(
      "sh -c 'sleep 0.2 & exit 0'; sleep 1; cat /proc/[0-9]*/stat | cut -d' ' -f2,3");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find(" Z"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("(sleep)"), std::string::npos) << "the orphan is gone:\n" << result.out;
}

TEST_F(Supervision, JobsLeftRunningByTheMainProcessDieWithIt) {
  // Without a pid namespace nothing kills a background process when the job's main process
  // exits, except the cgroup: it must not survive the run either.
  PolicyText policy;
  policy.namespaces = "[user, mount, uts, ipc, net]";
  const std::string marker = unique_marker("7.1");
  const auto result = run(policy, {"/bin/sh", "-c", marker + " & echo started"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(eventually([&] { return processes_running(marker).empty(); }, 2s))
      << "a background process of the job survived the run";
}

TEST_F(Supervision, SigkillOfSandboxLeavesNoJobProcess) {
  const std::string marker = unique_marker("8.2");
  SandboxProcess process(run_args({}, {"/bin/sh", "-c", marker + " & " + marker + " & wait"}));
  ASSERT_TRUE(eventually([&] { return processes_running(marker).size() == 2; }));
  process.signal(SIGKILL);
  process.wait();
  EXPECT_TRUE(eventually([&] { return processes_running(marker).empty(); }, 5s))
      << "job processes outlived a SIGKILLed sandbox";
  // Its cgroups stay until the next run (or `sandbox gc`) collects them: do that now.
  cgroup::collect_stale(cgroup::detect());
  EXPECT_EQ(run_cgroups_of(process.pid()), std::vector<std::string>{});
}

TEST_F(Supervision, ReportDescribesTheRun) {
  const auto report = dir_ / "report.json";
  const auto result = run({}, {"/bin/sh", "-c", "exit 5"}, {"--report", report.string()});
  EXPECT_EQ(result.exit_code, 5);
  std::ifstream in(report);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json.at("exit_code"), 5);
  EXPECT_EQ(json.at("cgroup_layout"), cgroup::to_string(cgroup::detect().layout));
  ASSERT_EQ(json.at("jobs").size(), 1u);
  const auto& job = json.at("jobs").at(0);
  EXPECT_EQ(job.at("status"), "exited");
  EXPECT_EQ(job.at("exit_code"), 5);
  EXPECT_EQ(job.at("command"), nlohmann::json({"/bin/sh", "-c", "exit 5"}));
  EXPECT_GT(job.at("wall_seconds").get<double>(), 0);
  EXPECT_EQ(job.at("namespaces"),
            nlohmann::json({"user", "pid", "mount", "uts", "ipc", "net", "cgroup"}));
  EXPECT_TRUE(job.at("cgroup").get<std::string>().starts_with("/sb-")) << job.dump(2);
  EXPECT_TRUE(job.contains("usage")) << job.dump(2);
  EXPECT_GT(job.at("peak_rss_bytes").get<uint64_t>(), 0u);
}

TEST_F(Supervision, InteractiveJobGetsTheTerminal) {
  const auto policy = dir_.write("policy.yaml", PolicyText{}.yaml());
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // forkpty made us a session leader with the pty as controlling terminal, in the foreground.
    execl(SANDBOX_BINARY, "sandbox", "run", "-p", policy.c_str(), "--", "/bin/sh", "-c",
          "read line; echo got:$line; cut -d' ' -f5,8 /proc/self/stat", static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string input = "typed\n";
  ASSERT_EQ(write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  std::string output;
  char buffer[512];
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd fd{master, POLLIN, 0};
    if (poll(&fd, 1, 50) > 0) {
      const ssize_t n = read(master, buffer, sizeof buffer);
      if (n > 0) output.append(buffer, static_cast<size_t>(n));
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
  }
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << "sandbox did not finish; output:\n" << output;
  }
  close(master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("got:typed"), std::string::npos) << output;
  // cut runs in the job's process group, which is the terminal's foreground group.
  const auto stat_line = output.substr(output.rfind("got:typed") + 10);
  std::istringstream fields(stat_line);
  long pgrp = 0, tpgid = 0;
  fields >> pgrp >> tpgid;
  EXPECT_GT(pgrp, 0) << output;
  EXPECT_EQ(pgrp, tpgid) << "the job is not in the foreground:\n" << output;
  EXPECT_EQ(run_cgroups_of(pid), std::vector<std::string>{});
}

}  // namespace
}  // namespace sandbox::test
