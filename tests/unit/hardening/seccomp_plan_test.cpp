// The seccomp filter as data: the default list, the policy's allow/deny lists, name validation.
// Pure logic; seccomp_filter_test.cpp checks that the kernel enforces the plans.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <csignal>
#include <random>
#include <set>

#include "hardening.hpp"
#include "sandbox/sandbox.hpp"
#include "seccomp_rules.hpp"

namespace sandbox::hardening {
namespace {

std::set<std::string> unconditional(const FilterPlan& plan) {
  std::set<std::string> names;
  for (const auto& rule : plan.rules) {
    if (!rule.when && rule.outcome == SyscallRule::Outcome::deny) names.insert(rule.syscall);
  }
  return names;
}

std::vector<SyscallRule> rules_for(const FilterPlan& plan, const std::string& syscall) {
  std::vector<SyscallRule> found;
  for (const auto& rule : plan.rules) {
    if (rule.syscall == syscall) found.push_back(rule);
  }
  return found;
}

// True when a deny rule of `syscall` in `plan` matches a call whose first argument is `arg0`.
bool denies(const FilterPlan& plan, const std::string& syscall, uint64_t arg0) {
  for (const auto& rule : rules_for(plan, syscall)) {
    if (rule.outcome == SyscallRule::Outcome::deny && (!rule.when || rule.when->matches(arg0))) {
      return true;
    }
  }
  return false;
}

FilterPlan default_plan() {
  return plan_filter(policies::Seccomp{});
}

TEST(SeccompPlan, DefaultListDeniesWhatContainerRuntimesDeny) {
  const auto names = unconditional(default_plan());
  for (const char* syscall : {"init_module",
                              "finit_module",
                              "delete_module",
                              "kexec_load",
                              "kexec_file_load",
                              "bpf",
                              "perf_event_open",
                              "ptrace",
                              "process_vm_readv",
                              "process_vm_writev",
                              "keyctl",
                              "add_key",
                              "request_key",
                              "mount",
                              "umount2",
                              "pivot_root",
                              "move_mount",
                              "open_tree",
                              "fsopen",
                              "fsmount",
                              "fsconfig",
                              "setns",
                              "open_by_handle_at",
                              "name_to_handle_at",
                              "userfaultfd",
                              "reboot",
                              "swapon",
                              "swapoff",
                              "settimeofday",
                              "clock_settime",
                              "clock_adjtime",
                              "adjtimex",
                              "acct",
                              "quotactl",
                              "lookup_dcookie",
                              "iopl",
                              "ioperm",
                              "syslog",
                              "vhangup",
                              "chroot",
                              "umount",
                              "stime",
                              "clock_settime64"}) {
    EXPECT_TRUE(names.contains(syscall)) << syscall << " is not denied by default";
  }
}

TEST(SeccompPlan, EveryDefaultNameIsKnownToLibseccomp) {
  for (const auto& rule : default_rules()) {
    EXPECT_TRUE(is_known_syscall(rule.syscall)) << rule.syscall;
  }
}

TEST(SeccompPlan, OrdinarySyscallsAreNotInTheDefaultList) {
  const auto plan = default_plan();
  for (const char* syscall : {"read", "write", "openat", "execve", "socket", "mmap", "wait4"}) {
    EXPECT_TRUE(rules_for(plan, syscall).empty()) << syscall;
  }
}

TEST(SeccompPlan, CloneAndUnshareAreDeniedOnlyWithNamespaceFlags) {
  const auto plan = default_plan();
  const uint64_t fork_flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;
  const uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                CLONE_CHILD_CLEARTID;
  EXPECT_FALSE(denies(plan, "clone", fork_flags));
  EXPECT_FALSE(denies(plan, "clone", thread_flags));
  EXPECT_FALSE(denies(plan, "unshare", CLONE_FILES | CLONE_FS));
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                        CLONE_NEWPID, CLONE_NEWNET}) {
    EXPECT_TRUE(denies(plan, "clone", fork_flags | flag)) << std::hex << flag;
    EXPECT_TRUE(denies(plan, "unshare", flag)) << std::hex << flag;
  }
  EXPECT_TRUE(denies(plan, "unshare", CLONE_NEWTIME));
}

TEST(SeccompPlan, Clone3FailsWithEnosysSoLibcFallsBackToClone) {
  const auto rules = rules_for(default_plan(), "clone3");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].outcome, SyscallRule::Outcome::enosys);
  EXPECT_FALSE(rules[0].when.has_value());
}

bool persona_allowed(uint32_t persona) {
  return std::ranges::find(allowed_personas, persona) != std::end(allowed_personas);
}

bool persona_denied(uint32_t persona) {
  return std::ranges::any_of(personality_deny_patterns(),
                             [&](const ArgMatch& pattern) { return pattern.matches(persona); });
}

