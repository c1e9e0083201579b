#include "names.hpp"

#include <seccomp.h>

#include <cstdlib>

#include "suggest.hpp"

namespace policies::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}

// Splits on `separator`, keeping empty pieces.
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    pieces.push_back(text.substr(start, end == std::string_view::npos ? text.npos : end - start));
    if (end == std::string_view::npos) return pieces;
    start = end + 1;
  }
}

// A decimal number without sign or leading zeros beyond "0", below `limit`.
bool parse_small_number(std::string_view text, uint32_t limit, uint32_t& value) {
  if (text.empty() || text.size() > 10) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  uint64_t number = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  if (number >= limit) return false;
  value = static_cast<uint32_t>(number);
  return true;
}

}  // namespace

std::string check_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 64) return "longer than 64 characters";
  if (!is_alnum(name[0])) return "must start with a letter or digit";
  for (char c : name) {
    if (!is_alnum(c) && c != '-' && c != '_') {
      return "may hold only letters, digits, '-' and '_'";
    }
  }
  return {};
}

std::string check_hostname(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 64) return "longer than 64 characters (the kernel's limit)";
  for (auto label : split(name, '.')) {
    if (label.empty()) return "has an empty label (two dots, or a dot at an end)";
    if (label.front() == '-' || label.back() == '-') return "a label starts or ends with '-'";
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return "may hold only letters, digits, '-' and '.'";
    }
  }
  return {};
}

std::string check_absolute_path(std::string_view path, std::string& normalized) {
  if (path.empty()) return "must not be empty";
  if (path.front() != '/') return "must be an absolute path (start with '/')";
  if (path.size() > 4095) return "longer than PATH_MAX";
  std::string result;
  for (auto component : split(path, '/')) {
    if (component.empty() || component == ".") continue;
    if (component == "..") return "must not contain '..' (it could leave the sandbox root)";
    result += '/';
    result += component;
  }
  normalized = result.empty() ? "/" : result;
  return {};
}

std::string check_env_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (!is_alpha(name[0]) && name[0] != '_') return "must start with a letter or '_'";
  for (char c : name) {
    if (!is_alnum(c) && c != '_') return "may hold only letters, digits and '_'";
  }
  return {};
}

std::string check_cpuset(std::string_view cpus) {
  static constexpr uint32_t max_cpus = 8192;  // the kernel's largest NR_CPUS
  if (cpus.empty()) return "must not be empty";
  for (auto item : split(cpus, ',')) {
    auto dash = item.find('-');
    uint32_t first = 0, last = 0;
    if (dash == std::string_view::npos) {
      if (!parse_small_number(item, max_cpus, first)) {
        return "'" + std::string(item) + "' is not a CPU number (expected a list like 0,2-3)";
      }
      continue;
    }
    if (!parse_small_number(item.substr(0, dash), max_cpus, first) ||
        !parse_small_number(item.substr(dash + 1), max_cpus, last)) {
      return "'" + std::string(item) + "' is not a CPU range (expected a list like 0,2-3)";
    }
    if (first > last) return "range '" + std::string(item) + "' runs backwards";
  }
  return {};
}

std::string check_interface_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 15) return "longer than 15 characters (the kernel's IFNAMSIZ)";
  if (name == "." || name == "..") return "is not a valid interface name";
  for (char c : name) {
    if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n') {
      return "must not contain '/', ':' or whitespace";
    }
  }
  return {};
}

std::string check_syscall_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 64) return "longer than any syscall name";
  for (char c : name) {
    if (!(c >= 'a' && c <= 'z') && !is_digit(c) && c != '_') {
      return "may hold only lower-case letters, digits and '_'";
    }
  }
  // libseccomp's table is the one the filter is built from: a name it does not know cannot be
  // allowed or denied, so the policy is wrong, not the host.
  const std::string text(name);
  if (seccomp_syscall_resolve_name(text.c_str()) == __NR_SCMP_ERROR) {
    return "is not a syscall" + did_you_mean(name, syscall_names());
  }
  return {};
}

const std::vector<std::string_view>& syscall_names() {
  static const std::vector<std::string> storage = [] {
    std::vector<std::string> all;
    for (int number = 0; number < 1024; ++number) {
      // libseccomp returns a copy the caller frees.
      if (char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, number)) {
        all.emplace_back(name);
        free(name);  // NOLINT(cppcoreguidelines-no-malloc): libseccomp's allocation
      }
    }
    return all;
  }();
  static const std::vector<std::string_view> names(storage.begin(), storage.end());
  return names;
}

std::string check_ipv4_network(std::string_view text, Ipv4Network& network) {
  static const std::string expected = " (expected a network like 10.203.0.0/24)";
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return "has no prefix length" + expected;
  auto octets = split(text.substr(0, slash), '.');
  if (octets.size() != 4) return "is not an IPv4 address" + expected;
  uint32_t address = 0;
  for (auto octet : octets) {
    uint32_t value = 0;
    if (!parse_small_number(octet, 256, value)) return "is not an IPv4 address" + expected;
    address = (address << 8) | value;
  }
  uint32_t prefix = 0;
  if (!parse_small_number(text.substr(slash + 1), 33, prefix)) {
    return "has an invalid prefix length" + expected;
  }
  if (prefix < 8 || prefix > 30) return "prefix length must be between 8 and 30";
  uint32_t host_mask = (prefix == 32) ? 0 : (0xffffffffu >> prefix);
  if ((address & host_mask) != 0) return "has host bits set" + expected;
  network = {address, static_cast<int>(prefix)};
  return {};
}

const std::vector<std::string_view>& capability_names() {
  static const std::vector<std::string_view> names{"chown",
                                                   "dac_override",
                                                   "dac_read_search",
                                                   "fowner",
                                                   "fsetid",
                                                   "kill",
                                                   "setgid",
                                                   "setuid",
                                                   "setpcap",
                                                   "linux_immutable",
                                                   "net_bind_service",
                                                   "net_broadcast",
                                                   "net_admin",
                                                   "net_raw",
                                                   "ipc_lock",
                                                   "ipc_owner",
                                                   "sys_module",
                                                   "sys_rawio",
                                                   "sys_chroot",
                                                   "sys_ptrace",
                                                   "sys_pacct",
                                                   "sys_admin",
                                                   "sys_boot",
                                                   "sys_nice",
                                                   "sys_resource",
                                                   "sys_time",
                                                   "sys_tty_config",
                                                   "mknod",
                                                   "lease",
                                                   "audit_write",
                                                   "audit_control",
                                                   "setfcap",
                                                   "mac_override",
                                                   "mac_admin",
                                                   "syslog",
                                                   "wake_alarm",
                                                   "block_suspend",
                                                   "audit_read",
                                                   "perfmon",
                                                   "bpf",
                                                   "checkpoint_restore"};
  return names;
}

std::string check_capability(std::string_view name, std::string& canonical) {
  std::string lowered;
  for (char c : name) lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  std::string_view bare = lowered;
  if (bare.substr(0, 4) == "cap_") bare.remove_prefix(4);
  for (auto known : capability_names()) {
    if (bare == known) {
      canonical = "CAP_";
      for (char c : known) {
        canonical += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      }
      return {};
    }
  }
  return "unknown capability" + did_you_mean(bare, capability_names());
}

}  // namespace policies::detail
