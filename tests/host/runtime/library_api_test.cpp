// sandbox::run() as a library: policies built in code, the report returned, and the calling
// process left as it was (signal mask, SIGPIPE, open-file limit, no fds inherited by jobs).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "cgroup/cgroup.hpp"
#include "runtime_fixture.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::test {
namespace {

using policies::Mount;

policies::Mount bind(const std::string& path, bool optional = false) {
  Mount m;
  m.kind = Mount::Kind::bind;
  m.source = m.target = path;
  m.optional = optional;
  return m;
}

// One job, like examples/single.yaml, with output to a file in `dir`.
policies::Policy policy_for(const std::vector<std::string>& command, const TempDir& dir) {
  policies::Policy policy;
  policy.name = "library";
  policies::Job job;
  job.name = "job";
  job.command = command;
  auto& fs = job.settings.filesystem;
  fs.mounts = {bind("/usr"), bind("/bin", true), bind("/lib", true), bind("/lib64", true)};
  Mount proc;
  proc.kind = Mount::Kind::proc;
  proc.target = "/proc";
  fs.mounts.push_back(proc);
  job.output.mode = policies::Output::Mode::file;
  job.output.path = (dir / "job.log").string();
  policy.jobs.push_back(job);
  return policy;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

using LibraryApi = RuntimeTest;

TEST_F(LibraryApi, RunsAPolicyBuiltInCode) {
  const auto report = sandbox::run(policy_for({"/bin/sh", "-c", "echo $$; exit 4"}, dir_), {});
  EXPECT_EQ(report.exit_code, 4);
  EXPECT_EQ(report.policy, "library");
  ASSERT_EQ(report.jobs.size(), 1u);
  EXPECT_EQ(report.jobs[0].status, "exited");
  EXPECT_EQ(report.jobs[0].exit_code, 4);
  EXPECT_EQ(read_file(dir_ / "job.log"), "2\n");
  EXPECT_EQ(run_cgroups_of(getpid()), std::vector<std::string>{});
}

// True when this process has no child at all, running or zombie.
bool no_children() {
  siginfo_t info{};
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD;
}

TEST_F(LibraryApi, NoChildIsLeftInTheCaller) {
  // The job may be over (its group empty and removed) while its pid 1 still tears down the
  // namespaces it holds; run() still waits for it and reaps it before returning.
  ASSERT_TRUE(no_children()) << "a child from before the test";
  const auto report = sandbox::run(policy_for({"/bin/true"}, dir_), {});
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_TRUE(no_children()) << "run() left its pid 1 running or unreaped";
}

TEST_F(LibraryApi, LeavePid1ExitingReturnsBeforePid1IsReaped) {
  // What the CLI asks for: run() returns once the job's processes are gone and its cgroups
  // removed; pid 1 (on v1 hierarchies, where it is not in the job's groups) is left to the caller.
  RunOptions options;
  options.leave_pid1_exiting = true;
  const auto report = sandbox::run(policy_for({"/bin/true"}, dir_), options);
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_EQ(report.jobs.at(0).status, "exited");
  EXPECT_EQ(run_cgroups_of(getpid()), std::vector<std::string>{});
  // pid 1 is ours to reap now, on every layout (on cgroup v2 run() has reaped it already).
  siginfo_t info{};
  const bool unreaped = waitid(P_ALL, 0, &info, WEXITED) == 0;
  if (cgroup::detect().layout != cgroup::Layout::unified) {
    EXPECT_TRUE(unreaped) << "pid 1 was reaped by run(): the job waited for pid 1's exit";
  }
}

// Field 19 of /proc/<pid>/stat (a zombie keeps it until reaped).
int nice_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  for (int index = 3; index <= 19 && fields >> field; ++index) {
  }
  return std::stoi(field);
}

TEST_F(LibraryApi, PidOneLeftExitingExitsAtTheLowestPriority) {
  // With leave_pid1_exiting a pid 1 alone in its namespace exits (tears down its namespaces) at
  // nice 19 once it has reported, after whatever else the machine runs: the CLI returns sooner.
  errno = 0;
  const int our_nice = getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  ASSERT_LT(our_nice, 19) << "a test run at nice 19 cannot tell";
  RunOptions options;
  options.leave_pid1_exiting = true;
  const auto report = sandbox::run(policy_for({"/bin/true"}, dir_), options);
  EXPECT_EQ(report.exit_code, 0);
  if (cgroup::detect().layout == cgroup::Layout::unified) {
    EXPECT_TRUE(no_children()) << "on cgroup v2 run() reaps pid 1 (it is in the job's group)";
    return;
  }
  siginfo_t info{};
  ASSERT_EQ(waitid(P_ALL, 0, &info, WEXITED | WNOWAIT), 0);  // pid 1, once it is a zombie
  EXPECT_EQ(nice_of(info.si_pid), 19);
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(info.si_pid), &info, WEXITED), 0);
  EXPECT_EQ(getpriority(PRIO_PROCESS, 0), our_nice) << "the caller's own priority changed";
}

