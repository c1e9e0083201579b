// The host side of a run's bridged networking: bridge, IFB, one veth pair per job, and HTB in
// both directions so that jobs share the link by their net shares.
//
//   downstream (to jobs):   bridge egress -> HTB 1: -> class 1:<job>, u32 on the destination
//   upstream (from jobs):   veth host end ingress -> mirred redirect -> IFB egress -> HTB 1:
//                           -> class 1:<job>, u32 on the source -> back into the bridge
//   anti-spoofing:          only IPv4 from the job's address and ARP naming it as the sender
//                           take that redirect; anything else goes to the sink IFB, whose
//                           zero-byte fifo drops it (charged to nobody, reaching nobody)
//   port forwards:          a relay process listening on 127.0.0.1 (port_forwarder.hpp)
//
// Everything is created in the network namespace the RunNetwork was created in, and removed from
// it by the destructor (also when creation fails half-way).
#include <arpa/inet.h>
#include <linux/if_bridge.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "netlink.hpp"
#include "network.hpp"
#include "port_forwarder.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::net {
namespace {

namespace nl = sandbox::netlink;

constexpr uint32_t htb_major = 1;
constexpr uint32_t link_class = nl::tc_handle(htb_major, link_minor);
// Unclassified traffic (ARP, IPv6, anything not from or to a job's IPv4 address) gets a small
// class of its own (other_minor), so it can neither starve jobs nor bypass their limits.
constexpr uint64_t smallest_other_bps = 1'000'000;
constexpr uint32_t other_queue_bytes = 64 * 1024;
constexpr const char* job_ifname = "eth0";
constexpr std::chrono::seconds port_ready_limit{5};
// The order of a port's ingress filters: the job's own traffic first, the sink last.
constexpr uint16_t own_ipv4_prio = 1, own_arp_prio = 2, sink_prio = 3;

// Leaf qdisc handles: one major number per class, clear of the HTB's own.
uint32_t leaf_handle(uint32_t class_minor) {
  return nl::tc_handle(0x100 + class_minor, 0);
}

[[noreturn]] void setup_failed(const std::string& message) {
  throw Error(exit_code::setup_failed, "network: " + message);
}

// Device and inode of a network namespace, to tell two namespaces apart.
std::pair<dev_t, ino_t> netns_identity(const std::string& path) {
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) setup_failed("cannot inspect " + path);
  return {status.st_dev, status.st_ino};
}

class BridgedNetwork final : public RunNetwork {
 public:
  BridgedNetwork(RunPlan plan, Owner owner) : plan_(std::move(plan)), owner_(std::move(owner)) {}
  ~BridgedNetwork() override { teardown(); }

  // Creates the devices and the shaping; throws with everything made so far still recorded, so
  // the destructor removes it.
  void build() {
    const std::lock_guard lock(mutex_);
    check_subnet_is_free();
    // Before any device: a port in use fails the run with nothing made.
    start_forwarder();
    if (plan_.create_bridge) {
      nl::add_bridge(sock_, plan_.bridge, plan_.link_group, plan_.bridge_mac);
      created_links_.push_back(plan_.bridge);
      bridge_ = nl::ifindex_of(sock_, plan_.bridge);
      nl::set_alias(sock_, bridge_, owner_alias(owner_));
    } else {
      auto existing = nl::find_link(sock_, plan_.bridge);
      if (!existing) setup_failed("network.bridge " + plan_.bridge + " does not exist");
      bridge_ = existing->ifindex;
    }
    if (!has_gateway_address()) {
      nl::add_address(sock_, bridge_, gateway_cidr());
      added_gateway_ = true;
    }
    nl::set_up(sock_, bridge_);

    nl::add_ifb(sock_, plan_.ifb, plan_.link_group);
    created_links_.push_back(plan_.ifb);
    ifb_ = nl::ifindex_of(sock_, plan_.ifb);
    nl::set_alias(sock_, ifb_, owner_alias(owner_));
    nl::set_up(sock_, ifb_);

    // The bridge's egress carries what jobs receive; the IFB's what they send.
    add_shaping(bridge_, nl::Match::destination);
    bridge_shaped_ = true;
    add_shaping(ifb_, nl::Match::source);

    nl::add_ifb(sock_, plan_.sink, plan_.link_group);
    created_links_.push_back(plan_.sink);
    sink_ = nl::ifindex_of(sock_, plan_.sink);
    nl::set_alias(sock_, sink_, owner_alias(owner_));
    nl::add_bfifo_qdisc(sock_, sink_, nl::tc_root, nl::tc_handle(1, 0), 0);
    nl::set_up(sock_, sink_);  // mirred refuses (and logs) a redirect to a device that is down
  }

