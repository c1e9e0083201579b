#include "launch.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "child_protocol.hpp"
#include "pid1.hpp"
#include "sys_error.hpp"
#include "syscalls.hpp"

namespace sandbox {

namespace {

using policies::Namespace;

Pipe make_pipe(const char* what) {
  int fds[2];
  check(pipe2(fds, O_CLOEXEC), std::string("pipe for ") + what);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

uint64_t clone_flags(const LaunchSpec& spec) {
  // cgroup and time namespaces are made by pid 1 itself, later (see pid1.cpp).
  uint64_t flags = 0;
  if (spec.has(Namespace::user)) flags |= CLONE_NEWUSER;
  if (spec.has(Namespace::pid)) flags |= CLONE_NEWPID;
  if (spec.has(Namespace::mount)) flags |= CLONE_NEWNS;
  if (spec.has(Namespace::uts)) flags |= CLONE_NEWUTS;
  if (spec.has(Namespace::ipc)) flags |= CLONE_NEWIPC;
  if (spec.has(Namespace::net)) flags |= CLONE_NEWNET;
  return flags;
}

// Kills and reaps a child whose launch did not complete, on every error path.
class UnreleasedChild {
 public:
  explicit UnreleasedChild(int pidfd) : pidfd_(pidfd) {}
  ~UnreleasedChild() { kill_and_reap(); }
  UnreleasedChild(const UnreleasedChild&) = delete;
  UnreleasedChild& operator=(const UnreleasedChild&) = delete;
  void release() { pidfd_ = -1; }
  void kill_and_reap() {
    if (pidfd_ < 0) return;
    sys::pidfd_send_signal(pidfd_, SIGKILL);
    siginfo_t info{};
    sys::waitid_pidfd(pidfd_, &info, WEXITED, nullptr);
    pidfd_ = -1;
  }

 private:
  int pidfd_;
};

// The first failure the child reported, once it is gone (so reading cannot block).
std::optional<ChildMessage> reported_failure(int channel) {
  for (;;) {
    const Received received = receive(channel);
    if (!received.message) return std::nullopt;
    if (received.message->kind == ChildMessage::Kind::failure) return received.message;
  }
}

}  // namespace

LaunchedJob launch_job(const LaunchSpec& spec, const policies::Job& job, cgroup::Group& group,
                       net::RunNetwork* network, SeccompPrograms& seccomp) {
  Pipe sync = make_pipe("release");
  Pipe channel = make_pipe("job channel");

  const bool attaches = spec.cgroup_join && spec.cgroup_join->parent_attaches;
  const bool pid1_in_group = group.clone_into_fd() >= 0 || attaches;
  // As in Supervisor::finish_on_report: with a pid namespace and pid 1 out of the job's groups, the
  // job can finish on pid 1's report, and nothing waits for pid 1's exit.
  const bool background_exit =
      spec.pid1_exit_in_background && !pid1_in_group && spec.has(Namespace::pid);
  const auto child = sys::clone3({clone_flags(spec), group.clone_into_fd()});
  if (child.pid == 0) run_pid1(spec, sync.read.get(), channel.write.get(), background_exit);
  if (child.pid < 0) throw_errno("clone3");

  LaunchedJob launched{child.pid, UniqueFd(child.pidfd), std::move(channel.read), pid1_in_group};
  UnreleasedChild guard(launched.pidfd.get());
  sync.read.reset();
  channel.write.reset();

  try {
    if (spec.user_mapping) write_user_mapping(child.pid, *spec.user_mapping);
    if (attaches) group.attach(child.pid);
    std::optional<net::JobLink> link;
    if (network && spec.has(Namespace::net) &&
        spec.settings->network.mode == policies::Network::Mode::bridged) {
      link = network->attach(job, child.pid);
    }

    const Release release = Release::with(link);
    const ssize_t written = write(sync.write.get(), &release, sizeof release);
    if (written != static_cast<ssize_t>(sizeof release)) throw_errno("release job");
    // pid 1 is busy with its mounts now; it reads the filter just before it forks the job.
    send_program(sync.write.get(), seccomp.get(spec.settings->seccomp));
  } catch (const std::exception&) {
    // A child that failed first makes our next step fail too (EPIPE, ESRCH): its own report is
    // the real reason.
    guard.kill_and_reap();
    if (const auto failure = reported_failure(launched.channel.get())) {
      throw Error(failure->exit_code, failure->message());
    }
    throw;
  }
  check(fcntl(launched.channel.get(), F_SETFL, O_NONBLOCK), "job channel O_NONBLOCK");
  guard.release();
  return launched;
}

}  // namespace sandbox
