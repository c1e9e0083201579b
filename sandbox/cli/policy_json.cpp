#include "policy_json.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

namespace sandbox::cli {

namespace {

using policies::Mount;
using policies::Network;

const char* mount_kind(Mount::Kind kind) {
  switch (kind) {
    case Mount::Kind::bind:
      return "bind";
    case Mount::Kind::tmpfs:
      return "tmpfs";
    case Mount::Kind::proc:
      return "proc";
    case Mount::Kind::dev:
      return "dev";
    case Mount::Kind::symlink:
      return "symlink";
  }
  return "?";
}

const char* network_mode(Network::Mode mode) {
  switch (mode) {
    case Network::Mode::none:
      return "none";
    case Network::Mode::loopback:
      return "loopback";
    case Network::Mode::bridged:
      return "bridged";
  }
  return "?";
}

// "1.5" rather than "1.500000".
std::string format_number(double value) {
  std::string text = fmt::format("{:.3f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string describe_mount(const Mount& m) {
  std::string text = m.target + " " + mount_kind(m.kind);
  if (m.kind == Mount::Kind::bind) {
    text += " " + m.source + (m.readonly ? " ro" : " rw");
    if (m.optional) text += " optional";
  }
  if (m.kind == Mount::Kind::symlink) text += " -> " + m.source;
  if (m.size_bytes) text += " " + format_size(*m.size_bytes);
  return text;
}

std::vector<std::string> namespace_names(const std::set<policies::Namespace>& namespaces) {
  std::vector<std::string> names;
  names.reserve(namespaces.size());
  for (auto ns : namespaces) names.push_back(policies::to_string(ns));
  return names;
}

nlohmann::json limits_to_json(const policies::Limits& l) {
  nlohmann::json out = nlohmann::json::object();
  if (l.memory_bytes) out["memory_bytes"] = *l.memory_bytes;
  if (l.memory_high_bytes) out["memory_high_bytes"] = *l.memory_high_bytes;
  if (l.swap_bytes) out["swap_bytes"] = *l.swap_bytes;
  if (l.pids) out["pids"] = *l.pids;
  if (l.cpu_max) out["cpu_max"] = *l.cpu_max;
  if (l.cpuset) out["cpuset"] = *l.cpuset;
  if (l.wall_time) out["wall_time_ms"] = l.wall_time->count();
  out["kill_grace_ms"] = l.kill_grace.count();
  if (!l.rlimits.empty()) out["rlimits"] = l.rlimits;
  for (const auto& io : l.io) {
    nlohmann::json d{{"device", io.device}};
    if (io.read_bps) d["read_bps"] = *io.read_bps;
    if (io.write_bps) d["write_bps"] = *io.write_bps;
    if (io.read_iops) d["read_iops"] = *io.read_iops;
    if (io.write_iops) d["write_iops"] = *io.write_iops;
    out["io"].push_back(d);
  }
  if (!l.optional.empty()) out["optional"] = l.optional;
  return out;
}

std::string describe_limits(const policies::Limits& l) {
  std::vector<std::string> parts;
  if (l.memory_bytes) parts.push_back("memory " + format_size(*l.memory_bytes));
  if (l.memory_high_bytes) parts.push_back("memory_high " + format_size(*l.memory_high_bytes));
  if (l.swap_bytes) parts.push_back("swap " + format_size(*l.swap_bytes));
  if (l.pids) parts.push_back(fmt::format("pids {}", *l.pids));
  if (l.cpu_max) parts.push_back("cpu_max " + format_number(*l.cpu_max * 100) + "%");
  if (l.cpuset) parts.push_back("cpuset " + *l.cpuset);
  if (l.wall_time) parts.push_back("wall_time " + format_duration(*l.wall_time));
  for (const auto& [name, value] : l.rlimits) parts.push_back(fmt::format("{} {}", name, value));
  for (const auto& io : l.io) parts.push_back("io " + io.device);
  if (!l.optional.empty()) {
    parts.push_back(fmt::format("optional [{}]", fmt::join(l.optional, ", ")));
  }
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::string format_size(uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) value /= 1024, ++unit;
  return format_number(value) + units[unit];
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 != 0 || ms == 0) return fmt::format("{}ms", ms);
  return format_number(static_cast<double>(ms) / 1000) + "s";
}

std::string format_rate(uint64_t bps) {
  if (bps >= 1000000000 && bps % 1000000 == 0) {
    return format_number(static_cast<double>(bps) / 1e9) + "gbit";
  }
  if (bps >= 1000000) return format_number(static_cast<double>(bps) / 1e6) + "mbit";
  if (bps >= 1000) return format_number(static_cast<double>(bps) / 1e3) + "kbit";
  return fmt::format("{}bit", bps);
}

nlohmann::json shares_to_json(const policies::Shares& shares) {
  nlohmann::json out = nlohmann::json::object();
  if (shares.cpu) out["cpu"] = *shares.cpu;
  if (shares.io) out["io"] = *shares.io;
  if (shares.net) out["net"] = *shares.net;
  return out;
}

std::string describe_shares(const nlohmann::json& shares) {
  std::vector<std::string> parts;
  for (const auto& [kind, value] : shares.items()) parts.push_back(kind + " " + value.dump());
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

nlohmann::json job_to_json(const policies::Job& job) {
  const auto& s = job.settings;
  nlohmann::json out;
  out["name"] = job.name;
  out["command"] = job.command;
  if (!job.tenant.empty()) out["tenant"] = job.tenant;
  out["shares"] = shares_to_json(job.shares);
  out["namespaces"] = namespace_names(s.namespaces);
  out["identity"] = {{"uid", s.identity.uid}, {"gid", s.identity.gid}};
  if (s.identity.host_uid) out["identity"]["host_uid"] = *s.identity.host_uid;
  if (s.identity.host_gid) out["identity"]["host_gid"] = *s.identity.host_gid;
  out["hostname"] = s.hostname;
  out["filesystem"] = {{"root", s.filesystem.root},
                       {"root_readonly", s.filesystem.root_readonly},
                       {"workdir", s.filesystem.workdir},
                       {"mounts", nlohmann::json::array()}};
  for (const auto& m : s.filesystem.mounts) {
    nlohmann::json mount{{"kind", mount_kind(m.kind)}, {"target", m.target}};
    if (m.kind == Mount::Kind::bind) {
      mount["source"] = m.source;
      mount["readonly"] = m.readonly;
      mount["optional"] = m.optional;
    }
    if (m.kind == Mount::Kind::symlink) mount["content"] = m.source;
    if (m.size_bytes) mount["size_bytes"] = *m.size_bytes;
    out["filesystem"]["mounts"].push_back(mount);
  }
  out["env"] = s.env;
  if (!s.inherit_env.empty()) out["inherit_env"] = s.inherit_env;
  out["limits"] = limits_to_json(s.limits);
  out["network"] = {{"mode", network_mode(s.network.mode)}};
  if (s.network.mode == Network::Mode::bridged) {
    out["network"]["subnet"] = s.network.subnet;
    if (!s.network.bridge.empty()) out["network"]["bridge"] = s.network.bridge;
    if (s.network.link_rate_bps) out["network"]["link_rate_bps"] = *s.network.link_rate_bps;
    if (s.network.net_max_bps) out["network"]["net_max_bps"] = *s.network.net_max_bps;
  }
  out["seccomp"] = {
      {"default", s.seccomp.enabled},
      {"allow", s.seccomp.allow},
      {"deny", s.seccomp.deny},
      {"action", s.seccomp.action == policies::Seccomp::Action::kill ? "kill" : "errno"}};
  out["capabilities"] = s.capabilities;
  return out;
}

void print_job_text(const policies::Job& job, std::optional<double> cpu_share_requested) {
  const auto& s = job.settings;
  const auto row = [](const char* key, const std::string& value) {
    fmt::print("  {:<12}{}\n", key, value);
  };
  fmt::print("job {}{}\n", job.name, job.tenant.empty() ? "" : " (tenant " + job.tenant + ")");
  row("command", job.command.empty() ? "(from the command line)"
                                     : fmt::format("{}", fmt::join(job.command, " ")));
  row("namespaces", fmt::format("{}", fmt::join(namespace_names(s.namespaces), " ")));
  std::string identity = fmt::format("uid {} gid {}", s.identity.uid, s.identity.gid);
  if (s.identity.host_uid) identity += fmt::format(" (host uid {})", *s.identity.host_uid);
  row("identity", identity);
  row("hostname", s.hostname);
  row("root", s.filesystem.root + (s.filesystem.root_readonly ? " (read-only)" : "") +
                  ", workdir " + s.filesystem.workdir);
  for (const auto& m : s.filesystem.mounts) row("mount", describe_mount(m));
  std::vector<std::string> env;
  env.reserve(s.env.size());
  for (const auto& [k, v] : s.env) env.push_back(std::string(k).append("=").append(v));
  row("env", fmt::format("{}", fmt::join(env, " ")));
  row("limits", describe_limits(s.limits));
  std::string network = network_mode(s.network.mode);
  if (s.network.link_rate_bps) network += ", link " + format_rate(*s.network.link_rate_bps);
  if (s.network.net_max_bps) network += ", net_max " + format_rate(*s.network.net_max_bps);
  row("network", network);
  row("seccomp", s.seccomp.enabled ? std::string("default filter") : std::string("off"));
  row("caps", s.capabilities.empty() ? "none" : fmt::format("{}", fmt::join(s.capabilities, " ")));
  std::string shares = describe_shares(shares_to_json(job.shares));
  if (cpu_share_requested) {
    shares += fmt::format(" ({}% of its siblings' cpu)", format_number(*cpu_share_requested * 100));
  }
  row("shares", shares);
}

}  // namespace sandbox::cli
