#include "job_process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cgroup_join.hpp"
#include "child_protocol.hpp"
#include "command.hpp"
#include "hardening.hpp"
#include "signals.hpp"
#include "sys_error.hpp"

namespace sandbox {

namespace {

void install_stdio(const JobStdio& stdio) {
  const int wanted[] = {stdio.in, stdio.out, stdio.err};
  for (int target = 0; target < 3; ++target) {
    if (wanted[target] < 0 || wanted[target] == target) continue;
    check(dup2(wanted[target], target), "redirect fd " + std::to_string(target));
  }
}

// Interactive use: the job's own process group becomes the terminal's foreground group, so ^C
// and ^Z reach the job (and not `sandbox`), and it may read the terminal.
void take_terminal() {
  check(setpgid(0, 0), "setpgid");
  sigset_t ttou;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ScopedSignalMask quiet(ttou);  // a background group calling tcsetpgrp would get SIGTTOU
  check(tcsetpgrp(STDIN_FILENO, getpgrp()), "tcsetpgrp");
}

void die_with_parent(pid_t init) {
  check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
  // Our parent may have died before the line above: then we were reparented already.
  if (getppid() != init) _exit(exit_code::setup_failed);
}

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (const auto& s : strings) result.push_back(const_cast<char*>(s.c_str()));
  result.push_back(nullptr);
  return result;
}

struct JobArguments {
  const LaunchSpec* spec;
  const std::vector<sock_filter>* seccomp;
  int channel;
  pid_t init;
};

int job_entry(void* arguments) {
  const auto* job = static_cast<const JobArguments*>(arguments);
  run_job(*job->spec, *job->seccomp, job->channel, job->init);
}

// Room for the job's setup before execve (C++ exceptions, libcap, the exec candidates); only the
// pages it touches are ever allocated.
constexpr size_t kJobStackSize = 1 << 20;

}  // namespace

pid_t spawn_job(const LaunchSpec& spec, const std::vector<sock_filter>& seccomp, int channel,
                pid_t init) {
  // A child that shares our memory cannot enter the time namespace pid 1 unshared for it: the
  // vDSO's clock data belongs to the mm, and older kernels (Debian 12's 6.1) refuse CLONE_VM then
  // with EINVAL (the cgroup v2 VM suite caught it). Such a job is forked.
  if (spec.has(policies::Namespace::time)) {
    const pid_t job = fork();
    if (job == 0) run_job(spec, seccomp, channel, init);
    return job;
  }
  void* stack = mmap(nullptr, kJobStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  JobArguments arguments{&spec, &seccomp, channel, init};
  // Without CLONE_SIGHAND the job's signal dispositions stay its own (run_job resets them all).
  const pid_t job = clone(job_entry, static_cast<char*>(stack) + kJobStackSize,
                          CLONE_VM | CLONE_VFORK | SIGCHLD, &arguments);
  const int saved = errno;
  munmap(stack, kJobStackSize);  // the job has exec'd or exited: it no longer runs on it
  errno = saved;
  return job;
}

void run_job(const LaunchSpec& spec, const std::vector<sock_filter>& seccomp, int channel,
             pid_t init) noexcept {
  try {
    const policies::JobSettings& settings = *spec.settings;
    // Before anything else: nothing of the job may run outside its cgroup. Then the cgroup
    // namespace, rooted where the job now is in every hierarchy (pid 1 is not in the v1 ones).
    if (spec.cgroup_join) join_cgroups(*spec.cgroup_join);
    if (spec.has(policies::Namespace::cgroup)) {
      check(unshare(CLONE_NEWCGROUP), "unshare(CLONE_NEWCGROUP)");
    }
    install_stdio(spec.stdio);
    if (spec.take_terminal) take_terminal();
    if (chdir(settings.filesystem.workdir.c_str()) != 0) {
      throw_errno("workdir " + settings.filesystem.workdir);
    }
    apply_rlimits(spec.rlimits);
    // No become(): pid 1 switched to the job's identity before forking us (finish_sandbox), with
    // its capabilities kept and effective, so that drop_capabilities can clear the bounding set
    // (that needs CAP_SETPCAP) and keep the ones the policy names. Doing it again here cost 7
    // syscalls that changed nothing.
    hardening::drop_capabilities(settings.capabilities);
    hardening::set_no_new_privs();
    die_with_parent(init);
    auto argv = pointers(spec.argv);
    auto envp = pointers(spec.environment);
    reset_signals();
    // Close-on-exec rather than close: the channel must stay open until execve succeeds.
    check(close_range(3, ~0U, CLOSE_RANGE_CLOEXEC), "close_range");
    hardening::load_seccomp(seccomp);
    const auto errors = try_exec(spec.exec_candidates, argv.data(), envp.data());
    const auto failure = classify_exec_failure(spec.argv.front(), errors);
    send(channel, ChildMessage::failure(failure.exit_code, failure.message));
    _exit(failure.exit_code);
  } catch (...) {
    report_failure_and_exit(channel, "job setup");
  }
}

}  // namespace sandbox
