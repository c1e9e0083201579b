// Running the real `sandbox` binary (SANDBOX_BINARY, or another program of the build) from tests:
// with a timeout, capturing stdout and stderr separately, feeding stdin. A process that outlives
// its test is killed and reaped.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sandbox::test {

struct CliResult {
  int exit_code = -1;  // 128+N when `sandbox` itself died of signal N
  std::string out, err;
  bool timed_out = false;  // killed by the helper after the timeout
};

// `sandbox` started in the background with its output captured in pipes.
class SandboxProcess {
 public:
  explicit SandboxProcess(const std::vector<std::string>& args, const std::string& input = "",
                          const char* binary = SANDBOX_BINARY) {
    int out[2], err[2], in[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>("sandbox"));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      setpgid(0, 0);  // our own group: a test killing it cannot hit the test runner
      execv(binary, argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    close(in[0]);
    out_ = out[0];
    err_ = err[0];
    fcntl(out_, F_SETFL, O_NONBLOCK);
    fcntl(err_, F_SETFL, O_NONBLOCK);
    if (!input.empty()) {
      const ssize_t written = write(in[1], input.data(), input.size());
      (void)written;
    }
    close(in[1]);
  }
  ~SandboxProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const { kill(pid_, sig); }

  // Reads output until `sandbox` exits (or `timeout`, then kills it) and returns the result.
  CliResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
      pump();
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        result_.timed_out = true;
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
      poll(fds, 2, 20);
    }
    reaped_ = true;
    // The pipes may still hold output; anything still writing to them now is a leak of the test's
    // interest, not ours: read what is there.
    pump();
    result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result_;
  }

  // Output so far (for tests that wait for a job to reach a point).
  const std::string& out_so_far() {
    pump();
    return result_.out;
  }

 private:
  void pump() {
    char buffer[8192];
    for (auto [fd, text] : {std::pair{out_, &result_.out}, std::pair{err_, &result_.err}}) {
      ssize_t n;
      while ((n = read(fd, buffer, sizeof buffer)) > 0)
        text->append(buffer, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  bool reaped_ = false;
  CliResult result_;
};

inline CliResult run_cli(const std::vector<std::string>& args, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  SandboxProcess process(args, input);
  return process.wait(timeout);
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace sandbox::test