  JobLink attach(const policies::Job& job, pid_t child) override {
    const std::lock_guard lock(mutex_);
    const JobPlan* slot = find(job.name);
    if (slot == nullptr) setup_failed("job '" + job.name + "' is not bridged");
    const std::string child_netns = "/proc/" + std::to_string(child) + "/ns/net";
    if (netns_identity(child_netns) == netns_identity("/proc/thread-self/ns/net")) {
      setup_failed("job '" + job.name + "' shares the host's network namespace; bridged " +
                   "networking needs the net namespace");
    }
    nl::add_veth(sock_, slot->host_ifname, job_ifname, child, bridge_, plan_.link_group);
    try {
      const int port = nl::ifindex_of(sock_, slot->host_ifname);
      nl::set_alias(sock_, port, owner_alias(owner_));
      nl::add_ingress_qdisc(sock_, port);
      guard_port(port, slot->address);
      // Up from here, so that the carrier is on and the port forwards before the job runs.
      const auto inside = nl::Socket::in_netns_of(child);
      nl::set_up(*inside, nl::ifindex_of(*inside, job_ifname));
      wait_until_forwarding(port, slot->host_ifname);
    } catch (...) {
      // Leave nothing half-made: the job cannot start, and a retry must be able to create it.
      nl::delete_link(sock_, slot->host_ifname);
      throw;
    }
    if (std::find(created_links_.begin(), created_links_.end(), slot->host_ifname) ==
        created_links_.end()) {
      created_links_.push_back(slot->host_ifname);
    }
    return JobLink{job_ifname, plan_.subnet.cidr(slot->host_number), plan_.gateway};
  }

  Traffic traffic(const std::string& job_name) const override {
    const std::lock_guard lock(mutex_);
    const JobPlan* slot = find(job_name);
    if (slot == nullptr) return {};
    const uint32_t classid = nl::tc_handle(htb_major, slot->class_minor);
    return Traffic{nl::class_bytes(sock_, ifb_, classid), nl::class_bytes(sock_, bridge_, classid)};
  }

  const RunPlan& plan() const override { return plan_; }

  NetworkReport report() const override {
    NetworkReport report{plan_.bridge, plan_.subnet.to_string(), plan_.gateway, {}};
    size_t index = 0;  // the forwarder's rules are in this order (start_forwarder)
    for (const JobPlan& slot : plan_.jobs) {
      for (const policies::PortForward& port : slot.ports) {
        const ForwardTotals totals = forwarder_ ? forwarder_->totals(index) : ForwardTotals{};
        ++index;
        report.forwards.push_back(
            NetworkReport::Forward{slot.job, port.protocol, forward_bind_address, port.host_port,
                                   slot.address, port.job_port, totals.connections, totals.rejected,
                                   totals.bytes_to_job, totals.bytes_from_job});
      }
    }
    return report;
  }

 private:
  const JobPlan* find(const std::string& job_name) const {
    for (const JobPlan& slot : plan_.jobs) {
      if (slot.job == job_name) return &slot;
    }
    return nullptr;
  }

