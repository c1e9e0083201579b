#include "identity.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "sys_error.hpp"

namespace sandbox {

namespace {

struct CapabilitySets {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
};

CapabilitySets get_capabilities() {
  CapabilitySets caps;
  check(static_cast<int>(syscall(SYS_capget, &caps.header, caps.data)), "capget");
  return caps;
}

void set_capabilities(CapabilitySets& caps) {
  check(static_cast<int>(syscall(SYS_capset, &caps.header, caps.data)), "capset");
}

}  // namespace

void become(const IdentityPlan& identity, bool keep_capabilities) {
  if (identity.clear_groups) check(setgroups(0, nullptr), "setgroups(0)");
  if (keep_capabilities) check(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
  check(setresgid(identity.gid, identity.gid, identity.gid),
        "setresgid(" + std::to_string(identity.gid) + ")");
  check(setresuid(identity.uid, identity.uid, identity.uid),
        "setresuid(" + std::to_string(identity.uid) + ")");
  if (keep_capabilities) {
    // A uid change clears the effective set even with KEEPCAPS; raise what is still permitted.
    auto caps = get_capabilities();
    for (auto& set : caps.data) set.effective = set.permitted;
    set_capabilities(caps);
    check(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
  }
}

void drop_all_capabilities() {
  CapabilitySets caps;
  set_capabilities(caps);
}

}  // namespace sandbox
