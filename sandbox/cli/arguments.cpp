// The declaration of the `sandbox` command line (see arguments.hpp).
#include "arguments.hpp"

#include <CLI/CLI.hpp>

namespace sandbox::cli {

namespace {

constexpr const char* app_footer = R"(Examples:
  sandbox run -p examples/single.yaml -- make -j8        one job, command from the command line
  sandbox run -p examples/farm-75-25.yaml --report -     two jobs sharing one CPU 75/25
  sandbox validate policies/*.yaml                       check policy files
  sandbox explain examples/farm-75-25.yaml               the effective policy and kernel settings
  sandbox check                                          what this host offers

Exit codes: the job's own code (128+N for signal N); 1 bad usage; 2 invalid policy; 3 host lacks
a needed feature; 4 a host resource the policy names is taken (a port); 124 timed out; 125 setup
failed; 126 cannot execute; 127 command not found.)";

// Records which subcommand the user gave once its options are all parsed.
CLI::App* subcommand(CLI::App& app, Arguments& args, const std::string& name,
                     const std::string& description) {
  auto* cmd = app.add_subcommand(name, description);
  cmd->parse_complete_callback([&args, name] { args.command = name; });
  return cmd;
}

void declare_run(CLI::App& app, Arguments& args) {
  auto* cmd = subcommand(
      app, args, "run",
      "Run a policy's jobs (or the command after --) in their sandboxes and wait for them");
  RunArguments& run = args.run;
  cmd->add_option("-p,--policy", run.policy, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--report", run.report, "Write the JSON report to FILE ('-' for stderr)");
  cmd->add_option("--cgroup-parent", run.cgroup_parent,
                  "Create the run's cgroups below P instead of below our own cgroup");
  cmd->add_flag("--watch", run.watch, "Print each job's CPU, memory and pids every second");
  cmd->add_option("command", run.command,
                  "For a policy without jobs: the command to run, after --");
  cmd->footer(R"(Examples:
  sandbox run -p examples/single.yaml -- sh          an interactive shell in a sandbox
  sandbox run -p examples/farm-75-25.yaml --report -   two jobs, report on stderr)");
}

void declare_validate(CLI::App& app, Arguments& args) {
  auto* cmd =
      subcommand(app, args, "validate", "Check policy files; every error as file:line:column");
  cmd->add_option("files", args.validate.files, "Policy files")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--syntax-only", args.validate.syntax_only,
                "Do not check that this host can enforce the policy (namespaces, controllers)");
}

void declare_explain(CLI::App& app, Arguments& args) {
  auto* cmd =
      subcommand(app, args, "explain",
                 "Show the effective policy after defaults and the kernel settings of each job");
  cmd->add_option("file", args.explain.file, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", args.explain.json, "Print JSON");
}

void declare_check(CLI::App& app, Arguments& args) {
  auto* cmd = subcommand(app, args, "check",
                         "Show what this host offers: cgroups, namespaces, seccomp, network "
                         "modules (and whether a policy can run here)");
  cmd->add_flag("--json", args.check.json, "Print JSON");
  cmd->add_option("-p,--policy", args.check.policy, "Also check that this policy can run here")
      ->check(CLI::ExistingFile);
}

void declare_gc(CLI::App& app, Arguments& args) {
  subcommand(app, args, "gc",
             "Remove cgroups and network devices of sandboxes whose supervisor is gone");
}

// Every subcommand, by the name its declaration gives it.
struct Subcommand {
  const char* name;
  void (*declare)(CLI::App&, Arguments&);
};
constexpr Subcommand subcommands[] = {{"run", declare_run},
                                      {"validate", declare_validate},
                                      {"explain", declare_explain},
                                      {"check", declare_check},
                                      {"gc", declare_gc}};

}  // namespace

const std::vector<std::string>& log_levels() {
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  return levels;
}

std::string named_subcommand(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "-v" || word == "--verbose" || word.starts_with("--log-level=")) continue;
    if (word == "-l" || word == "--log-level") {
      ++i;  // its value
      continue;
    }
    for (const Subcommand& subcommand : subcommands) {
      if (word == subcommand.name) return word;
    }
    return "";
  }
  return "";
}

void declare_command_line(CLI::App& app, Arguments& args, const std::string& only) {
  app.description(
      "sandbox: run jobs in their own namespaces and cgroups, sharing the machine as a YAML "
      "policy says.");
  app.set_version_flag("--version", "sandbox " SANDBOX_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(app_footer);
  app.add_option("-l,--log-level", args.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember(log_levels()));
  app.add_flag_callback(
      "-v,--verbose", [&args] { args.log_level = "debug"; }, "Same as --log-level debug");
  for (const Subcommand& subcommand : subcommands) {
    if (only.empty() || only == subcommand.name) subcommand.declare(app, args);
  }
}

}  // namespace sandbox::cli
