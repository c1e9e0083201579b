// `sandbox validate FILE...`: load, validate and check each policy against this host.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "host_check.hpp"
#include "policy_input.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::cli {

void add_validate_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate", "Check policy files; every error as file:line:column");
  auto files = std::make_shared<std::vector<std::string>>();
  auto syntax_only = std::make_shared<bool>(false);
  cmd->add_option("files", *files, "Policy files")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--syntax-only", *syntax_only,
                "Do not check that this host can enforce the policy (namespaces, controllers)");
  cmd->callback([files, syntax_only, &exit_code] {
    std::optional<cgroup::Host> host;
    for (const auto& file : *files) {
      auto policy = load_policy_or_print(file);
      if (!policy) {
        exit_code = exit_code::invalid_policy;
        continue;
      }
      if (!*syntax_only) {
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
  });
}

}  // namespace sandbox::cli
