// Fixtures for the cgroup host tests: children that wait to be placed in a group before running,
// and checks on the directories a group leaves behind.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cgroup/cgroup.hpp"

namespace cgroup::testing {

// A forked child that blocks until release(), so that the parent can attach() it to a group
// first. The destructor SIGKILLs and reaps it if it is still there, whatever the test did.
class Child {
 public:
  explicit Child(const std::function<int()>& body) {
    int gate[2];
    if (::pipe2(gate, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      ::close(gate[1]);
      char byte;
      if (::read(gate[0], &byte, 1) != 1) {
        ::_exit(121);  // the parent went away before releasing us
      }
      ::close(gate[0]);
      ::_exit(body());
    }
    ::close(gate[0]);
    gate_ = gate[1];
  }
  ~Child() {
    if (gate_ >= 0) {
      ::close(gate_);
    }
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  void release() {
    const char byte = 1;
    ASSERT_EQ(::write(gate_, &byte, 1), 1);
    ::close(gate_);
    gate_ = -1;
  }

  // Waits until the child ends, at most `timeout`; then kills it (and fails the wait).
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = status;
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  int gate_ = -1;
  std::optional<int> status_;
};

// A Child's body that only waits: for a process that sits in a group while the test looks at it
// (a minute at most, should the test die without killing it).
inline int wait_a_minute() {
  ::alarm(60);
  ::pause();
  return 0;
}

// The group's directories as absolute paths, one per hierarchy.
inline std::vector<std::string> directories(const Host& host, const Group& group) {
  std::vector<std::string> result;
  for (const auto& [key, path] : group.paths()) {
    const std::string mount =
        key == "unified" ? host.unified_mount : host.controllers.at(key).mount;
    const std::string full = mount + path;
    if (std::find(result.begin(), result.end(), full) == result.end()) {
      result.push_back(full);
    }
  }
  return result;
}

// Reads the words a forked "supervisor" writes to `fd`, up to its "end" word, and closes `fd`: the
// directories of the groups it made, one per line, so that the test can look for them later.
inline std::vector<std::string> read_reported_words(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; !text.ends_with("end\n") && (n = read(fd, buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  std::vector<std::string> words;
  std::istringstream lines(text);
  for (std::string word; lines >> word && word != "end";) words.push_back(word);
  return words;
}

inline bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The cgroup directory `dir` lists `pid` among its processes.
inline bool procs_contain(const std::string& dir, pid_t pid) {
  std::istringstream in(read_text(dir + "/cgroup.procs"));
  for (pid_t listed; in >> listed;) {
    if (listed == pid) {
      return true;
    }
  }
  return false;
}

// A process that has ended: gone, or a zombie waiting for a parent that is not us.
inline bool dead(pid_t pid) {
  char state = 0;
  const std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  if (FILE* file = std::fopen(stat.c_str(), "r")) {
    const int fields = std::fscanf(file, "%*d (%*[^)]) %c", &state);
    (void)std::fclose(file);  // read only
    return fields == 1 && (state == 'Z' || state == 'X');
  }
  return true;
}

inline bool wait_dead(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!dead(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Root and a writable cgroup tree are needed; every host test starts with this.
#define SKIP_UNLESS_ROOT()                            \
  do {                                                \
    if (::geteuid() != 0) {                           \
      GTEST_SKIP() << "needs root to create cgroups"; \
    }                                                 \
  } while (0)

// The fixture of a suite that is about one cgroup layout: root, and `host_` of that layout;
// skipped elsewhere, saying `why`.
class LayoutTest : public ::testing::Test {
 protected:
  LayoutTest(Layout wanted, const char* why) : wanted_(wanted), why_(why) {}
  void SetUp() override {
    SKIP_UNLESS_ROOT();
    host_ = detect();
    if (host_.layout != wanted_) {
      GTEST_SKIP() << why_;
    }
  }
  Host host_;

 private:
  Layout wanted_;
  const char* why_;
};

}  // namespace cgroup::testing
