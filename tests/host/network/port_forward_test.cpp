// Port forwards (network.ports) against the real kernel, inside a network namespace each test
// makes: a host port on 127.0.0.1 reaches a server in a bridged job, bytes arrive intact both
// ways with half-close passed on, shaped as the job's, many clients at once, two forwards reach
// two jobs, UDP datagrams and their answers, and a port in use or a job that does not listen
// fail cleanly. The relay process goes away with the run.
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "network_fixture.hpp"

namespace network_test {
namespace {

using sandbox::net::RunNetwork;

constexpr uint16_t job_port = 8000;

policies::Job forwarded_job(const std::string& name, uint16_t host_port) {
  policies::Job job = bridged_job(name);
  job.settings.network.ports = {policies::PortForward{host_port, job_port, "tcp"}};
  return job;
}

// Moves all of `size` bytes with `io` (read or write), as many calls as it takes; false when the
// stream ends or fails first.
template <typename Io, typename Byte>
bool all_of(Io io, int fd, Byte* data, size_t size) {
  while (size > 0) {
    const ssize_t done = io(fd, data, size);
    if (done <= 0) return false;
    data += done;
    size -= static_cast<size_t>(done);
  }
  return true;
}
bool write_all(int fd, const char* data, size_t size) {
  return all_of(::write, fd, data, size);
}
bool read_exact(int fd, char* data, size_t size) {
  return all_of(::read, fd, data, size);
}

// A reproducible byte stream and a digest of what was read, so both ends can check each other.
struct Stream {
  uint64_t state;
  explicit Stream(uint64_t seed) : state(seed) {}
  char next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<char>(state);
  }
};
struct Digest {
  uint64_t bytes = 0, hash = 1469598103934665603ULL;
  void add(const char* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      hash = (hash ^ static_cast<unsigned char>(data[i])) * 1099511628211ULL;
    }
    bytes += size;
  }
};

// Sends `size` bytes of Stream(seed) to `fd`.
bool send_stream(int fd, uint64_t seed, size_t size) {
  Stream stream(seed);
  std::vector<char> block(size_t{64} * 1024);
  for (size_t sent = 0; sent < size;) {
    const size_t chunk = std::min(block.size(), size - sent);
    for (size_t i = 0; i < chunk; ++i) block[i] = stream.next();
    if (!write_all(fd, block.data(), chunk)) return false;
    sent += chunk;
  }
  return true;
}

Digest expected_digest(uint64_t seed, size_t size) {
  Stream stream(seed);
  Digest digest;
  for (size_t i = 0; i < size; ++i) {
    const char byte = stream.next();
    digest.add(&byte, 1);
  }
  return digest;
}

// Reads `fd` to its end (or `limit` bytes); the digest of what came.
Digest read_digest(int fd, size_t limit = SIZE_MAX) {
  Digest digest;
  std::vector<char> block(size_t{64} * 1024);
  while (digest.bytes < limit) {
    const ssize_t got = ::read(fd, block.data(), std::min(block.size(), limit - digest.bytes));
    if (got <= 0) break;
    digest.add(block.data(), static_cast<size_t>(got));
  }
  return digest;
}

// A blocking TCP connection from our namespace; -1 on failure.
Fd connect_to(const std::string& address, uint16_t port) {
  Fd sock(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in peer = ipv4(address, port).value();
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    const int error = errno;  // for the caller, past close()
    sock.reset();
    errno = error;
    return sock;
  }
  const timeval limit{20, 0};  // a stalled relay fails the test instead of hanging it
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  return sock;
}

