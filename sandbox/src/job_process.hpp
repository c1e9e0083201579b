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
// the compiled filter to load last (empty: none). The job inherits its parent's identity: pid 1
// has become the job's identity, keeping its capabilities.
[[noreturn]] void run_job(const LaunchSpec& spec, const std::vector<sock_filter>& seccomp,
                          int channel, pid_t init) noexcept;

// Starts run_job in a child of the calling pid 1 and returns its pid (-1 and errno when the clone
// fails). The child shares our memory until it execs or exits, on a stack of its own, as
// posix_spawn does (CLONE_VM | CLONE_VFORK): no page tables are copied and neither process takes
// copy-on-write faults, a measurable part of a job's start (bench/README.md). We sleep meanwhile.
pid_t spawn_job(const LaunchSpec& spec, const std::vector<sock_filter>& seccomp, int channel,
                pid_t init);

}  // namespace sandbox
