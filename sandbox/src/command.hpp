// Finding and executing the job's command, and what its failure means to the caller: 127 for a
// command that does not exist, 126 for one that cannot be executed (as shells report them).
#pragma once

#include <string>
#include <vector>

namespace sandbox {

// The paths execve is tried on, in order: the command itself when it contains a '/', else each
// directory of the job's PATH (not the caller's: the lookup happens inside the sandbox).
std::vector<std::string> exec_candidates(const std::string& command, const std::string& path);

struct ExecFailure {
  int exit_code = 0;    // exit_code::not_found or exit_code::cannot_execute
  std::string message;  // "command not found: foo", "cannot execute ./x: Permission denied"
};
// What the errnos of every failed execve attempt mean (EACCES anywhere wins, as in execvp).
ExecFailure classify_exec_failure(const std::string& command, const std::vector<int>& errors);

// execve on each candidate; returns only when all failed, with their errnos.
std::vector<int> try_exec(const std::vector<std::string>& candidates, char* const argv[],
                          char* const envp[]);

}  // namespace sandbox
