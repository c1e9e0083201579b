#include "command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "sandbox/sandbox.hpp"
#include "sys_error.hpp"

namespace sandbox {

std::vector<std::string> exec_candidates(const std::string& command, const std::string& path) {
  if (command.find('/') != std::string::npos) return {command};
  std::vector<std::string> candidates;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";  // an empty PATH entry means the working directory
    candidates.push_back(dir.append("/").append(command));
    start = end + 1;
  }
  return candidates;
}

ExecFailure classify_exec_failure(const std::string& command, const std::vector<int>& errors) {
  const auto has = [&](int err) {
    return std::find(errors.begin(), errors.end(), err) != errors.end();
  };
  if (errors.empty()) return {exit_code::not_found, "command not found: " + command};
  if (has(EACCES)) {
    return {exit_code::cannot_execute, "cannot execute " + command + ": " + errno_text(EACCES)};
  }
  const bool all_missing = std::all_of(errors.begin(), errors.end(),
                                       [](int err) { return err == ENOENT || err == ENOTDIR; });
  if (all_missing) return {exit_code::not_found, "command not found: " + command};
  // The first error that is not "not here" is the reason (ENOEXEC, E2BIG, ELOOP, ...).
  const auto reason = std::find_if(errors.begin(), errors.end(),
                                   [](int err) { return err != ENOENT && err != ENOTDIR; });
  return {exit_code::cannot_execute, "cannot execute " + command + ": " + errno_text(*reason)};
}

std::vector<int> try_exec(const std::vector<std::string>& candidates, char* const argv[],
                          char* const envp[]) {
  std::vector<int> errors;
  errors.reserve(candidates.size());
  for (const auto& candidate : candidates) {
    execve(candidate.c_str(), argv, envp);
    errors.push_back(errno);
  }
  return errors;
}

}  // namespace sandbox
