#include "output_relay.hpp"

#include <unistd.h>

#include <cerrno>

namespace sandbox {

OutputRelay::OutputRelay(UniqueFd source, int destination, std::string prefix)
    : source_(std::move(source)), destination_(destination), lines_(std::move(prefix)) {}

bool OutputRelay::pump() {
  return read_some(4);
}

void OutputRelay::drain() {
  while (read_some(64)) {
    if (!more_) break;
  }
  close();
}

bool OutputRelay::read_some(int rounds) {
  if (!source_) return false;
  char buffer[16384];
  more_ = true;
  for (int round = 0; round < rounds; ++round) {  // bounded, so one chatty job cannot starve others
    const ssize_t n = read(source_.get(), buffer, sizeof buffer);
    if (n > 0) {
      write_out(lines_.feed(std::string_view(buffer, static_cast<size_t>(n))));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      more_ = false;
      return true;
    }
    return false;  // end of file, or an error that will not go away
  }
  return true;
}

void OutputRelay::write_out(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(destination_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // our own output is gone (EPIPE): drop the job's output, keep running
    done += static_cast<size_t>(n);
  }
}

void OutputRelay::close() {
  if (!source_) return;
  write_out(lines_.finish());
  source_.reset();
}

}  // namespace sandbox