TEST(SeccompPlan, PersonalityPatternsDenyExactlyTheNonDefaultPersonas) {
  std::vector<uint32_t> personas(std::begin(allowed_personas), std::end(allowed_personas));
  for (unsigned bit = 0; bit < 32; ++bit) {
    personas.push_back(1U << bit);
    personas.push_back(~(1U << bit));
    personas.push_back((1U << bit) | 0x8);
    personas.push_back((1U << bit) | 0x20008);
    personas.push_back(~(1U << bit) & ~0x20008U);
  }
  std::mt19937 random(20261128);
  for (int i = 0; i < 200000; ++i) personas.push_back(static_cast<uint32_t>(random()));
  for (uint32_t persona : personas) {
    EXPECT_NE(persona_allowed(persona), persona_denied(persona)) << std::hex << persona;
  }
  // The persona that turns off address space randomisation, spelled out.
  EXPECT_TRUE(persona_denied(0x0040000));
  EXPECT_TRUE(denies(default_plan(), "personality", 0x0040000));
  EXPECT_FALSE(denies(default_plan(), "personality", 0));
  EXPECT_FALSE(denies(default_plan(), "personality", 0xffffffff));
}

TEST(SeccompPlan, AllowRemovesEveryRuleOfTheSyscall) {
  policies::Seccomp policy;
  policy.allow = {"keyctl", "clone", "clone3", "personality"};
  const auto plan = plan_filter(policy);
  for (const auto& syscall : policy.allow) EXPECT_TRUE(rules_for(plan, syscall).empty()) << syscall;
  EXPECT_FALSE(rules_for(plan, "mount").empty());
  EXPECT_FALSE(rules_for(plan, "unshare").empty());
}

TEST(SeccompPlan, DenyAddsAnUnconditionalRuleAndWinsOverAllow) {
  policies::Seccomp policy;
  policy.deny = {"uname", "clone", "uname"};
  policy.allow = {"clone"};
  const auto plan = plan_filter(policy);
  const auto uname = rules_for(plan, "uname");
  ASSERT_EQ(uname.size(), 1u);
  EXPECT_FALSE(uname[0].when.has_value());
  const auto clone = rules_for(plan, "clone");
  ASSERT_EQ(clone.size(), 1u) << "the namespace-flag rules are replaced by one that always denies";
  EXPECT_FALSE(clone[0].when.has_value());
}

TEST(SeccompPlan, ActionIsTheFiltersAction) {
  policies::Seccomp policy;
  policy.action = policies::Seccomp::Action::kill;
  EXPECT_EQ(plan_filter(policy).action, policies::Seccomp::Action::kill);
}

TEST(SeccompPlan, DisabledKeepsOnlyTheExplicitDenyList) {
  policies::Seccomp policy;
  policy.enabled = false;
  EXPECT_TRUE(plan_filter(policy).rules.empty());
  policy.deny = {"uname"};
  const auto plan = plan_filter(policy);
  ASSERT_EQ(plan.rules.size(), 1u);
  EXPECT_EQ(plan.rules[0].syscall, "uname");
}

void expect_unknown_name_error(const policies::Seccomp& policy, const std::string& expected) {
  try {
    plan_filter(policy);
    ADD_FAILURE() << "no error for an unknown syscall name";
  } catch (const sandbox::Error& error) {
    EXPECT_EQ(error.code, exit_code::setup_failed);
    EXPECT_EQ(std::string(error.what()), expected);
  }
}

TEST(SeccompPlan, UnknownNamesAreErrorsNamingTheSyscallAndList) {
  policies::Seccomp deny;
  deny.deny = {"uname", "no_such_syscall"};
  expect_unknown_name_error(deny, "seccomp.deny: unknown syscall 'no_such_syscall'");
  policies::Seccomp allow;
  allow.allow = {"Mount"};
  expect_unknown_name_error(allow, "seccomp.allow: unknown syscall 'Mount'");
  policies::Seccomp empty;
  empty.deny = {""};
  expect_unknown_name_error(empty, "seccomp.deny: unknown syscall ''");
}

TEST(SeccompPlan, IsKnownSyscall) {
  EXPECT_TRUE(is_known_syscall("read"));
  EXPECT_TRUE(is_known_syscall("mount"));
  EXPECT_TRUE(is_known_syscall("clone3"));
  EXPECT_TRUE(is_known_syscall("umount"));  // i386 only, still a name the filter handles
  EXPECT_FALSE(is_known_syscall("no_such_syscall"));
  EXPECT_FALSE(is_known_syscall(""));
  EXPECT_FALSE(is_known_syscall("READ"));
}

}  // namespace
}  // namespace sandbox::hardening
