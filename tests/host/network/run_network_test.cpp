// RunNetwork against the real kernel, inside a network namespace each test makes: bridged jobs
// reach the gateway, none and loopback jobs reach nothing, and every device, qdisc and address is
// gone after the run, also when it fails half-way.
#include "network_fixture.hpp"

namespace network_test {
namespace {

using policies::Network;
using sandbox::net::RunNetwork;
namespace nl = sandbox::netlink;

constexpr uint16_t port = 7777;

class RunNetworkTest : public NetnsTest {};

TEST_F(RunNetworkTest, NoBridgedJobMeansNoRunNetwork) {
  const auto policy =
      policy_of({job_with("a", Network::Mode::none), job_with("b", Network::Mode::loopback)});
  const auto before = link_names();
  EXPECT_EQ(RunNetwork::create(policy, "run-none"), nullptr);
  EXPECT_EQ(link_names(), before);
}

TEST_F(RunNetworkTest, BridgedJobReachesTheGatewayWithItsPlannedAddress) {
  const auto policy = policy_of({bridged_job("web"), bridged_job("db")});
  auto network = RunNetwork::create(policy, "run-reach");
  ASSERT_NE(network, nullptr);
  const auto& plan = network->plan();
  ASSERT_EQ(plan.jobs.size(), 2u);
  EXPECT_EQ(plan.gateway, "10.203.0.1");
  const Fd listener = tcp_listen(plan.gateway, port);

  JobProcess job(policy.jobs[1].settings.network, [&] {
    // Inside: lo and eth0 up, the planned address on eth0, a default route via the gateway.
    nl::Socket sock;
    const auto eth0 = nl::find_link(sock, "eth0");
    if (!eth0 || !(eth0->flags & IFF_UP)) return 10;
    if (!(nl::find_link(sock, "lo")->flags & IFF_UP)) return 11;
    bool has_address = false;
    for (const auto& address : nl::list_ipv4_addresses(sock)) {
      has_address |= address.ifindex == eth0->ifindex && address.cidr == "10.203.0.3/24";
    }
    if (!has_address) return 12;
    return tcp_connect("10.203.0.1", port) == 0 ? 0 : 13;
  });
  const auto link = network->attach(policy.jobs[1], job.pid());
  EXPECT_EQ(link.ifname, "eth0");
  EXPECT_EQ(link.address_cidr, "10.203.0.3/24");
  EXPECT_EQ(link.gateway, "10.203.0.1");

  // The host end is a port of the run's bridge, marked as ours. Looked at while the job still
  // waits to be released: once it exits, its namespace and the veth pair with it go away.
  {
    nl::Socket sock;
    const auto port_link = nl::find_link(sock, plan.jobs[1].host_ifname);
    EXPECT_TRUE(port_link.has_value());
    if (port_link) {
      EXPECT_EQ(port_link->master, nl::ifindex_of(sock, plan.bridge));
      const auto owner = sandbox::net::parse_owner_alias(port_link->alias);
      EXPECT_TRUE(owner.has_value());
      if (owner) {
        EXPECT_EQ(owner->pid, getpid());
      }
    }
  }
  job.release(link);
  EXPECT_EQ(job.wait(), 0);
}

TEST_F(RunNetworkTest, JobInItsOwnUserNamespaceConfiguresItsInside) {
  // As the runtime does it: the job's netns belongs to a new user namespace.
  const auto policy = policy_of({bridged_job("solo")});
  auto network = RunNetwork::create(policy, "run-userns");
  ASSERT_NE(network, nullptr);
  const Fd listener = tcp_listen(network->plan().gateway, port);
  JobProcess job(
      policy.jobs[0].settings.network,
      [&] { return tcp_connect("10.203.0.1", port) == 0 ? 0 : 13; }, /*user_namespace=*/true);
  job.release(network->attach(policy.jobs[0], job.pid()));
  EXPECT_EQ(job.wait(), 0);
}

TEST_F(RunNetworkTest, NoneJobHasNothingUpAndReachesNothing) {
  const auto policy = policy_of({bridged_job("peer"), job_with("isolated", Network::Mode::none)});
  auto network = RunNetwork::create(policy, "run-isolation-none");
  ASSERT_NE(network, nullptr);
  const Fd listener = tcp_listen(network->plan().gateway, port);
  JobProcess job(policy.jobs[1].settings.network, [] {
    nl::Socket sock;
    for (const auto& link : nl::list_links(sock)) {
      if (link.flags & IFF_UP) return 10;  // not even lo
    }
    if (nl::list_links(sock).size() != 1) return 11;  // lo only: no veth was given to it
    if (tcp_connect("10.203.0.1", port) == 0) return 12;
    if (tcp_connect("127.0.0.1", port) == 0) return 13;
    return 0;
  });
  job.release(std::nullopt);
  EXPECT_EQ(job.wait(), 0);
}

TEST_F(RunNetworkTest, LoopbackJobReachesOnlyItself) {
  const auto policy = policy_of({bridged_job("peer"), job_with("local", Network::Mode::loopback)});
  auto network = RunNetwork::create(policy, "run-isolation-loopback");
  ASSERT_NE(network, nullptr);
  const Fd listener = tcp_listen(network->plan().gateway, port);
  JobProcess job(policy.jobs[1].settings.network, [] {
    const Fd own = tcp_listen("127.0.0.1", port);
    if (tcp_connect("127.0.0.1", port) != 0) return 10;   // lo is up inside
    if (tcp_connect("10.203.0.1", port) == 0) return 11;  // but the host is out of reach
    return 0;
  });
  job.release(std::nullopt);
  EXPECT_EQ(job.wait(), 0);
}

TEST_F(RunNetworkTest, TeardownRemovesEveryDeviceAfterTheJobsRan) {
  const auto before = link_names();
  {
    const auto policy =
        policy_of({bridged_job("a", 3, 100'000'000), bridged_job("b", 1, 100'000'000)});
    auto network = RunNetwork::create(policy, "run-teardown");
    ASSERT_NE(network, nullptr);
    BridgedJob a(*network, policy.jobs[0], [](const BridgedJob::Ready&) { return 0; });
    BridgedJob b(*network, policy.jobs[1], [](const BridgedJob::Ready&) {
      pause();
      return 0;
    });  // still running
    EXPECT_EQ(a.wait(), 0);
    const auto during = link_names();
    EXPECT_TRUE(during.count(network->plan().bridge));
    EXPECT_TRUE(during.count(network->plan().ifb));
    EXPECT_TRUE(during.count(network->plan().jobs[1].host_ifname));
  }
  EXPECT_EQ(link_names(), before);
}

TEST_F(RunNetworkTest, FailedAttachLeavesNothingBehind) {
  const auto before = link_names();
  {
    const auto policy = policy_of({bridged_job("a"), job_with("plain", Network::Mode::none)});
    auto network = RunNetwork::create(policy, "run-failed-attach");
    ASSERT_NE(network, nullptr);
    JobProcess job(policy.jobs[0].settings.network, [] { return 0; });
    // A job that is not bridged, and a child that shares our namespace, are refused.
    EXPECT_THROW(network->attach(policy.jobs[1], job.pid()), sandbox::Error);
    Child same_netns([] {
      pause();
      return 0;
    });
    EXPECT_THROW(network->attach(policy.jobs[0], same_netns.pid()), sandbox::Error);
    // A child that is gone: the veth cannot be made.
    Child gone([] { return 0; });
    const pid_t gone_pid = gone.pid();
    gone.wait();
    EXPECT_THROW(network->attach(policy.jobs[0], gone_pid), sandbox::Error);
    EXPECT_FALSE(link_names().count(network->plan().jobs[0].host_ifname));
  }
  EXPECT_EQ(link_names(), before);
}

TEST_F(RunNetworkTest, SubnetInUseFailsCreateWithoutLeftovers) {
  nl::Socket sock;
  nl::add_bridge(sock, "taken");
  nl::add_address(sock, nl::ifindex_of(sock, "taken"), "10.203.0.77/24");
  expect_create_fails(policy_of({bridged_job("a")}), sandbox::exit_code::setup_failed,
                      {"10.203.0.0/24"});
}

TEST_F(RunNetworkTest, ExistingBridgeIsKeptAndLeftAsFound) {
  nl::Socket sock;
  nl::add_bridge(sock, "shared0");
  const int bridge = nl::ifindex_of(sock, "shared0");
  const auto before = link_names();
  auto job = bridged_job("a", std::nullopt, 50'000'000);
  job.settings.network.bridge = "shared0";
  const auto policy = policy_of({job});
  {
    auto network = RunNetwork::create(policy, "run-existing");
    ASSERT_NE(network, nullptr);
    EXPECT_FALSE(network->plan().create_bridge);
    const Fd listener = tcp_listen("10.203.0.1", port);
    JobProcess child(policy.jobs[0].settings.network,
                     [] { return tcp_connect("10.203.0.1", port) == 0 ? 0 : 13; });
    child.release(network->attach(policy.jobs[0], child.pid()));
    EXPECT_EQ(child.wait(), 0);
  }
  EXPECT_EQ(link_names(), before);
  for (const auto& address : nl::list_ipv4_addresses(sock)) {
    EXPECT_NE(address.ifindex, bridge) << "address left on the bridge: " << address.cidr;
  }
  // Our root HTB is gone: adding one again succeeds.
  EXPECT_NO_THROW(nl::add_htb_qdisc(sock, bridge, nl::tc_handle(1, 0), 0));
}

TEST_F(RunNetworkTest, HalfMadeRunIsRemovedWhenCreateFails) {
  // An existing bridge that already has a root qdisc: create() fails after it made the IFB and
  // added the gateway address, and must take both back.
  nl::Socket sock;
  nl::add_bridge(sock, "busy0");
  const int bridge = nl::ifindex_of(sock, "busy0");
  nl::add_htb_qdisc(sock, bridge, nl::tc_handle(7, 0), 0);
  const auto before = link_names();
  auto job = bridged_job("a");
  job.settings.network.bridge = "busy0";
  EXPECT_THROW(RunNetwork::create(policy_of({job}), "run-half-made"), sandbox::Error);
  EXPECT_EQ(link_names(), before);
  for (const auto& address : nl::list_ipv4_addresses(sock)) {
    EXPECT_NE(address.ifindex, bridge) << "address left on the bridge: " << address.cidr;
  }
  // Their qdisc is still theirs: it is still there to be deleted.
  EXPECT_TRUE(nl::delete_qdisc(sock, bridge, nl::tc_root));
}

TEST_F(RunNetworkTest, CollectStaleRemovesOnlyDevicesOfDeadSupervisors) {
  const auto before = link_names();
  const auto policy = policy_of({bridged_job("a")});
  // A supervisor that dies without tearing down (as under SIGKILL).
  Child dead([&] {
    auto network = RunNetwork::create(policy, "run-dead");
    (void)network.release();  // never destroyed
    return 0;
  });
  ASSERT_EQ(dead.wait(), 0);
  const auto left = link_names();
  const auto dead_plan = sandbox::net::plan_network(policy, "run-dead");
  ASSERT_TRUE(left.count(dead_plan->bridge));
  ASSERT_TRUE(left.count(dead_plan->ifb));
  ASSERT_TRUE(left.count(dead_plan->sink));

  auto live = RunNetwork::create(policy_of({[] {
                                   auto job = bridged_job("b");
                                   job.settings.network.subnet = "10.204.0.0/24";
                                   return job;
                                 }()}),
                                 "run-live");
  ASSERT_NE(live, nullptr);

  const auto removed = sandbox::net::collect_stale();
  EXPECT_EQ(std::set<std::string>(removed.begin(), removed.end()),
            (std::set<std::string>{dead_plan->bridge, dead_plan->ifb, dead_plan->sink}));
  const auto after = link_names();
  EXPECT_TRUE(after.count(live->plan().bridge));
  EXPECT_TRUE(after.count(live->plan().ifb));
  EXPECT_TRUE(after.count(live->plan().sink));
  live.reset();
  EXPECT_EQ(link_names(), before);
}

}  // namespace
}  // namespace network_test