  // The bridge forwards through a new port only once the kernel's link watcher has seen its
  // carrier come on; a job that sent before would lose its first packets (ARP, SYN) and start a
  // second or more late, as retransmission timers go.
  void wait_until_forwarding(int port, const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + port_ready_limit;
    while (nl::bridge_port_state(sock_, port) != BR_STATE_FORWARDING) {
      if (std::chrono::steady_clock::now() > deadline) {
        setup_failed("bridge port " + name + " did not start forwarding within " +
                     std::to_string(port_ready_limit.count()) + " s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // A job may change its address or forge a sibling's (it has CAP_NET_ADMIN in its namespace);
  // the shaping classifies by source address, so such traffic would be charged to the sibling.
  // Only what carries the job's own address goes on to be shaped; everything else (also IPv6,
  // as jobs have no IPv6 address) is dropped in the sink.
  void guard_port(int port, const std::string& address) {
    nl::add_ingress_redirect(sock_, port, own_ipv4_prio, nl::IngressMatch::ipv4_source, address,
                             ifb_);
    nl::add_ingress_redirect(sock_, port, own_arp_prio, nl::IngressMatch::arp_sender, address,
                             ifb_);
    nl::add_ingress_redirect(sock_, port, sink_prio, nl::IngressMatch::any, "", sink_);
  }

  void start_forwarder() {
    std::vector<ForwardRule> rules;
    for (const JobPlan& slot : plan_.jobs) {
      for (const policies::PortForward& port : slot.ports) {
        rules.push_back(ForwardRule{slot.job, port.host_port, slot.address, port.job_port,
                                    port.protocol == "udp"});
      }
    }
    if (!rules.empty()) forwarder_ = PortForwarder::start(rules, forward_bind_address);
  }

  std::string gateway_cidr() const { return plan_.subnet.cidr(1); }

  bool has_gateway_address() {
    if (plan_.create_bridge) return false;
    const auto addresses = nl::list_ipv4_addresses(sock_);
    return std::any_of(addresses.begin(), addresses.end(), [&](const nl::Ipv4Address& address) {
      return address.ifindex == bridge_ && address.cidr == gateway_cidr();
    });
  }

  // Two runs (or a run and the host) on one subnet would route each other's jobs' traffic: refuse
  // a subnet in use anywhere but on the existing bridge we were told to use.
  void check_subnet_is_free() {
    const auto existing = plan_.create_bridge ? std::nullopt : nl::find_link(sock_, plan_.bridge);
    for (const nl::Ipv4Address& address : nl::list_ipv4_addresses(sock_)) {
      if (existing && address.ifindex == existing->ifindex) continue;
      const std::string ip = address.cidr.substr(0, address.cidr.find('/'));
      in_addr parsed{};
      if (inet_pton(AF_INET, ip.c_str(), &parsed) == 1 &&
          plan_.subnet.contains(ntohl(parsed.s_addr))) {
        setup_failed("subnet " + plan_.subnet.to_string() + " is already in use (" + address.cidr +
                     " on link " + std::to_string(address.ifindex) +
                     "); give the run another network.subnet");
      }
    }
  }

  void add_shaping(int ifindex, nl::Match match) {
    nl::add_htb_qdisc(sock_, ifindex, nl::tc_handle(htb_major, 0), other_minor);
    nl::add_htb_class(sock_, ifindex, nl::tc_handle(htb_major, 0), link_class, plan_.capacity_bps,
                      plan_.capacity_bps, 0);
    for (const TenantPlan& tenant : plan_.tenants) {
      nl::add_htb_class(sock_, ifindex, link_class, nl::tc_handle(htb_major, tenant.class_minor),
                        tenant.rate_bps, plan_.capacity_bps, 0);
    }
    for (const JobPlan& slot : plan_.jobs) {
      const uint32_t classid = nl::tc_handle(htb_major, slot.class_minor);
      nl::add_htb_class(sock_, ifindex, nl::tc_handle(htb_major, slot.parent_minor), classid,
                        slot.rate_bps, slot.ceil_bps, slot.quantum);
      nl::add_bfifo_qdisc(sock_, ifindex, classid, leaf_handle(slot.class_minor), slot.queue_bytes);
      nl::add_ipv4_class_filter(sock_, ifindex, nl::tc_handle(htb_major, 0), match, slot.address,
                                classid);
    }
    const uint64_t other_bps =
        std::min(plan_.capacity_bps, std::max(smallest_other_bps, plan_.capacity_bps / 100));
    const uint32_t other_class = nl::tc_handle(htb_major, other_minor);
    nl::add_htb_class(sock_, ifindex, link_class, other_class, other_bps, other_bps, 0);
    nl::add_bfifo_qdisc(sock_, ifindex, other_class, leaf_handle(0), other_queue_bytes);
  }

  // Deletes all our devices in one request, but only when the group holds nothing else: a device
  // someone else put in it must not go with ours.
  void delete_own_group() {
    if (plan_.link_group == 0 || created_links_.empty()) return;
    for (const nl::LinkInfo& link : nl::list_links(sock_)) {
      if (link.group == plan_.link_group && std::find(created_links_.begin(), created_links_.end(),
                                                      link.name) == created_links_.end()) {
        return;
      }
    }
    nl::delete_link_group(sock_, plan_.link_group);
  }

  // Best effort and complete: one failure must not keep the rest from being removed.
  void teardown() noexcept {
    const std::lock_guard lock(mutex_);
    forwarder_.reset();  // no new connection to a job whose device is going
    const auto attempt = [](const std::string& what, const auto& action) {
      try {
        action();
      } catch (const std::exception& error) {
        spdlog::warn("network teardown: {}: {}", what, error.what());
      }
    };
    attempt("delete the run's link group", [&] { delete_own_group(); });
    // Whatever is left (no group, or the group held a stranger): ports first (their peers in the
    // jobs' namespaces go with them), the bridge last.
    for (auto name = created_links_.rbegin(); name != created_links_.rend(); ++name) {
      attempt("delete " + *name, [&] { nl::delete_link(sock_, *name); });
    }
    if (!plan_.create_bridge && bridge_ != 0) {
      if (bridge_shaped_) {
        attempt("remove the qdisc of " + plan_.bridge,
                [&] { nl::delete_qdisc(sock_, bridge_, nl::tc_root); });
      }
      if (added_gateway_) {
        attempt("remove " + gateway_cidr() + " from " + plan_.bridge,
                [&] { nl::delete_address(sock_, bridge_, gateway_cidr()); });
      }
    }
  }

  RunPlan plan_;
  Owner owner_;
  mutable std::mutex mutex_;  // one netlink request at a time on sock_
  mutable nl::Socket sock_;   // bound to the namespace the run was created in
  int bridge_ = 0, ifb_ = 0, sink_ = 0;
  std::unique_ptr<PortForwarder> forwarder_;
  bool added_gateway_ = false;  // on an existing bridge: ours to remove
  bool bridge_shaped_ = false;  // a root qdisc of ours is on the bridge
  std::vector<std::string> created_links_;
};

}  // namespace

std::unique_ptr<RunNetwork> RunNetwork::create(const policies::Policy& policy,
                                               const std::string& run_id) {
  auto plan = plan_network(policy, run_id);
  if (!plan) return nullptr;
  auto network = std::make_unique<BridgedNetwork>(std::move(*plan), current_owner(run_id));
  network->build();  // on failure `network` is destroyed here, removing what was made
  return network;
}

}  // namespace sandbox::net
