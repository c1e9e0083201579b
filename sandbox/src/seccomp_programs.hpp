// Compiled seccomp filters of a run, one per distinct seccomp policy: libseccomp compiles each
// once in the supervisor (while the first job's pid 1 builds its mounts), every job only loads the
// BPF it is sent. The default filter, the common case, was compiled at build time instead
// (seccomp_precompiled.hpp). See docs/design.md "Seccomp".
#pragma once

#include <linux/filter.h>

#include <vector>

#include "policies/policy.hpp"

namespace sandbox {

class SeccompPrograms {
 public:
  // The program for `policy`: the build's precompiled default filter, or compiled on first use.
  // Throws Error(setup_failed) for a policy libseccomp cannot compile (an unknown syscall name).
  const std::vector<sock_filter>& get(const policies::Seccomp& policy);

 private:
  struct Entry {
    policies::Seccomp policy;
    std::vector<sock_filter> program;
  };
  std::vector<Entry> entries_;
};

// The program over a pipe: a count, then the instructions (possibly more than PIPE_BUF bytes).
void send_program(int fd, const std::vector<sock_filter>& program);
std::vector<sock_filter> receive_program(int fd);

}  // namespace sandbox
