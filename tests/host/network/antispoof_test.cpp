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

// Sends `count` datagrams saying `what` from `from` to the gateway; false when one fails.
bool send_from(const std::string& from, const std::string& gateway, const std::string& what,
               int count) {
  const Fd sock = udp_bound(from, 0);
  sockaddr_in peer = ipv4(gateway, port).value();
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
  for (ssize_t got; (got = recv(sock, buffer, sizeof buffer, MSG_DONTWAIT)) > 0;) {
    ++counts[std::string(buffer, static_cast<size_t>(got))];
  }
  return counts;
}

// Each test: a run with two bridged jobs, "job" and "victim"; only "job" starts, as root in its
// namespace, and does what the test says.
class AntiSpoofTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    network_ = RunNetwork::create(policy_, "run-antispoof");
    ASSERT_NE(network_, nullptr);
  }
  const sandbox::net::RunPlan& plan() const { return network_->plan(); }
  // The job's exit code.
  int run_job(const std::function<int()>& body) {
    BridgedJob job(*network_, policy_.jobs[0],
                   [&body](const BridgedJob::Ready&) { return body(); });
    return job.wait();
  }
  // Bytes a job sent as shaped (its upstream class), and packets the sink dropped.
  uint64_t sent_as(const std::string& job) const { return network_->traffic(job).tx_bytes; }
  uint64_t sink_drops() const {
    nl::Socket sock;
    return nl::qdisc_drops(sock, nl::ifindex_of(sock, plan().sink), nl::tc_root);
  }

  const policies::Policy policy_ = policy_of({bridged_job("job"), bridged_job("victim")});
  std::unique_ptr<RunNetwork> network_;
};

TEST_F(AntiSpoofTest, ForgedSourceAddressIsDroppedAndChargedToNobody) {
  const std::string own = plan().jobs[0].address, victim = plan().jobs[1].address;
  const std::string gateway = plan().gateway;
  const Fd listener = udp_bound(gateway, port);
  const int code = run_job([&] {
    // Its own address first (this also resolves the gateway, so no ARP is needed after).
    if (!send_from(own, gateway, "own", datagrams)) return 10;
    nl::Socket sock;
    nl::add_address(sock, nl::ifindex_of(sock, "eth0"), victim + "/32");
    if (!send_from(victim, gateway, "forged", datagrams)) return 11;
    return send_from(own, gateway, "own again", datagrams) ? 0 : 12;
  });
  ASSERT_EQ(code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last ones in flight

  const auto counts = received(listener.get());
  EXPECT_EQ(counts.count("forged"), 0u) << "forged datagrams reached the host";
  EXPECT_EQ(counts.count("own") ? counts.at("own") : 0, datagrams) << "own traffic was lost";
  EXPECT_EQ(counts.count("own again") ? counts.at("own again") : 0, datagrams)
      << "own traffic after the forgery was lost";
  EXPECT_EQ(sent_as("victim"), 0u) << "the forger's traffic was charged to the victim";
  EXPECT_GT(sent_as("job"), 0u);
  EXPECT_GE(sink_drops(), uint64_t{datagrams});
}

TEST_F(AntiSpoofTest, JobThatTakesASiblingsAddressReachesNothing) {
  // Its ARP now names the sibling's address as the sender: dropped, so not even the gateway's
  // address is resolved, and nothing it sends is charged to the sibling.
  const Fd listener = tcp_listen(plan().gateway, port);
  const int code = run_job([&] {
    nl::Socket sock;
    const int eth0 = nl::ifindex_of(sock, "eth0");
    if (!nl::delete_address(sock, eth0, plan().subnet.cidr(plan().jobs[0].host_number))) {
      return 10;
    }
    nl::add_address(sock, eth0, plan().subnet.cidr(plan().jobs[1].host_number));
    return tcp_connect(plan().gateway, port, std::chrono::seconds(2)) == 0 ? 11 : 0;
  });
  EXPECT_EQ(code, 0) << "a job on its sibling's address reached the gateway";
  EXPECT_EQ(sent_as("victim"), 0u);
  EXPECT_GT(sink_drops(), 0u);
}

TEST_F(AntiSpoofTest, OwnTrafficStillFlowsBothWays) {
  // The control: the same job on its own address connects to the host, both ways counted.
  const Fd listener = tcp_listen(plan().gateway, port);
  EXPECT_EQ(run_job([&] { return tcp_connect(plan().gateway, port) == 0 ? 0 : 10; }), 0);
  EXPECT_GT(sent_as("job"), 0u);
  EXPECT_GT(network_->traffic("job").rx_bytes, 0u);
  EXPECT_EQ(sent_as("victim"), 0u);
}

}  // namespace
}  // namespace network_test
