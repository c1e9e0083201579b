// `sandbox check [-p POLICY] [--json]`: what this host offers sandboxes, one line per feature.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "host_check.hpp"
#include "policy_input.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::cli {

namespace {

// Without these no sandbox can run at all: mount and pid isolation, some cgroup to account in.
bool host_can_run(const std::vector<HostFeature>& features, const cgroup::Host& host) {
  for (const auto& feature : features) {
    if (feature.essential && !feature.ok) return false;
  }
  for (const auto& [name, controller] : host.controllers) {
    if (controller.usable) return true;
  }
  return !host.unified_mount.empty();
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check", "Show what this host offers: cgroups, namespaces, seccomp, "
                                          "network modules (and whether a policy can run here)");
  auto json = std::make_shared<bool>(false);
  auto policy_file = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->add_option("-p,--policy", *policy_file, "Also check that this policy can run here")
      ->check(CLI::ExistingFile);
  cmd->callback([json, policy_file, &exit_code] {
    const auto host = cgroup::detect();
    auto features = host_features(host);
    const bool can_run = host_can_run(features, host);

    std::vector<policies::Diagnostic> problems;
    bool policy_loaded = true;
    if (!policy_file->empty()) {
      if (auto policy = load_policy_or_print(*policy_file)) {
        problems = check_policy_against_host(*policy, host);
      } else {
        policy_loaded = false;
      }
    }

    if (*json) {
      nlohmann::json out;
      out["layout"] = cgroup::to_string(host.layout);
      out["can_run"] = can_run;
      for (const auto& f : features) {
        out["features"].push_back({{"name", f.name}, {"ok", f.ok}, {"detail", f.detail}});
      }
      for (const auto& p : problems) out["policy_problems"].push_back(p.to_string());
      fmt::print("{}\n", out.dump(2));
    } else {
      for (const auto& f : features) {
        fmt::print("{:<8} {:<28} {}\n", f.ok ? "ok" : "missing", f.name, f.detail);
      }
      print_diagnostics(problems);
      if (!policy_file->empty() && policy_loaded && problems.empty()) {
        fmt::print("policy {}: can run on this host\n", *policy_file);
      }
    }
    if (!policy_loaded) {
      exit_code = exit_code::invalid_policy;
    } else if (!can_run || !problems.empty()) {
      exit_code = exit_code::host_unsupported;
    }
  });
}

}  // namespace sandbox::cli
