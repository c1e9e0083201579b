// The NETLINK_ROUTE socket and libnl error reporting.
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <string>

#include "netlink.hpp"
#include "netlink_objects.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::netlink {

int check(int result, const std::string& what) {
  if (result >= 0) return result;
  const int error = -result;
  // A kernel that lacks a device kind, qdisc or action cannot run the policy: that is the host's
  // limitation, not a setup accident.
  const bool unsupported = error == NLE_OPNOTSUPP || error == NLE_AF_NOSUPPORT;
  throw Error(unsupported ? exit_code::host_unsupported : exit_code::setup_failed,
              "netlink: " + what + ": " + nl_geterror(error));
}

Socket::Socket() {
  sock_ = nl_socket_alloc();
  if (sock_ == nullptr) throw std::bad_alloc();
  const int result = nl_connect(sock_, NETLINK_ROUTE);
  if (result < 0) {
    nl_socket_free(sock_);
    check(result, "connect a NETLINK_ROUTE socket");
  }
}

Socket::~Socket() {
  nl_socket_free(sock_);
}

AddrPtr parse_address(const std::string& text, int family) {
  nl_addr* parsed = nullptr;
  check(nl_addr_parse(text.c_str(), family, &parsed), "parse address '" + text + "'");
  return AddrPtr(parsed);
}

}  // namespace sandbox::netlink