TEST_F(LibraryApi, CommandLinePolicyTakesTheCommandFromOptions) {
  auto policy = policy_for({}, dir_);
  policy.command_from_cli = true;
  RunOptions options;
  options.command = {"/bin/sh", "-c", "echo from-options"};
  const auto report = sandbox::run(policy, options);
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_EQ(read_file(dir_ / "job.log"), "from-options\n");

  options.command.clear();
  try {
    sandbox::run(policy, options);
    FAIL() << "ran without a command";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, exit_code::usage);
  }
}

TEST_F(LibraryApi, JobsDoNotInheritTheCallersFileDescriptors) {
  // Not close-on-exec, as a careless embedding program might leave them.
  const int leaked = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  const auto report = sandbox::run(policy_for({"/bin/sh", "-c", "ls /proc/$$/fd"}, dir_), {});
  close(leaked);
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_EQ(read_file(dir_ / "job.log"), "0\n1\n2\n");
}

TEST_F(LibraryApi, CallerStateIsRestored) {
  sigset_t before, after;
  sigprocmask(SIG_SETMASK, nullptr, &before);
  struct sigaction pipe_before {
  }, pipe_after{};
  sigaction(SIGPIPE, nullptr, &pipe_before);
  rlimit files_before{}, files_after{};
  getrlimit(RLIMIT_NOFILE, &files_before);

  sandbox::run(policy_for({"/bin/true"}, dir_), {});

  sigprocmask(SIG_SETMASK, nullptr, &after);
  sigaction(SIGPIPE, nullptr, &pipe_after);
  getrlimit(RLIMIT_NOFILE, &files_after);
  for (int sig = 1; sig < 32; ++sig) {
    EXPECT_EQ(sigismember(&before, sig), sigismember(&after, sig)) << "signal " << sig;
  }
  EXPECT_EQ(pipe_before.sa_handler, pipe_after.sa_handler);
  EXPECT_EQ(files_before.rlim_cur, files_after.rlim_cur);
}

TEST_F(LibraryApi, JobsGetTheCallersOpenFileLimit) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur == files.rlim_max) {
    files.rlim_cur = files.rlim_max / 2;  // so that the supervisor's own raise is visible
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  const auto report = sandbox::run(policy_for({"/bin/sh", "-c", "ulimit -n"}, dir_), {});
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_EQ(read_file(dir_ / "job.log"), std::to_string(files.rlim_cur) + "\n");
}

TEST_F(LibraryApi, ALaunchFailureIsInTheJobsReport) {
  auto policy = policy_for({"/bin/true"}, dir_);
  policy.jobs[0].settings.filesystem.mounts.push_back(bind("/nonexistent-source-dir"));
  const auto report = sandbox::run(policy, {});
  EXPECT_EQ(report.exit_code, exit_code::setup_failed);
  EXPECT_EQ(report.jobs[0].status, "setup_failed");
  EXPECT_EQ(report.jobs[0].error,
            "mount /nonexistent-source-dir: source /nonexistent-source-dir does not exist");
}

}  // namespace
}  // namespace sandbox::test
