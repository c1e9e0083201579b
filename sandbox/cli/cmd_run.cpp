// `sandbox run -p POLICY [--report FILE] [--cgroup-parent P] [--watch] [-- CMD ARGS...]`: run the
// policy's jobs (or the one command given after --) and exit with the run's exit code.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "commands.hpp"
#include "policy_input.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::cli {

namespace {

struct RunArguments {
  std::string policy;
  std::string report;
  std::string cgroup_parent;
  bool watch = false;
  std::vector<std::string> command;
};

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
      fmt::print(stderr, "sandbox: job '{}': wall time limit ({}) reached, killed\n", job.name,
                 limits.wall_time ? duration_text(*limits.wall_time) : std::string("?"));
    } else if (job.status == "oom") {
      fmt::print(stderr, "sandbox: job '{}': killed: out of memory{}\n", job.name,
                 limits.memory_bytes ? fmt::format(" (memory limit {} bytes)", *limits.memory_bytes)
                                     : std::string());
    }
  }
}

void write_report(const std::string& path, const RunReport& report) {
  const std::string text = to_json(report) + "\n";
  if (path == "-") {
    std::fputs(text.c_str(), stderr);
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

  const RunReport report = sandbox::run(*policy, options);
  print_job_problems(*policy, report);
  if (!args.report.empty()) write_report(args.report, report);
  return report.exit_code;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "run", "Run a policy's jobs (or the command after --) in their sandboxes and wait for them");
  auto args = std::make_shared<RunArguments>();
  cmd->add_option("-p,--policy", args->policy, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--report", args->report, "Write the JSON report to FILE ('-' for stderr)");
  cmd->add_option("--cgroup-parent", args->cgroup_parent,
                  "Create the run's cgroups below P instead of below our own cgroup");
  cmd->add_flag("--watch", args->watch, "Print each job's CPU, memory and pids every second");
  cmd->add_option("command", args->command,
                  "For a policy without jobs: the command to run, after --");
  cmd->footer(R"(Examples:
  sandbox run -p examples/single.yaml -- sh          an interactive shell in a sandbox
  sandbox run -p examples/farm-75-25.yaml --report -   two jobs, report on stderr)");
  cmd->callback([args, &exit_code] {
    try {
      exit_code = run_command(*args);
    } catch (const Error&) {
      throw;  // printed by main with its exit code
    } catch (const std::exception& e) {
      fmt::print(stderr, "sandbox: run: {}\n", e.what());
      exit_code = exit_code::setup_failed;
    }
  });
}

}  // namespace sandbox::cli
