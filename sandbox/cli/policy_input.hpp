// Loading a policy for a subcommand: diagnostics printed one per line, as compilers do.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policies/loader.hpp"

namespace sandbox::cli {

// Prints each as "file:line:column: error: key: message" on stderr.
void print_diagnostics(const std::vector<policies::Diagnostic>& diagnostics);

// The loaded policy, or nullopt after printing why it does not load.
std::optional<policies::Policy> load_policy_or_print(const std::string& path);

}  // namespace sandbox::cli
