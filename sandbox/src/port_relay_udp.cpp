// UDP in the port relay (see port_relay.cpp): each client address gets a session, a socket
// connected to the job's port, so that the job's answers can be told apart and sent back to the
// right client. Sessions end after a minute without a datagram either way, as a NAT's would.
//
// Runs in the forked relay: system calls only, on the table allocated before the fork.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "port_forwarder.hpp"

namespace sandbox::net {
namespace {

// The largest UDP payload over IPv4; the buffer lives on the relay's stack.
constexpr size_t max_datagram = 65507;

void close_session(UdpSession& session) {
  if (session.upstream >= 0) close(session.upstream);  // leaves the epoll set with it
  session.upstream = -1;
  session.used = false;
  ++session.generation;
}

bool same_client(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

// The client's session for `rule_index`, made when it has none; nullptr when it cannot be made.
UdpSession* session_for(const std::vector<RelayRule>& rules, size_t rule_index,
                        const sockaddr_in& client, std::vector<UdpSession>& sessions, int epoll,
                        uint64_t (*tag)(uint64_t, uint32_t)) {
  UdpSession *free_slot = nullptr, *oldest = nullptr;
  for (UdpSession& session : sessions) {
    if (!session.used) {
      if (free_slot == nullptr) free_slot = &session;
    } else if (session.rule == rule_index && same_client(session.client, client)) {
      return &session;
    } else if (oldest == nullptr || session.last_active_ms < oldest->last_active_ms) {
      oldest = &session;
    }
  }
  UdpSession* slot = free_slot != nullptr ? free_slot : oldest;
  if (slot == nullptr) return nullptr;
  if (slot->used) close_session(*slot);  // the least recently active makes room
  const int upstream = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (upstream < 0) return nullptr;
  const sockaddr_in& target = rules[rule_index].target;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = tag(static_cast<uint64_t>(slot - sessions.data()), slot->generation);
  if (connect(upstream, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 ||
      epoll_ctl(epoll, EPOLL_CTL_ADD, upstream, &event) != 0) {
    close(upstream);
    return nullptr;
  }
  count(rules[rule_index].counters->connections);
  slot->used = true;
  slot->rule = rule_index;
  slot->client = client;
  slot->upstream = upstream;
  return slot;
}

}  // namespace

int64_t monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000;
}

void udp_from_clients(const std::vector<RelayRule>& rules, size_t rule_index,
                      std::vector<UdpSession>& sessions, int epoll,
                      uint64_t (*tag)(uint64_t, uint32_t)) {
  char buffer[max_datagram];
  for (;;) {
    sockaddr_in client{};
    socklen_t size = sizeof client;
    const ssize_t got = recvfrom(rules[rule_index].listener, buffer, sizeof buffer, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&client), &size);
    if (got < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: all read
    }
    UdpSession* session = session_for(rules, rule_index, client, sessions, epoll, tag);
    if (session == nullptr) continue;  // dropped, as a full NAT table would
    session->last_active_ms = monotonic_ms();
    // A datagram the job's side cannot take now is lost, as UDP may be.
    const ssize_t sent = send(session->upstream, buffer, static_cast<size_t>(got), MSG_DONTWAIT);
    if (sent > 0) count(rules[rule_index].counters->bytes_to_job, static_cast<uint64_t>(sent));
  }
}

void udp_from_job(const std::vector<RelayRule>& rules, UdpSession& session) {
  char buffer[max_datagram];
  for (;;) {
    const ssize_t got = recv(session.upstream, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got < 0) {
      // ECONNREFUSED: an earlier datagram found the job's port closed; later ones may not.
      if (errno == EINTR || errno == ECONNREFUSED) continue;
      return;
    }
    session.last_active_ms = monotonic_ms();
    const RelayRule& rule = rules[session.rule];
    const ssize_t sent =
        sendto(rule.listener, buffer, static_cast<size_t>(got), MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&session.client), sizeof session.client);
    if (sent > 0) count(rule.counters->bytes_from_job, static_cast<uint64_t>(sent));
  }
}

int udp_expire(std::vector<UdpSession>& sessions) {
  const int64_t now = monotonic_ms();
  int64_t next = -1;
  for (UdpSession& session : sessions) {
    if (!session.used) continue;
    const int64_t left = session.last_active_ms + udp_idle_ms - now;
    if (left <= 0) {
      close_session(session);
    } else if (next < 0 || left < next) {
      next = left;
    }
  }
  return static_cast<int>(next);
}

}  // namespace sandbox::net
