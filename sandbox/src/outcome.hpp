// How a job ended, from what its processes reported, and the exit code of a whole run. Pure
// logic, shared by the supervisor and its tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox.hpp"

namespace sandbox {

struct JobEnd {
  std::optional<int> failure_code;  // a setup or exec failure reported on the channel
  std::string failure_text;
  std::optional<int> job_status;   // the job's wait status, from pid 1
  std::optional<int> pid1_signal;  // pid 1 itself was killed (timeout, OOM, kill_all)
  std::optional<int> pid1_exit;    // pid 1 exited without a job status (setup failure)
  bool timed_out = false;
  uint64_t oom_kills = 0;  // OOM kills in the job's cgroup (and below)
};

// Sets status, exit_code, signal and error of `report` (see JobReport::status).
void classify(const JobEnd& end, JobReport& report);

// The code `sandbox` exits with for this job: its exit code, 128+N for signal N, 124 for a
// timeout, 137 (128+SIGKILL) for oom, 125/126/127 for the tool's failures.
int tool_exit_code(const JobReport& report);

// One job: its code. Several: 0 when all succeeded, else the code of the first failing job (in
// policy order).
int run_exit_code(const std::vector<JobReport>& jobs);

}  // namespace sandbox
