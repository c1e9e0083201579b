// `sandbox explain FILE [--json]`: the effective policy after defaults, and for each job the exact
// cgroup writes it becomes on this host.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cgroup_limits.hpp"
#include "commands.hpp"
#include "policy_input.hpp"
#include "policy_json.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::cli {

namespace {

nlohmann::json settings_json(const cgroup::Limits& limits, const cgroup::Host& host,
                             std::string& error) {
  nlohmann::json out = nlohmann::json::array();
  try {
    for (const auto& s : cgroup::translate(limits, host)) {
      out.push_back({{"controller", s.controller}, {"file", s.file}, {"value", s.value}});
    }
  } catch (const cgroup::Error& e) {
    error = e.what();
  }
  return out;
}

void print_settings(const nlohmann::json& settings, const std::string& error) {
  bool first = true;
  for (const auto& s : settings) {
    fmt::print("  {:<12}{}/{} = {}\n", first ? "kernel" : "", s["controller"].get<std::string>(),
               s["file"].get<std::string>(), s["value"].get<std::string>());
    first = false;
  }
  if (settings.empty() && error.empty()) fmt::print("  {:<12}(no cgroup limits)\n", "kernel");
  if (!error.empty()) fmt::print("  {:<12}error: {}\n", "kernel", error);
}

}  // namespace

int explain_command(const ExplainArguments& args) {
  int exit_code = exit_code::ok;
  auto policy = load_policy_or_print(args.file);
  if (!policy) {
    return exit_code::invalid_policy;
  }
  const auto host = cgroup::detect();
  const RunPlan plan = plan_run(*policy);
  bool unsupported = false;

  nlohmann::json out;
  out["policy"] = policy->name;
  out["file"] = policy->file;
  out["cgroup_layout"] = cgroup::to_string(host.layout);
  out["command_from_cli"] = policy->command_from_cli;
  out["tenants"] = nlohmann::json::array();
  out["jobs"] = nlohmann::json::array();
  for (size_t t = 0; t < plan.tenants.size(); ++t) {
    std::string error;
    auto tenant = nlohmann::json{{"name", plan.tenants[t].name},
                                 {"shares", shares_to_json(policy->tenants[t].shares)}};
    tenant["cgroup"] = settings_json(plan.tenants[t].limits, host, error);
    if (!error.empty()) tenant["error"] = error, unsupported = true;
    out["tenants"].push_back(tenant);
  }
  for (const auto& job_plan : plan.jobs) {
    const auto& job = policy->jobs[job_plan.job];
    std::string error;
    auto j = job_to_json(job);
    if (job_plan.cpu_share_requested) j["cpu_share_requested"] = *job_plan.cpu_share_requested;
    j["cgroup"] = settings_json(job_plan.limits, host, error);
    if (!error.empty()) j["error"] = error, unsupported = true;
    out["jobs"].push_back(j);
  }
  if (unsupported) exit_code = exit_code::host_unsupported;

  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return exit_code;
  }
  fmt::print("policy {} ({}): {} job{}, cgroup layout {}\n", policy->name, policy->file,
             policy->jobs.size(), policy->jobs.size() == 1 ? "" : "s",
             cgroup::to_string(host.layout));
  for (const auto& tenant : out["tenants"]) {
    fmt::print("\ntenant {}\n  {:<12}{}\n", tenant["name"].get<std::string>(), "shares",
               describe_shares(tenant["shares"]));
    print_settings(tenant["cgroup"], tenant.value("error", ""));
  }
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    const auto& job = policy->jobs[plan.jobs[i].job];
    fmt::print("\n");
    print_job_text(job, plan.jobs[i].cpu_share_requested);
    print_settings(out["jobs"][i]["cgroup"], out["jobs"][i].value("error", ""));
  }
  return exit_code;
}

}  // namespace sandbox::cli
