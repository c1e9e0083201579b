// The port relay's event loop, in its own process (see port_forwarder.cpp): accepts on the
// listeners, connects each client to its job through the bridge, and moves bytes both ways with
// splice() through a pipe per direction (no copy to user space). Half-close is passed on: when one
// side stops sending, the other side's socket is shut down for writing once everything before
// that was delivered, and the connection ends when both directions have. An error on either
// socket resets both. UDP forwards are in port_relay_udp.cpp.
//
// It runs after fork() in a process that may have had other threads, so it calls nothing that
// allocates or locks: system calls only, on the table allocated before the fork.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "port_forwarder.hpp"

namespace sandbox::net {
namespace {

constexpr size_t pipe_capacity = size_t{64} * 1024;  // Linux's default pipe size
constexpr int max_events = 64;
// While out of descriptors with its listeners unwatched, how often the relay tries again.
constexpr int resume_ms = 250;

// epoll data: which slot, which side, and the slot's generation when the event was registered.
enum Side : uint64_t { client_side = 0, upstream_side = 1, listener_side = 2, udp_side = 3 };
uint64_t tag(uint64_t index, Side side, uint32_t generation) {
  return (uint64_t{generation} << 32) | (index << 2) | side;
}
uint64_t udp_tag(uint64_t index, uint32_t generation) {
  return tag(index, udp_side, generation);
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Closes with a reset rather than an orderly end, so that a peer never takes a failed relay
// for a complete one.
void reset_fd(int& fd) {
  if (fd < 0) return;
  const linger abort_on_close{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  close_fd(fd);
}

void release(RelayConnection& connection, bool reset) {
  if (reset) {
    reset_fd(connection.client);
    reset_fd(connection.upstream);
  } else {
    close_fd(connection.client);
    close_fd(connection.upstream);
  }
  for (RelayDirection* direction : {&connection.up, &connection.down}) {
    close_fd(direction->pipe_read);
    close_fd(direction->pipe_write);
    *direction = RelayDirection{};
  }
  connection.used = connection.connected = false;
  ++connection.generation;
}

// Moves what is available from `from` to `to` until neither side can make progress. False on a
// socket error (the connection is then reset).
bool pump(RelayDirection& direction) {
  for (;;) {
    bool progress = false;
    if (direction.buffered > 0) {
      const ssize_t moved = splice(direction.pipe_read, nullptr, direction.to, nullptr,
                                   direction.buffered, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (moved > 0) {
        direction.buffered -= static_cast<size_t>(moved);
        count(*direction.delivered, static_cast<uint64_t>(moved));
        progress = true;
      } else if (moved < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
    // A pipe may refuse bytes before pipe_capacity (its slots hold partial pages): EAGAIN then
    // looks like an empty socket, which is harmless, as the loop retries after every drain.
    if (!direction.eof && direction.buffered < pipe_capacity) {
      const ssize_t moved =
          splice(direction.from, nullptr, direction.pipe_write, nullptr,
                 pipe_capacity - direction.buffered, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (moved > 0) {
        direction.buffered += static_cast<size_t>(moved);
        progress = true;
      } else if (moved == 0) {
        direction.eof = progress = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
    if (direction.eof && direction.buffered == 0 && !direction.shut) {
      if (shutdown(direction.to, SHUT_WR) != 0 && errno != ENOTCONN) return false;
      direction.shut = true;
    }
    if (!progress) return true;
  }
}

bool open_direction(RelayDirection& direction, int from, int to, std::atomic<uint64_t>& delivered) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  direction.pipe_read = fds[0];
  direction.pipe_write = fds[1];
  direction.from = from;
  direction.to = to;
  direction.delivered = &delivered;
  return true;
}

class Relay {
 public:
  Relay(const std::vector<RelayRule>& rules, RelayTables& tables)
      : rules_(rules), table_(tables.tcp), sessions_(tables.udp) {}

  [[noreturn]] void run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) _exit(1);
    spare_ = eventfd(0, EFD_CLOEXEC);
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!watch_listener(i, EPOLL_CTL_ADD, EPOLLIN)) _exit(1);
    }
    epoll_event events[max_events];
    for (;;) {
      int timeout = udp_expire(sessions_);
      if (paused_) {
        const auto until_resume =
            static_cast<int>(std::max<int64_t>(0, resume_at_ - monotonic_ms()));
        if (timeout < 0 || timeout > until_resume) timeout = until_resume;
      }
      const int count = epoll_wait(epoll_, events, max_events, timeout);
      if (count < 0 && errno != EINTR) _exit(1);
      for (int i = 0; i < count; ++i) dispatch(events[i].data.u64);
      if (paused_ && monotonic_ms() >= resume_at_) resume();
    }
  }

 private:
  bool watch_listener(size_t index, int operation, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag(index, listener_side, 0);
    return epoll_ctl(epoll_, operation, rules_[index].listener, &event) == 0;
  }

  // accept() found no descriptor for a waiting client (EMFILE: the table is fitted to the limit,
  // but a limit can be lowered from outside; ENFILE: the system ran out). Leaving the client in
  // the backlog would leave the listener readable: the relay would spin on it at full CPU and the
  // client would hang until a descriptor came free. So the spare descriptor kept for this is
  // given up to accept the client and reset it, as clients beyond the table are. True when one
  // was reset and accepting may go on. When even the spare is not enough (or could not be had
  // back), the TCP listeners are unwatched, their clients wait in the backlog, and resume() tries
  // again every resume_ms.
  bool out_of_descriptors(const RelayRule& rule) {
    if (spare_ >= 0) {
      close_fd(spare_);
      int client = accept4(rule.listener, nullptr, nullptr, SOCK_CLOEXEC);
      const int error = errno;
      if (client >= 0) {
        reset_fd(client);
        count(rule.counters->rejected);
      }
      spare_ = eventfd(0, EFD_CLOEXEC);  // the client's descriptor, free again
      if (client >= 0) return true;
      if (error == EAGAIN || error == EINTR || error == ECONNABORTED) return false;
    }
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i].udp) watch_listener(i, EPOLL_CTL_MOD, 0);
    }
    paused_ = true;
    resume_at_ = monotonic_ms() + resume_ms;
    return false;
  }

  void resume() {
    if (spare_ < 0) spare_ = eventfd(0, EFD_CLOEXEC);
    if (spare_ < 0) {  // still none
      resume_at_ = monotonic_ms() + resume_ms;
      return;
    }
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i].udp) watch_listener(i, EPOLL_CTL_MOD, EPOLLIN);
    }
    paused_ = false;
  }

  void dispatch(uint64_t data) {
    const auto side = static_cast<Side>(data & 3);
    const size_t index = (data & 0xFFFF'FFFFu) >> 2;
    if (side == listener_side && rules_[index].udp) {
      return udp_from_clients(rules_, index, sessions_, epoll_, udp_tag);
    }
    if (side == listener_side) return accept_all(rules_[index]);
    if (side == udp_side) {
      UdpSession& session = sessions_[index];
      if (session.used && session.generation == static_cast<uint32_t>(data >> 32)) {
        udp_from_job(rules_, session);
      }
      return;
    }
    RelayConnection& connection = table_[index];
    // A connection that ended earlier in this batch, or a new one in its slot: not for us.
    if (!connection.used || connection.generation != static_cast<uint32_t>(data >> 32)) return;
    if (!connection.connected) {
      if (side != upstream_side) return;  // the client's bytes wait in its socket meanwhile
      int error = 0;
      socklen_t size = sizeof error;
      getsockopt(connection.upstream, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error == EINPROGRESS || error == EALREADY) return;
      // The job does not listen (yet), or is gone: the client sees a reset, as it would
      // connecting to the job directly.
      if (error != 0) return reject(connection);
      connection.connected = true;
      count(connection.counters->connections);
    }
    if (!pump(connection.up) || !pump(connection.down)) return release(connection, true);
    if (connection.up.shut && connection.down.shut) release(connection, false);
  }

  void accept_all(const RelayRule& rule) {
    for (;;) {
      int client = accept4(rule.listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && out_of_descriptors(rule)) continue;
        return;  // EAGAIN: all taken (or the listeners are unwatched for now)
      }
      RelayConnection* slot = free_slot();
      if (slot == nullptr) {
        reset_fd(client);
        count(rule.counters->rejected);
        continue;
      }
      if (!open_connection(*slot, client, rule)) reject(*slot);
    }
  }

  // Resets a client whose connection never reached the job.
  void reject(RelayConnection& connection) {
    count(connection.counters->rejected);
    release(connection, true);
  }

  RelayConnection* free_slot() {
    for (RelayConnection& connection : table_) {
      if (!connection.used) return &connection;
    }
    return nullptr;
  }

  bool open_connection(RelayConnection& connection, int client, const RelayRule& rule) {
    const sockaddr_in& target = rule.target;
    connection.used = true;
    connection.counters = rule.counters;
    connection.client = client;
    connection.upstream = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (connection.upstream < 0) return false;
    // The relay passes on whatever arrives at once; the senders' own Nagle already batches.
    const int yes = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    setsockopt(connection.upstream, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (!open_direction(connection.up, client, connection.upstream, rule.counters->bytes_to_job) ||
        !open_direction(connection.down, connection.upstream, client,
                        rule.counters->bytes_from_job)) {
      return false;
    }
    if (connect(connection.upstream, reinterpret_cast<const sockaddr*>(&target), sizeof target) !=
            0 &&
        errno != EINPROGRESS) {
      return false;
    }
    const auto index = static_cast<uint64_t>(&connection - table_.data());
    for (const auto& [fd, side] :
         {std::pair{client, client_side}, std::pair{connection.upstream, upstream_side}}) {
      epoll_event event{};
      event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      event.data.u64 = tag(index, side, connection.generation);
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) return false;
    }
    return true;
  }

  const std::vector<RelayRule>& rules_;
  std::vector<RelayConnection>& table_;
  std::vector<UdpSession>& sessions_;
  int epoll_ = -1;
  int spare_ = -1;         // a descriptor held in reserve for out_of_descriptors()
  bool paused_ = false;    // the TCP listeners are unwatched until descriptors are back
  int64_t resume_at_ = 0;  // monotonic_ms() of the next try
};

}  // namespace

void run_relay(const std::vector<RelayRule>& rules, RelayTables& tables) {
  Relay(rules, tables).run();
}

}  // namespace sandbox::net
