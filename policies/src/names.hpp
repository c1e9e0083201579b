// Validation of the names and paths a policy writes. Pure functions: each returns an empty
// string when the text is acceptable, else what is wrong with it (for a diagnostic).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace policies::detail {

// Job, tenant and policy names become cgroup directory names, log file names and parts of
// device names: letters, digits, '-' and '_', starting with a letter or digit, at most 64.
// No '.', so that a name can never collide with a cgroup interface file ("cpu.shares").
std::string check_name(std::string_view name);

// RFC 1123 host name: dot-separated labels of letters, digits and '-', at most 64 in all.
std::string check_hostname(std::string_view name);

// An absolute path, without ".." (which could leave the sandbox root). On success `normalized`
// holds it with duplicate slashes, "." components and a trailing slash removed.
std::string check_absolute_path(std::string_view path, std::string& normalized);

// An environment variable name: [A-Za-z_][A-Za-z0-9_]*.
std::string check_env_name(std::string_view name);

// A cpuset list as the kernel takes it: "0", "0-3", "0,2,4-7". CPU numbers below 8192.
std::string check_cpuset(std::string_view cpus);

// A network interface name (IFNAMSIZ - 1 = 15 bytes, no '/' or whitespace).
std::string check_interface_name(std::string_view name);

// A syscall name as libseccomp knows them: lower-case letters, digits and '_'.
std::string check_syscall_name(std::string_view name);
// Every syscall name of the native architecture, for suggestions.
const std::vector<std::string_view>& syscall_names();

// "10.203.0.0/24": an IPv4 network address with a prefix length from 8 to 30 (a bridge needs
// room for a gateway and at least one job; host bits must be zero).
struct Ipv4Network {
  uint32_t address = 0;
  int prefix = 0;
};
std::string check_ipv4_network(std::string_view text, Ipv4Network& network);

// Capability names: "CAP_NET_BIND_SERVICE", "cap_net_bind_service" or "net_bind_service".
// On success `canonical` is the upper-case "CAP_..." form.
std::string check_capability(std::string_view name, std::string& canonical);
const std::vector<std::string_view>& capability_names();  // canonical, without "CAP_"

}  // namespace policies::detail
