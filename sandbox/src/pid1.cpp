#include "pid1.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "child_protocol.hpp"
#include "filesystem.hpp"
#include "hardening.hpp"
#include "job_process.hpp"
#include "network.hpp"
#include "seccomp_programs.hpp"
#include "signals.hpp"
#include "sys_error.hpp"

namespace sandbox {

namespace {

using policies::Namespace;

// The clone copied every fd of the supervisor (other jobs' pipes, epoll, pidfds): keep only ours.
void close_other_fds(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned int next = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(next)) continue;
    if (static_cast<unsigned int>(fd) > next) {
      check(close_range(next, static_cast<unsigned int>(fd) - 1, 0), "close_range");
    }
    next = static_cast<unsigned int>(fd) + 1;
  }
  check(close_range(next, ~0U, 0), "close_range");
}

// Closes `fds` (none of them negative), one close_range per run of consecutive numbers: the fds
// the supervisor opens for one job (v1 cgroup files, stdio) are usually consecutive.
void close_fds(std::vector<int> fds) {
  std::sort(fds.begin(), fds.end());
  for (size_t first = 0; first < fds.size();) {
    size_t last = first;
    while (last + 1 < fds.size() && fds[last + 1] <= fds[last] + 1) ++last;
    close_range(static_cast<unsigned int>(fds[first]), static_cast<unsigned int>(fds[last]), 0);
    first = last + 1;
  }
}

// The job's stdio fds that are not ours already (-1: none, the job shares ours).
std::vector<int> stdio_fds(const JobStdio& stdio) {
  std::vector<int> fds;
  for (int fd : {stdio.in, stdio.out, stdio.err}) {
    if (fd >= 0) fds.push_back(fd);
  }
  return fds;
}

// Blocks until the supervisor has done its part. End of file means it gave up (or died): leave
// quietly, the supervisor reports what went wrong.
Release wait_for_release(int sync) {
  Release release;
  ssize_t rc;
  do {
    rc = read(sync, &release, sizeof release);
  } while (rc < 0 && errno == EINTR);
  if (rc != static_cast<ssize_t>(sizeof release)) _exit(exit_code::setup_failed);
  return release;
}

void finish_sandbox(const LaunchSpec& spec, const Release& release) {
  const policies::JobSettings& settings = *spec.settings;
  const FilesystemContext context{spec.identity.uid, spec.identity.gid, spec.has(Namespace::pid)};
  std::optional<PreparedFilesystem> filesystem;
  // Host paths are opened with the caller's credentials, as the policy author expects...
  if (spec.has(Namespace::mount)) filesystem = prepare_filesystem(settings.filesystem, context);
  // ...everything else happens as the job's identity (keeping capabilities in our namespaces):
  // in a user namespace only a mapped id may create mount points, and nothing pid 1 does from
  // here on needs the caller's host identity.
  become(spec.identity, true);
  // The uid change cleared our parent-death signal: arm it again at once, so that a supervisor
  // killed while we build the sandbox takes us with it (dropping capabilities later keeps it).
  check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
  if (filesystem) {
    enter_filesystem(*filesystem, context);
    hardening::mask_kernel_paths();
  }
  if (spec.has(Namespace::uts)) {
    check(sethostname(settings.hostname.data(), settings.hostname.size()),
          "sethostname " + settings.hostname);
  }
  if (spec.has(Namespace::net)) net::configure_inside(settings.network, release.link());
  // Only our children enter a new time namespace: the job will be the first.
  if (spec.has(Namespace::time)) check(unshare(CLONE_NEWTIME), "unshare(CLONE_NEWTIME)");
}

// What pid 1 keeps of the job's privileges while it waits: none. Its ids are the job's already
// and its parent-death signal armed again (finish_sandbox), so only the capabilities it kept go
// (a capability drop leaves the parent-death signal set).
void shed_privileges() {
  drop_all_capabilities();
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
}

// Reaps every child; forwards signals to the job until it exits. Returns its wait status. Tells
// the supervisor when the job stops, for job control.
int supervise_job(pid_t job, const sigset_t& signals, int channel) {
  for (;;) {
    siginfo_t info{};
    const int sig = sigwaitinfo(&signals, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      throw_errno("sigwaitinfo");
    }
    if (sig != SIGCHLD) {
      kill(job, sig);  // ESRCH: it is exiting; the SIGCHLD follows
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0) {
      if (pid != job) continue;
      if (WIFSTOPPED(status)) {
        send(channel, ChildMessage::job_stopped(status));
        continue;
      }
      return status;
    }
  }
}

// No process is left in our pid namespace but us: the job reaped, no orphan of it running. Then
// the supervisor finishes the job on our report (its group is empty) and does not wait for our
// exit; with orphans it waits for our exit, which kills them.
bool alone() {
  return waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

// Our exit is the teardown of the namespaces we hold (the mounts, an RCU grace period: ~0.3 ms of
// kernel work). At the lowest priority it yields to the supervisor finishing the job and to
// whatever runs next, and is done on the CPU time left over (bench/README.md, session 7: where
// the scheduler keeps both on one CPU). After the report, never before it.
void lower_priority_for_exit() {
  if (setpriority(PRIO_PROCESS, 0, 19) != 0) {
    // Not fatal: the exit runs at our priority, as without it.
  }
}

}  // namespace

void run_pid1(const LaunchSpec& spec, int sync, int channel, bool background_exit) noexcept {
  try {
    check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
    std::vector<int> keep = stdio_fds(spec.stdio);
    keep.push_back(sync);
    keep.push_back(channel);
    if (spec.cgroup_join) {
      for (const auto& tasks : spec.cgroup_join->tasks) keep.push_back(tasks.fd.get());
    }
    close_other_fds(keep);
    const Release release = wait_for_release(sync);
    if (!spec.has(Namespace::pid)) {
      // No pid namespace: be the subreaper of the job's orphans instead of the host's init.
      check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
    }
    finish_sandbox(spec, release);
    const std::vector<sock_filter> seccomp = receive_program(sync);
    close(sync);

    const sigset_t signals = forwarded_signal_set({SIGCHLD});
    check(sigprocmask(SIG_BLOCK, &signals, nullptr), "sigprocmask");
    // In a new pid namespace we are pid 1 by definition: no getpid() for it.
    const pid_t self = spec.has(Namespace::pid) ? 1 : getpid();
    const pid_t job = spawn_job(spec, seccomp, channel, self);
    if (job < 0) throw_errno("start job");

    // The job joined its v1 groups through these (run_job); we stay out of them, so that the
    // job's groups can go as soon as the job's processes are gone, while our own exit (the
    // teardown of the namespaces we hold) still runs.
    std::vector<int> done_with = stdio_fds(spec.stdio);
    if (spec.cgroup_join) {
      for (const auto& tasks : spec.cgroup_join->tasks) done_with.push_back(tasks.fd.get());
    }
    close_fds(done_with);
    shed_privileges();
    const int status = supervise_job(job, signals, channel);
    rusage children{};
    getrusage(RUSAGE_CHILDREN, &children);
    send(channel, ChildMessage::job_exited(status, children));
    if (background_exit && alone()) lower_priority_for_exit();
    _exit(0);
  } catch (...) {
    report_failure_and_exit(channel, "pid 1 setup");
  }
}

}  // namespace sandbox