namespace network_test {
namespace {

TEST_F(RunNetworkTest, TeardownByLinkGroupSparesAStrangerInTheGroup) {
  const auto policy = policy_of({bridged_job("a")});
  const auto plan = sandbox::net::plan_network(policy, "run-group");
  ASSERT_NE(plan->link_group, 0u);
  sandbox::netlink::Socket sock;
  {
    auto network = sandbox::net::RunNetwork::create(policy, "run-group");
    ASSERT_NE(network, nullptr);
    // Our devices are in the run's group; then someone else joins it.
    EXPECT_EQ(sandbox::netlink::find_link(sock, plan->bridge)->group, plan->link_group);
    EXPECT_EQ(sandbox::netlink::find_link(sock, plan->ifb)->group, plan->link_group);
    sandbox::netlink::add_bridge(sock, "stranger0", plan->link_group);
  }
  const auto left = link_names();
  EXPECT_TRUE(left.count("stranger0"));
  EXPECT_FALSE(left.count(plan->bridge));
  EXPECT_FALSE(left.count(plan->ifb));
}

TEST_F(RunNetworkTest, LinkGroupZeroIsNeverDeleted) {
  // In the test's namespace all the same: were the guard broken, lo would go, not eth0.
  sandbox::netlink::Socket sock;
  const auto before = link_names();
  EXPECT_THROW(sandbox::netlink::delete_link_group(sock, 0), std::invalid_argument);
  EXPECT_EQ(link_names(), before);
}

}  // namespace
}  // namespace network_test

