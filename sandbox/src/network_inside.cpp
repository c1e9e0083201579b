// The job's side of networking, run in the child inside its new network namespace.
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netlink.hpp"
#include "network.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::net {
namespace {

// Makes the job's TCP send frames of one MTU instead of 64 KiB segmentation-offload bursts.
// Upstream shaping drops what overflows a class's queue, and across a veth the job's TCP gets no
// backpressure from that queue: a dropped 64 KiB burst is 44 lost segments at once, which TCP
// often only recovers from by a retransmission timeout, stalling the job for seconds. Single lost
// frames are repaired by fast retransmit. Only for shaped links, where the cost in CPU per byte
// does not matter; unshaped jobs keep the offloads.
void send_mtu_frames(const std::string& ifname) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw Error(exit_code::setup_failed,
                std::string("network: socket for ethtool: ") + std::strerror(errno));
  }
  for (const uint32_t command : {uint32_t{ETHTOOL_STSO}, uint32_t{ETHTOOL_SGSO}}) {
    ethtool_value value{command, 0};
    ifreq request{};
    std::strncpy(request.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    request.ifr_data = reinterpret_cast<char*>(&value);
    if (ioctl(fd, SIOCETHTOOL, &request) != 0) {
      const int error = errno;
      close(fd);
      throw Error(exit_code::setup_failed,
                  "network: turn off " + std::string(command == ETHTOOL_STSO ? "TSO" : "GSO") +
                      " on " + ifname + ": " + std::strerror(error));
    }
  }
  close(fd);
}

}  // namespace

void configure_inside(const policies::Network& network, const std::optional<JobLink>& link) {
  using Mode = policies::Network::Mode;
  if (network.mode == Mode::none) return;  // a namespace with nothing up, not even lo
  netlink::Socket sock;                    // opened here, so it acts on the job's namespace
  netlink::set_up(sock, netlink::ifindex_of(sock, "lo"));
  if (network.mode != Mode::bridged) return;
  if (!link) {
    throw Error(exit_code::setup_failed,
                "network: a bridged job has no link (RunNetwork::attach was not called)");
  }
  const int ifindex = netlink::ifindex_of(sock, link->ifname);
  if (network.link_rate_bps || network.net_max_bps) send_mtu_frames(link->ifname);
  netlink::add_address(sock, ifindex, link->address_cidr);
  netlink::set_up(sock, ifindex);
  netlink::add_default_route(sock, ifindex, link->gateway);
}

}  // namespace sandbox::net
