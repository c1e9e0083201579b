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
// `command`). Parse errors, --help and --version throw CLI::ParseError as CLI11 does. With `only`
// (a subcommand's name) just that subcommand is declared beside the global options: what main
// does when named_subcommand() found one, since building every subcommand's CLI11 objects was a
// tenth of a millisecond of each `sandbox run`.
void declare_command_line(CLI::App& app, Arguments& args, const std::string& only = "");

// The subcommand `argv` names when only global options (-v, -l LEVEL and their long forms)
// precede it; empty otherwise (no subcommand, --help, --version, a typo, anything unusual), which
// then gets the whole declaration and so CLI11's full help and messages. The command-line fuzzer
// checks that both declarations parse every argv alike.
std::string named_subcommand(int argc, const char* const* argv);

}  // namespace sandbox::cli
