// Support for the network suite: every test runs in a network namespace of its own, so that the
// bridge, the IFB, the veth pairs and all traffic live there and nothing touches the machine's
// own interfaces. Children (jobs, iperf3 servers) are RAII processes killed and reaped even when
// a test fails.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "netlink.hpp"
#include "network.hpp"
#include "policies/policy.hpp"
#include "sandbox/sandbox.hpp"

namespace network_test {

namespace fs = std::filesystem;
using sandbox::net::JobLink;

// A file descriptor closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd read, write;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

// Moves the test into a fresh network namespace for its lifetime and back afterwards. Whatever
// was made in the namespace goes away with it once its last process has exited.
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    original_.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    ASSERT_GE(original_.get(), 0) << "cannot open our network namespace";
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    entered_ = true;
    sandbox::netlink::Socket sock;
    sandbox::netlink::set_up(sock, sandbox::netlink::ifindex_of(sock, "lo"));
  }
  void TearDown() override {
    if (entered_) {
      EXPECT_EQ(setns(original_.get(), CLONE_NEWNET), 0) << "cannot return to our namespace";
    }
  }

  // Names of every link in the test's namespace.
  static std::set<std::string> link_names() {
    sandbox::netlink::Socket sock;
    std::set<std::string> names;
    for (const auto& link : sandbox::netlink::list_links(sock)) names.insert(link.name);
    return names;
  }

  // Expects RunNetwork::create() to refuse `policy` with sandbox::Error `code` and a one-line
  // message naming each of `named`, and to leave no link behind.
  static void expect_create_fails(const policies::Policy& policy, int code,
                                  const std::vector<std::string>& named) {
    const auto before = link_names();
    try {
      sandbox::net::RunNetwork::create(policy, "run-refused");
      ADD_FAILURE() << "create() accepted the policy";
    } catch (const sandbox::Error& error) {
      EXPECT_EQ(error.code, code);
      const std::string message = error.what();
      for (const auto& name : named) EXPECT_NE(message.find(name), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    EXPECT_EQ(link_names(), before);
  }

 private:
  Fd original_;
  bool entered_ = false;
};

// A forked process, SIGKILLed and reaped on destruction unless it was waited for.
class Child {
 public:
  explicit Child(const std::function<int()>& body) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int code = 99;
      try {
        code = body();
      } catch (const std::exception& error) {
        std::fprintf(stderr, "child: %s\n", error.what());
      }
      _exit(code);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Exit code, 128 + signal when killed, -1 when `limit` passed (the child is then killed).
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

// Runs `argv` with stdout and stderr into `output` (when given).
inline int exec_program(const std::vector<std::string>& argv, const std::string& output = "") {
  if (!output.empty()) {
    const int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 126;
    dup2(fd, 1);
    dup2(fd, 2);
  }
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  return 127;
}

// A job as the runtime starts one: a child that unshares its network namespace (and its user
// namespace when asked), waits for the parent to attach it, configures the inside with
// configure_inside() and runs `body`. Exit codes: body's own; 90 unshare failed; 91 the parent
// went away; 92 configure_inside failed.
class JobProcess {
 public:
  JobProcess(policies::Network network, std::function<int()> body, bool user_namespace = false)
      : ready_(), go_(), child_([this, network, body = std::move(body), user_namespace]() -> int {
          ready_.read.reset();
          go_.write.reset();
          const int flags = CLONE_NEWNET | (user_namespace ? CLONE_NEWUSER : 0);
          if (unshare(flags) != 0) return 90;
          if (::write(ready_.write.get(), "r", 1) != 1) return 91;
          // Read up to the terminating NUL, not to EOF: later siblings inherit the write end.
          std::string message;
          for (char byte = 0; ::read(go_.read.get(), &byte, 1) == 1 && byte != '\0';) {
            message.push_back(byte);
          }
          std::optional<JobLink> link;
          if (!message.empty() && message != "-") {
            const auto first = message.find('\n'), second = message.find('\n', first + 1);
            link = JobLink{message.substr(0, first), message.substr(first + 1, second - first - 1),
                           message.substr(second + 1)};
          }
          try {
            sandbox::net::configure_inside(network, link);
          } catch (const std::exception& error) {
            std::fprintf(stderr, "configure_inside: %s\n", error.what());
            return 92;
          }
          return body();
        }) {
    ready_.write.reset();
    go_.read.reset();
    char byte = 0;
    if (::read(ready_.read.get(), &byte, 1) != 1) {
      throw std::runtime_error("job child did not reach its namespace");
    }
  }

  pid_t pid() const { return child_.pid(); }
  // Lets the child configure its inside (with `link` for a bridged job) and run its body.
  void release(const std::optional<JobLink>& link) {
    std::string message =
        link ? link->ifname + "\n" + link->address_cidr + "\n" + link->gateway : "-";
    message.push_back('\0');
    if (::write(go_.write.get(), message.data(), message.size()) !=
        static_cast<ssize_t>(message.size())) {
      throw std::runtime_error("cannot release the job child");
    }
    go_.write.reset();
  }
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    return child_.wait(limit);
  }

 private:
  Pipe ready_, go_;
  Child child_;
};

// A bridged job of `network`, attached and released: a JobProcess whose body can tell the test
// when it is ready (its server listens, it has connected): `body` gets a `ready` function to call
// then, which is false when the test no longer waits.
class BridgedJob {
 public:
  using Ready = std::function<bool()>;
  BridgedJob(sandbox::net::RunNetwork& network, const policies::Job& job,
             std::function<int(const Ready&)> body)
      : process_(job.settings.network, [this, body = std::move(body)] {
          ready_.read.reset();
          return body([this] { return ::write(ready_.write.get(), "r", 1) == 1; });
        }) {
    ready_.write.reset();  // so that a job that ends without calling ready() is seen at once
    process_.release(network.attach(job, process_.pid()));
  }

  pid_t pid() const { return process_.pid(); }
  // True once the job called ready(); false when it ended first or `limit` passed.
  bool wait_ready(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    pollfd wait{ready_.read.get(), POLLIN, 0};
    char byte = 0;
    return poll(&wait, 1, static_cast<int>(limit.count())) == 1 &&
           ::read(ready_.read.get(), &byte, 1) == 1;
  }
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    return process_.wait(limit);
  }

 private:
  Pipe ready_;  // before process_: the child uses it
  JobProcess process_;
};

