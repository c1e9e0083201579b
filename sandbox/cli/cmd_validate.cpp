// `sandbox validate FILE...`: load, validate and check each policy against this host.
#include <fmt/core.h>

#include "commands.hpp"
#include "host_check.hpp"
#include "policy_input.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::cli {

int validate_command(const ValidateArguments& args) {
  int exit_code = exit_code::ok;
  std::optional<cgroup::Host> host;
  for (const auto& file : args.files) {
    auto policy = load_policy_or_print(file);
    if (!policy) {
      exit_code = exit_code::invalid_policy;
      continue;
    }
    if (!args.syntax_only) {
      if (!host) host = cgroup::detect();
      auto problems = check_policy_against_host(*policy, *host);
      if (!problems.empty()) {
        print_diagnostics(problems);
        if (exit_code == exit_code::ok) exit_code = exit_code::host_unsupported;
        continue;
      }
    }
    fmt::print("{}: ok ({} job{})\n", file, policy->jobs.size(),
               policy->jobs.size() == 1 ? "" : "s");
  }
  return exit_code;
}

}  // namespace sandbox::cli
