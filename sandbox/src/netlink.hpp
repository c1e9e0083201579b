// A small RAII layer over libnl-route-3 for what job networking needs (internal): links (bridge,
// veth, ifb), IPv4 addresses and routes, and traffic control (HTB, fifo, ingress, u32, mirred).
//
// Every call acts on the network namespace the Socket was opened in (the calling thread's at
// construction), and throws sandbox::Error(setup_failed) naming the operation and the object when
// the kernel refuses, so callers never check return codes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct nl_sock;

namespace sandbox::netlink {

// A NETLINK_ROUTE socket, connected on construction, closed on destruction.
class Socket {
 public:
  Socket();
  // A socket in the network namespace of process `pid`. Opened from a short-lived thread that
  // joins that namespace, so the caller's own namespace never changes.
  static std::unique_ptr<Socket> in_netns_of(pid_t pid);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  nl_sock* get() const { return sock_; }

 private:
  nl_sock* sock_ = nullptr;
};

// Throws sandbox::Error(setup_failed) "netlink: <what>: <libnl's message>" when `result` is a
// negative libnl error code; returns `result` otherwise.
int check(int result, const std::string& what);

// ---- Links ----

struct LinkInfo {
  std::string name;
  int ifindex = 0;
  std::string alias;   // IFLA_IFALIAS, empty when unset
  unsigned flags = 0;  // IFF_UP, IFF_LOOPBACK, ...
  int master = 0;      // ifindex of the bridge it is a port of, 0 when none
  uint32_t group = 0;  // IFLA_GROUP; 0 is the default group of every device
  std::string mac;     // "02:73:62:12:34:56", empty for devices without one
  uint64_t rx_bytes = 0, tx_bytes = 0;
};

std::vector<LinkInfo> list_links(Socket& sock);
// Looks a link up by name; nullopt when there is none.
std::optional<LinkInfo> find_link(Socket& sock, const std::string& name);
// Like find_link, but a missing link is an error naming `name`.
int ifindex_of(Socket& sock, const std::string& name);

// `group`: the link group the new device joins (0: the default group). `mac`: the bridge's
// address ("02:..."); once set, the kernel no longer derives it from the ports' addresses.
void add_bridge(Socket& sock, const std::string& name, uint32_t group = 0,
                const std::string& mac = "");
void add_ifb(Socket& sock, const std::string& name, uint32_t group = 0);
// A veth pair: `host_name` here, enslaved to `master` (an ifindex, 0 for none); its peer
// `peer_name` created directly in the network namespace of process `peer_netns_pid`, so the peer
// name only has to be free there. The host end is up; the peer is down until someone in its
// namespace brings it up (the kernel refuses to open a peer created in another namespace).
void add_veth(Socket& sock, const std::string& host_name, const std::string& peer_name,
              pid_t peer_netns_pid, int master, uint32_t group = 0);
void set_up(Socket& sock, int ifindex);
// The STP state of bridge port `ifindex` (BR_STATE_FORWARDING, ...), nullopt when it is not a
// bridge port (yet).
std::optional<int> bridge_port_state(Socket& sock, int ifindex);
void set_alias(Socket& sock, int ifindex, const std::string& alias);
// Deletes a link; false when it did not exist (already gone is not an error for teardown).
bool delete_link(Socket& sock, const std::string& name);
// Deletes every link of `group` in one request. Group 0 holds every device not put elsewhere
// (eth0, lo), so it is refused with std::invalid_argument.
void delete_link_group(Socket& sock, uint32_t group);

// ---- IPv4 addresses and routes ----

struct Ipv4Address {
  int ifindex = 0;
  std::string cidr;  // "10.203.0.1/24"
};
std::vector<Ipv4Address> list_ipv4_addresses(Socket& sock);
void add_address(Socket& sock, int ifindex, const std::string& cidr);
// False when the address was not there.
bool delete_address(Socket& sock, int ifindex, const std::string& cidr);
void add_default_route(Socket& sock, int ifindex, const std::string& gateway);

// ---- Traffic control ----

// A tc handle "major:minor".
constexpr uint32_t tc_handle(uint32_t major, uint32_t minor) {
  return (major << 16) | minor;
}
inline constexpr uint32_t tc_root = 0xFFFFFFFFu;
inline constexpr uint32_t tc_ingress = 0xFFFFFFF1u;

// Root HTB qdisc with `handle`; unclassified traffic goes to class <major>:<default_minor>.
void add_htb_qdisc(Socket& sock, int ifindex, uint32_t handle, uint32_t default_minor);
// An HTB class; rates in bits per second, quantum in bytes (0: the kernel's default).
void add_htb_class(Socket& sock, int ifindex, uint32_t parent, uint32_t classid, uint64_t rate_bps,
                   uint64_t ceil_bps, uint32_t quantum);
// A byte-limited fifo as the leaf qdisc of `parent` (HTB's default leaf is sized by txqueuelen,
// which is 0 on a bridge).
void add_bfifo_qdisc(Socket& sock, int ifindex, uint32_t parent, uint32_t handle,
                     uint32_t limit_bytes);
void add_ingress_qdisc(Socket& sock, int ifindex);
// False when there was no such qdisc.
bool delete_qdisc(Socket& sock, int ifindex, uint32_t parent);
// u32 filter on `parent`: IPv4 packets whose source (or destination) is `address` go to `classid`.
enum class Match { source, destination };
void add_ipv4_class_filter(Socket& sock, int ifindex, uint32_t parent, Match match,
                           const std::string& address, uint32_t classid);
// Which packets an ingress redirect takes.
enum class IngressMatch {
  ipv4_source,  // IPv4 whose source address is the given address
  arp_sender,   // ARP whose sender protocol address is the given address
  any,          // every packet (the address is not used)
};
// u32 filter on the ingress qdisc of `ifindex` at priority `prio` (lower ones are tried first):
// packets that match are redirected to the egress of `target_ifindex` (an IFB), where they are
// shaped (or dropped) before they continue as if just received. Packets no filter takes pass.
void add_ingress_redirect(Socket& sock, int ifindex, uint16_t prio, IngressMatch match,
                          const std::string& address, int target_ifindex);
// Bytes sent through a class (0 when the class does not exist).
uint64_t class_bytes(Socket& sock, int ifindex, uint32_t classid);
// Packets dropped by the qdisc under `parent` (0 when there is none).
uint64_t qdisc_drops(Socket& sock, int ifindex, uint32_t parent);

}  // namespace sandbox::netlink
