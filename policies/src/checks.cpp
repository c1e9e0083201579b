#include "checks.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "jobs.hpp"
#include "names.hpp"

namespace policies::detail {
namespace {

// Where a job's effective setting came from: the job's own key, else `defaults:`.
std::string setting_path(const Reader& reader, const Policy& policy, size_t job,
                         const std::string& key) {
  if (!policy.command_from_cli) {
    std::string own = "jobs[" + std::to_string(job) + "]." + key;
    if (reader.written(own)) return own;
  }
  return "defaults." + key;
}

void fail(Reader& reader, const std::string& path, const std::string& message) {
  reader.error(reader.location(path), path, message);
}

bool has(const JobSettings& settings, Namespace ns) {
  return settings.namespaces.count(ns) != 0;
}

void check_namespaces(Reader& reader, const Policy& policy, size_t index) {
  const JobSettings& settings = policy.jobs[index].settings;
  auto path = [&](const std::string& key) { return setting_path(reader, policy, index, key); };
  auto written = [&](const std::string& key) { return reader.written(path(key)); };
  if (!has(settings, Namespace::net) && written("network")) {
    fail(reader, path("network"),
         "needs the net namespace (without it the job shares the host's network: leave "
         "network out to mean that)");
  }
  if (!has(settings, Namespace::uts) && written("hostname")) {
    fail(reader, path("hostname"), "needs the uts namespace to set a host name");
  }
  if (!has(settings, Namespace::mount) && written("filesystem")) {
    fail(reader, path("filesystem"), "needs the mount namespace to build a file system view");
  }
  bool maps_ids = settings.identity.host_uid || settings.identity.host_gid;
  if (!has(settings, Namespace::user) && maps_ids) {
    fail(reader, path("identity"), "host_uid/host_gid need the user namespace to map ids");
  }
  bool maps_root = settings.identity.host_uid == 0u || settings.identity.host_gid == 0u;
  if (maps_root && !settings.map_root) {
    std::string key = settings.identity.host_uid == 0u ? "identity.host_uid" : "identity.host_gid";
    fail(reader, path(key),
         "maps the job to host root; set map_root: true if that is really meant");
  }
}

void check_limits(Reader& reader, const Policy& policy, size_t index) {
  const Limits& limits = policy.jobs[index].settings.limits;
  auto path = [&](const std::string& key) { return setting_path(reader, policy, index, key); };
  if (limits.memory_high_bytes && limits.memory_bytes &&
      *limits.memory_high_bytes > *limits.memory_bytes) {
    fail(reader, path("limits.memory_high"),
         "above limits.memory: the hard cap would always act first");
  }
  if (limits.swap_bytes && !limits.memory_bytes) {
    fail(reader, path("limits.swap"), "a swap limit needs a memory limit (limits.memory)");
  }
  const Seccomp& seccomp = policy.jobs[index].settings.seccomp;
  for (const auto& name : seccomp.deny) {
    if (std::find(seccomp.allow.begin(), seccomp.allow.end(), name) != seccomp.allow.end()) {
      fail(reader, path("seccomp.deny"), "'" + name + "' is both allowed and denied");
    }
  }
  if (!seccomp.enabled && !seccomp.allow.empty()) {
    fail(reader, path("seccomp.allow"),
         "allow takes syscalls out of the default filter, which is off (default: false)");
  }
}

void check_job_command(Reader& reader, const Policy& policy, size_t index) {
  const Job& job = policy.jobs[index];
  std::string path = "jobs[" + std::to_string(index) + "].command";
  if (job.command.empty()) return;  // missing or empty: reported while reading
  if (auto problem = check_command(job.command, job.settings); !problem.empty()) {
    fail(reader, path + "[0]", problem);
  }
}

// Every bridged job joins one bridge: they must agree on it, fit in its subnet, and not claim
// the same host port.
void check_bridged(Reader& reader, const Policy& policy) {
  std::optional<size_t> first;
  std::map<std::pair<std::string, uint16_t>, std::string> host_ports;
  size_t bridged = 0;
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    const Network& network = policy.jobs[i].settings.network;
    auto path = [&](const std::string& key) { return setting_path(reader, policy, i, key); };
    if (network.mode != Network::Mode::bridged) continue;
    ++bridged;
    if (!first) {
      first = i;
    } else {
      const Network& reference = policy.jobs[*first].settings.network;
      const std::string& other = policy.jobs[*first].name;
      if (network.bridge != reference.bridge) {
        fail(reader, path("network.bridge"),
             "differs from job '" + other + "': one bridge per run");
      }
      if (network.subnet != reference.subnet) {
        fail(reader, path("network.subnet"),
             "differs from job '" + other + "': one subnet per run");
      }
      if (network.link_rate_bps != reference.link_rate_bps) {
        fail(reader, path("network.link"),
             "differs from job '" + other + "': the link is shared by every bridged job");
      }
    }
    for (size_t p = 0; p < network.ports.size(); ++p) {
      const auto& port = network.ports[p];
      std::string port_path = path("network.ports") + "[" + std::to_string(p) + "]";
      auto [claimed, inserted] =
          host_ports.emplace(std::pair(port.protocol, port.host_port), policy.jobs[i].name);
      if (!inserted) {
        fail(reader, port_path,
             "host port " + std::to_string(port.host_port) + "/" + port.protocol +
                 " is already forwarded to job '" + claimed->second + "'");
      }
    }
  }
  if (!first) return;
  Ipv4Network subnet;
  if (check_ipv4_network(policy.jobs[*first].settings.network.subnet, subnet).empty()) {
    uint64_t addresses = uint64_t{1} << (32 - subnet.prefix);
    uint64_t usable = addresses - 3;  // network, broadcast and the bridge's gateway address
    if (bridged > usable) {
      fail(reader, setting_path(reader, policy, *first, "network.subnet"),
           "has room for " + std::to_string(usable) + " jobs, but " + std::to_string(bridged) +
               " are bridged");
    }
  }
}

void check_net_shares(Reader& reader, const Policy& policy) {
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    const Job& job = policy.jobs[i];
    if (!job.shares.net) continue;
    std::string path = "jobs[" + std::to_string(i) + "].shares.net";
    if (job.settings.network.mode != Network::Mode::bridged) {
      fail(reader, path, "net shares need network.mode: bridged");
    } else if (!job.settings.network.link_rate_bps) {
      fail(reader, path, "net shares need network.link.rate (the capacity that is shared)");
    }
  }
}

