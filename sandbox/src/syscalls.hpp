// System calls that glibc 2.36 does not wrap, with the types the runtime uses.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>

namespace sandbox::sys {

struct CloneRequest {
  uint64_t flags = 0;  // CLONE_NEW* and CLONE_INTO_CGROUP; CLONE_PIDFD is always added
  int cgroup_fd = -1;  // for CLONE_INTO_CGROUP
};
struct CloneResult {
  pid_t pid = -1;  // 0 in the child
  int pidfd = -1;  // in the parent
};
// clone3() without a new stack: fork semantics (the child continues here with a copy of the
// address space). Returns {-1, -1} with errno set on failure.
CloneResult clone3(const CloneRequest& request);

int pivot_root(const char* new_root, const char* put_old);

// Glibc 2.36 declares pidfd_send_signal without C linkage; the raw call avoids that.
int pidfd_send_signal(int pidfd, int sig);

// waitid(P_PIDFD, pidfd, ..., WEXITED) that also returns the child's resource usage (which
// includes every descendant it reaped), as the raw system call allows.
int waitid_pidfd(int pidfd, siginfo_t* info, int options, struct rusage* usage);

}  // namespace sandbox::sys
