// The CPU time of one cgroup, read cheaply and often (every 100 ms per job, for achieved shares):
// one pread of a file kept open, instead of Group::usage() which reads every controller.
#pragma once

#include <cstdint>
#include <optional>

#include "cgroup/cgroup.hpp"
#include "unique_fd.hpp"

namespace sandbox {

class CpuMeter {
 public:
  // v1 cpuacct.usage when the group has a cpuacct hierarchy, else v2 cpu.stat usage_usec.
  CpuMeter(const cgroup::Host& host, const cgroup::Group& group);
  // Cumulative CPU time in microseconds; nullopt when the group has no CPU accounting.
  std::optional<uint64_t> read_us() const;

 private:
  UniqueFd fd_;
  bool nanoseconds_ = false;  // cpuacct.usage counts ns; cpu.stat usage_usec is already in us
};

}  // namespace sandbox
