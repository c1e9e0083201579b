// Job networking (internal): bridged veth pairs, bandwidth shares with HTB, traffic accounting.
// Owned by the network work (issue 7). Everything goes through netlink (libnl-route-3).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policies/policy.hpp"

namespace sandbox {
struct NetworkReport;
}

namespace sandbox::net {

// What a bridged job's namespace must configure inside: its end of the veth pair.
struct JobLink {
  std::string ifname;        // name inside the job's namespace ("eth0")
  std::string address_cidr;  // "10.203.0.2/24"
  std::string gateway;       // "10.203.0.1"
};

struct Traffic {
  uint64_t tx_bytes = 0, rx_bytes = 0;  // as seen by the job
};

// ---- Planning: pure functions from the policy to names, addresses and rates (no kernel) ----

// An IPv4 subnet as policies write it ("10.203.0.0/24").
struct Subnet {
  uint32_t network = 0;  // host byte order, host bits zero
  int prefix = 24;
  // Throws sandbox::Error(invalid_policy) naming `cidr` when it is not a.b.c.d/n with n <= 30.
  static Subnet parse(const std::string& cidr);
  uint64_t usable_hosts() const;          // addresses without the network and broadcast ones
  std::string address(uint32_t n) const;  // the n-th host: 1 is "10.203.0.1"
  std::string cidr(uint32_t n) const;     // "10.203.0.1/24"
  bool contains(uint32_t address) const;  // host byte order
  std::string to_string() const;          // "10.203.0.0/24"
};

// One bridged job's place in the run's network.
struct JobPlan {
  std::string job;
  std::string host_ifname;    // its veth end on the bridge: "sb<short_id>v<n>"
  uint32_t host_number = 0;   // its address is subnet.address(host_number)
  std::string address;        // "10.203.0.2"
  uint32_t class_minor = 0;   // its HTB class is 1:<class_minor> in both directions
  uint32_t parent_minor = 0;  // under the link's class 1:1, or under its tenant's class
  double share = 0;           // its fraction of the link (its tenant's fraction times its own)
  uint64_t rate_bps = 0;      // guaranteed: capacity * share
  uint64_t ceil_bps = 0;  // what it may borrow up to when others are idle: min(capacity, net_max)
  uint32_t quantum = 0;   // HTB quantum in bytes, proportional to the share (borrowing split)
  uint32_t queue_bytes = 0;  // its leaf fifo: about 100 ms at its rate, at least a few GSO packets
  std::vector<policies::PortForward> ports;  // host ports forwarded to it (network.ports)
};

// A tenant with bridged jobs: an HTB class between the link and its jobs' classes, so that the
// tenants share the link by their shares and each tenant's jobs share what it gets.
struct TenantPlan {
  std::string name;
  uint32_t class_minor = 0;  // 1:<class_minor>
  double share = 0;          // its fraction of the link among its siblings
  uint64_t rate_bps = 0;     // guaranteed; it may borrow up to the whole link
};

// HTB class numbers (minor, under major 1): the link, the tenants, unclassified traffic. Jobs'
// classes are 2 upwards.
inline constexpr uint32_t link_minor = 1;
inline constexpr uint32_t first_tenant_minor = 0x8000;
inline constexpr uint32_t other_minor = 0xFFFF;

// The host side of one run's networking.
struct RunPlan {
  std::string short_id;  // 8 hex digits derived from the run id
  // The link group (IFLA_GROUP) of every device the run creates, so teardown removes them in one
  // request (one RCU grace period instead of one per device): the value short_id spells, or 0
  // (no group) in the unlikely case that this is 0, the group every other device is in.
  uint32_t link_group = 0;
  std::string bridge;  // "sb<short_id>" or the policy's existing bridge
  // The address of a bridge we create, fixed: left to the kernel, a bridge takes the lowest of
  // its ports' addresses and changes it when that port leaves (a job ends), and jobs still
  // running would send to the old address, which no longer reaches the host, until their ARP
  // entry expires. Locally administered, from the run's digest: "02:73:62:xx:xx:xx".
  std::string bridge_mac;
  bool create_bridge = true;
  std::string ifb;  // "sb<short_id>i": upstream traffic is shaped on its egress
  // "sb<short_id>d": an IFB that drops everything sent to it (a zero-byte fifo). Packets a job
  // sends with a source address other than its own are redirected there, not to `ifb`, so that
  // they reach nobody and are charged to nobody.
  std::string sink;
  Subnet subnet;
  std::string gateway;              // subnet.address(1), on the bridge
  uint64_t capacity_bps = 0;        // the link: network.link_rate_bps, or unlimited_bps when unset
  std::vector<TenantPlan> tenants;  // tenants with bridged jobs, in order of their first job
  std::vector<JobPlan> jobs;        // bridged jobs, in policy order
};

// Forwarded host ports listen on this address only: reachable from the host itself, not from
// other machines, which is what a job's published port should be unless it is asked for.
inline constexpr const char* forward_bind_address = "127.0.0.1";

// The capacity of a link without network.link_rate_bps: high enough never to limit a veth pair,
// so HTB only accounts (and net_max still caps).
inline constexpr uint64_t unlimited_bps = 100'000'000'000ULL;

// nullopt when no job is bridged. Throws sandbox::Error(invalid_policy) when bridged jobs
// disagree on bridge, subnet or link rate, or the subnet has too few addresses.
std::optional<RunPlan> plan_network(const policies::Policy& policy, const std::string& run_id);
// A stable 32-bit digest of the run id (FNV-1a), and its 8 hex digits, which keep device names
// within IFNAMSIZ.
uint32_t run_digest(const std::string& run_id);
std::string short_run_id(const std::string& run_id);

// Ownership marks in the alias (IFLA_IFALIAS) of every device a run creates, so collect_stale()
// can tell a dead supervisor's devices from a live one's: "sandbox:<pid>:<starttime>:<run id>".
struct Owner {
  pid_t pid = 0;
  uint64_t start_time = 0;  // field 22 of /proc/<pid>/stat: tells a reused pid apart
  std::string run_id;
};
std::string owner_alias(const Owner& owner);
std::optional<Owner> parse_owner_alias(const std::string& alias);
// The calling process as an owner of `run_id`.
Owner current_owner(const std::string& run_id);
// True when `owner.pid` still runs and started at `owner.start_time`.
bool owner_alive(const Owner& owner);

// The host side of one run's networking: the bridge, veth host ends, IFB and HTB classes. Created
// before any job starts; its destructor removes every device, qdisc and address it made, even
// when the run failed.
class RunNetwork {
 public:
  // nullptr when no job of the policy is bridged.
  static std::unique_ptr<RunNetwork> create(const policies::Policy& policy,
                                            const std::string& run_id);
  virtual ~RunNetwork() = default;
  // Parent side, after clone() and before the child is released: moves the job's veth end into
  // the network namespace of `child`, classifies its traffic, returns what the child configures.
  // Only for bridged jobs: throws sandbox::Error(setup_failed) for a job that is not, or when
  // `child` shares our network namespace.
  virtual JobLink attach(const policies::Job& job, pid_t child) = 0;
  // Bytes through the job's HTB classes (kept after the job exits, until the run ends). Zero for
  // a job that is not bridged.
  virtual Traffic traffic(const std::string& job_name) const = 0;
  // Names, addresses and rates as planned from the policy.
  virtual const RunPlan& plan() const = 0;
  // The bridge and the port forwards with what the relay counted so far, for the run's report.
  virtual NetworkReport report() const = 0;
};

// Child side, inside the new network namespace (before capabilities are dropped): brings lo up
// for loopback and bridged modes, and configures `link` when given. Mode none leaves all down.
void configure_inside(const policies::Network& network, const std::optional<JobLink>& link);

// Removes devices left by runs whose supervisor died (named after the run id). For `sandbox gc`.
std::vector<std::string> collect_stale();

}  // namespace sandbox::net
