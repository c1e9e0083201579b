// The network plan: pure functions from a policy to names, addresses and HTB rates. No kernel.
#include <net/if.h>

#include "network_fixture.hpp"

namespace network_test {
namespace {

using sandbox::net::plan_network;
using sandbox::net::Subnet;

TEST(Subnet, ParsesAndNamesAddresses) {
  const Subnet subnet = Subnet::parse("10.203.0.0/24");
  EXPECT_EQ(subnet.prefix, 24);
  EXPECT_EQ(subnet.usable_hosts(), 254u);
  EXPECT_EQ(subnet.address(1), "10.203.0.1");
  EXPECT_EQ(subnet.cidr(2), "10.203.0.2/24");
  EXPECT_EQ(subnet.to_string(), "10.203.0.0/24");
  EXPECT_TRUE(subnet.contains(0x0ACB00FEu));
  EXPECT_FALSE(subnet.contains(0x0ACB0100u));
  EXPECT_EQ(Subnet::parse("10.0.0.0/30").usable_hosts(), 2u);
}

TEST(Subnet, RefusesWhatIsNotASubnet) {
  for (const char* wrong : {"10.203.0.0", "10.203.0/24", "10.203.0.0/31", "10.203.0.0/x",
                            "10.203.0.0/", "10.203.0.0/24x", "::1/64"}) {
    EXPECT_THROW(Subnet::parse(wrong), sandbox::Error) << wrong;
  }
  try {
    Subnet::parse("10.203.0.5/24");
    ADD_FAILURE() << "host bits accepted";
  } catch (const sandbox::Error& error) {
    EXPECT_EQ(error.code, sandbox::exit_code::invalid_policy);
    EXPECT_NE(std::string(error.what()).find("did you mean 10.203.0.0/24"), std::string::npos)
        << error.what();
  }
}

TEST(Plan, NothingBridgedMeansNoPlan) {
  EXPECT_FALSE(plan_network(policy_of({job_with("a", policies::Network::Mode::loopback)}), "r"));
}

TEST(Plan, PortsGoWithTheirJob) {
  auto web = bridged_job("web");
  web.settings.network.ports = {policies::PortForward{8080, 80, "tcp"}};
  const auto plan = plan_network(policy_of({bridged_job("db"), web}), "r");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->jobs[0].ports.empty());
  ASSERT_EQ(plan->jobs[1].ports.size(), 1u);
  EXPECT_EQ(plan->jobs[1].ports[0].host_port, 8080);
  EXPECT_EQ(plan->jobs[1].ports[0].job_port, 80);
}

TEST(Plan, NamesFitIfnamsizAndAddressesFollowTheGateway) {
  const auto plan = plan_network(
      policy_of({bridged_job("a"), job_with("b", policies::Network::Mode::none), bridged_job("c")}),
      "sb-12345-67890-a-rather-long-policy-name");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->short_id.size(), 8u);
  EXPECT_EQ(plan->bridge, "sb" + plan->short_id);
  EXPECT_TRUE(plan->create_bridge);
  EXPECT_LT(plan->ifb.size(), size_t{IFNAMSIZ});
  EXPECT_LT(plan->sink.size(), size_t{IFNAMSIZ});
  EXPECT_NE(plan->sink, plan->ifb);
  EXPECT_EQ(plan->gateway, "10.203.0.1");
  ASSERT_EQ(plan->jobs.size(), 2u);  // b is not bridged
  EXPECT_EQ(plan->jobs[0].job, "a");
  EXPECT_EQ(plan->jobs[0].address, "10.203.0.2");
  EXPECT_EQ(plan->jobs[1].job, "c");
  EXPECT_EQ(plan->jobs[1].address, "10.203.0.3");
  for (const auto& job : plan->jobs) EXPECT_LT(job.host_ifname.size(), size_t{IFNAMSIZ});
  EXPECT_NE(plan->jobs[0].host_ifname, plan->jobs[1].host_ifname);
  // Stable: the same run id gives the same names; another gives others.
  EXPECT_EQ(sandbox::net::short_run_id("x"), sandbox::net::short_run_id("x"));
  EXPECT_NE(sandbox::net::short_run_id("x"), sandbox::net::short_run_id("y"));
}

TEST(Plan, SharesBecomeRatesAndNetMaxBecomesCeil) {
  const auto plan = plan_network(policy_of({bridged_job("heavy", 75, 100'000'000),
                                            bridged_job("light", 25, 100'000'000, 10'000'000)}),
                                 "r");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->capacity_bps, 100'000'000u);
  const auto& heavy = plan->jobs[0];
  const auto& light = plan->jobs[1];
  EXPECT_DOUBLE_EQ(heavy.share, 0.75);
  EXPECT_EQ(heavy.rate_bps, 75'000'000u);
  EXPECT_EQ(heavy.ceil_bps, 100'000'000u);  // borrows the whole link when alone
  EXPECT_EQ(light.ceil_bps, 10'000'000u);   // net_max, even alone
  EXPECT_EQ(light.rate_bps, 10'000'000u);   // never above its ceil
  EXPECT_EQ(heavy.parent_minor, sandbox::net::link_minor);
  EXPECT_EQ(heavy.quantum, 3 * light.quantum);  // spare bandwidth lent 3:1
  EXPECT_NE(heavy.class_minor, light.class_minor);
}

