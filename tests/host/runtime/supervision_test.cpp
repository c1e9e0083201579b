// Supervision of running jobs: several jobs at once with prefixed output, signals forwarded,
// orphans and zombies reaped, nothing alive after `sandbox` itself is SIGKILLed.
#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
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
      "    output: {file: '" +
      (dir_ / "{name}.log").string() + "'}\n";
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
      {}, {"/bin/sh", "-c",
           "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done"}));
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
  const auto result =
      run_sh("sh -c 'sleep 0.2 & exit 0'; sleep 1; cat /proc/[0-9]*/stat | cut -d' ' -f2,3");
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

TEST_F(Supervision, ADaemonLeftInThePidNamespaceIsGoneWhenTheRunReturns) {
  // When pid 1 reports the job's exit, the job's group still holds the daemon, so the run cannot
  // end on that report (as it does when the group is empty): it waits for pid 1, whose exit kills
  // the namespace, and only then removes the groups. Nothing of the job may be left when
  // `sandbox` returns, not even briefly: checked at once, not eventually.
  const std::string marker = unique_marker("7.2");
  const auto result = run_sh(marker + " & echo started");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "started\n");
  EXPECT_EQ(processes_running(marker), std::vector<pid_t>{})
      << "a background process of the job outlived the run";
}

// Our cgroup in the cgroup2 hierarchy ("0::<path>" in /proc/self/cgroup), "" without one.
std::string our_v2_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("0::")) return line.substr(3);
  }
  return "";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST_F(Supervision, SigkillOfSandboxLeavesNoJobProcess) {
  // On cgroup v2 the sandbox, sharing our cgroup, moves itself and us into a `supervisor` leaf
  // and enables controllers in our cgroup for its run groups; SIGKILLed, it cannot put that back.
  const std::vector<std::string> parents = cgroup::run_group_parents(cgroup::detect());
  std::map<std::string, std::string> subtree_before;
  for (const auto& parent : parents) {
    subtree_before[parent] = read_text(std::filesystem::path(parent) / "cgroup.subtree_control");
  }
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
  // Our cgroup is as it was: no leaf, no controllers left enabled for children, we are back in it.
  EXPECT_EQ(cgroup::run_group_parents(cgroup::detect()), parents);
  EXPECT_FALSE(our_v2_cgroup().ends_with("/supervisor")) << our_v2_cgroup();
  for (const auto& parent : parents) {
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(parent) / "supervisor")) << parent;
    EXPECT_EQ(read_text(std::filesystem::path(parent) / "cgroup.subtree_control"),
              subtree_before[parent])
        << parent;
  }
}

TEST_F(Supervision, NextRunCollectsTheCgroupsOfASigkilledSandbox) {
  const std::string marker = unique_marker("8.3");
  SandboxProcess killed(run_args({}, {"/bin/sh", "-c", marker}));
  ASSERT_TRUE(eventually([&] { return processes_running(marker).size() == 1; }));
  killed.signal(SIGKILL);
  killed.wait();
  ASSERT_TRUE(eventually([&] { return processes_running(marker).empty(); }, 5s));
  ASSERT_NE(run_cgroups_of(killed.pid()), std::vector<std::string>{})
      << "a SIGKILLed supervisor cannot remove its own groups";
  // The next run finds them (before it makes its own groups) and removes them.
  const auto result = run({}, {"/bin/true"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(run_cgroups_of(killed.pid()), std::vector<std::string>{});
  cgroup::collect_stale(cgroup::detect());  // nothing left behind should the run have failed to
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

// `sandbox` started the way a shell starts it: on a terminal (a pty), as the foreground process
// group of the terminal's session.
class OnTerminal {
 public:
  OnTerminal(const std::filesystem::path& policy, const std::string& script) {
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      execl(SANDBOX_BINARY, "sandbox", "run", "-p", policy.c_str(), "--", "/bin/sh", "-c",
            script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~OnTerminal() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  pid_t pid() const { return pid_; }
  void type(const std::string& text) {
    ASSERT_EQ(write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  // Reads the terminal until `text` shows up (or 10 s pass).
  bool wait_for(const std::string& text) {
    return eventually([&] {
      pump();
      return output_.find(text) != std::string::npos;
    });
  }
  // The state letter of `sandbox` in /proc/<pid>/stat ('T' when stopped).
  char state() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close_paren = line.rfind(')');
    return close_paren == std::string::npos ? '?' : line[close_paren + 2];
  }
  int wait_exit() {
    int status = -1;
    if (!eventually([&] {
          pump();
          return waitpid(pid_, &status, WNOHANG) == pid_;
        })) {
      return -1;
    }
    reaped_ = true;
    pump();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& output() const { return output_; }

 private:
  void pump() {
    pollfd fd{master_, POLLIN, 0};
    char buffer[512];
    while (poll(&fd, 1, 0) > 0) {
      const ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) break;
      output_.append(buffer, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string output_;
};

TEST_F(Supervision, InteractiveJobGetsTheTerminal) {
  OnTerminal terminal(dir_.write("policy.yaml", PolicyText{}.yaml()),
                      "read line; echo got:$line; cut -d' ' -f5,8 /proc/self/stat");
  ASSERT_GT(terminal.pid(), 0);
  terminal.type("typed\n");
  EXPECT_EQ(terminal.wait_exit(), 0) << terminal.output();
  const std::string& output = terminal.output();
  ASSERT_NE(output.find("got:typed"), std::string::npos) << output;
  // cut runs in the job's process group, which is the terminal's foreground group.
  std::istringstream fields(output.substr(output.rfind("got:typed") + 10));
  long pgrp = 0, tpgid = 0;
  fields >> pgrp >> tpgid;
  EXPECT_GT(pgrp, 0) << output;
  EXPECT_EQ(pgrp, tpgid) << "the job is not in the foreground:\n" << output;
  EXPECT_EQ(run_cgroups_of(terminal.pid()), std::vector<std::string>{});
}

TEST_F(Supervision, ControlZStopsTheJobAndSandboxTogether) {
  OnTerminal terminal(dir_.write("policy.yaml", PolicyText{}.yaml()),
                      "echo ready; read line; echo got:$line");
  ASSERT_TRUE(terminal.wait_for("ready")) << terminal.output();
  terminal.type("\x1a");  // ^Z: SIGTSTP to the terminal's foreground group, the job's
  // The shell that started `sandbox` must see it stopped, or it would wait on a job that can
  // never run again.
  ASSERT_TRUE(eventually([&] { return terminal.state() == 'T'; })) << terminal.output();
  kill(terminal.pid(), SIGCONT);  // what `fg` does
  ASSERT_TRUE(eventually([&] { return terminal.state() != 'T'; }));
  terminal.type("resumed\n");
  EXPECT_EQ(terminal.wait_exit(), 0) << terminal.output();
  EXPECT_NE(terminal.output().find("got:resumed"), std::string::npos) << terminal.output();
  EXPECT_EQ(run_cgroups_of(terminal.pid()), std::vector<std::string>{});
}

}  // namespace
}  // namespace sandbox::test
