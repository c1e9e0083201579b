// Splits a stream of job output into lines and prefixes each with "[name] ", so that the output of
// concurrent jobs interleaves only at line boundaries. Pure logic; the relay does the I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sandbox {

class LinePrefixer {
 public:
  // A line longer than `max_line` is cut (and continued under a new prefix) so that a job that
  // never writes a newline cannot make the supervisor buffer without bound.
  explicit LinePrefixer(std::string prefix, size_t max_line = size_t{64} * 1024);

  // The complete lines in `data` (with what was pending), prefixed and newline-terminated.
  std::string feed(std::string_view data);
  // The pending partial line, prefixed and newline-terminated; empty if nothing is pending.
  std::string finish();
  size_t pending() const { return pending_.size(); }

 private:
  std::string prefix_;
  std::string pending_;
  size_t max_line_;
};

}  // namespace sandbox
