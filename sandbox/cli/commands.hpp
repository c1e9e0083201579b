// What the subcommands of the `sandbox` tool do, once arguments.cpp has parsed their arguments.
// Each returns the process exit code (see sandbox::exit_code).
#pragma once

#include "arguments.hpp"

namespace sandbox::cli {

int run_command(const RunArguments& args);            // cmd_run.cpp
int validate_command(const ValidateArguments& args);  // cmd_validate.cpp
int explain_command(const ExplainArguments& args);    // cmd_explain.cpp
int check_command(const CheckArguments& args);        // cmd_check.cpp
int gc_command();                                     // cmd_gc.cpp

}  // namespace sandbox::cli
