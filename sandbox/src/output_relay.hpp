// Relays one output pipe of a job to the supervisor's stdout or stderr, line by line under the
// job's "[name] " prefix. The read end is non-blocking and driven by the event loop.
#pragma once

#include <string>

#include "line_prefixer.hpp"
#include "unique_fd.hpp"

namespace sandbox {

class OutputRelay {
 public:
  OutputRelay(UniqueFd source, int destination, std::string prefix);

  int fd() const { return source_.get(); }
  bool open() const { return static_cast<bool>(source_); }
  // Reads what is available and writes the complete lines. Returns false at end of file (the
  // caller then stops watching the fd and calls close()).
  bool pump();
  // Reads until end of file or until nothing more is available, then closes.
  void drain();
  // Writes the last partial line and closes the pipe.
  void close();

 private:
  // Up to `rounds` reads; false at end of file. Leaves more_ false when the pipe ran dry.
  bool read_some(int rounds);
  void write_out(const std::string& text);

  UniqueFd source_;
  int destination_;
  LinePrefixer lines_;
  bool more_ = false;
};

}  // namespace sandbox
