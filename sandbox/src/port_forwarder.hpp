// Host port forwarding for bridged jobs (network.ports): a small relay process accepts TCP
// connections on host ports and joins each to its job's address and port through the run's
// bridge, so forwarded traffic is shaped and counted like any other traffic of the job.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

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
};

// What the relay process works with; built before fork, only read after it.
struct RelayRule {
  int listener = -1;
  sockaddr_in target{};
};

// One connection being relayed; a fixed table of them is allocated before the fork, so that the
// relay never allocates (a fork of a process with other threads may not call malloc).
struct RelayDirection {
  int from = -1, to = -1;  // sockets, owned by the connection
  int pipe_read = -1, pipe_write = -1;
  size_t buffered = 0;  // bytes in the pipe, not yet written to `to`
  bool eof = false;     // `from` has no more data
  bool shut = false;    // `to` was shut down for writing after the last byte
};
struct RelayConnection {
  bool used = false, connected = false;
  uint32_t generation = 0;  // tells a reused slot's events from its previous connection's
  int client = -1, upstream = -1;
  RelayDirection up, down;  // up: client to job; down: job to client
};

// The relay loop (port_relay.cpp), run in the forked process; never returns.
[[noreturn]] void run_relay(const std::vector<RelayRule>& rules,
                            std::vector<RelayConnection>& table);

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

 private:
  explicit PortForwarder(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

}  // namespace sandbox::net
