#include "policies/policy.hpp"

namespace policies {

std::string SourceLocation::to_string() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string to_string(Namespace ns) {
  switch (ns) {
    case Namespace::user: return "user";
    case Namespace::pid: return "pid";
    case Namespace::mount: return "mount";
    case Namespace::uts: return "uts";
    case Namespace::ipc: return "ipc";
    case Namespace::net: return "net";
    case Namespace::cgroup: return "cgroup";
    case Namespace::time: return "time";
  }
  return "?";
}

std::optional<Namespace> namespace_from_string(const std::string& name) {
  for (auto ns : {Namespace::user, Namespace::pid, Namespace::mount, Namespace::uts, Namespace::ipc,
                  Namespace::net, Namespace::cgroup, Namespace::time}) {
    if (to_string(ns) == name) return ns;
  }
  return std::nullopt;
}

SourceLocation Policy::location_of(const std::string& path) const {
  std::string key = path;
  while (!key.empty()) {
    if (auto it = locations.find(key); it != locations.end()) return it->second;
    auto cut = key.find_last_of(".[");
    if (cut == std::string::npos) break;
    key.resize(cut);
  }
  return SourceLocation{file, 0, 0};
}

SourceLocation Policy::setting_location(size_t job_index, const std::string& setting) const {
  std::string own = "jobs[" + std::to_string(job_index) + "]." + setting;
  if (auto it = locations.find(own); it != locations.end()) return it->second;
  if (auto it = locations.find("defaults." + setting); it != locations.end()) return it->second;
  // Neither wrote it: the closest written parent, in the job for a listed job.
  SourceLocation closest = location_of(command_from_cli ? "defaults." + setting : own);
  if (closest.line == 0 && job_index < jobs.size()) return jobs[job_index].where;
  return closest;
}

}  // namespace policies
