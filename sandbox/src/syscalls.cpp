#include "syscalls.hpp"

#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace sandbox::sys {

CloneResult clone3(const CloneRequest& request) {
  int pidfd = -1;
  clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = request.flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (request.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(request.cgroup_fd);
  }
  const long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return {-1, -1};
  return {static_cast<pid_t>(pid), pid == 0 ? -1 : pidfd};
}

int pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(syscall(SYS_pivot_root, new_root, put_old));
}

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

int waitid_pidfd(int pidfd, siginfo_t* info, int options, struct rusage* usage) {
  return static_cast<int>(syscall(SYS_waitid, P_PIDFD, pidfd, info, options, usage));
}

}  // namespace sandbox::sys
