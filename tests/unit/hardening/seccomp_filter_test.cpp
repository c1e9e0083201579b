// install_seccomp() against the real kernel. Every probe runs twice in a fresh child: without the
// filter, to show that the call does not fail with EPERM on its own (so the test can fail), and
// with it, where it must.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <thread>

#include "child_process.hpp"
#include "hardening.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::hardening {
namespace {

using hardening_test::errno_name_of;
using hardening_test::run_in_child;

constexpr const char* missing = "/nonexistent-sandbox-hardening-probe";

// clone() with `flags`; the new child exits at once and is reaped here.
long clone_and_reap(unsigned long flags) {
  const long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return pid < 0 ? -1 : 0;
}

struct Probe {
  const char* name;
  std::function<long()> call;
};

// Calls that are harmless as root on this machine with or without the filter.
const std::vector<Probe>& denied_probes() {
  static const std::vector<Probe> probes = {
      {"mount", [] { return syscall(SYS_mount, "none", missing, "tmpfs", 0, nullptr); }},
      {"umount2", [] { return syscall(SYS_umount2, missing, 0); }},
      {"pivot_root", [] { return syscall(SYS_pivot_root, missing, missing); }},
      {"chroot", [] { return syscall(SYS_chroot, missing); }},
      {"move_mount", [] { return syscall(SYS_move_mount, -1, "", -1, "", 0); }},
      {"open_tree", [] { return syscall(SYS_open_tree, -1, missing, 0); }},
      {"fsopen", [] { return syscall(SYS_fsopen, "no_such_filesystem", 0); }},
      {"fsmount", [] { return syscall(SYS_fsmount, -1, 0, 0); }},
      {"fsconfig", [] { return syscall(SYS_fsconfig, -1, 0, nullptr, nullptr, 0); }},
      {"fspick", [] { return syscall(SYS_fspick, -1, missing, 0); }},
      {"unshare(CLONE_NEWUSER)", [] { return syscall(SYS_unshare, CLONE_NEWUSER); }},
      {"unshare(CLONE_NEWNS)", [] { return syscall(SYS_unshare, CLONE_NEWNS); }},
      {"unshare(CLONE_NEWNET)", [] { return syscall(SYS_unshare, CLONE_NEWNET); }},
      {"clone(CLONE_NEWUSER)", [] { return clone_and_reap(CLONE_NEWUSER); }},
      {"clone(CLONE_NEWPID)", [] { return clone_and_reap(CLONE_NEWPID); }},
      {"setns", [] { return syscall(SYS_setns, -1, 0); }},
      {"ptrace", [] { return syscall(SYS_ptrace, PTRACE_PEEKDATA, getppid(), 0, 0); }},
      {"process_vm_readv",
       [] { return syscall(SYS_process_vm_readv, getpid(), nullptr, 0, nullptr, 0, 0); }},
      {"process_vm_writev",
       [] { return syscall(SYS_process_vm_writev, getpid(), nullptr, 0, nullptr, 0, 0); }},
      {"keyctl",
       [] { return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); }},
      {"add_key", [] { return syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0); }},
      {"request_key", [] { return syscall(SYS_request_key, nullptr, nullptr, nullptr, 0); }},
      {"bpf", [] { return syscall(SYS_bpf, -1, nullptr, 0); }},
      {"perf_event_open", [] { return syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }},
      {"init_module", [] { return syscall(SYS_init_module, nullptr, 0, ""); }},
      {"finit_module", [] { return syscall(SYS_finit_module, -1, "", 0); }},
      {"delete_module", [] { return syscall(SYS_delete_module, "sandbox_probe", O_NONBLOCK); }},
      {"kexec_load", [] { return syscall(SYS_kexec_load, 0, 0, nullptr, 0xdead0000UL); }},
      {"open_by_handle_at", [] { return syscall(SYS_open_by_handle_at, -1, nullptr, 0); }},
      {"name_to_handle_at",
       [] { return syscall(SYS_name_to_handle_at, AT_FDCWD, missing, nullptr, nullptr, 0); }},
      {"userfaultfd", [] { return syscall(SYS_userfaultfd, -1); }},
      {"io_uring_setup", [] { return syscall(SYS_io_uring_setup, 0, nullptr); }},
      {"reboot", [] { return syscall(SYS_reboot, 0, 0, 0, nullptr); }},  // bad magic: EINVAL
      {"swapon", [] { return syscall(SYS_swapon, missing, 0); }},
      {"swapoff", [] { return syscall(SYS_swapoff, missing); }},
      {"settimeofday", [] { return syscall(SYS_settimeofday, nullptr, nullptr); }},  // no-op
      {"clock_settime",
       [] {
         timespec now{};
         return syscall(SYS_clock_settime, CLOCK_MONOTONIC, &now);  // EINVAL
       }},
      {"clock_adjtime", [] { return syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, nullptr); }},
      {"adjtimex", [] { return syscall(SYS_adjtimex, nullptr); }},
      {"acct", [] { return syscall(SYS_acct, missing); }},
      {"quotactl",
       [] { return syscall(SYS_quotactl, QCMD(Q_GETINFO, USRQUOTA), missing, 0, nullptr); }},
      {"iopl", [] { return syscall(SYS_iopl, 4); }},
      {"ioperm", [] { return syscall(SYS_ioperm, 0x80, 1, 0); }},
      {"syslog",
       [] { return syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0); }},
      {"vhangup",
       [] {
         setsid();  // no controlling terminal, so nothing is hung up even without the filter
         return syscall(SYS_vhangup);
       }},
      {"personality(ADDR_NO_RANDOMIZE)",
       [] { return syscall(SYS_personality, ADDR_NO_RANDOMIZE); }},
      {"kcmp", [] { return syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0); }},
  };
  return probes;
}

