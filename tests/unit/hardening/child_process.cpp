#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace hardening_test {

namespace {

class Pipe {
 public:
  Pipe() {
    if (pipe2(fds_, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void close_read() { close_fd(fds_[0]); }
  void close_write() { close_fd(fds_[1]); }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

// Kills and reaps the child if the parent leaves early (a failed assertion, an exception).
class ForkedChild {
 public:
  explicit ForkedChild(pid_t pid) : pid_(pid) {}
  ~ForkedChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  int wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    }
    pid_ = -1;
    return status;
  }
  void kill_now() { kill(pid_, SIGKILL); }

 private:
  pid_t pid_;
};

[[noreturn]] void run_body(const std::function<std::string()>& body, int report_fd) {
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  int code = 0;
  std::string report;
  try {
    report = body();
  } catch (const std::exception& error) {
    report = std::string("exception: ") + error.what();
    code = 3;
  } catch (...) {
    report = "unknown exception";
    code = 3;
  }
  size_t written = 0;
  while (written < report.size()) {
    const ssize_t n = write(report_fd, report.data() + written, report.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  _exit(code);
}

}  // namespace

std::string ChildOutcome::describe() const {
  std::string text;
  if (timed_out) text = "timed out; ";
  if (exited) {
    text += "exited " + std::to_string(exit_code);
  } else {
    text += "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  return text + "; report: '" + report + "'";
}

ChildOutcome run_in_child(const std::function<std::string()>& body,
                          std::chrono::milliseconds timeout) {
  Pipe report;
  const pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    report.close_read();
    run_body(body, report.write_end());
  }
  ForkedChild child(pid);
  report.close_write();

  ChildOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      child.kill_now();
      break;
    }
    pollfd readable{report.read_end(), POLLIN, 0};
    const int ready = poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::system_error(errno, std::generic_category(), "poll");
    if (ready == 0) continue;
    const ssize_t n = read(report.read_end(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // every copy of the write end is closed: the child is gone or exec'd
    outcome.report.append(buffer, static_cast<size_t>(n));
  }
  const int status = child.wait();
  outcome.exited = WIFEXITED(status);
  if (outcome.exited) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

std::string errno_name_of(long result) {
  if (result != -1) return "OK";
  const char* name = strerrorname_np(errno);
  return name ? name : "errno " + std::to_string(errno);
}

}  // namespace hardening_test
