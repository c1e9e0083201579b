// `sandbox`: run jobs in namespaces and cgroups as a YAML policy says. See `sandbox --help`.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "arguments.hpp"
#include "commands.hpp"
#include "sandbox/sandbox.hpp"

namespace {

int dispatch(const sandbox::cli::Arguments& args) {
  using namespace sandbox::cli;
  if (args.command == "run") return run_command(args.run);
  if (args.command == "validate") return validate_command(args.validate);
  if (args.command == "explain") return explain_command(args.explain);
  if (args.command == "check") return check_command(args.check);
  return gc_command();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app;
  sandbox::cli::Arguments args;
  sandbox::cli::declare_command_line(app, args, sandbox::cli::named_subcommand(argc, argv));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : sandbox::exit_code::usage;
  }
  spdlog::set_level(spdlog::level::from_str(args.log_level));
  try {
    return dispatch(args);
  } catch (const sandbox::Error& e) {
    fmt::print(stderr, "sandbox: {}\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    // Whatever else went wrong before or around the jobs (a cgroup or netlink call the host
    // refused): one line, and the setup-failure code rather than an abort.
    fmt::print(stderr, "sandbox: {}: {}\n", args.command, e.what());
    return sandbox::exit_code::setup_failed;
  }
}
