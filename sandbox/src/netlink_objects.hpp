// Owning pointers for libnl objects (internal to the netlink*.cpp files): each releases its object
// with the matching libnl put/free function, so no error path leaks a reference.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/action.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>

#include <memory>

namespace sandbox::netlink {

template <typename T, void (*Release)(T*)>
struct Releaser {
  void operator()(T* object) const {
    if (object != nullptr) Release(object);
  }
};

using AddrPtr = std::unique_ptr<nl_addr, Releaser<nl_addr, nl_addr_put>>;
using CachePtr = std::unique_ptr<nl_cache, Releaser<nl_cache, nl_cache_free>>;
using LinkPtr = std::unique_ptr<rtnl_link, Releaser<rtnl_link, rtnl_link_put>>;
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, Releaser<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Releaser<rtnl_route, rtnl_route_put>>;
using QdiscPtr = std::unique_ptr<rtnl_qdisc, Releaser<rtnl_qdisc, rtnl_qdisc_put>>;
using ClassPtr = std::unique_ptr<rtnl_class, Releaser<rtnl_class, rtnl_class_put>>;
using ClsPtr = std::unique_ptr<rtnl_cls, Releaser<rtnl_cls, rtnl_cls_put>>;
using ActPtr = std::unique_ptr<rtnl_act, Releaser<rtnl_act, rtnl_act_put>>;

// Allocates with `alloc` and throws std::bad_alloc when libnl returns nullptr.
template <typename Ptr, typename Alloc>
Ptr allocate(Alloc alloc) {
  Ptr object(alloc());
  if (!object) throw std::bad_alloc();
  return object;
}

// Parses an address ("10.203.0.1" or "10.203.0.1/24") of `family`; throws naming `text`.
AddrPtr parse_address(const std::string& text, int family);

}  // namespace sandbox::netlink
