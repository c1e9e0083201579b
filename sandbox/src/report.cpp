// The JSON report of a run (`sandbox run --report`). The format is documented in docs/report.md:
// optional fields are left out rather than written as null.
#include <nlohmann/json.hpp>

#include "sandbox/sandbox.hpp"

namespace sandbox {

namespace {

using nlohmann::json;

template <typename T>
void put(json& out, const char* key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

json usage_json(const JobReport::Cgroup& usage) {
  return json{{"cpu_usage_us", usage.cpu_usage_us},
              {"cpu_user_us", usage.cpu_user_us},
              {"cpu_system_us", usage.cpu_system_us},
              {"cpu_throttled_us", usage.cpu_throttled_us},
              {"memory_peak_bytes", usage.memory_peak_bytes},
              {"oom_kills", usage.oom_kills},
              {"memory_high_events", usage.memory_high_events},
              {"pids_peak", usage.pids_peak},
              {"io_read_bytes", usage.io_read_bytes},
              {"io_write_bytes", usage.io_write_bytes}};
}

json job_json(const JobReport& job) {
  json out{{"name", job.name}, {"command", job.command}, {"status", job.status}};
  put(out, "exit_code", job.exit_code);
  put(out, "signal", job.signal);
  if (!job.error.empty()) out["error"] = job.error;
  out["wall_seconds"] = job.wall_seconds;
  out["user_seconds"] = job.user_seconds;
  out["system_seconds"] = job.system_seconds;
  out["peak_rss_bytes"] = job.peak_rss_bytes;
  out["namespaces"] = job.namespaces;
  if (!job.cgroup.empty()) out["cgroup"] = job.cgroup;
  if (job.usage) out["usage"] = usage_json(*job.usage);
  put(out, "cpu_share_requested", job.cpu_share_requested);
  put(out, "cpu_share_achieved", job.cpu_share_achieved);
  put(out, "net_tx_bytes", job.net_tx_bytes);
  put(out, "net_rx_bytes", job.net_rx_bytes);
  put(out, "net_share_requested", job.net_share_requested);
  put(out, "net_share_achieved", job.net_share_achieved);
  return out;
}

json tenant_json(const TenantReport& tenant) {
  json out{{"name", tenant.name}};
  put(out, "cpu_share_requested", tenant.cpu_share_requested);
  put(out, "cpu_share_achieved", tenant.cpu_share_achieved);
  return out;
}

json network_json(const NetworkReport& network) {
  json forwards = json::array();
  for (const auto& forward : network.forwards) {
    forwards.push_back(json{{"job", forward.job},
                            {"protocol", forward.protocol},
                            {"host_address", forward.host_address},
                            {"host_port", forward.host_port},
                            {"job_address", forward.job_address},
                            {"job_port", forward.job_port},
                            {"connections", forward.connections},
                            {"rejected", forward.rejected},
                            {"bytes_to_job", forward.bytes_to_job},
                            {"bytes_from_job", forward.bytes_from_job}});
  }
  return json{{"bridge", network.bridge},
              {"subnet", network.subnet},
              {"gateway", network.gateway},
              {"forwards", std::move(forwards)}};
}

}  // namespace

std::string to_json(const RunReport& report, int indent) {
  json jobs = json::array();
  for (const auto& job : report.jobs) jobs.push_back(job_json(job));
  json out{{"policy", report.policy},
           {"cgroup_layout", report.cgroup_layout},
           {"exit_code", report.exit_code},
           {"wall_seconds", report.wall_seconds},
           {"jobs", std::move(jobs)}};
  if (!report.tenants.empty()) {
    json tenants = json::array();
    for (const auto& tenant : report.tenants) tenants.push_back(tenant_json(tenant));
    out["tenants"] = std::move(tenants);
  }
  if (report.network) out["network"] = network_json(*report.network);
  return out.dump(indent);
}

}  // namespace sandbox
