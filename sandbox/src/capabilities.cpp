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

#include "hardening.hpp"
#include "hardening_error.hpp"

namespace sandbox::hardening {

namespace {

struct CapStateDeleter {
  void operator()(_cap_struct* state) const { cap_free(state); }
};
using CapState = std::unique_ptr<_cap_struct, CapStateDeleter>;

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

CapState current_state() {
  CapState state(cap_get_proc());
  if (!state) fail_setup("capabilities: cap_get_proc", errno);
  return state;
}

void set_process_state(const CapState& state, const std::string& what) {
  if (cap_set_proc(state.get()) != 0) fail_setup("capabilities: " + what, errno);
}

bool in_set(const CapState& state, cap_value_t value, cap_flag_t set) {
  cap_flag_value_t flag = CAP_CLEAR;
  return cap_get_flag(state.get(), value, set, &flag) == 0 && flag == CAP_SET;
}

// After a uid change with PR_SET_KEEPCAPS the kernel keeps the permitted set but clears the
// effective one; the steps below need CAP_SETPCAP effective, so raise what is permitted.
void make_permitted_effective() {
  CapState state = current_state();
  for (cap_value_t value = 0; value < cap_max_bits(); ++value) {
    if (!in_set(state, value, CAP_PERMITTED)) continue;
    if (cap_set_flag(state.get(), CAP_EFFECTIVE, 1, &value, CAP_SET) != 0) {
      fail_setup("capabilities: cap_set_flag " + name_of(value), errno);
    }
  }
  set_process_state(state, "raising the permitted capabilities to effective");
}

}  // namespace

bool is_known_capability(const std::string& name) {
  const auto value = parse_capability(name);
  return value && *value < cap_max_bits();
}

void drop_capabilities(const std::vector<std::string>& keep) {
  const std::set<cap_value_t> kept = parse_all(keep);
  make_permitted_effective();
  {
    const CapState state = current_state();
    for (cap_value_t value : kept) {
      if (!in_set(state, value, CAP_PERMITTED)) {
        fail_setup("capabilities: cannot keep " + name_of(value) +
                   ": the process does not have it");
      }
    }
  }

  // The bounding set caps what any later execve can gain (setuid root, file capabilities), so it
  // goes first, while CAP_SETPCAP is still effective.
  for (cap_value_t value = 0; value < cap_max_bits(); ++value) {
    if (kept.contains(value) || cap_get_bound(value) != 1) continue;
    if (cap_drop_bound(value) != 0) {
      fail_setup("capabilities: dropping " + name_of(value) + " from the bounding set", errno);
    }
  }
  if (cap_reset_ambient() != 0) fail_setup("capabilities: clearing the ambient set", errno);

  // The kernel only raises an ambient capability that is both permitted and inheritable, so the
  // kept ones stay inheritable; nothing else does.
  CapState state(cap_init());
  if (!state) fail_setup("capabilities: cap_init", errno);
  const std::vector<cap_value_t> values(kept.begin(), kept.end());
  if (!values.empty()) {
    for (cap_flag_t set : {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE}) {
      if (cap_set_flag(state.get(), set, static_cast<int>(values.size()), values.data(), CAP_SET) !=
          0) {
        fail_setup("capabilities: cap_set_flag", errno);
      }
    }
  }
  set_process_state(state, "setting the kept capabilities");

  // Ambient capabilities survive execve of a program without file capabilities as a non-root
  // uid; without them a kept capability would vanish at the job's execve.
  for (cap_value_t value : values) {
    if (cap_set_ambient(value, CAP_SET) != 0) {
      fail_setup("capabilities: raising " + name_of(value) + " in the ambient set", errno);
    }
  }
}

}  // namespace sandbox::hardening
