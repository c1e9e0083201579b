// PortForwarder: binds the host ports of a run's forwards in the supervisor, then forks the relay
// process that serves them (port_relay.cpp), and kills and reaps it when the run ends.
//
// A process, not a thread: the supervisor clones job children after this, and a thread holding
// a lock (malloc's, spdlog's) at that moment would leave it locked forever in every child.
#include "port_forwarder.hpp"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>

#include "sys_error.hpp"
#include "unique_fd.hpp"

namespace sandbox::net {
namespace {

// Connections relayed at once. Each holds six descriptors (two sockets, two pipes); the relay
// raises its descriptor limit to fit them, and resets connections beyond the table.
constexpr size_t max_connections = 1024;
// UDP clients served at once (one socket each); a new one replaces the least recently active.
constexpr size_t max_udp_sessions = 256;
constexpr int listen_backlog = 128;

std::string port_text(const ForwardRule& rule, const std::string& bind_address) {
  return "network.ports: host port " + std::to_string(rule.host_port) +
         (rule.udp ? "/udp" : "/tcp") + " on " + bind_address + " (forwarded to job '" + rule.job +
         "' port " + std::to_string(rule.job_port) + ")";
}

sockaddr_in ipv4(const std::string& address, uint16_t port, const std::string& what) {
  sockaddr_in result{};
  result.sin_family = AF_INET;
  result.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &result.sin_addr) != 1) {
    throw Error(exit_code::setup_failed, what + ": invalid IPv4 address '" + address + "'");
  }
  return result;
}

UniqueFd listen_on(const ForwardRule& rule, const std::string& bind_address) {
  const std::string what = port_text(rule, bind_address);
  const sockaddr_in local = ipv4(bind_address, rule.host_port, what);
  UniqueFd sock(
      socket(AF_INET, (rule.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno(what + ": socket");
  // Lets a new run take a port whose previous run's connections are still in TIME_WAIT; a port
  // with a live listener stays refused (EADDRINUSE) all the same. (UDP has no TIME_WAIT, and
  // there SO_REUSEADDR would let two sockets share a port: not for UDP.)
  const int yes = 1;
  if (!rule.udp) {
    check(setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes),
          what + ": setsockopt");
  }
  if (bind(sock.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int err = errno;
    if (err == EADDRINUSE) throw Error(exit_code::resource_busy, what + " is already in use");
    throw_errno(what + ": bind", err);
  }
  if (!rule.udp) check(listen(sock.get(), listen_backlog), what + ": listen");
  return sock;
}

// In the relay, before anything else: die with the supervisor, and keep no descriptor of it but
// the listeners (its netlink socket, cgroup directories, terminal). Then fit the connection
// table to the descriptors it may open, so that a full table resets new clients instead of
// accept() failing with EMFILE again and again. System calls only.
void become_relay(pid_t supervisor, const std::vector<RelayRule>& rules, RelayTables& tables) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != supervisor) _exit(1);
  prctl(PR_SET_NAME, "sandbox-ports");
  (void)signal(SIGPIPE, SIG_IGN);  // cannot fail for SIGPIPE
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  unsigned next = 0;  // rules' listeners are in ascending order
  for (const RelayRule& rule : rules) {
    const auto fd = static_cast<unsigned>(rule.listener);
    if (fd > next) close_range(next, fd - 1, 0);
    next = fd + 1;
  }
  close_range(next, ~0U, 0);
  const bool any_udp =
      std::any_of(rules.begin(), rules.end(), [](const RelayRule& rule) { return rule.udp; });
  if (!any_udp) tables.udp.clear();
  const rlim_t reserved = 16 + next + tables.udp.size();  // epoll, listeners, UDP sessions
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) _exit(1);
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, reserved + 6 * tables.tcp.size());
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
  }
  const rlim_t fit = files.rlim_cur > reserved ? (files.rlim_cur - reserved) / 6 : 0;
  // Shrinking a vector frees nothing and allocates nothing.
  if (fit < tables.tcp.size()) tables.tcp.resize(fit);
}

}  // namespace

PortForwarder::SharedCounters::SharedCounters(size_t count) : count(count) {
  if (count == 0) return;
  void* memory = mmap(nullptr, count * sizeof(ForwardCounters), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw_errno("network.ports: map the relay's counters");
  data = static_cast<ForwardCounters*>(memory);
  for (size_t i = 0; i < count; ++i) new (&data[i]) ForwardCounters;
}

PortForwarder::SharedCounters::~SharedCounters() {
  if (data != nullptr) munmap(data, count * sizeof(ForwardCounters));
}

ForwardTotals PortForwarder::totals(size_t index) const {
  const ForwardCounters& counters = counters_->data[index];
  const auto read = [](const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  return ForwardTotals{read(counters.connections), read(counters.rejected),
                       read(counters.bytes_to_job), read(counters.bytes_from_job)};
}

std::unique_ptr<PortForwarder> PortForwarder::start(const std::vector<ForwardRule>& rules,
                                                    const std::string& bind_address) {
  auto counters = std::make_unique<SharedCounters>(rules.size());
  std::vector<UniqueFd> listeners;
  std::vector<RelayRule> relay_rules;
  for (const ForwardRule& rule : rules) {
    listeners.push_back(listen_on(rule, bind_address));
    relay_rules.push_back(
        RelayRule{listeners.back().get(),
                  ipv4(rule.job_address, rule.job_port, port_text(rule, bind_address)), rule.udp,
                  &counters->data[relay_rules.size()]});
  }
  std::sort(relay_rules.begin(), relay_rules.end(),
            [](const RelayRule& a, const RelayRule& b) { return a.listener < b.listener; });
  RelayTables tables{std::vector<RelayConnection>(max_connections),
                     std::vector<UdpSession>(max_udp_sessions)};
  const pid_t supervisor = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw_errno("network.ports: fork the port relay");
  if (pid == 0) {
    become_relay(supervisor, relay_rules, tables);
    run_relay(relay_rules, tables);
  }
  // The listeners are the relay's now; ours close when `listeners` goes.
  return std::unique_ptr<PortForwarder>(new PortForwarder(pid, std::move(counters)));
}

PortForwarder::~PortForwarder() {
  // Our own unreaped child: its pid cannot have been reused. Its connections are reset by the
  // kernel when its sockets close; there is nothing to save.
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace sandbox::net