// What a client of a forward saw first: "answered" (the byte `answer`), "reset", "EOF",
// "timeout", another error, or why it could not connect. A test that fails says which.
// A reset can come before connect() returns: the relay accepts and resets at once, and when its
// RST is processed while the client's connect() is still waking up from the handshake (a slow or
// emulated CPU), Linux reports it from connect() itself (__inet_stream_connect finds the socket
// closed with ECONNRESET). That is the same reset; any other connect error is not.
std::string first_reply(uint16_t port, char answer, Fd& client) {
  client = connect_to("127.0.0.1", port);
  if (client.get() < 0 && errno == ECONNRESET) return "reset";
  if (client.get() < 0) return std::string("connect: ") + std::strerror(errno);
  char byte = 0;
  errno = 0;
  const ssize_t got = ::read(client.get(), &byte, 1);
  if (got == 1) return byte == answer ? "answered" : std::string("wrong byte ") + byte;
  if (got == 0) return "EOF";
  if (errno == ECONNRESET) return "reset";
  if (errno == EAGAIN || errno == EWOULDBLOCK) return "timeout";
  return std::strerror(errno);
}

// A job body: listens on job_port, says it is ready, then serves one connection with `serve`.
std::function<int(const BridgedJob::Ready&)> one_shot_server(std::function<int(int)> serve) {
  return [serve = std::move(serve)](const BridgedJob::Ready& ready) {
    const Fd listener = tcp_listen("0.0.0.0", job_port);
    if (!ready()) return 20;
    const Fd connection(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.get() < 0) return 21;
    return serve(connection.get());
  };
}

// A job body: listens on job_port, says it is ready, then answers every connection with '!'
// and keeps it open until the client closes it.
int answering_server(const BridgedJob::Ready& ready) {
  const Fd listener = tcp_listen("0.0.0.0", job_port);
  if (!ready()) return 20;
  for (;;) {
    const int connection = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return 21;
    std::thread([connection] {
      const Fd owned(connection);
      if (write_all(connection, "!", 1)) read_digest(connection);
    }).detach();
  }
}

// User and system CPU time of `pid` so far, in clock ticks (/proc/<pid>/stat fields 14 and 15).
uint64_t cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));  // from field 3, the state
  std::string skipped;
  for (int field = 3; field < 14; ++field) fields >> skipped;
  uint64_t user = 0, system = 0;
  fields >> user >> system;
  return user + system;
}

// The lowest descriptor number `pid` has not open.
int lowest_free_fd(pid_t pid) {
  std::set<int> open;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    open.insert(std::stoi(entry.path().filename().string()));
  }
  int fd = 0;
  while (open.count(fd) != 0) ++fd;
  return fd;
}

class PortForwardTest : public NetnsTest {};

TEST_F(PortForwardTest, BytesArriveIntactBothWaysWithHalfClosePassedOn) {
  constexpr size_t size = size_t{16} * 1024 * 1024;
  constexpr uint64_t up_seed = 7, down_seed = 11;
  const auto policy = policy_of({forwarded_job("web", 18080)});
  auto network = RunNetwork::create(policy, "run-forward");
  ASSERT_NE(network, nullptr);
  ASSERT_TRUE(wait_for_listener(18080));  // listening before any job exists

  // The job reads up to the client's end of sending, then sends its verdict and its own stream.
  const auto check_then_send = [](int connection) {
    const Digest got = read_digest(connection);
    const Digest want = expected_digest(up_seed, size);
    const char verdict = got.bytes == want.bytes && got.hash == want.hash ? 'y' : 'n';
    if (!write_all(connection, &verdict, 1)) return 30;
    return send_stream(connection, down_seed, size) ? 0 : 31;
  };
  BridgedJob job(*network, policy.jobs[0], one_shot_server(check_then_send));
  ASSERT_TRUE(job.wait_ready());

  const Fd client = connect_to("127.0.0.1", 18080);
  ASSERT_GE(client.get(), 0) << std::strerror(errno);
  ASSERT_TRUE(send_stream(client.get(), up_seed, size));
  ASSERT_EQ(shutdown(client.get(), SHUT_WR), 0);  // the server's read ends only if this passes
  char verdict = 0;
  ASSERT_EQ(::read(client.get(), &verdict, 1), 1);
  EXPECT_EQ(verdict, 'y') << "the job received other bytes than were sent";
  const Digest down = read_digest(client.get());
  const Digest want = expected_digest(down_seed, size);
  EXPECT_EQ(down.bytes, want.bytes);
  EXPECT_EQ(down.hash, want.hash);
  EXPECT_EQ(job.wait(), 0);
  // The relay's traffic crossed the bridge: shaped and counted as the job's.
  const auto traffic = network->traffic("web");
  EXPECT_GE(traffic.rx_bytes, size);
  EXPECT_GE(traffic.tx_bytes, size);
}