// Weights are scaled so that the siblings' mean is the kernel default of 100, as the runtime
// does (sandbox/src/cgroup_limits.hpp); each must land within the kernel's 1..10000.
struct Sibling {
  std::optional<uint32_t> share;
  std::string path;
};
void check_sibling_shares(Reader& reader, const std::vector<Sibling>& siblings,
                          const std::string& resource) {
  uint64_t total = 0, count = 0;
  for (const auto& s : siblings) {
    if (s.share) {
      total += *s.share;
      ++count;
    }
  }
  for (const auto& s : siblings) {
    if (!s.share) continue;
    uint64_t scaled = uint64_t{*s.share} * 100 * count;  // weight * total
    if (scaled < total || scaled > max_share * total) {
      fail(reader, s.path,
           resource + " share " + std::to_string(*s.share) + " against its siblings' total of " +
               std::to_string(total) + " gives a kernel weight outside 1..10000; keep siblings' " +
               "shares closer together");
    }
  }
}

void check_shares(Reader& reader, const Policy& policy) {
  // Siblings: the tenants plus the jobs outside any tenant; and the jobs of each tenant.
  std::map<std::string, std::vector<size_t>> groups;  // tenant ("" = top) -> job indexes
  for (size_t i = 0; i < policy.jobs.size(); ++i) groups[policy.jobs[i].tenant].push_back(i);
  auto check = [&](const std::vector<std::pair<const Shares*, std::string>>& members) {
    for (auto [resource, pick] : {std::pair{"cpu", &Shares::cpu}, std::pair{"io", &Shares::io},
                                  std::pair{"net", &Shares::net}}) {
      std::vector<Sibling> siblings;
      siblings.reserve(members.size());
      for (const auto& [shares, path] : members) {
        siblings.push_back({shares->*pick, std::string(path).append(".").append(resource)});
      }
      check_sibling_shares(reader, siblings, resource);
    }
  };
  for (const auto& [tenant, indexes] : groups) {
    std::vector<std::pair<const Shares*, std::string>> members;
    for (size_t i : indexes) {
      members.emplace_back(&policy.jobs[i].shares, "jobs[" + std::to_string(i) + "].shares");
    }
    if (tenant.empty()) {
      for (const auto& t : policy.tenants) {
        members.emplace_back(&t.shares, "tenants." + t.name + ".shares");
      }
    }
    check(members);
  }
  if (groups.count("") == 0 && !policy.tenants.empty()) {
    std::vector<std::pair<const Shares*, std::string>> members;
    for (const auto& t : policy.tenants) {
      members.emplace_back(&t.shares, "tenants." + t.name + ".shares");
    }
    check(members);
  }
}

// Jobs outside a tenant sit beside the tenants in the run's cgroup; two output files would mix.
void check_collisions(Reader& reader, const Policy& policy) {
  std::set<std::string> tenant_names;
  for (const auto& t : policy.tenants) tenant_names.insert(t.name);
  std::map<std::string, std::string> files;
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    const Job& job = policy.jobs[i];
    std::string path = "jobs[" + std::to_string(i) + "]";
    if (job.tenant.empty() && tenant_names.count(job.name) != 0) {
      fail(reader, path + ".name",
           "job '" + job.name +
               "' is outside any tenant and has a tenant's name; their cgroups "
               "would collide (give it tenant: " +
               job.name + ", or rename it)");
    }
    if (job.output.mode != Output::Mode::file) continue;
    auto [first, inserted] = files.emplace(job.output.path, job.name);
    if (!inserted) {
      fail(reader, setting_path(reader, policy, i, "output"),
           "job '" + first->second + "' already writes to '" + job.output.path + "'");
    }
  }
}

}  // namespace

std::string check_command(const std::vector<std::string>& command, const JobSettings& settings) {
  if (command.empty()) return "empty command";
  const std::string& program = command.front();
  if (program.empty()) return "the program name is empty";
  bool has_path = settings.env.count("PATH") != 0 ||
                  std::find(settings.inherit_env.begin(), settings.inherit_env.end(), "PATH") !=
                      settings.inherit_env.end();
  if (program.find('/') == std::string::npos && !has_path) {
    return "'" + program + "' is not a path and env has no PATH to find it in (write it as " +
           "/usr/bin/" + program + ", or set env.PATH)";
  }
  return {};
}

void check_policy(Reader& reader, const Policy& policy) {
  for (size_t i = 0; i < policy.jobs.size(); ++i) {
    check_namespaces(reader, policy, i);
    check_limits(reader, policy, i);
    if (!policy.command_from_cli) check_job_command(reader, policy, i);
  }
  check_bridged(reader, policy);
  check_net_shares(reader, policy);
  check_shares(reader, policy);
  check_collisions(reader, policy);
}

}  // namespace policies::detail
