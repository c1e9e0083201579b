// Pid 1 of a job: the cloned child. It finishes the sandbox (mounts, hostname, network) once the
// supervisor releases it, forks the job, then stays as its init: reaps orphans, forwards signals,
// and when the job exits reports its wait status to the supervisor and exits (which kills every
// process left in the pid namespace).
#pragma once

#include "launch_spec.hpp"

namespace sandbox {

// Never returns. `sync` is the read end of the release pipe, `channel` the write end of the
// channel to the supervisor; every other inherited fd is closed first. With `background_exit`
// (we have a pid namespace, and the supervisor neither waits for our exit nor needs it to remove
// the job's groups), our exit after the report, when nothing else is left in our pid namespace,
// runs at the lowest priority (nice 19): the teardown of the namespaces we hold (~0.3 ms of
// kernel work) then yields to the supervisor finishing the job, and to whatever runs next.
[[noreturn]] void run_pid1(const LaunchSpec& spec, int sync, int channel,
                           bool background_exit) noexcept;

}  // namespace sandbox
