// set_no_new_privs() against the real kernel: the flag is set, and a setuid-root program run by
// an unprivileged uid no longer runs as root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "child_process.hpp"
#include "hardening.hpp"

namespace sandbox::hardening {
namespace {

using hardening_test::run_in_child;

std::string no_new_privs_field() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("NoNewPrivs:")) return line.substr(line.find_last_of(" \t") + 1);
  }
  return "missing";
}

TEST(NoNewPrivs, SetsTheFlag) {
  const auto outcome = run_in_child([] {
    const std::string before = no_new_privs_field();
    set_no_new_privs();
    return before + " " + no_new_privs_field() + " " +
           std::to_string(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "0 1 1");
}

// A copy of id(1) owned by root with the setuid bit, removed with its directory at scope exit.
class SetuidRootId {
 public:
  SetuidRootId() {
    char pattern[] = "/tmp/sandbox-hardening-nnp-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    directory_ = pattern;
    std::filesystem::permissions(directory_, std::filesystem::perms(0755));
    path_ = directory_ / "id";
    std::filesystem::copy_file("/usr/bin/id", path_);
    if (chown(path_.c_str(), 0, 0) != 0 || chmod(path_.c_str(), 04755) != 0) {
      throw std::runtime_error("cannot make " + path_.string() + " setuid root");
    }
  }
  ~SetuidRootId() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  SetuidRootId(const SetuidRootId&) = delete;
  SetuidRootId& operator=(const SetuidRootId&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path directory_;
  std::filesystem::path path_;
};

// The effective uid the setuid program reports when run by uid 65534.
std::string effective_uid_of(const std::filesystem::path& program, bool no_new_privs) {
  const auto outcome = run_in_child([&] {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      return std::string("cannot become nobody");
    }
    if (no_new_privs) set_no_new_privs();
    int output[2];
    if (pipe(output) != 0) return std::string("pipe failed");
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(output[1], STDOUT_FILENO);
      execl(program.c_str(), "id", "-u", nullptr);
      _exit(127);
    }
    close(output[1]);
    std::string text;
    char buffer[256];
    ssize_t n = 0;
    while ((n = read(output[0], buffer, sizeof buffer)) > 0) text.append(buffer, n);
    close(output[0]);
    waitpid(pid, nullptr, 0);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  });
  return outcome.returned() ? outcome.report : "child failed: " + outcome.describe();
}

TEST(NoNewPrivs, SetuidRootProgramDoesNotElevate) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make a setuid-root program";
  SetuidRootId program;
  ASSERT_EQ(effective_uid_of(program.path(), false), "0")
      << "the setuid bit does not work here (nosuid /tmp?), so the test would prove nothing";
  EXPECT_EQ(effective_uid_of(program.path(), true), "65534");
}

}  // namespace
}  // namespace sandbox::hardening
