// The user namespace of a job: which inside ids map to which host ids, and writing the maps.
//
// Exactly one uid and one gid are mapped: the job's identity. A root caller maps it to an
// unprivileged host id (65534 unless the policy names one) so that root inside is never root
// outside; host root only with map_root. A non-root caller can only map its own ids.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "policies/policy.hpp"

namespace sandbox {

inline constexpr uint32_t kOverflowId = 65534;  // "nobody": the host id for a root caller's jobs

struct IdMapping {
  uint32_t inside = 0;
  uint32_t outside = 0;
  std::string line() const;  // "inside outside 1\n", as uid_map wants it
};

struct UserMapping {
  IdMapping uid, gid;
  // Non-root callers must write "deny" to setgroups before gid_map; root keeps setgroups so that
  // the job can drop root's supplementary groups with setgroups(0, NULL).
  bool deny_setgroups = false;
};

// Throws Error(invalid_policy) when the policy asks for a mapping the caller may not make.
UserMapping plan_user_mapping(const policies::Identity& identity, bool map_root, uid_t caller_uid,
                              gid_t caller_gid);

// Writes setgroups (when denied), uid_map and gid_map of `child`. Throws SystemError naming the
// file.
void write_user_mapping(pid_t child, const UserMapping& mapping);

}  // namespace sandbox
