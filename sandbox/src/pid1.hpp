// Pid 1 of a job: the cloned child. It finishes the sandbox (mounts, hostname, network) once the
// supervisor releases it, forks the job, then stays as its init: reaps orphans, forwards signals,
// and when the job exits reports its wait status to the supervisor and exits (which kills every
// process left in the pid namespace).
#pragma once

#include "launch_spec.hpp"

namespace sandbox {

// Never returns. `sync` is the read end of the release pipe, `channel` the write end of the
// channel to the supervisor; every other inherited fd is closed first.
[[noreturn]] void run_pid1(const LaunchSpec& spec, int sync, int channel) noexcept;

}  // namespace sandbox
