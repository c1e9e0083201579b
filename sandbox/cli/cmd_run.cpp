// `sandbox run -p POLICY [--report FILE] [--cgroup-parent P] [--watch] [-- CMD ARGS...]`: run the
// policy's jobs (or the one command given after --) and exit with the run's exit code.
#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "commands.hpp"
#include "policy_input.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::cli {

namespace {

std::string duration_text(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

// One line per job that did not simply run to its end: what the user needs to know first.
void print_job_problems(const policies::Policy& policy, const RunReport& report) {
  for (size_t i = 0; i < report.jobs.size(); ++i) {
    const JobReport& job = report.jobs[i];
    const auto& limits = policy.jobs[i].settings.limits;
    if (!job.error.empty()) {
      fmt::print(stderr, "sandbox: job '{}': {}\n", job.name, job.error);
    } else if (job.status == "timeout") {
      // memory.high throttles instead of killing: a job held there looks hung, say why.
      const uint64_t throttled = job.usage ? job.usage->memory_high_events : 0;
      fmt::print(stderr, "sandbox: job '{}': wall time limit ({}) reached, killed{}\n", job.name,
                 limits.wall_time ? duration_text(*limits.wall_time) : std::string("?"),
                 throttled == 0 ? std::string()
                                : fmt::format("; it was throttled at memory_high ({} bytes) {} "
                                              "times, which slows a job down instead of killing it",
                                              limits.memory_high_bytes.value_or(0), throttled));
    } else if (job.status == "oom") {
      // v1 kills one process at a time: the job may have exited by itself after a worker died.
      fmt::print(stderr, "sandbox: job '{}': {}: out of memory{}\n", job.name,
                 job.signal
                     ? std::string("killed")
                     : fmt::format("exited with {} after an OOM kill of one of its processes",
                                   job.exit_code.value_or(0)),
                 limits.memory_bytes ? fmt::format(" (memory limit {} bytes)", *limits.memory_bytes)
                                     : std::string());
    }
  }
}

void write_report(const std::string& path, const RunReport& report) {
  const std::string text = to_json(report) + "\n";
  if (path == "-") {
    (void)std::fputs(text.c_str(), stderr);
    return;
  }
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (!file) {
    throw Error(exit_code::usage, "--report " + path + ": " + std::strerror(errno));
  }
  const bool written = std::fputs(text.c_str(), file) >= 0;
  if (std::fclose(file) != 0 || !written) {
    throw Error(exit_code::setup_failed, "--report " + path + ": write failed");
  }
}

}  // namespace

int run_command(const RunArguments& args) {
  auto policy = load_policy_or_print(args.policy);
  if (!policy) return exit_code::invalid_policy;
  if (policy->command_from_cli || !args.command.empty()) {
    try {
      policies::set_cli_command(*policy, args.command);
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "sandbox: run: {}\n", e.what());
      return exit_code::usage;
    }
  }
  RunOptions options;
  if (!args.cgroup_parent.empty()) options.cgroup_parent = args.cgroup_parent;
  options.watch = args.watch;
  // We exit right after the run: a pid 1 still finishing its exit is reaped by the system.
  options.leave_pid1_exiting = true;
  // The jobs' cgroup usage is shown only in the report and by --watch.
  options.usage = !args.report.empty() || args.watch;

  const RunReport report = sandbox::run(*policy, options);
  print_job_problems(*policy, report);
  if (!args.report.empty()) write_report(args.report, report);
  // The run is over and all it made is gone (run() removed its cgroups, closed its fds): what is
  // left is memory. Freeing it (the report, the policy, CLI11's and spdlog's objects: ~400 frees
  // and static destructors) writes to pages still copy-on-write from pid 1's fork, a fault each,
  // ~0.1 ms of every run's end for nothing the exit does not do. Flush what was printed and go.
  (void)std::fflush(nullptr);  // nothing to do about a failed flush on the way out
  std::_Exit(report.exit_code);
}

}  // namespace sandbox::cli
