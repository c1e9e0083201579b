// The job itself: the process pid 1 forks, which applies the per-process part of the policy in a
// fixed order and then execs the command. See docs/design.md "Order of setup".
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <vector>

#include "launch_spec.hpp"

namespace sandbox {

// Never returns: execs the command, or reports the failing step on `channel` and exits with its
// code (125 setup, 126 cannot execute, 127 not found). `init` is the pid of our parent; `seccomp`
// the compiled filter to load last (empty: none).
[[noreturn]] void run_job(const LaunchSpec& spec, const std::vector<sock_filter>& seccomp,
                          int channel, pid_t init) noexcept;

}  // namespace sandbox
