// `sandbox`: run jobs in namespaces and cgroups as a YAML policy says. See `sandbox --help`.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "sandbox/sandbox.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sandbox: run jobs in their own namespaces and cgroups, sharing the machine as a "
               "YAML policy says."};
  app.set_version_flag("--version", "sandbox " SANDBOX_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(R"(Examples:
  sandbox run -p examples/single.yaml -- make -j8        one job, command from the command line
  sandbox run -p examples/farm-75-25.yaml --report -     two jobs sharing one CPU 75/25
  sandbox validate policies/*.yaml                       check policy files
  sandbox explain examples/farm-75-25.yaml               the effective policy and kernel settings
  sandbox check                                          what this host offers

Exit codes: the job's own code (128+N for signal N); 1 bad usage; 2 invalid policy; 3 host lacks
a needed feature; 124 timed out; 125 setup failed; 126 cannot execute; 127 command not found.)");

  std::string log_level = "warn";
  app.add_option("-l,--log-level", log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_flag_callback("-v,--verbose", [&] { log_level = "debug"; }, "Same as --log-level debug");
  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(log_level)); });

  int exit_code = sandbox::exit_code::ok;
  sandbox::cli::add_run_command(app, exit_code);
  sandbox::cli::add_validate_command(app, exit_code);
  sandbox::cli::add_explain_command(app, exit_code);
  sandbox::cli::add_check_command(app, exit_code);
  sandbox::cli::add_gc_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : sandbox::exit_code::usage;
  } catch (const sandbox::Error& e) {
    fmt::print(stderr, "sandbox: {}\n", e.what());
    return e.code;
  }
  return exit_code;
}
