// Planning a run's network from its policy: names that fit IFNAMSIZ, addresses from the subnet,
// and the HTB rates that turn net shares into bandwidth. Pure: no kernel calls.
#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "cgroup_limits.hpp"
#include "network.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::net {
namespace {

using policies::Job;
using policies::Network;

[[noreturn]] void invalid(const std::string& message) {
  throw Error(exit_code::invalid_policy, message);
}

// Bridged jobs' quantum is proportional to their share, the largest getting this much: big
// enough for a few full-size packets per round, small enough that the kernel does not clamp it.
constexpr uint32_t largest_quantum = 60000;
constexpr uint32_t smallest_quantum = 1514;  // one Ethernet frame
// Leaf queues hold about this long at the class rate, bounded so that a GSO burst fits and a
// fast class does not buffer seconds of traffic.
constexpr double queue_seconds = 0.1;
constexpr uint32_t smallest_queue = 256 * 1024;
constexpr uint32_t largest_queue = 8 * 1024 * 1024;
// "sb" + 8 hex digits + "v" + index must fit in IFNAMSIZ - 1 characters.
constexpr size_t most_bridged_jobs = 9999;

std::string describe(const Job& job) {
  return "job '" + job.name + "'";
}

std::vector<double> fractions(const std::vector<std::optional<uint32_t>>& shares) {
  return share_fractions(shares);  // the same rule as CPU weights (cgroup_limits.hpp)
}

// A class's guaranteed rate: its fraction of the capacity, at least 1 bit/s, at most its ceil.
uint64_t rate_for(uint64_t capacity_bps, double fraction, uint64_t ceil_bps) {
  const auto fair =
      static_cast<uint64_t>(std::llround(static_cast<double>(capacity_bps) * fraction));
  return std::clamp<uint64_t>(fair, 1, ceil_bps);
}

}  // namespace

Subnet Subnet::parse(const std::string& cidr) {
  const auto slash = cidr.find('/');
  const std::string wrong = "network.subnet '" + cidr + "': ";
  if (slash == std::string::npos) invalid(wrong + "expected an IPv4 subnet such as 10.203.0.0/24");
  in_addr address{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &address) != 1) {
    invalid(wrong + "not an IPv4 address before the '/'");
  }
  Subnet subnet;
  const char* first = cidr.data() + slash + 1;
  const char* last = cidr.data() + cidr.size();
  const auto [end, error] = std::from_chars(first, last, subnet.prefix);
  if (error != std::errc() || end != last || first == last || subnet.prefix < 0 ||
      subnet.prefix > 30) {
    invalid(wrong + "the prefix length must be a number from 0 to 30");
  }
  subnet.network = ntohl(address.s_addr);
  const uint32_t host_mask = subnet.prefix == 0 ? 0xFFFFFFFFu : (1u << (32 - subnet.prefix)) - 1;
  if ((subnet.network & host_mask) != 0) {
    subnet.network &= ~host_mask;
    invalid(wrong + "host bits are set; did you mean " + subnet.to_string() + "?");
  }
  return subnet;
}

uint64_t Subnet::usable_hosts() const {
  return (uint64_t{1} << (32 - prefix)) - 2;
}