TEST_F(PortForwardTest, ForwardedTrafficIsShapedAsTheJobs) {
  // net_max 20 Mbit/s: through the relay the job can neither receive nor send faster (unshaped,
  // the relay moves gigabits). Steal time only slows things down, so only the cap is asserted.
  constexpr size_t size = 2'500'000;  // 1 s at 20 Mbit/s
  constexpr double cap_mbps = 20;
  auto job = forwarded_job("capped", 18088);
  job.settings.network.net_max_bps = static_cast<uint64_t>(cap_mbps * 1e6);
  const auto policy = policy_of({job});
  auto network = RunNetwork::create(policy, "run-shaped-forward");
  ASSERT_NE(network, nullptr);
  const auto echo_size = [](int connection) {
    const Digest got = read_digest(connection);
    return send_stream(connection, 3, got.bytes) ? 0 : 30;
  };
  BridgedJob server(*network, policy.jobs[0], one_shot_server(echo_size));
  ASSERT_TRUE(server.wait_ready());

  const Fd client = connect_to("127.0.0.1", 18088);
  ASSERT_GE(client.get(), 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(send_stream(client.get(), 5, size));
  ASSERT_EQ(shutdown(client.get(), SHUT_WR), 0);
  char first = 0;
  ASSERT_TRUE(read_exact(client.get(), &first, 1));  // the job has read everything by now
  const auto uploaded = std::chrono::steady_clock::now();
  const Digest back = read_digest(client.get());
  const auto downloaded = std::chrono::steady_clock::now();
  ASSERT_EQ(back.bytes + 1, size);
  const auto mbps = [](size_t bytes, auto from, auto to) {
    return static_cast<double>(bytes) * 8 / 1e6 / std::chrono::duration<double>(to - from).count();
  };
  const double up = mbps(size, start, uploaded), down = mbps(size, uploaded, downloaded);
  std::printf("  through a forward capped at %.0f Mbit/s: to the job %.1f, from it %.1f\n",
              cap_mbps, up, down);
  EXPECT_LT(up, cap_mbps * 1.2);
  EXPECT_LT(down, cap_mbps * 1.2);
  EXPECT_EQ(server.wait(), 0);
}

TEST_F(PortForwardTest, ManyConnectionsAtOnceEachGetTheirOwnBytes) {
  // Every client sends its own stream at the same time; the job answers each with the digest
  // of what it got on that connection. Crossed, lost or stalled streams show as a wrong digest.
  constexpr int clients = 48;
  constexpr size_t size = size_t{512} * 1024;
  const auto policy = policy_of({forwarded_job("busy", 18087)});
  auto network = RunNetwork::create(policy, "run-many");
  ASSERT_NE(network, nullptr);
  BridgedJob job(*network, policy.jobs[0], [&](const BridgedJob::Ready& ready) {
    const Fd listener = tcp_listen("0.0.0.0", job_port);
    if (!ready()) return 20;
    std::vector<std::thread> servers;
    for (int i = 0; i < clients; ++i) {
      const int connection = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) return 21;
      servers.emplace_back([connection] {
        const Fd owned(connection);
        const Digest got = read_digest(connection);
        write_all(connection, reinterpret_cast<const char*>(&got), sizeof got);
      });
    }
    for (auto& server : servers) server.join();
    return 0;
  });
  ASSERT_TRUE(job.wait_ready());

  std::vector<int> results(clients, -1);
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([i, &results] {
      const Fd client = connect_to("127.0.0.1", 18087);
      if (client.get() < 0 || !send_stream(client.get(), 100 + i, size) ||
          shutdown(client.get(), SHUT_WR) != 0) {
        return;
      }
      Digest reply;
      if (!read_exact(client.get(), reinterpret_cast<char*>(&reply), sizeof reply)) return;
      const Digest want = expected_digest(100 + i, size);
      results[i] = reply.bytes == want.bytes && reply.hash == want.hash ? 0 : 1;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < clients; ++i) {
    EXPECT_EQ(results[i], 0) << "client " << i << (results[i] < 0 ? ": no reply" : ": wrong bytes");
  }
  EXPECT_EQ(job.wait(), 0);
}

TEST_F(PortForwardTest, FullRelayResetsNewClientsAndServesTheRest) {
  // With few descriptors the relay can serve only a few clients: the others are reset at once,
  // not left hanging, and its room is reused when the served ones go.
  // A hard limit cannot be raised again without CAP_SYS_RESOURCE, so the run lives in a child
  // whose limit is lowered for good; the relay inherits it. The child writes what each client
  // saw to `seen`, so that a failure says which client saw what.
  constexpr int clients = 12;
  Pipe seen;
  Child run([&seen] {
    seen.read.reset();
    const rlimit few{64, 64};  // a table of a few connections (6 descriptors each)
    if (setrlimit(RLIMIT_NOFILE, &few) != 0) return 1;
    const auto policy = policy_of({forwarded_job("small", 18089)});
    auto network = RunNetwork::create(policy, "run-full");
    BridgedJob job(*network, policy.jobs[0], answering_server);
    if (!job.wait_ready()) return 2;
    std::vector<Fd> open(clients);
    std::string log;
    int served = 0, reset = 0;
    for (int i = 0; i < clients; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const std::string reply = first_reply(18089, '!', open[i]);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      log += "client " + std::to_string(i) + ": " + reply + " (" + std::to_string(ms) + " ms)\n";
      served += reply == "answered";
      reset += reply == "reset";
    }
    int code = 0;
    if (served == 0) {
      code = 3;
    } else if (reset == 0) {
      code = 4;  // more connections than its descriptors allow were all served
    } else if (served + reset != clients) {
      code = 5;  // one got neither an answer nor a reset
    } else {
      open.clear();  // frees the table
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      Fd again;
      const std::string reply = first_reply(18089, '!', again);
      log += "after the others closed: " + reply + "\n";
      if (reply != "answered") code = 6;  // its room is reused
    }
    write_all(seen.write.get(), log.data(), log.size());
    return code;
  });
  seen.write.reset();
  const int code = run.wait();
  std::string log;
  char buffer[4096];
  for (ssize_t got; (got = ::read(seen.read.get(), buffer, sizeof buffer)) > 0;) {
    log.append(buffer, static_cast<size_t>(got));
  }
  EXPECT_EQ(code, 0) << "1 setrlimit, 2 job not ready, 3 none served, 4 none reset, "
                        "5 neither answered nor reset, 6 room not reused\n"
                     << log;
}

TEST_F(PortForwardTest, RelayOutOfDescriptorsResetsNewClientsAndWaitsWithoutSpinning) {
  // The relay fits its table to its descriptor limit, but the limit can be lowered from outside
  // (prlimit) and the system's can run out: accept() then fails with EMFILE while a client waits.
  // The relay resets that client with a descriptor it keeps in reserve; when even that one is
  // not enough, it stops watching the listener until descriptors are back, rather than spin on
  // a listener that stays readable.
  const auto policy = policy_of({forwarded_job("limited", 18096)});
  auto network = RunNetwork::create(policy, "run-emfile");
  ASSERT_NE(network, nullptr);
  BridgedJob job(*network, policy.jobs[0], answering_server);
  ASSERT_TRUE(job.wait_ready());
  const pid_t relay = relay_of();
  ASSERT_GT(relay, 0);
  Fd served, refused;
  ASSERT_EQ(first_reply(18096, '!', served), "answered");
  rlimit original{};
  ASSERT_EQ(prlimit(relay, RLIMIT_NOFILE, nullptr, &original), 0);
  // No descriptor below the limit is free but the reserve's.
  const rlimit exhausted{static_cast<rlim_t>(lowest_free_fd(relay)), original.rlim_max};
  ASSERT_EQ(prlimit(relay, RLIMIT_NOFILE, &exhausted, nullptr), 0);
  EXPECT_EQ(first_reply(18096, '!', refused), "reset");
  // Not even the reserve fits: the client waits in the backlog and the relay sleeps.
  const rlimit none{0, original.rlim_max};
  ASSERT_EQ(prlimit(relay, RLIMIT_NOFILE, &none, nullptr), 0);
  const Fd waiting = connect_to("127.0.0.1", 18096);
  ASSERT_GE(waiting.get(), 0) << std::strerror(errno);
  const uint64_t before = cpu_ticks(relay);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const uint64_t spent = cpu_ticks(relay) - before;
  EXPECT_LT(spent, static_cast<uint64_t>(sysconf(_SC_CLK_TCK) / 4))
      << "the relay spun on its listener: " << spent << " ticks in 1 s";
  // Descriptors back: the client that waited is served.
  ASSERT_EQ(prlimit(relay, RLIMIT_NOFILE, &original, nullptr), 0);
  char byte = 0;
  EXPECT_EQ(::read(waiting.get(), &byte, 1), 1) << std::strerror(errno);
  EXPECT_EQ(byte, '!');
}

TEST_F(PortForwardTest, TwoForwardsReachTwoJobs) {
  const auto policy = policy_of({forwarded_job("first", 18081), forwarded_job("second", 18082)});
  auto network = RunNetwork::create(policy, "run-two-forwards");
  ASSERT_NE(network, nullptr);
  const auto says = [](char name) {
    return [name](int connection) { return write_all(connection, &name, 1) ? 0 : 30; };
  };
  BridgedJob first(*network, policy.jobs[0], one_shot_server(says('1')));
  BridgedJob second(*network, policy.jobs[1], one_shot_server(says('2')));
  ASSERT_TRUE(first.wait_ready());
  ASSERT_TRUE(second.wait_ready());
  for (const auto& [port, name] : {std::pair{uint16_t{18082}, '2'}, {uint16_t{18081}, '1'}}) {
    const Fd client = connect_to("127.0.0.1", port);
    ASSERT_GE(client.get(), 0);
    char got = 0;
    EXPECT_EQ(::read(client.get(), &got, 1), 1);
    EXPECT_EQ(got, name) << "port " << port;
  }
  EXPECT_EQ(first.wait(), 0);
  EXPECT_EQ(second.wait(), 0);
}

TEST_F(PortForwardTest, JobThatDoesNotListenResetsTheClient) {
  const auto policy = policy_of({forwarded_job("quiet", 18083)});
  auto network = RunNetwork::create(policy, "run-not-listening");
  ASSERT_NE(network, nullptr);
  Pipe done;
  BridgedJob job(*network, policy.jobs[0], [&](const BridgedJob::Ready& ready) {
    char byte;
    if (!ready()) return 2;  // configured, not listening
    return ::read(done.read.get(), &byte, 1) == 1 ? 0 : 1;
  });
  ASSERT_TRUE(job.wait_ready());
  // The relay accepts and then resets the client, not a clean, empty reply; on a slow CPU the
  // reset can reach the client's connect() itself (see first_reply).
  Fd client;
  EXPECT_EQ(first_reply(18083, '!', client), "reset");
  ASSERT_EQ(::write(done.write.get(), "d", 1), 1);
  EXPECT_EQ(job.wait(), 0);
}

TEST_F(PortForwardTest, PortInUseFailsCreateNamingThePortWithNothingLeft) {
  const Fd taken = tcp_listen("127.0.0.1", 18084);
  const auto children = child_pids();
  expect_create_fails(policy_of({forwarded_job("web", 18085), forwarded_job("api", 18084)}),
                      sandbox::exit_code::resource_busy, {"18084", "'api'"});
  EXPECT_EQ(child_pids(), children) << "a relay process was left";
  EXPECT_EQ(tcp_connect("127.0.0.1", 18085), ECONNREFUSED) << "the other port was left bound";
}

policies::Job udp_forwarded_job(const std::string& name, uint16_t host_port) {
  policies::Job job = bridged_job(name);
  job.settings.network.ports = {policies::PortForward{host_port, job_port, "udp"}};
  return job;
}

TEST_F(PortForwardTest, UdpDatagramsReachTheJobAndItsAnswersTheirOwnClient) {
  constexpr int rounds = 20;
  const auto policy = policy_of({udp_forwarded_job("dns", 18053)});
  auto network = RunNetwork::create(policy, "run-udp");
  ASSERT_NE(network, nullptr);
  BridgedJob job(*network, policy.jobs[0], [&](const BridgedJob::Ready& ready) {
    // Answers each datagram to whoever sent it (the relay), with "re:" before it.
    const Fd sock = udp_bound("0.0.0.0", job_port);
    if (!ready()) return 20;
    for (int i = 0; i < 2 * rounds; ++i) {
      char buffer[64];
      sockaddr_in from{};
      socklen_t size = sizeof from;
      const ssize_t got =
          recvfrom(sock.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &size);
      if (got <= 0) return 21;
      const std::string answer = "re:" + std::string(buffer, static_cast<size_t>(got));
      sendto(sock.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), size);
    }
    return 0;
  });
  ASSERT_TRUE(job.wait_ready());

  // Two clients in turns: each must get the answers to its own datagrams, none of the other's.
  const Fd first = udp_bound("127.0.0.1", 0), second = udp_bound("127.0.0.1", 0);
  sockaddr_in forward = ipv4("127.0.0.1", 18053).value();
  for (int i = 0; i < rounds; ++i) {
    for (const auto& [sock, name] : {std::pair{first.get(), 'a'}, {second.get(), 'b'}}) {
      const std::string datagram = name + std::to_string(i);
      ASSERT_EQ(sendto(sock, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<sockaddr*>(&forward), sizeof forward),
                static_cast<ssize_t>(datagram.size()));
      char buffer[64];
      const ssize_t got = recv(sock, buffer, sizeof buffer, 0);
      ASSERT_GT(got, 0) << "no answer to " << datagram << ": " << std::strerror(errno);
      EXPECT_EQ(std::string(buffer, static_cast<size_t>(got)), "re:" + datagram);
    }
  }
  EXPECT_EQ(job.wait(), 0);
  EXPECT_GT(network->traffic("dns").rx_bytes, 0u);  // through the bridge, counted as the job's
}

TEST_F(PortForwardTest, UdpPortInUseFailsCreateNamingIt) {
  const Fd taken = udp_bound("127.0.0.1", 18054);
  expect_create_fails(policy_of({udp_forwarded_job("dns", 18054)}),
                      sandbox::exit_code::resource_busy, {"18054/udp"});
}

TEST_F(PortForwardTest, RelayAndListenerGoWithTheRun) {
  const auto children = child_pids();
  {
    auto network = RunNetwork::create(policy_of({forwarded_job("web", 18086)}), "run-relay-ends");
    ASSERT_NE(network, nullptr);
    ASSERT_TRUE(wait_for_listener(18086));
    EXPECT_EQ(child_pids().size(), children.size() + 1) << "one relay process per run";
  }
  EXPECT_EQ(child_pids(), children) << "the relay outlived its run";
  EXPECT_EQ(tcp_connect("127.0.0.1", 18086), ECONNREFUSED);
}

}  // namespace
}  // namespace network_test
