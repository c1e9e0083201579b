// The default seccomp deny list and how a policy's allow/deny lists change it.
//
// The list follows what container runtimes deny by default (the docker/moby default profile,
// nsjail and bubblewrap as references), written as a deny list: everything else stays allowed,
// so ordinary programs never notice the filter. docs/security.md explains each group.
#include "seccomp_rules.hpp"

#include <sched.h>
#include <seccomp.h>

#include <set>

#include "hardening.hpp"
#include "hardening_error.hpp"

namespace sandbox::hardening {

namespace {

// Denied whatever the arguments. Names that exist only on i386 (umount, stime, vm86, the *64 time
// calls) are here because the filter covers the 32-bit ABI too.
constexpr const char* always_denied[] = {
    // Loading or replacing kernel code is a complete escape.
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
    "query_module", "kexec_load", "kexec_file_load",
    // Kernel attack surface with no place in a job: BPF programs, perf counters, userfaultfd
    // (a classic race-widening exploit primitive), io_uring (blocked by docker since 2023), and
    // kernel-wide logs and profiling.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "lookup_dcookie", "syslog",
    // Reading or writing other processes: the supervisor and the host are the prize.
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    // Kernel keyrings are not namespaced: keys of other users and containers live there.
    "keyctl", "add_key", "request_key",
    // The mount table was built by the sandbox; the job must not change or escape it.
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr",
    // Entering other namespaces (creating new ones is filtered by flags below).
    "setns",
    // File handles bypass path lookup and so the mount namespace (the "shocker" escape).
    "open_by_handle_at", "name_to_handle_at",
    // Machine-wide state that no namespace isolates: power, swap, clocks, accounting, quotas,
    // I/O ports, terminals.
    "reboot", "swapon", "swapoff", "settimeofday", "stime", "clock_settime", "clock_settime64",
    "clock_adjtime", "clock_adjtime64", "adjtimex", "acct", "quotactl", "quotactl_fd", "iopl",
    "ioperm", "vhangup",
    // Obsolete interfaces: no use today, only attack surface.
    "nfsservctl", "uselib", "_sysctl", "sysfs", "ustat", "vm86", "vm86old"};

// New user namespaces give back every capability inside them (and so reach kernel code that
// checks only namespaced capabilities); the others are the building blocks of such attacks.
constexpr uint64_t clone_namespace_flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
                                              CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
                                              CLONE_NEWNET};

// Personas that may be set or combined freely: PER_LINUX32 and UNAME26 (see allowed_personas).
constexpr uint32_t persona_free_bits = 0x0008 | 0x20000;

void add_flag_rules(std::vector<SyscallRule>& rules, const std::string& syscall,
                    unsigned argument) {
  for (uint64_t flag : clone_namespace_flags) {
    rules.push_back({syscall, SyscallRule::Outcome::deny, ArgMatch{argument, flag, flag}});
  }
}

void require_known(const std::vector<std::string>& names, const std::string& key) {
  for (const auto& name : names) {
    if (!is_known_syscall(name)) {
      fail_setup(std::string(key).append(": unknown syscall '").append(name).append("'"));
    }
  }
}

}  // namespace

bool is_known_syscall(const std::string& name) {
  return !name.empty() && seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR;
}

std::vector<ArgMatch> personality_deny_patterns() {
  // A persona is allowed when its other bits are all clear (some combination of the free bits)
  // or when it is 0xffffffff. So it is denied when
  //  (a) its other bits are neither all clear nor all set: then somewhere, going round the other
  //      bits in a circle, a set bit is followed by a clear one, and one pattern per neighbour
  //      pair catches that; or
  //  (b) its other bits are all set but a free bit is clear.
  std::vector<unsigned> other_bits;
  for (unsigned bit = 0; bit < 32; ++bit) {
    if ((persona_free_bits & (1U << bit)) == 0) other_bits.push_back(bit);
  }
  std::vector<ArgMatch> patterns;
  uint64_t all_other = 0;
  for (size_t i = 0; i < other_bits.size(); ++i) {
    uint64_t set_bit = uint64_t{1} << other_bits[i];
    uint64_t clear_bit = uint64_t{1} << other_bits[(i + 1) % other_bits.size()];
    patterns.push_back(ArgMatch{0, set_bit | clear_bit, set_bit});
    all_other |= set_bit;
  }
  for (unsigned bit = 0; bit < 32; ++bit) {
    uint64_t free_bit = uint64_t{1} << bit;
    if ((persona_free_bits & free_bit) != 0) {
      patterns.push_back(ArgMatch{0, all_other | free_bit, all_other});
    }
  }
  return patterns;
}

std::vector<SyscallRule> default_rules() {
  std::vector<SyscallRule> rules;
  for (const char* name : always_denied) rules.push_back({name, SyscallRule::Outcome::deny, {}});
  // clone(flags, ...) and unshare(flags): flags is the first argument on every x86 ABI.
  add_flag_rules(rules, "clone", 0);
  add_flag_rules(rules, "unshare", 0);
  // CLONE_NEWTIME shares its bit with the exit signal in clone(), so only unshare checks it.
  rules.push_back(
      {"unshare", SyscallRule::Outcome::deny, ArgMatch{0, CLONE_NEWTIME, CLONE_NEWTIME}});
  // clone3 passes its flags in memory, where seccomp cannot look. ENOSYS makes libc (glibc 2.34+
  // threads, posix_spawn) fall back to clone, whose flags the rules above check.
  rules.push_back({"clone3", SyscallRule::Outcome::enosys, {}});
  for (const ArgMatch& pattern : personality_deny_patterns()) {
    rules.push_back({"personality", SyscallRule::Outcome::deny, pattern});
  }
  return rules;
}

FilterPlan plan_filter(const policies::Seccomp& policy) {
  require_known(policy.allow, "seccomp.allow");
  require_known(policy.deny, "seccomp.deny");
  const std::set<std::string> allowed(policy.allow.begin(), policy.allow.end());
  const std::set<std::string> denied(policy.deny.begin(), policy.deny.end());

  FilterPlan plan;
  plan.action = policy.action;
  if (policy.enabled) {
    for (SyscallRule& rule : default_rules()) {
      // An explicit deny replaces the default rules of that syscall (which may be conditional).
      if (!allowed.contains(rule.syscall) && !denied.contains(rule.syscall)) {
        plan.rules.push_back(std::move(rule));
      }
    }
  }
  std::set<std::string> added;
  for (const auto& name : policy.deny) {
    if (added.insert(name).second) plan.rules.push_back({name, SyscallRule::Outcome::deny, {}});
  }
  return plan;
}

}  // namespace sandbox::hardening
