// Switching a process to the job's identity inside its user namespace.
#pragma once

#include <cstdint>

namespace sandbox {

struct IdentityPlan {
  uint32_t uid = 0, gid = 0;
  // setgroups(0, NULL) drops the caller's supplementary groups. Only possible where setgroups is
  // not denied: a root caller (with or without a user namespace).
  bool clear_groups = false;
};

// setgroups (when allowed), setresgid, setresuid. With `keep_capabilities`, the permitted
// capabilities survive the uid change and are raised into the effective set again, so that
// hardening::drop_capabilities can keep the ones the policy names. Throws SystemError.
void become(const IdentityPlan& identity, bool keep_capabilities);

// Empties the effective, permitted and inheritable sets (pid 1 needs none once the job runs).
void drop_all_capabilities();

}  // namespace sandbox
