// The seccomp filter as plain data (internal to the hardening work): which syscalls a job may not
// make, and under which argument conditions. No kernel here: install_seccomp() compiles a plan to
// BPF with libseccomp, and unit tests check plans without loading them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/policy.hpp"

namespace sandbox::hardening {

// The rule applies only when (argument[index] & mask) == value.
struct ArgMatch {
  unsigned index = 0;
  uint64_t mask = 0;
  uint64_t value = 0;
  bool matches(uint64_t argument) const { return (argument & mask) == value; }
};

struct SyscallRule {
  enum class Outcome {
    deny,    // the policy's action: EPERM or kill the process
    enosys,  // fail with ENOSYS, so that libc falls back to an older syscall (clone3 -> clone)
  };
  std::string syscall;
  Outcome outcome = Outcome::deny;
  std::optional<ArgMatch> when;  // unset: always. Rules for one syscall are alternatives (OR).
};

struct FilterPlan {
  policies::Seccomp::Action action = policies::Seccomp::Action::errno_eperm;
  std::vector<SyscallRule> rules;  // empty: nothing to filter, no filter is loaded
};

// The default rules (docs/security.md explains each group). Every name in them is known to
// libseccomp on this machine; a test keeps it so.
std::vector<SyscallRule> default_rules();

// The default rules minus `policy.allow`, plus `policy.deny` (deny wins over allow; a denied
// syscall is denied whatever its arguments). Without `enabled`, only `deny`. Throws
// sandbox::Error(setup_failed) naming the first unknown syscall in allow or deny.
FilterPlan plan_filter(const policies::Seccomp& policy);

// personality(2) personas a job may set: PER_LINUX, PER_LINUX32, UNAME26 and their combination,
// and 0xffffffff, which only queries (as in the docker default profile).
inline constexpr uint32_t allowed_personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// Patterns matching exactly the 32-bit personas not in allowed_personas. libseccomp cannot compare
// one argument twice in a rule, so "not any of these" is expressed as a union of masked equalities.
std::vector<ArgMatch> personality_deny_patterns();

}  // namespace sandbox::hardening
