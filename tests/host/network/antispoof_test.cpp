// Anti-spoofing on the bridge ports, against the real kernel in a network namespace each test
// makes. A job is root in its own network namespace here (CAP_NET_ADMIN, as some policies allow):
// it adds a sibling's address, or moves to it, and sends. What carries another address must
// reach nobody and be charged to nobody; what carries its own address still flows.
#include <map>

#include "network_fixture.hpp"

namespace network_test {
namespace {

using sandbox::net::RunNetwork;
namespace nl = sandbox::netlink;

constexpr uint16_t port = 7788;
constexpr int datagrams = 50;

// A UDP socket on address:port, nonblocking.
Fd udp_socket(const std::string& address, uint16_t local_port) {
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(local_port);
  inet_pton(AF_INET, address.c_str(), &local.sin_addr);
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    throw std::runtime_error("cannot bind udp " + address + ": " + std::strerror(errno));
  }
  return sock;
}

// Sends `count` datagrams saying `what` from `from` to the gateway; false when one fails.
bool send_from(const std::string& from, const std::string& gateway, const std::string& what,
               int count) {
  const Fd sock = udp_socket(from, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(port);
  inet_pton(AF_INET, gateway.c_str(), &peer.sin_addr);
  for (int i = 0; i < count; ++i) {
    if (sendto(sock.get(), what.data(), what.size(), 0, reinterpret_cast<sockaddr*>(&peer),
               sizeof peer) != static_cast<ssize_t>(what.size())) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no socket buffer overflow
  }
  return true;
}

// Datagrams waiting on `sock`, by content.
std::map<std::string, int> received(int sock) {
  std::map<std::string, int> counts;
  char buffer[64];
  for (ssize_t got; (got = recv(sock, buffer, sizeof buffer, 0)) > 0;) {
    ++counts[std::string(buffer, static_cast<size_t>(got))];
  }
  return counts;
}

class AntiSpoofTest : public NetnsTest {
 protected:
  // Bytes the job sent as shaped (its upstream class), and packets the sink dropped.
  uint64_t sent_as(const RunNetwork& network, const std::string& job) const {
    return network.traffic(job).tx_bytes;
  }
  static uint64_t sink_drops(const RunNetwork& network) {
    nl::Socket sock;
    return nl::qdisc_drops(sock, nl::ifindex_of(sock, network.plan().sink), nl::tc_root);
  }
};

TEST_F(AntiSpoofTest, ForgedSourceAddressIsDroppedAndChargedToNobody) {
  const auto policy = policy_of({bridged_job("forger"), bridged_job("victim")});
  auto network = RunNetwork::create(policy, "run-forged-source");
  ASSERT_NE(network, nullptr);
  const auto& plan = network->plan();
  const std::string own = plan.jobs[0].address, victim = plan.jobs[1].address;
  const Fd listener = udp_socket(plan.gateway, port);

  JobProcess forger(policy.jobs[0].settings.network, [&] {
    // Its own address first (this also resolves the gateway, so no ARP is needed after).
    if (!send_from(own, plan.gateway, "own", datagrams)) return 10;
    nl::Socket sock;
    nl::add_address(sock, nl::ifindex_of(sock, "eth0"), victim + "/32");
    if (!send_from(victim, plan.gateway, "forged", datagrams)) return 11;
    return send_from(own, plan.gateway, "own again", datagrams) ? 0 : 12;
  });
  forger.release(network->attach(policy.jobs[0], forger.pid()));
  ASSERT_EQ(forger.wait(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last ones in flight

  const auto counts = received(listener.get());
  EXPECT_EQ(counts.count("forged"), 0u) << "forged datagrams reached the host";
  EXPECT_EQ(counts.count("own") ? counts.at("own") : 0, datagrams) << "own traffic was lost";
  EXPECT_EQ(counts.count("own again") ? counts.at("own again") : 0, datagrams)
      << "own traffic after the forgery was lost";
  EXPECT_EQ(sent_as(*network, "victim"), 0u) << "the forger's traffic was charged to the victim";
  EXPECT_GT(sent_as(*network, "forger"), 0u);
  EXPECT_GE(sink_drops(*network), uint64_t{datagrams});
}

TEST_F(AntiSpoofTest, JobThatTakesASiblingsAddressReachesNothing) {
  // Its ARP now names the sibling's address as the sender: dropped, so not even the gateway's
  // address is resolved, and nothing it sends is charged to the sibling.
  const auto policy = policy_of({bridged_job("mover"), bridged_job("victim")});
  auto network = RunNetwork::create(policy, "run-moved-address");
  ASSERT_NE(network, nullptr);
  const auto& plan = network->plan();
  const Fd listener = tcp_listen(plan.gateway, port);
  JobProcess mover(policy.jobs[0].settings.network, [&] {
    nl::Socket sock;
    const int eth0 = nl::ifindex_of(sock, "eth0");
    if (!nl::delete_address(sock, eth0, plan.subnet.cidr(plan.jobs[0].host_number))) return 10;
    nl::add_address(sock, eth0, plan.subnet.cidr(plan.jobs[1].host_number));
    return tcp_connect(plan.gateway, port, std::chrono::seconds(2)) == 0 ? 11 : 0;
  });
  mover.release(network->attach(policy.jobs[0], mover.pid()));
  EXPECT_EQ(mover.wait(), 0) << "a job on its sibling's address reached the gateway";
  EXPECT_EQ(sent_as(*network, "victim"), 0u);
  EXPECT_GT(sink_drops(*network), 0u);
}

TEST_F(AntiSpoofTest, OwnTrafficStillFlowsBothWays) {
  // The control: the same job on its own address connects and exchanges data with the host.
  const auto policy = policy_of({bridged_job("honest"), bridged_job("other")});
  auto network = RunNetwork::create(policy, "run-honest");
  ASSERT_NE(network, nullptr);
  const auto& plan = network->plan();
  const Fd listener = tcp_listen(plan.gateway, port);
  JobProcess honest(policy.jobs[0].settings.network,
                    [&] { return tcp_connect(plan.gateway, port) == 0 ? 0 : 10; });
  honest.release(network->attach(policy.jobs[0], honest.pid()));
  EXPECT_EQ(honest.wait(), 0);
  EXPECT_GT(sent_as(*network, "honest"), 0u);
  EXPECT_GT(network->traffic("honest").rx_bytes, 0u);
  EXPECT_EQ(sent_as(*network, "other"), 0u);
}

}  // namespace
}  // namespace network_test
