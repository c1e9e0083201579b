// Loading and validating policy files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policies/policy.hpp"

namespace policies {

// One problem found in a policy. Printed as "file:line:column: error: key: message".
struct Diagnostic {
  SourceLocation where;
  std::string key;      // dotted path of the offending key, e.g. "jobs[1].limits.memory"
  std::string message;  // what is wrong, and what would be right ("did you mean 'memory'?")
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Policy> policy;      // set only when diagnostics is empty
  std::vector<Diagnostic> diagnostics;  // every error found, not only the first
  bool ok() const { return policy.has_value(); }
};

// Parses and validates. Never throws for bad input; all problems come back as diagnostics.
// `display_name` is used in locations (defaults to the path).
LoadResult load_policy_file(const std::string& path);
LoadResult load_policy_string(const std::string& yaml, const std::string& display_name);

// Fills in the command of a command-line policy (one without `jobs:`), checking it is not empty.
void set_cli_command(Policy& policy, const std::vector<std::string>& command);

}  // namespace policies