std::string probe(const Probe& probe, const std::optional<policies::Seccomp>& filter) {
  const auto outcome = run_in_child([&] {
    if (filter) install_seccomp(*filter);
    return errno_name_of(probe.call());
  });
  if (!outcome.returned()) return "child failed: " + outcome.describe();
  return outcome.report;
}

std::string status_field(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(name + ":")) {
      const auto value = line.find_first_not_of(" \t", name.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "missing";
}

TEST(SeccompFilter, DefaultFilterDeniesWithEperm) {
  for (const Probe& p : denied_probes()) {
    const std::string without = probe(p, std::nullopt);
    EXPECT_NE(without, "EPERM") << p.name << " fails with EPERM even without the filter";
    EXPECT_FALSE(without.starts_with("child failed")) << p.name << ": " << without;
    EXPECT_EQ(probe(p, policies::Seccomp{}), "EPERM")
        << p.name << " (without filter: " << without << ")";
  }
}

TEST(SeccompFilter, FilterIsInstalledInStrictFilterMode) {
  const auto outcome = run_in_child([] {
    install_seccomp({});
    return status_field("Seccomp") + " " + status_field("NoNewPrivs");
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "2 1");  // SECCOMP_MODE_FILTER; libseccomp sets no_new_privs too
}

TEST(SeccompFilter, OrdinaryProgramsKeepWorking) {
  const auto outcome = run_in_child([]() -> std::string {
    install_seccomp({});
    std::string failures;
    bool thread_ran = false;
    std::thread([&] { thread_ran = true; }).join();  // glibc tries clone3 first, then clone
    if (!thread_ran) failures += "thread did not run; ";
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", nullptr);
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      failures += "fork+exec of /bin/true failed; ";
    }
    if (syscall(SYS_unshare, CLONE_FILES | CLONE_FS) != 0) {
      failures += "unshare(CLONE_FILES) denied; ";
    }
    if (syscall(SYS_personality, PER_LINUX) == -1) failures += "personality(PER_LINUX) denied; ";
    if (syscall(SYS_personality, 0xffffffff) == -1) failures += "personality query denied; ";
    if (syscall(SYS_personality, PER_LINUX32) == -1) {
      failures += "personality(PER_LINUX32) denied; ";
    }
    syscall(SYS_personality, PER_LINUX);
    const std::string clone3 = errno_name_of(syscall(SYS_clone3, nullptr, 0));
    if (clone3 != "ENOSYS") failures += "clone3 gave " + clone3 + " instead of ENOSYS; ";
    return failures;
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "");
}

TEST(SeccompFilter, Clone3IsInvalidNotEnosysWithoutTheFilter) {
  const auto outcome = run_in_child([] { return errno_name_of(syscall(SYS_clone3, nullptr, 0)); });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_NE(outcome.report, "ENOSYS") << "the ENOSYS test above would prove nothing";
}

TEST(SeccompFilter, DenyListDeniesAnOrdinarySyscall) {
  const Probe uname{"uname", [] {
                      char buffer[512];
                      return syscall(SYS_uname, buffer);
                    }};
  EXPECT_EQ(probe(uname, std::nullopt), "OK");
  policies::Seccomp policy;
  policy.deny = {"uname"};
  EXPECT_EQ(probe(uname, policy), "EPERM");
}

TEST(SeccompFilter, AllowListLetsADefaultDeniedSyscallThrough) {
  policies::Seccomp policy;
  policy.allow = {"keyctl", "unshare"};
  for (const Probe& p : denied_probes()) {
    const std::string name = p.name;
    if (name == "keyctl" || name == "unshare(CLONE_NEWUSER)") {
      EXPECT_EQ(probe(p, policy), "OK") << name;
    } else if (name == "mount" || name == "ptrace") {
      EXPECT_EQ(probe(p, policy), "EPERM") << name << " must stay denied";
    }
  }
}

TEST(SeccompFilter, DisabledFilterAppliesOnlyTheDenyList) {
  policies::Seccomp policy;
  policy.enabled = false;
  policy.deny = {"uname"};
  const auto outcome = run_in_child([&] {
    install_seccomp(policy);
    char buffer[512];
    return errno_name_of(syscall(SYS_mount, "none", missing, "tmpfs", 0, nullptr)) + " " +
           errno_name_of(syscall(SYS_uname, buffer));
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "ENOENT EPERM");
}

TEST(SeccompFilter, KillActionKillsTheProcessWithSigsys) {
  policies::Seccomp policy;
  policy.action = policies::Seccomp::Action::kill;
  for (const char* name : {"ptrace", "unshare(CLONE_NEWUSER)", "mount"}) {
    const auto& probes = denied_probes();
    const auto p = std::find_if(probes.begin(), probes.end(),
                                [&](const Probe& each) { return std::string(each.name) == name; });
    ASSERT_NE(p, probes.end());
    const auto outcome = run_in_child([&] {
      install_seccomp(policy);
      return "survived: " + errno_name_of(p->call());
    });
    EXPECT_EQ(outcome.signal, SIGSYS) << name << ": " << outcome.describe();
  }
}

TEST(SeccompFilter, KillActionLeavesAllowedSyscallsAndClone3Fallback) {
  policies::Seccomp policy;
  policy.action = policies::Seccomp::Action::kill;
  const auto outcome = run_in_child([&] {
    install_seccomp(policy);
    bool ran = false;
    std::thread([&] { ran = true; }).join();
    return std::string(ran ? "thread ran " : "no thread ") +
           errno_name_of(syscall(SYS_clone3, nullptr, 0));
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "thread ran ENOSYS");
}

// A raw i386 syscall through `int 0x80` from this 64-bit process. Pointer arguments would need
// addresses below 4 GiB, so the probes take none.
long int80(long number, long a = 0, long b = 0, long c = 0) {
  long result = 0;
  asm volatile("int $0x80"
               : "=a"(result)
               : "a"(number), "b"(a), "c"(b), "d"(c)
               : "r8", "r9", "r10", "r11", "memory", "cc");
  return result;
}

// i386 numbers: on x86_64 these numbers are other syscalls, so only an i386 rule catches them.
constexpr long i386_getpid = 20, i386_unshare = 310, i386_keyctl = 288, i386_ptrace = 26,
               i386_clone3 = 435;

std::string int80_probes() {
  return std::to_string(int80(i386_unshare, CLONE_NEWUSER)) + " " +
         std::to_string(int80(i386_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING)) + " " +
         std::to_string(int80(i386_ptrace, PTRACE_PEEKDATA, getppid())) + " " +
         std::to_string(int80(i386_clone3));
}

TEST(SeccompFilter, I386SyscallsThroughInt80AreFilteredToo) {
  const auto reachable =
      run_in_child([] { return std::to_string(int80(i386_getpid) == getpid()); });
  if (reachable.signal != 0 || reachable.report != "1") {
    GTEST_SKIP() << "the i386 ABI is not available here (" << reachable.describe() << ")";
  }
  const auto without = run_in_child([] { return int80_probes(); });
  ASSERT_TRUE(without.returned()) << without.describe();
  const std::string eperm = std::to_string(-EPERM);
  EXPECT_NE(without.report.substr(0, without.report.find(' ')), eperm);

  const auto filtered = run_in_child([] {
    install_seccomp({});
    return int80_probes();
  });
  ASSERT_TRUE(filtered.returned()) << filtered.describe();
  EXPECT_EQ(filtered.report, eperm + " " + eperm + " " + eperm + " " + std::to_string(-ENOSYS));
}

TEST(SeccompFilter, UnknownNameIsAClearErrorAndNothingIsLoaded) {
  const auto outcome = run_in_child([] {
    policies::Seccomp policy;
    policy.deny = {"mount", "no_such_syscall"};
    try {
      install_seccomp(policy);
      return std::string("no error");
    } catch (const sandbox::Error& error) {
      return std::to_string(error.code) + " " + error.what() +
             " seccomp=" + status_field("Seccomp");
    }
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, std::to_string(exit_code::setup_failed) +
                                " seccomp.deny: unknown syscall 'no_such_syscall' seccomp=0");
}

}  // namespace
}  // namespace sandbox::hardening
