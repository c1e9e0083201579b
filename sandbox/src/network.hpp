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
  virtual JobLink attach(const policies::Job& job, pid_t child) = 0;
  virtual Traffic traffic(const std::string& job_name) const = 0;
};

// Child side, inside the new network namespace (before capabilities are dropped): brings lo up
// for loopback and bridged modes, and configures `link` when given. Mode none leaves all down.
void configure_inside(const policies::Network& network, const std::optional<JobLink>& link);

// Removes devices left by runs whose supervisor died (named after the run id). For `sandbox gc`.
std::vector<std::string> collect_stale();

}  // namespace sandbox::net
