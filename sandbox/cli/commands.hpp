// The subcommands of the `sandbox` tool. Each registers itself on the app; its callback stores
// the process exit code in `exit_code` (see sandbox::exit_code).
#pragma once

namespace CLI {
class App;
}

namespace sandbox::cli {

void add_run_command(CLI::App& app, int& exit_code);       // cmd_run.cpp
void add_validate_command(CLI::App& app, int& exit_code);  // cmd_validate.cpp
void add_explain_command(CLI::App& app, int& exit_code);   // cmd_explain.cpp
void add_check_command(CLI::App& app, int& exit_code);     // cmd_check.cpp
void add_gc_command(CLI::App& app, int& exit_code);        // cmd_gc.cpp

}  // namespace sandbox::cli
