// What a run may leave on the host, for tests to assert that nothing is: run cgroups named after a
// supervisor pid (sb-<pid>-*) in any hierarchy, and processes whose command line has a marker.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sandbox::test {

// Directories named sb-<pid>-* anywhere below /sys/fs/cgroup (bounded depth).
inline std::vector<std::string> run_cgroups_of(pid_t supervisor) {
  namespace fs = std::filesystem;
  const std::string prefix = "sb-" + std::to_string(supervisor) + "-";
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator
           it("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec),
       end;
       it != end; it.increment(ec)) {
    if (ec) break;
    if (!it->is_directory(ec)) continue;
    if (it->path().filename().string().rfind(prefix, 0) == 0) {
      found.push_back(it->path().string());
      it.disable_recursion_pending();
    } else if (it.depth() >= 4) {
      it.disable_recursion_pending();
    }
  }
  return found;
}

// Pids of processes whose command line (arguments joined by spaces) starts with `command`, other
// than ourselves. Zombies have an empty command line and are found by pid elsewhere.
inline std::vector<pid_t> processes_running(const std::string& command) {
  namespace fs = std::filesystem;
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    for (auto& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.rfind(command, 0) == 0) pids.push_back(pid);
  }
  return pids;
}

// The field `key` ("Uid", "CapEff", "PPid") of /proc/<pid>/status, or empty.
inline std::string proc_status_field(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      const auto value = line.find_first_not_of(" \t", key.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return {};
}

}  // namespace sandbox::test
