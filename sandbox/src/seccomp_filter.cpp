// install_seccomp(): compiles a FilterPlan to BPF with libseccomp and loads it.
#include <seccomp.h>

#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "hardening.hpp"
#include "hardening_error.hpp"
#include "seccomp_rules.hpp"

namespace sandbox::hardening {

namespace {

struct FilterContextDeleter {
  void operator()(void* context) const { seccomp_release(context); }
};
using FilterContext = std::unique_ptr<void, FilterContextDeleter>;

// libseccomp returns -errno.
void check(int result, const std::string& what) {
  if (result < 0) fail_setup("seccomp: " + what, -result);
}

uint32_t action_of(const SyscallRule& rule, policies::Seccomp::Action policy_action) {
  if (rule.outcome == SyscallRule::Outcome::enosys) return SCMP_ACT_ERRNO(ENOSYS);
  return policy_action == policies::Seccomp::Action::kill ? SCMP_ACT_KILL_PROCESS
                                                          : SCMP_ACT_ERRNO(EPERM);
}

void add_rule(scmp_filter_ctx context, const SyscallRule& rule, uint32_t action) {
  const int number = seccomp_syscall_resolve_name(rule.syscall.c_str());
  if (number == __NR_SCMP_ERROR) fail_setup("seccomp: unknown syscall '" + rule.syscall + "'");
  const std::string what = "adding the rule for " + rule.syscall;
  if (rule.when) {
    check(seccomp_rule_add(
              context, action, number, 1,
              SCMP_CMP(rule.when->index, SCMP_CMP_MASKED_EQ, rule.when->mask, rule.when->value)),
          what);
  } else {
    check(seccomp_rule_add(context, action, number, 0), what);
  }
}

// The libseccomp filter for a non-empty plan, ready to load or export.
FilterContext build_filter(const FilterPlan& plan) {
  FilterContext context(seccomp_init(SCMP_ACT_ALLOW));
  if (!context) fail_setup("seccomp: seccomp_init failed");
  // The native ABI alone would leave the same kernel reachable through `int 0x80` (i386) and the
  // x32 syscall numbers, with other numbers that no rule matches. Every x86 ABI gets the rules;
  // a syscall from any other architecture kills the process.
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    if (arch == seccomp_arch_native()) continue;
    const int result = seccomp_arch_add(context.get(), arch);
    if (result != -EEXIST) check(result, "adding a 32-bit architecture");
  }
  check(seccomp_attr_set(context.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
        "setting the action for foreign architectures");
  // Should the job already have threads, they get the filter too.
  check(seccomp_attr_set(context.get(), SCMP_FLTATR_CTL_TSYNC, 1), "enabling thread sync");
  // A binary tree of syscall numbers instead of a linear list: every syscall the job makes walks
  // O(log n) comparisons, and loading is cheaper too, because the kernel evaluates the filter for
  // every syscall number of every ABI to precompute its "always allowed" bitmap.
  check(seccomp_attr_set(context.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2), "optimising the filter");

  for (const SyscallRule& rule : plan.rules) {
    add_rule(context.get(), rule, action_of(rule, plan.action));
  }
  return context;
}

}  // namespace

void install_seccomp(const policies::Seccomp& policy) {
  const FilterPlan plan = plan_filter(policy);
  if (plan.rules.empty()) return;
  FilterContext context = build_filter(plan);
  check(seccomp_load(context.get()), "loading the filter");
}

std::vector<sock_filter> compile_seccomp(const policies::Seccomp& policy) {
  const FilterPlan plan = plan_filter(policy);
  if (plan.rules.empty()) return {};
  FilterContext context = build_filter(plan);
  // libseccomp 2.5 exports BPF only to a file descriptor.
  const int memory = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (memory < 0) fail_setup("seccomp: memfd_create", errno);
  std::vector<sock_filter> program;
  try {
    check(seccomp_export_bpf(context.get(), memory), "exporting the filter");
    const off_t size = lseek(memory, 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
      fail_setup("seccomp: exported filter has an invalid size");
    }
    program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (pread(memory, program.data(), static_cast<size_t>(size), 0) != size) {
      fail_setup("seccomp: reading the exported filter", errno);
    }
  } catch (...) {
    close(memory);
    throw;
  }
  close(memory);
  return program;
}

void load_seccomp(const std::vector<sock_filter>& program) {
  if (program.empty()) return;
  if (program.size() > BPF_MAXINSNS) fail_setup("seccomp: filter too long");
  sock_fprog fprog{static_cast<unsigned short>(program.size()),
                   const_cast<sock_filter*>(program.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) {
    fail_setup("seccomp: loading the filter", errno);
  }
}

}  // namespace sandbox::hardening
