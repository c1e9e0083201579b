// The job's side of networking, run in the child inside its new network namespace.
#include "netlink.hpp"
#include "network.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::net {

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
  netlink::add_address(sock, ifindex, link->address_cidr);
  netlink::set_up(sock, ifindex);
  netlink::add_default_route(sock, ifindex, link->gateway);
}

}  // namespace sandbox::net
