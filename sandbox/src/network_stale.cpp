// Garbage collection of network devices whose run's supervisor died without tearing them down.
#include <spdlog/spdlog.h>

#include "netlink.hpp"
#include "network.hpp"

namespace sandbox::net {

std::vector<std::string> collect_stale() {
  netlink::Socket sock;
  std::vector<std::string> removed;
  for (const netlink::LinkInfo& link : netlink::list_links(sock)) {
    const auto owner = parse_owner_alias(link.alias);
    if (!owner || owner_alive(*owner)) continue;
    // A bridge's ports may already be gone with it (veth pairs die with the job namespace).
    if (netlink::delete_link(sock, link.name)) {
      spdlog::info("removed {} of run {} (supervisor {} is gone)", link.name, owner->run_id,
                   owner->pid);
      removed.push_back(link.name);
    }
  }
  return removed;
}

}  // namespace sandbox::net
