// Runs test code in a forked child, so that what it does to its own process (seccomp filters,
// dropped capabilities, no_new_privs, namespaces, mounts) can never reach the test runner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace hardening_test {

struct ChildOutcome {
  bool exited = false;     // by _exit (the body returned or threw)
  int exit_code = -1;      // when exited: 0 when the body returned, 3 when it threw
  int signal = 0;          // when killed by a signal
  bool timed_out = false;  // killed by the harness after the timeout
  std::string report;      // what the body returned (or the exception's message)

  bool returned() const { return exited && exit_code == 0; }
  std::string describe() const;  // for failure messages
};

// Forks; the child runs `body` and reports the string it returns through a pipe. The child gets
// RLIMIT_CORE 0 (no core files from tests that end in SIGSYS) and is killed with SIGKILL when it
// outlives `timeout`. The child is always reaped.
ChildOutcome run_in_child(const std::function<std::string()>& body,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The errno name ("EPERM") of a failed call returning -1, or "OK". For probes in children.
std::string errno_name_of(long result);

}  // namespace hardening_test
