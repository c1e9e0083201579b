// The `sandbox` command line: every subcommand, option and check, and nothing of what the commands
// do. main.cpp parses with it and dispatches; the command-line fuzzer (tests/fuzz) drives the same
// declaration without running anything.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sandbox::cli {

struct RunArguments {
  std::string policy;
  std::string report;  // "-": stderr
  std::string cgroup_parent;
  bool watch = false;
  std::vector<std::string> command;  // after --, for a policy without jobs
};

struct ValidateArguments {
  std::vector<std::string> files;
  bool syntax_only = false;
};

struct ExplainArguments {
  std::string file;
  bool json = false;
};

struct CheckArguments {
  std::string policy;  // empty: only describe the host
  bool json = false;
};

struct Arguments {
  std::string log_level = "warn";  // one of log_levels()
  std::string command;             // the subcommand given: run, validate, explain, check or gc
  RunArguments run;
  ValidateArguments validate;
  ExplainArguments explain;
  CheckArguments check;
};

// The names --log-level accepts.
const std::vector<std::string>& log_levels();

// Declares the whole command line on `app`; a successful app.parse() fills `args` (including
// `command`). Parse errors, --help and --version throw CLI::ParseError as CLI11 does.
void declare_command_line(CLI::App& app, Arguments& args);

}  // namespace sandbox::cli
