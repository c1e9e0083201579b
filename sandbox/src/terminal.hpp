// Interactive use: when `sandbox` runs in the foreground of a terminal, its one job gets the
// terminal (its own process group becomes the foreground group, see job_process.cpp), and the
// terminal is handed back when the run ends.
#pragma once

namespace sandbox {

// stdin is a terminal and our process group is its foreground group.
bool stdin_is_our_terminal();

// Makes our process group the terminal's foreground group again on destruction.
class TerminalHandover {
 public:
  TerminalHandover() = default;
  ~TerminalHandover();
  TerminalHandover(const TerminalHandover&) = delete;
  TerminalHandover& operator=(const TerminalHandover&) = delete;
};

}  // namespace sandbox
