#include "terminal.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include "signals.hpp"

namespace sandbox {

namespace {

// The job is pid 1's first child; its process group is its own pid (see job_process.cpp).
std::optional<pid_t> first_child(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child = 0;
  if (in >> child && child > 0) return child;
  return std::nullopt;
}

void give_terminal_to(pid_t group) {
  sigset_t ttou;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ScopedSignalMask quiet(ttou);  // a background group calling tcsetpgrp would get SIGTTOU
  tcsetpgrp(STDIN_FILENO, group);
}

}  // namespace

void follow_job_stop(pid_t pid1) {
  const auto job = first_child(pid1);
  give_terminal_to(getpgrp());
  // SIGSTOP rather than SIGTSTP: the kernel discards SIGTSTP in an orphaned process group, and
  // the point is to stop whatever happens.
  kill(getpid(), SIGSTOP);
  // Continued: the job gets its terminal back and runs on.
  if (job) {
    give_terminal_to(*job);
    kill(-*job, SIGCONT);
  }
}

bool stdin_is_our_terminal() {
  return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

TerminalHandover::~TerminalHandover() {
  try {
    give_terminal_to(getpgrp());
  } catch (...) {
    // sigprocmask cannot fail with a valid set; nothing to do if it did
  }
}

}  // namespace sandbox
