// Hardening applied to every job (internal). Owned by the hardening work (issue 8); called by the
// launch code in a fixed order, documented in docs/design.md:
//   pid 1, after pivot_root:      mask_kernel_paths()
//   job, after identity is set:   drop_capabilities(keep); set_no_new_privs(); install_seccomp()
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "policies/policy.hpp"

namespace sandbox::hardening {

// Over-mounts what a job must never touch (/proc/sys read-only, /proc/sysrq-trigger,
// /proc/kcore, /sys/firmware, ...). Runs inside the new mount namespace, after pivot_root.
void mask_kernel_paths();

// Clears the bounding, inheritable and ambient sets and keeps only `keep` (capability names as
// "CAP_NET_BIND_SERVICE" or "net_bind_service") in the effective, permitted and ambient sets.
// Throws sandbox::Error(setup_failed) naming an unknown capability.
// Needs CAP_SETPCAP in the permitted set (and every kept capability): when the uid was changed
// before, set PR_SET_KEEPCAPS first, or the kernel has already cleared the permitted set.
void drop_capabilities(const std::vector<std::string>& keep);

// PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities cannot elevate the job.
void set_no_new_privs();

// Loads the seccomp filter for `policy` (default deny list, plus allow/deny). The last step
// before execve. Throws sandbox::Error(setup_failed) naming an unknown syscall.
void install_seccomp(const policies::Seccomp& policy);

// install_seccomp() in two steps, so that a launcher compiles a policy's filter once (libseccomp,
// the expensive part, no kernel state changed) and each job only loads it as its last step
// before execve. An empty program means there is nothing to filter. Errors as install_seccomp().
std::vector<sock_filter> compile_seccomp(const policies::Seccomp& policy);
void load_seccomp(const std::vector<sock_filter>& program);

// Syscall names known to libseccomp on this machine, for validation of allow/deny lists.
bool is_known_syscall(const std::string& name);

// Capability names (in any of the forms drop_capabilities accepts) this kernel supports.
bool is_known_capability(const std::string& name);

}  // namespace sandbox::hardening
