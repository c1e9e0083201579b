// Interactive use: when `sandbox` runs in the foreground of a terminal, its one job gets the
// terminal (its own process group becomes the foreground group, see job_process.cpp), and the
// terminal is handed back when the run ends.
#pragma once

#include <sys/types.h>

namespace sandbox {

// stdin is a terminal and our process group is its foreground group.
bool stdin_is_our_terminal();

// Job control: the interactive job (the only child of `pid1`) stopped, typically on ^Z. Takes the
// terminal back, stops `sandbox` itself so that the shell that started it sees it stopped, and
// once continued (`fg`) gives the terminal to the job's process group again and continues it.
void follow_job_stop(pid_t pid1);

// Makes our process group the terminal's foreground group again on destruction.
class TerminalHandover {
 public:
  TerminalHandover() = default;
  ~TerminalHandover();
  TerminalHandover(const TerminalHandover&) = delete;
  TerminalHandover& operator=(const TerminalHandover&) = delete;
};

}  // namespace sandbox