TEST(Plan, JobsWithoutShareCountAsTheMean) {
  const auto plan =
      plan_network(policy_of({bridged_job("a", 60, 90'000'000), bridged_job("b", 20, 90'000'000),
                              bridged_job("c", std::nullopt, 90'000'000)}),
                   "r");
  ASSERT_TRUE(plan);
  EXPECT_DOUBLE_EQ(plan->jobs[2].share, 40.0 / 120.0);
  EXPECT_EQ(plan->jobs[0].rate_bps + plan->jobs[1].rate_bps + plan->jobs[2].rate_bps, 90'000'000u);
}

TEST(Plan, TenantsShareTheLinkAndTheirJobsShareTheTenantsPart) {
  auto a = bridged_job("a", 75, 100'000'000);
  auto b = bridged_job("b", 25, 100'000'000);
  auto c = bridged_job("c", std::nullopt, 100'000'000);
  a.tenant = b.tenant = "ci";
  auto policy = policy_of({a, b, c});
  policies::Tenant ci;
  ci.name = "ci";
  ci.shares.net = 60;
  policy.tenants = {ci};
  const auto plan = plan_network(policy, "r");
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->tenants.size(), 1u);
  // Siblings at the top: tenant ci (60) and job c (no share: the mean, 60): half each.
  EXPECT_DOUBLE_EQ(plan->tenants[0].share, 0.5);
  EXPECT_DOUBLE_EQ(plan->jobs[0].share, 0.5 * 0.75);
  EXPECT_DOUBLE_EQ(plan->jobs[1].share, 0.5 * 0.25);
  EXPECT_DOUBLE_EQ(plan->jobs[2].share, 0.5);
  EXPECT_EQ(plan->jobs[0].parent_minor, plan->tenants[0].class_minor);
  EXPECT_EQ(plan->jobs[2].parent_minor, sandbox::net::link_minor);
}

TEST(Plan, WithoutLinkRateOnlyAccountsAndCaps) {
  const auto plan = plan_network(
      policy_of({bridged_job("a"), bridged_job("b", std::nullopt, std::nullopt, 5'000'000)}), "r");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->capacity_bps, sandbox::net::unlimited_bps);
  EXPECT_EQ(plan->jobs[1].ceil_bps, 5'000'000u);
}

TEST(Plan, RefusesBridgedJobsThatDisagreeOrDoNotFit) {
  auto other_subnet = bridged_job("b");
  other_subnet.settings.network.subnet = "10.9.0.0/24";
  EXPECT_THROW(plan_network(policy_of({bridged_job("a"), other_subnet}), "r"), sandbox::Error);

  auto other_rate = bridged_job("b", std::nullopt, 5'000'000);
  EXPECT_THROW(plan_network(policy_of({bridged_job("a"), other_rate}), "r"), sandbox::Error);

  auto small = bridged_job("a");
  small.settings.network.subnet = "10.9.0.0/30";  // two addresses: the gateway and one job
  EXPECT_NO_THROW(plan_network(policy_of({small}), "r"));
  auto small_b = small;
  small_b.name = "b";
  EXPECT_THROW(plan_network(policy_of({small, small_b}), "r"), sandbox::Error);

  auto long_bridge = bridged_job("a");
  long_bridge.settings.network.bridge = "a-very-long-bridge-name";
  EXPECT_THROW(plan_network(policy_of({long_bridge}), "r"), sandbox::Error);
}

TEST(Owner, AliasRoundTripsAndRefusesForeignAliases) {
  const sandbox::net::Owner owner{1234, 98765, "sb-1-2-farm"};
  const auto parsed = sandbox::net::parse_owner_alias(sandbox::net::owner_alias(owner));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->pid, 1234);
  EXPECT_EQ(parsed->start_time, 98765u);
  EXPECT_EQ(parsed->run_id, "sb-1-2-farm");
  for (const char* foreign : {"", "uplink to the lab", "sandbox:", "sandbox:12", "sandbox:x:1:r",
                              "sandbox:-4:1:r", "sandbox:12:y:r"}) {
    EXPECT_FALSE(sandbox::net::parse_owner_alias(foreign)) << foreign;
  }
}

TEST(Owner, TheCallerIsAliveAndAReusedPidIsNot) {
  auto self = sandbox::net::current_owner("r");
  EXPECT_EQ(self.pid, getpid());
  EXPECT_TRUE(sandbox::net::owner_alive(self));
  self.start_time += 1;  // same pid, another process
  EXPECT_FALSE(sandbox::net::owner_alive(self));
  Child gone([] { return 0; });
  const sandbox::net::Owner dead{gone.pid(), 0, "r"};
  gone.wait();
  EXPECT_FALSE(sandbox::net::owner_alive(dead));
}

}  // namespace
}  // namespace network_test
