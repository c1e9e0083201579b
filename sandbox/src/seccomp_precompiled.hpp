// The default seccomp filter compiled at build time (sandbox/tools/seccomp_precompile.cpp, with
// this build's libseccomp and rules), so that the common case costs no libseccomp work per run.
#pragma once

#include <linux/filter.h>

#include <span>

#include "policies/policy.hpp"

namespace sandbox::hardening {

// True when `policy` asks for exactly the default filter (nothing allowed or denied on top), the
// case precompiled_default_filter() covers.
inline bool is_default_filter(const policies::Seccomp& policy) {
  return policy.enabled && policy.allow.empty() && policy.deny.empty();
}

// The BPF that compile_seccomp() gives for the default filter with `action`.
std::span<const sock_filter> precompiled_default_filter(policies::Seccomp::Action action);

}  // namespace sandbox::hardening
