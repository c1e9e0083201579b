// IPv4 addresses and routes through netlink.
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/nexthop.h>
#include <sys/socket.h>

#include <array>

#include "netlink.hpp"
#include "netlink_objects.hpp"

namespace sandbox::netlink {
namespace {

RtnlAddrPtr address_object(int ifindex, const std::string& cidr) {
  auto address = allocate<RtnlAddrPtr>(rtnl_addr_alloc);
  rtnl_addr_set_ifindex(address.get(), ifindex);
  rtnl_addr_set_family(address.get(), AF_INET);
  AddrPtr local = parse_address(cidr, AF_INET);
  check(rtnl_addr_set_local(address.get(), local.get()), "set address " + cidr);
  return address;
}

}  // namespace

std::vector<Ipv4Address> list_ipv4_addresses(Socket& sock) {
  nl_cache* raw = nullptr;
  check(rtnl_addr_alloc_cache(sock.get(), &raw), "list addresses");
  CachePtr cache(raw);
  std::vector<Ipv4Address> addresses;
  for (nl_object* object = nl_cache_get_first(cache.get()); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* address = reinterpret_cast<rtnl_addr*>(object);
    if (rtnl_addr_get_family(address) != AF_INET) continue;
    std::array<char, 64> text{};
    nl_addr2str(rtnl_addr_get_local(address), text.data(), text.size());
    addresses.push_back({rtnl_addr_get_ifindex(address), text.data()});
  }
  return addresses;
}

void add_address(Socket& sock, int ifindex, const std::string& cidr) {
  auto address = address_object(ifindex, cidr);
  check(rtnl_addr_add(sock.get(), address.get(), NLM_F_EXCL),
        "add address " + cidr + " to link " + std::to_string(ifindex));
}

bool delete_address(Socket& sock, int ifindex, const std::string& cidr) {
  auto address = address_object(ifindex, cidr);
  const int result = rtnl_addr_delete(sock.get(), address.get(), 0);
  if (result == -NLE_NOADDR || result == -NLE_NODEV || result == -NLE_OBJ_NOTFOUND) return false;
  check(result, "delete address " + cidr + " from link " + std::to_string(ifindex));
  return true;
}

void add_default_route(Socket& sock, int ifindex, const std::string& gateway) {
  auto route = allocate<RoutePtr>(rtnl_route_alloc);
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  AddrPtr any = parse_address("0.0.0.0/0", AF_INET);
  check(rtnl_route_set_dst(route.get(), any.get()), "set the default route's destination");
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (hop == nullptr) throw std::bad_alloc();
  rtnl_route_nh_set_ifindex(hop, ifindex);
  AddrPtr via = parse_address(gateway, AF_INET);
  rtnl_route_nh_set_gateway(hop, via.get());
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop from here on
  check(rtnl_route_add(sock.get(), route.get(), NLM_F_EXCL), "add default route via " + gateway);
}

}  // namespace sandbox::netlink
