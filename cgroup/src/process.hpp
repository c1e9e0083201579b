// Process identity for run group names: a pid plus its start time tells a live owner from a dead
// one whose pid was reused. Internal.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace cgroup {

// Start time of a process (clock ticks since boot), nullopt when it does not exist.
std::optional<uint64_t> process_starttime(pid_t pid);

}  // namespace cgroup
