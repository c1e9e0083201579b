// `sandbox check [-p POLICY] [--json]`: what this host offers sandboxes, one line per feature.
#include <fmt/core.h>

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

int check_command(const CheckArguments& args) {
  int exit_code = exit_code::ok;
  const auto host = cgroup::detect();
  auto features = host_features(host);
  const bool can_run = host_can_run(features, host);

  std::vector<policies::Diagnostic> problems;
  bool policy_loaded = true;
  if (!args.policy.empty()) {
    if (auto policy = load_policy_or_print(args.policy)) {
      problems = check_policy_against_host(*policy, host);
    } else {
      policy_loaded = false;
    }
  }

  if (args.json) {
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
    if (!args.policy.empty() && policy_loaded && problems.empty()) {
      fmt::print("policy {}: can run on this host\n", args.policy);
    }
  }
  if (!policy_loaded) {
    exit_code = exit_code::invalid_policy;
  } else if (!can_run || !problems.empty()) {
    exit_code = exit_code::host_unsupported;
  }
  return exit_code;
}

}  // namespace sandbox::cli
