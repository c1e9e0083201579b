// Links through netlink: bridge, IFB and veth creation, flags, aliases, deletion, listing.
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include <stdexcept>

#include "netlink.hpp"
#include "netlink_objects.hpp"

namespace sandbox::netlink {
namespace {

bool is_missing(int result) {
  return result == -NLE_NODEV || result == -NLE_OBJ_NOTFOUND;
}

LinkInfo info_of(rtnl_link* link) {
  LinkInfo info;
  info.name = rtnl_link_get_name(link) != nullptr ? rtnl_link_get_name(link) : "";
  info.ifindex = rtnl_link_get_ifindex(link);
  const char* alias = rtnl_link_get_ifalias(link);
  info.alias = alias != nullptr ? alias : "";
  info.flags = rtnl_link_get_flags(link);
  info.master = rtnl_link_get_master(link);
  info.group = rtnl_link_get_group(link);
  if (nl_addr* address = rtnl_link_get_addr(link); address != nullptr) {
    char text[32];
    info.mac = nl_addr2str(address, text, sizeof text);
  }
  info.rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
  info.tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
  return info;
}

void create(Socket& sock, rtnl_link* link, const std::string& what) {
  check(rtnl_link_add(sock.get(), link, NLM_F_CREATE | NLM_F_EXCL), what);
}

// Applies `changes` (flags, alias) to the link with `ifindex`.
void change(Socket& sock, int ifindex, rtnl_link* changes, const std::string& what) {
  auto target = allocate<LinkPtr>(rtnl_link_alloc);
  rtnl_link_set_ifindex(target.get(), ifindex);
  check(rtnl_link_change(sock.get(), target.get(), changes, 0), what);
}

}  // namespace

std::vector<LinkInfo> list_links(Socket& sock) {
  nl_cache* raw = nullptr;
  check(rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw), "list links");
  CachePtr cache(raw);
  std::vector<LinkInfo> links;
  for (nl_object* object = nl_cache_get_first(cache.get()); object != nullptr;
       object = nl_cache_get_next(object)) {
    links.push_back(info_of(reinterpret_cast<rtnl_link*>(object)));
  }
  return links;
}

std::optional<LinkInfo> find_link(Socket& sock, const std::string& name) {
  rtnl_link* raw = nullptr;
  const int result = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &raw);
  if (is_missing(result)) return std::nullopt;
  check(result, "look up link " + name);
  LinkPtr link(raw);
  return info_of(link.get());
}

int ifindex_of(Socket& sock, const std::string& name) {
  auto link = find_link(sock, name);
  if (!link) check(-NLE_NODEV, "look up link " + name);
  return link->ifindex;
}

void add_bridge(Socket& sock, const std::string& name, uint32_t group, const std::string& mac) {
  auto link = allocate<LinkPtr>(rtnl_link_bridge_alloc);
  rtnl_link_set_name(link.get(), name.c_str());
  if (group != 0) rtnl_link_set_group(link.get(), group);
  if (!mac.empty()) {
    AddrPtr address = parse_address(mac, AF_LLC);
    rtnl_link_set_addr(link.get(), address.get());  // takes its own reference
  }
  create(sock, link.get(), "create bridge " + name);
}

void add_ifb(Socket& sock, const std::string& name, uint32_t group) {
  auto link = allocate<LinkPtr>(rtnl_link_alloc);
  check(rtnl_link_set_type(link.get(), "ifb"), "create ifb " + name);
  rtnl_link_set_name(link.get(), name.c_str());
  if (group != 0) rtnl_link_set_group(link.get(), group);
  create(sock, link.get(), "create ifb " + name);
}

void add_veth(Socket& sock, const std::string& host_name, const std::string& peer_name,
              pid_t peer_netns_pid, int master, uint32_t group) {
  auto link = allocate<LinkPtr>(rtnl_link_veth_alloc);
  rtnl_link_set_name(link.get(), host_name.c_str());
  if (group != 0) rtnl_link_set_group(link.get(), group);
  if (master != 0) rtnl_link_set_master(link.get(), master);
  rtnl_link_set_flags(link.get(), IFF_UP);
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));  // a new reference
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  rtnl_link_set_ns_pid(peer.get(), peer_netns_pid);
  create(sock, link.get(),
         "create veth " + host_name + " (peer " + peer_name + " in the network namespace of pid " +
             std::to_string(peer_netns_pid) + ")");
}

void set_up(Socket& sock, int ifindex) {
  auto changes = allocate<LinkPtr>(rtnl_link_alloc);
  rtnl_link_set_flags(changes.get(), IFF_UP);
  change(sock, ifindex, changes.get(), "set link " + std::to_string(ifindex) + " up");
}

std::optional<int> bridge_port_state(Socket& sock, int ifindex) {
  nl_cache* raw = nullptr;
  check(rtnl_link_alloc_cache(sock.get(), AF_BRIDGE, &raw), "list bridge ports");
  CachePtr cache(raw);
  LinkPtr port(rtnl_link_get(cache.get(), ifindex));
  if (!port) return std::nullopt;
  const int state = rtnl_link_bridge_get_port_state(port.get());
  if (state < 0) return std::nullopt;
  return state;
}

void set_alias(Socket& sock, int ifindex, const std::string& alias) {
  auto changes = allocate<LinkPtr>(rtnl_link_alloc);
  rtnl_link_set_ifalias(changes.get(), alias.c_str());
  change(sock, ifindex, changes.get(), "set the alias of link " + std::to_string(ifindex));
}

bool delete_link(Socket& sock, const std::string& name) {
  auto link = allocate<LinkPtr>(rtnl_link_alloc);
  rtnl_link_set_name(link.get(), name.c_str());
  const int result = rtnl_link_delete(sock.get(), link.get());
  if (is_missing(result)) return false;
  check(result, "delete link " + name);
  return true;
}

void delete_link_group(Socket& sock, uint32_t group) {
  if (group == 0) throw std::invalid_argument("delete_link_group: group 0 holds every device");
  const std::string what = "delete the links of group " + std::to_string(group);
  // libnl builds RTM_DELLINK only for a name or an index, so the request is made here: no index,
  // no name, IFLA_GROUP set is the kernel's "delete the whole group".
  std::unique_ptr<nl_msg, Releaser<nl_msg, nlmsg_free>> message(
      nlmsg_alloc_simple(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK));
  if (!message) throw std::bad_alloc();
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  check(nlmsg_append(message.get(), &header, sizeof header, NLMSG_ALIGNTO), what);
  check(nla_put_u32(message.get(), IFLA_GROUP, group), what);
  check(nl_send_auto(sock.get(), message.get()), what);
  check(nl_wait_for_ack(sock.get()), what);
}

}  // namespace sandbox::netlink
