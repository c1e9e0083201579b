#include "outcome.hpp"

#include <signal.h>
#include <sys/wait.h>

namespace sandbox {

namespace {
const char* failure_status(int code) {
  switch (code) {
    case exit_code::not_found:
      return "not_found";
    case exit_code::cannot_execute:
      return "cannot_execute";
    default:
      return "setup_failed";
  }
}
}  // namespace

void classify(const JobEnd& end, JobReport& report) {
  report.exit_code.reset();
  report.signal.reset();
  if (end.failure_code) {
    report.status = failure_status(*end.failure_code);
    report.exit_code = *end.failure_code;
    report.error = end.failure_text;
  } else if (end.job_status && WIFEXITED(*end.job_status)) {
    report.status = "exited";
    report.exit_code = WEXITSTATUS(*end.job_status);
  } else if (end.job_status && WIFSIGNALED(*end.job_status)) {
    report.status = "signaled";
    report.signal = WTERMSIG(*end.job_status);
  } else if (end.pid1_signal) {
    // The whole sandbox was killed before pid 1 could report (wall time, OOM, kill_all).
    report.status = "signaled";
    report.signal = *end.pid1_signal;
  } else {
    report.status = "setup_failed";
    report.exit_code = exit_code::setup_failed;
    if (report.error.empty()) {
      report.error = end.pid1_exit ? "the sandbox's pid 1 exited with " +
                                         std::to_string(*end.pid1_exit) + " before starting the job"
                                   : "the sandbox's pid 1 ended without a report";
    }
    return;
  }
  if (end.failure_code) return;
  if (end.timed_out) {
    report.status = "timeout";
  } else if (end.oom_kills > 0) {
    // The OOM killer ended processes of the job: on v2 (memory.oom.group) the whole job, so pid 1
    // reports SIGKILL; on v1, which kills one process at a time, maybe only a worker, after which
    // the job may still exit by itself (its code stays in exit_code). Either way the job ran out
    // of memory and its work is incomplete: the same status and exit code on both.
    report.status = "oom";
  }
}

int tool_exit_code(const JobReport& report) {
  if (report.status == "timeout") return exit_code::timeout;
  if (report.status == "oom") return 128 + SIGKILL;
  if (report.signal) return 128 + *report.signal;
  if (report.exit_code) return *report.exit_code;
  return exit_code::setup_failed;
}

int run_exit_code(const std::vector<JobReport>& jobs) {
  if (jobs.size() == 1) return tool_exit_code(jobs.front());
  for (const auto& job : jobs) {
    if (const int code = tool_exit_code(job); code != 0) return code;
  }
  return exit_code::ok;
}

}  // namespace sandbox
