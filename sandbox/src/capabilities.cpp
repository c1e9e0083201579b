// drop_capabilities(): leaves the job with exactly the capabilities its policy keeps, in every set
// the kernel consults (bounding, permitted, effective, inheritable, ambient).
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capability_sets.hpp"
#include "hardening.hpp"
#include "hardening_error.hpp"

namespace sandbox::hardening {

namespace {

// "CAP_NET_BIND_SERVICE", "cap_net_bind_service" and "net_bind_service" name the same capability.
// Numbers are not names: they differ between kernels and read badly in a policy.
std::optional<cap_value_t> parse_capability(const std::string& name) {
  std::string canonical;
  for (char c : name) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
    canonical += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!canonical.starts_with("cap_")) canonical = "cap_" + canonical;
  cap_value_t value = 0;
  if (cap_from_name(canonical.c_str(), &value) != 0) return std::nullopt;
  return value;
}

std::string name_of(cap_value_t value) {
  std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(value), &cap_free);
  std::string text = name ? name.get() : std::to_string(value);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::set<cap_value_t> parse_all(const std::vector<std::string>& names) {
  std::set<cap_value_t> values;
  for (const auto& name : names) {
    const auto value = parse_capability(name);
    if (!value) fail_setup("capabilities: unknown capability '" + name + "'");
    if (*value >= cap_max_bits()) {
      fail_setup("capabilities: " + name_of(*value) + " is not supported by this kernel");
    }
    values.insert(*value);
  }
  return values;
}

}  // namespace

bool is_known_capability(const std::string& name) {
  const auto value = parse_capability(name);
  return value && *value < cap_max_bits();
}

// Raw capget/capset/prctl calls rather than libcap's state objects: libcap probes the kernel on
// each call (a capget per cap_get_proc, a PR_CAPBSET_READ per bound, a PR_CAP_AMBIENT_IS_SET per
// capability before clearing the ambient set), about 130 syscalls per job where 43 do.
void drop_capabilities(const std::vector<std::string>& keep) {
  const std::set<cap_value_t> kept = parse_all(keep);
  CapabilitySets caps;
  if (caps.read() != 0) fail_setup("capabilities: capget", errno);
  for (cap_value_t value : kept) {
    if (!caps.permitted(value)) {
      fail_setup("capabilities: cannot keep " + name_of(value) + ": the process does not have it");
    }
  }
  // After a uid change with PR_SET_KEEPCAPS the kernel keeps the permitted set but clears the
  // effective one; the steps below need CAP_SETPCAP effective, so raise what is permitted.
  if (!caps.effective_is_permitted()) {
    caps.raise_permitted_to_effective();
    if (caps.write() != 0) {
      fail_setup("capabilities: raising the permitted capabilities to effective", errno);
    }
  }

  // The bounding set caps what any later execve can gain (setuid root, file capabilities), so it
  // goes first, while CAP_SETPCAP is still effective. Dropping a capability the set lacks
  // already succeeds, so nothing is read first (a fresh user namespace has them all anyway).
  for (cap_value_t value = 0; value < cap_max_bits(); ++value) {
    if (kept.contains(value) || prctl(PR_CAPBSET_DROP, value, 0, 0, 0) == 0) continue;
    const int error = errno;
    // Without CAP_SETPCAP even a drop that changes nothing fails: only a missing one is fine.
    if (error == EPERM && prctl(PR_CAPBSET_READ, value, 0, 0, 0) == 0) continue;
    fail_setup("capabilities: dropping " + name_of(value) + " from the bounding set", error);
  }

  // The kernel only raises an ambient capability that is both permitted and inheritable, so the
  // kept ones stay inheritable; nothing else does. This capset also clears the ambient set of
  // everything not kept: the kernel lowers an ambient capability as soon as it is no longer
  // both permitted and inheritable (capabilities(7)).
  CapabilitySets result;
  for (cap_value_t value : kept) {
    auto& set = result.data[CapabilitySets::word(value)];
    set.effective |= CapabilitySets::bit(value);
    set.permitted |= CapabilitySets::bit(value);
    set.inheritable |= CapabilitySets::bit(value);
  }
  if (result.write() != 0) fail_setup("capabilities: setting the kept capabilities", errno);

  // Ambient capabilities survive execve of a program without file capabilities as a non-root
  // uid; without them a kept capability would vanish at the job's execve.
  for (cap_value_t value : kept) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, value, 0, 0) != 0) {
      fail_setup("capabilities: raising " + name_of(value) + " in the ambient set", errno);
    }
  }
}

}  // namespace sandbox::hardening
