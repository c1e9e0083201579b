#include "line_prefixer.hpp"

namespace sandbox {

LinePrefixer::LinePrefixer(std::string prefix, size_t max_line)
    : prefix_(std::move(prefix)), max_line_(max_line == 0 ? 1 : max_line) {}

std::string LinePrefixer::feed(std::string_view data) {
  std::string out;
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    const size_t room = max_line_ - pending_.size();
    if (newline != std::string_view::npos && newline < room) {
      out += prefix_;
      out += pending_;
      out.append(data.substr(0, newline + 1));
      pending_.clear();
      data.remove_prefix(newline + 1);
    } else if (data.size() >= room) {
      // The line would exceed max_line: emit what fits as a line of its own.
      out += prefix_;
      out += pending_;
      out.append(data.substr(0, room));
      out += '\n';
      pending_.clear();
      data.remove_prefix(room);
    } else {
      pending_.append(data);
      break;
    }
  }
  return out;
}

std::string LinePrefixer::finish() {
  if (pending_.empty()) return {};
  std::string out = prefix_ + pending_ + "\n";
  pending_.clear();
  return out;
}

}  // namespace sandbox
