#include "identity.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>

#include "capability_sets.hpp"
#include "sys_error.hpp"

namespace sandbox {

void become(const IdentityPlan& identity, bool keep_capabilities) {
  if (identity.clear_groups) check(setgroups(0, nullptr), "setgroups(0)");
  if (keep_capabilities) check(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
  check(setresgid(identity.gid, identity.gid, identity.gid),
        "setresgid(" + std::to_string(identity.gid) + ")");
  check(setresuid(identity.uid, identity.uid, identity.uid),
        "setresuid(" + std::to_string(identity.uid) + ")");
  if (keep_capabilities) {
    // A uid change clears the effective set even with KEEPCAPS; raise what is still permitted.
    CapabilitySets caps;
    check(caps.read(), "capget");
    caps.raise_permitted_to_effective();
    check(caps.write(), "capset");
    check(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
  }
}

void drop_all_capabilities() {
  CapabilitySets none;
  check(none.write(), "capset");
}

}  // namespace sandbox
