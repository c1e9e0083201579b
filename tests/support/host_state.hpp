// What a run may leave on the host, for tests to assert that nothing is: run cgroups named after a
// supervisor pid (sb-<pid>-*) in any hierarchy, and processes whose command line has a marker.
#pragma once

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
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

// The text of a /proc file, or what could be read of it before its process went away: reading
// the file of a process that exits meanwhile fails with ESRCH, which std::ifstream turns into an
// exception (libstdc++'s underflow throws on a read error) instead of an end of file.
inline std::string proc_file_text(const std::filesystem::path& path) {
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return text;
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
    std::string cmdline = proc_file_text(entry.path() / "cmdline");
    for (auto& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.rfind(command, 0) == 0) pids.push_back(pid);
  }
  return pids;
}

// The field `key` ("Uid", "CapEff", "PPid") of /proc/<pid>/status, or empty.
inline std::string proc_status_field(pid_t pid, const std::string& key) {
  std::istringstream in(proc_file_text("/proc/" + std::to_string(pid) + "/status"));
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