// Every child of process `of` (all its threads' children).
inline std::vector<pid_t> child_pids(pid_t of = getpid()) {
  std::vector<pid_t> pids;
  const std::string tasks = "/proc/" + std::to_string(of) + "/task";
  std::error_code error;
  for (const auto& task : fs::directory_iterator(tasks, error)) {
    std::ifstream children(task.path() / "children");
    for (pid_t pid = 0; children >> pid;) pids.push_back(pid);
  }
  return pids;
}

// The port relay a run forked in process `of`: its child named sandbox-ports; -1 when none.
inline pid_t relay_of(pid_t of = getpid()) {
  for (const pid_t pid : child_pids(of)) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "sandbox-ports") return pid;
  }
  return -1;
}

// Waits until a TCP socket listens on `port` in our namespace (/proc/net/tcp and tcp6).
inline bool wait_for_listener(uint16_t port,
                              std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream tcp("/proc/net/tcp"), tcp6("/proc/net/tcp6");
    std::string line;
    while (std::getline(tcp, line) || std::getline(tcp6, line)) {
      // "  sl  local_address rem_address   st ..." with st 0A = LISTEN
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == wanted) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The IPv4 socket address of address:port; nullopt when `address` is not a dotted quad.
inline std::optional<sockaddr_in> ipv4(const std::string& address, uint16_t port) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1) return std::nullopt;
  return where;
}

// Connects to address:port over TCP from the calling process's namespace: 0 when connected,
// otherwise the errno of the failure (ETIMEDOUT after `limit`).
inline int tcp_connect(const std::string& address, uint16_t port,
                       std::chrono::milliseconds limit = std::chrono::seconds(2)) {
  Fd sock(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) return errno;
  auto peer = ipv4(address, port);
  if (!peer) return EINVAL;
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&*peer), sizeof *peer) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd wait{sock.get(), POLLOUT, 0};
  if (poll(&wait, 1, static_cast<int>(limit.count())) != 1) return ETIMEDOUT;
  int error = 0;
  socklen_t size = sizeof error;
  getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &error, &size);
  return error;
}

// A TCP listener on address:port in the calling process's namespace. Its backlog holds many
// connections arriving at once: a full one drops SYNs, and the retransmission costs seconds.
inline Fd tcp_listen(const std::string& address, uint16_t port) {
  Fd sock(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int yes = 1;
  setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in local = ipv4(address, port).value();
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      listen(sock.get(), 128) != 0) {
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                             std::strerror(errno));
  }
  return sock;
}

// A UDP socket bound to address:port (0: any port), with a receive timeout so that a lost
// datagram fails the test instead of hanging it.
inline Fd udp_bound(const std::string& address, uint16_t port) {
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in local = ipv4(address, port).value();
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    throw std::runtime_error("cannot bind udp " + address + ": " + std::strerror(errno));
  }
  const timeval limit{5, 0};
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return sock;
}

// Policies made in code: jobs of one run on one bridged link.
inline policies::Job job_with(const std::string& name, policies::Network::Mode mode,
                              std::optional<uint32_t> net_share = std::nullopt) {
  policies::Job job;
  job.name = name;
  job.command = {"true"};
  job.settings.network.mode = mode;
  job.shares.net = net_share;
  return job;
}

inline policies::Job bridged_job(const std::string& name,
                                 std::optional<uint32_t> net_share = std::nullopt,
                                 std::optional<uint64_t> link_rate_bps = std::nullopt,
                                 std::optional<uint64_t> net_max_bps = std::nullopt) {
  policies::Job job = job_with(name, policies::Network::Mode::bridged, net_share);
  job.settings.network.link_rate_bps = link_rate_bps;
  job.settings.network.net_max_bps = net_max_bps;
  return job;
}

inline policies::Policy policy_of(std::vector<policies::Job> jobs) {
  policies::Policy policy;
  policy.name = "network-test";
  policy.jobs = std::move(jobs);
  return policy;
}

// A scratch directory removed with everything in it, even when the test fails.
struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/sandbox-network-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace network_test