std::string Subnet::address(uint32_t n) const {
  in_addr address{htonl(network + n)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

std::string Subnet::cidr(uint32_t n) const {
  return address(n) + "/" + std::to_string(prefix);
}

bool Subnet::contains(uint32_t address) const {
  const uint32_t mask = prefix == 0 ? 0 : ~((uint32_t{1} << (32 - prefix)) - 1);
  return (address & mask) == network;
}

std::string Subnet::to_string() const {
  return cidr(0);
}

uint32_t run_digest(const std::string& run_id) {
  uint32_t hash = 2166136261u;  // FNV-1a: stable across builds and machines
  for (unsigned char c : run_id) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

std::string short_run_id(const std::string& run_id) {
  char text[9];
  (void)std::snprintf(text, sizeof text, "%08x", run_digest(run_id));
  return text;
}

std::optional<RunPlan> plan_network(const policies::Policy& policy, const std::string& run_id) {
  std::vector<const Job*> bridged;
  for (const Job& job : policy.jobs) {
    if (job.settings.network.mode == Network::Mode::bridged) bridged.push_back(&job);
  }
  if (bridged.empty()) return std::nullopt;
  if (bridged.size() > most_bridged_jobs) {
    invalid("at most " + std::to_string(most_bridged_jobs) + " jobs can be bridged in one run");
  }

  // One run has one bridge: every bridged job must describe the same link.
  const Job& first = *bridged.front();
  const Network& link = first.settings.network;
  for (const Job* job : bridged) {
    const Network& other = job->settings.network;
    const auto differs = [&](const std::string& key) {
      invalid(describe(*job) + ": network." + key + " differs from " + describe(first) +
              "'s; bridged jobs of one run share one bridge");
    };
    if (other.bridge != link.bridge) differs("bridge");
    if (other.subnet != link.subnet) differs("subnet");
    if (other.link_rate_bps != link.link_rate_bps) differs("link_rate");
  }

  RunPlan plan;
  plan.short_id = short_run_id(run_id);
  plan.link_group = run_digest(run_id);  // 0 only by a 1 in 2^32 chance: then no group
  char mac[18];
  const uint32_t digest = run_digest(run_id);
  (void)std::snprintf(mac, sizeof mac, "02:73:62:%02x:%02x:%02x", (digest >> 16) & 0xFF,
                      (digest >> 8) & 0xFF, digest & 0xFF);
  plan.bridge_mac = mac;
  plan.create_bridge = link.bridge.empty();
  plan.bridge = plan.create_bridge ? "sb" + plan.short_id : link.bridge;
  if (plan.bridge.size() >= IFNAMSIZ) {
    invalid("network.bridge '" + plan.bridge + "': longer than " + std::to_string(IFNAMSIZ - 1) +
            " characters, the kernel's limit for a device name");
  }
  plan.ifb = "sb" + plan.short_id + "i";
  plan.sink = "sb" + plan.short_id + "d";
  plan.subnet = Subnet::parse(link.subnet);
  if (plan.subnet.usable_hosts() < bridged.size() + 1) {
    invalid("network.subnet " + plan.subnet.to_string() + " has " +
            std::to_string(plan.subnet.usable_hosts()) +
            " addresses: too few for the gateway and " + std::to_string(bridged.size()) +
            " bridged jobs");
  }
  plan.gateway = plan.subnet.address(1);
  plan.capacity_bps = link.link_rate_bps.value_or(unlimited_bps);
  if (plan.capacity_bps == 0) invalid("network.link_rate must be more than 0");

  // Shares divide the link among siblings as cgroups divide CPU: the tenants (with bridged jobs)
  // and the tenant-less bridged jobs are siblings, and so are the bridged jobs of one tenant.
  std::vector<std::string> tenant_names;  // in order of their first bridged job
  for (const Job* job : bridged) {
    if (!job->tenant.empty() &&
        std::find(tenant_names.begin(), tenant_names.end(), job->tenant) == tenant_names.end()) {
      tenant_names.push_back(job->tenant);
    }
  }
  const auto tenant_share = [&](const std::string& name) -> std::optional<uint32_t> {
    for (const policies::Tenant& tenant : policy.tenants) {
      if (tenant.name == name) return tenant.shares.net;
    }
    return std::nullopt;
  };
  for (const Job* job : bridged) {
    if (job->shares.net == 0u) invalid(describe(*job) + ": shares.net must be more than 0");
  }
  for (const std::string& name : tenant_names) {
    if (tenant_share(name) == 0u) invalid("tenant '" + name + "': shares.net must be more than 0");
  }

  // The top level: tenants first, then tenant-less jobs.
  std::vector<std::optional<uint32_t>> top_shares;
  top_shares.reserve(tenant_names.size());
  for (const std::string& name : tenant_names) top_shares.push_back(tenant_share(name));
  std::vector<const Job*> top_jobs;
  for (const Job* job : bridged) {
    if (job->tenant.empty()) {
      top_jobs.push_back(job);
      top_shares.push_back(job->shares.net);
    }
  }
  const std::vector<double> top = fractions(top_shares);
  for (size_t t = 0; t < tenant_names.size(); ++t) {
    TenantPlan tenant;
    tenant.name = tenant_names[t];
    tenant.class_minor = static_cast<uint32_t>(first_tenant_minor + t);
    tenant.share = top[t];
    tenant.rate_bps = rate_for(plan.capacity_bps, tenant.share, plan.capacity_bps);
    plan.tenants.push_back(std::move(tenant));
  }

  // Each job's fraction of the whole link, and the class it hangs under.
  std::vector<double> shares(bridged.size());
  std::vector<uint32_t> parents(bridged.size(), link_minor);
  for (size_t j = 0; j < top_jobs.size(); ++j) {
    const auto at = std::find(bridged.begin(), bridged.end(), top_jobs[j]) - bridged.begin();
    shares[at] = top[tenant_names.size() + j];
  }
  for (const TenantPlan& tenant : plan.tenants) {
    std::vector<size_t> members;
    std::vector<std::optional<uint32_t>> member_shares;
    for (size_t i = 0; i < bridged.size(); ++i) {
      if (bridged[i]->tenant == tenant.name) {
        members.push_back(i);
        member_shares.push_back(bridged[i]->shares.net);
      }
    }
    const std::vector<double> inner = fractions(member_shares);
    for (size_t m = 0; m < members.size(); ++m) {
      shares[members[m]] = tenant.share * inner[m];
      parents[members[m]] = tenant.class_minor;
    }
  }
  const double largest = *std::max_element(shares.begin(), shares.end());

  for (size_t i = 0; i < bridged.size(); ++i) {
    const Job& job = *bridged[i];
    JobPlan slot;
    slot.job = job.name;
    slot.host_ifname = "sb" + plan.short_id + "v" + std::to_string(i);
    slot.host_number = static_cast<uint32_t>(i + 2);  // .1 is the gateway
    slot.address = plan.subnet.address(slot.host_number);
    slot.class_minor = static_cast<uint32_t>(i + 2);  // 1:1 is the link itself
    slot.parent_minor = parents[i];
    slot.share = shares[i];
    const auto net_max = job.settings.network.net_max_bps;
    if (net_max && *net_max == 0) invalid(describe(job) + ": network.net_max must be more than 0");
    slot.ceil_bps = std::min(plan.capacity_bps, net_max.value_or(plan.capacity_bps));
    slot.rate_bps = rate_for(plan.capacity_bps, slot.share, slot.ceil_bps);
    // HTB lends spare bandwidth among leaves in proportion to their quanta.
    slot.quantum =
        std::max(smallest_quantum,
                 static_cast<uint32_t>(std::lround(largest_quantum * shares[i] / largest)));
    const double queue = static_cast<double>(slot.rate_bps) / 8 * queue_seconds;
    slot.queue_bytes =
        static_cast<uint32_t>(std::clamp(queue, double{smallest_queue}, double{largest_queue}));
    slot.ports = job.settings.network.ports;
    plan.jobs.push_back(std::move(slot));
  }
  return plan;
}

}  // namespace sandbox::net