namespace network_test {
namespace {

TEST_F(RunNetworkTest, JobKeepsReachingTheGatewayAfterASiblingLeaves) {
  // A bridge left to pick its own address takes its lowest port's, and changes it when that port
  // goes: a job still running would then send to an address that no longer reaches the host.
  const auto policy = policy_of({bridged_job("first"), bridged_job("second")});
  auto network = sandbox::net::RunNetwork::create(policy, "run-sibling-leaves");
  ASSERT_NE(network, nullptr);
  const auto& plan = network->plan();
  const Fd listener = tcp_listen(plan.gateway, port);
  Pipe go_on;
  BridgedJob first(*network, policy.jobs[0], [](const BridgedJob::Ready&) { return 0; });
  BridgedJob second(*network, policy.jobs[1], [&](const BridgedJob::Ready& connected) {
    if (tcp_connect(plan.gateway, port) != 0) return 10;  // the gateway's address is cached now
    if (!connected()) return 11;
    char byte;
    if (::read(go_on.read.get(), &byte, 1) != 1) return 12;
    return tcp_connect(plan.gateway, port, std::chrono::seconds(3)) == 0 ? 0 : 13;
  });
  ASSERT_TRUE(second.wait_ready()) << "exit code " << second.wait();
  ASSERT_EQ(first.wait(), 0);
  // Its namespace, and with it its veth pair, goes away asynchronously.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (link_names().count(plan.jobs[0].host_ifname) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(link_names().count(plan.jobs[0].host_ifname));
  sandbox::netlink::Socket sock;
  EXPECT_EQ(sandbox::netlink::find_link(sock, plan.bridge)->mac, plan.bridge_mac);
  ASSERT_EQ(::write(go_on.write.get(), "g", 1), 1);
  EXPECT_EQ(second.wait(), 0);
}

}  // namespace
}  // namespace network_test
