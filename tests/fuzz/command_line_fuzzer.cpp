// libFuzzer target for the `sandbox` command line (sandbox/cli/arguments.cpp, the declaration the
// tool itself parses with): the input, split at NUL bytes, is argv after "sandbox". Any argv must
// parse or be refused with a CLI11 parse error (which the tool turns into a message and exit 1),
// never crash, hang, throw anything else, or break the promises below. Run by scripts/fuzz.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "arguments.hpp"

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "command line broke a promise: %s\n", what.c_str());
  std::abort();
}

// A real command line has a few dozen words at most; more only slows the fuzzer down.
constexpr size_t max_words = 64;

std::vector<std::string> split_words(const uint8_t* data, size_t size) {
  std::vector<std::string> words(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != '\0') {
      words.back().push_back(static_cast<char>(data[i]));
    } else if (words.size() < max_words) {
      words.emplace_back();
    }
  }
  return words;
}

// What a successful parse promises the command that runs next.
void check(const sandbox::cli::Arguments& args, const CLI::App& app) {
  using namespace sandbox::cli;
  if (app.get_subcommands().size() != 1) broken("parsed without exactly one subcommand");
  if (args.command != app.get_subcommands().front()->get_name())
    broken("args.command is '" + args.command + "', not the subcommand given");
  const auto& levels = log_levels();
  if (std::find(levels.begin(), levels.end(), args.log_level) == levels.end())
    broken("an unknown log level passed: " + args.log_level);
  if (args.command == "run" && args.run.policy.empty()) broken("run without a policy");
  if (args.command == "validate" && args.validate.files.empty()) broken("validate without files");
  if (args.command == "explain" && args.explain.file.empty()) broken("explain without a file");
}

// How one declaration took an argv: the arguments, or the exit code of its ParseError (0 for
// --help and --version), as main would exit.
struct Outcome {
  bool parsed = false;
  int exit_code = 0;
  sandbox::cli::Arguments args;
};

Outcome parse_with(const std::vector<const char*>& argv, const std::string& only) {
  CLI::App app;
  Outcome outcome;
  sandbox::cli::declare_command_line(app, outcome.args, only);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    // What the tool prints for it must format too (help, version and every error message).
    std::ostringstream out, err;
    outcome.exit_code = app.exit(e, out, err);
    return outcome;
  }
  // Anything else escaping parse() would end the fuzzer here as an uncaught exception.
  check(outcome.args, app);
  outcome.parsed = true;
  return outcome;
}

bool same(const sandbox::cli::Arguments& a, const sandbox::cli::Arguments& b) {
  return a.log_level == b.log_level && a.command == b.command && a.run.policy == b.run.policy &&
         a.run.report == b.run.report && a.run.cgroup_parent == b.run.cgroup_parent &&
         a.run.watch == b.run.watch && a.run.command == b.run.command &&
         a.validate.files == b.validate.files && a.validate.syntax_only == b.validate.syntax_only &&
         a.explain.file == b.explain.file && a.explain.json == b.explain.json &&
         a.check.policy == b.check.policy && a.check.json == b.check.json;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> words = split_words(data, size);
  std::vector<const char*> argv = {"sandbox"};
  for (const auto& word : words) argv.push_back(word.c_str());

  const Outcome whole = parse_with(argv, "");
  // main declares only the subcommand named up front: it must take every argv as the whole
  // declaration does (same arguments, or an error or help alike).
  const std::string only =
      sandbox::cli::named_subcommand(static_cast<int>(argv.size()), argv.data());
  if (only.empty()) return 0;
  const Outcome narrow = parse_with(argv, only);
  if (whole.parsed != narrow.parsed || (whole.exit_code == 0) != (narrow.exit_code == 0)) {
    broken("declaring only '" + only + "' changes the outcome: " +
           (whole.parsed ? "parsed" : "exit " + std::to_string(whole.exit_code)) + " vs " +
           (narrow.parsed ? "parsed" : "exit " + std::to_string(narrow.exit_code)));
  }
  if (whole.parsed && !same(whole.args, narrow.args)) {
    broken("declaring only '" + only + "' changes the parsed arguments");
  }
  return 0;
}
