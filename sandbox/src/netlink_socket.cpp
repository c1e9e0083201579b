// The NETLINK_ROUTE socket and libnl error reporting.
#include <fcntl.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

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

std::unique_ptr<Socket> Socket::in_netns_of(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  const int netns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (netns < 0) {
    throw Error(exit_code::setup_failed, "netlink: open " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<Socket> sock;
  std::exception_ptr failure;
  std::thread opener([&] {
    try {
      if (setns(netns, CLONE_NEWNET) != 0) {
        throw Error(exit_code::setup_failed, "netlink: enter the network namespace of pid " +
                                                 std::to_string(pid) + ": " + std::strerror(errno));
      }
      sock = std::make_unique<Socket>();  // a socket stays in the namespace it was made in
    } catch (...) {
      failure = std::current_exception();
    }
  });
  opener.join();
  close(netns);
  if (failure) std::rethrow_exception(failure);
  return sock;
}

AddrPtr parse_address(const std::string& text, int family) {
  nl_addr* parsed = nullptr;
  check(nl_addr_parse(text.c_str(), family, &parsed), "parse address '" + text + "'");
  return AddrPtr(parsed);
}

}  // namespace sandbox::netlink
