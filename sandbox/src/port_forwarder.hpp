// Host port forwarding for bridged jobs (network.ports): a small relay process accepts TCP
// connections (and UDP datagrams) on host ports and passes them on to its job's address and port
// through the run's bridge, so forwarded traffic is shaped and counted like any other traffic of
// the job.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sandbox::net {

struct ForwardRule {
  std::string job;          // for error messages
  uint16_t host_port = 0;   // listened on at the bind address
  std::string job_address;  // "10.203.0.2"
  uint16_t job_port = 0;
  bool udp = false;  // else TCP
};

// What the relay counted for one forward, in memory shared with the supervisor (an anonymous
// MAP_SHARED mapping made before the fork). The relay is the only writer; the supervisor reads.
// Each number is exact on its own; read while connections are open, two of them may be a
// connection or a splice apart.
struct ForwardCounters {
  std::atomic<uint64_t> connections{0};  // TCP: joined to the job; UDP: client sessions opened
  std::atomic<uint64_t> rejected{0};     // TCP: reset before reaching the job (not listening, full)
  std::atomic<uint64_t> bytes_to_job{0}, bytes_from_job{0};  // payload delivered each way
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "counters shared across a fork");

// A plain copy of ForwardCounters, for the report.
struct ForwardTotals {
  uint64_t connections = 0, rejected = 0, bytes_to_job = 0, bytes_from_job = 0;
};

inline void count(std::atomic<uint64_t>& counter, uint64_t amount = 1) {
  counter.fetch_add(amount, std::memory_order_relaxed);
}

// What the relay process works with; built before fork, only read after it.
struct RelayRule {
  int listener = -1;  // a listening TCP socket, or the bound UDP socket
  sockaddr_in target{};
  bool udp = false;
  ForwardCounters* counters = nullptr;  // this forward's, in the shared mapping
};

// One connection being relayed; a fixed table of them is allocated before the fork, so that the
// relay never allocates (a fork of a process with other threads may not call malloc).
struct RelayDirection {
  int from = -1, to = -1;  // sockets, owned by the connection
  int pipe_read = -1, pipe_write = -1;
  size_t buffered = 0;  // bytes in the pipe, not yet written to `to`
  // Counts what reached `to`.
  std::atomic<uint64_t>* delivered = nullptr;
  bool eof = false;   // `from` has no more data
  bool shut = false;  // `to` was shut down for writing after the last byte
};
struct RelayConnection {
  bool used = false, connected = false;
  uint32_t generation = 0;  // tells a reused slot's events from its previous connection's
  int client = -1, upstream = -1;
  RelayDirection up, down;  // up: client to job; down: job to client
  // Its forward's.
  ForwardCounters* counters = nullptr;
};

// One UDP client of a forwarded port: datagrams from `client` go to the job from `upstream`, a
// socket connected to the job's port, and what the job answers there goes back to `client`.
struct UdpSession {
  bool used = false;
  uint32_t generation = 0;
  size_t rule = 0;  // index into the rules
  sockaddr_in client{};
  int upstream = -1;
  int64_t last_active_ms = 0;  // CLOCK_MONOTONIC
};

struct RelayTables {
  std::vector<RelayConnection> tcp;
  std::vector<UdpSession> udp;
};

// The relay loop (port_relay.cpp), run in the forked process; never returns.
[[noreturn]] void run_relay(const std::vector<RelayRule>& rules, RelayTables& tables);

// UDP in the relay (port_relay_udp.cpp). `tag` is how the relay's epoll data names the session.
// Every datagram waiting on rule `rule_index`'s socket goes to the job, from the client's session
// (made on its first datagram; the least recently active one is replaced when all are taken).
void udp_from_clients(const std::vector<RelayRule>& rules, size_t rule_index,
                      std::vector<UdpSession>& sessions, int epoll,
                      uint64_t (*tag)(uint64_t index, uint32_t generation));
// Every datagram the job sent to `session` goes back to its client.
void udp_from_job(const std::vector<RelayRule>& rules, UdpSession& session);
// Closes sessions without a datagram either way for udp_idle_ms; returns when to call it again
// (milliseconds, for epoll_wait), -1 when no session is open.
int udp_expire(std::vector<UdpSession>& sessions);
inline constexpr int64_t udp_idle_ms = 60'000;
// CLOCK_MONOTONIC in milliseconds, for the relay's timers.
int64_t monotonic_ms();

// The host side of a run's port forwards. `start` binds every listening socket in the calling
// process (so a port in use is a clear error before any job exists) and forks the relay, which
// owns them from then on. The destructor kills and reaps the relay; the relay also dies with the
// thread that started it (PR_SET_PDEATHSIG), so a SIGKILLed supervisor leaves no listener.
class PortForwarder {
 public:
  // Binds TCP `rules` on `bind_address` ("127.0.0.1"). Throws sandbox::Error(resource_busy)
  // naming the port and its job when a port is in use, Error(setup_failed) for other failures;
  // nothing stays bound or running then.
  static std::unique_ptr<PortForwarder> start(const std::vector<ForwardRule>& rules,
                                              const std::string& bind_address);
  ~PortForwarder();
  PortForwarder(const PortForwarder&) = delete;
  PortForwarder& operator=(const PortForwarder&) = delete;

  pid_t relay_pid() const { return pid_; }
  // What the relay counted so far for rules[index] of start().
  ForwardTotals totals(size_t index) const;

 private:
  // The counters' shared mapping, unmapped when the forwarder goes (after the relay is reaped).
  struct SharedCounters {
    ForwardCounters* data = nullptr;
    size_t count = 0;
    explicit SharedCounters(size_t count);
    ~SharedCounters();
    SharedCounters(const SharedCounters&) = delete;
    SharedCounters& operator=(const SharedCounters&) = delete;
  };
  PortForwarder(pid_t pid, std::unique_ptr<SharedCounters> counters)
      : counters_(std::move(counters)), pid_(pid) {}
  std::unique_ptr<SharedCounters> counters_;
  pid_t pid_;
};

}  // namespace sandbox::net
