// Seccomp filters compiled once per run and loaded by each job.
#include "seccomp_programs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "hardening.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox {
namespace {

TEST(SeccompPrograms, DisabledPolicyHasNoProgram) {
  policies::Seccomp off;
  off.enabled = false;
  SeccompPrograms programs;
  EXPECT_TRUE(programs.get(off).empty());
}

TEST(SeccompPrograms, CompiledOncePerDistinctPolicy) {
  SeccompPrograms programs;
  policies::Seccomp base;
  const auto& first = programs.get(base);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(&programs.get(base), &first) << "the same policy was compiled again";
  policies::Seccomp stricter = base;
  stricter.deny = {"getcwd"};
  const auto& other = programs.get(stricter);
  EXPECT_NE(&other, &first);
  EXPECT_NE(other.size(), first.size());
}

// The default filter comes precompiled from the build (seccomp_precompile): it must be exactly
// what libseccomp compiles now from the same rules, for either action.
TEST(SeccompPrograms, PrecompiledDefaultIsTheCompiledDefault) {
  for (const auto action :
       {policies::Seccomp::Action::errno_eperm, policies::Seccomp::Action::kill}) {
    policies::Seccomp policy;
    policy.action = action;
    SeccompPrograms programs;
    const auto& precompiled = programs.get(policy);
    const auto compiled = hardening::compile_seccomp(policy);
    ASSERT_EQ(precompiled.size(), compiled.size());
    for (size_t i = 0; i < compiled.size(); ++i) {
      EXPECT_EQ(precompiled[i].code, compiled[i].code) << "instruction " << i;
      EXPECT_EQ(precompiled[i].jt, compiled[i].jt) << "instruction " << i;
      EXPECT_EQ(precompiled[i].jf, compiled[i].jf) << "instruction " << i;
      EXPECT_EQ(precompiled[i].k, compiled[i].k) << "instruction " << i;
    }
  }
}

TEST(SeccompPrograms, UnknownSyscallIsASetupError) {
  policies::Seccomp bad;
  bad.deny = {"no_such_syscall_anywhere"};
  SeccompPrograms programs;
  EXPECT_THROW(programs.get(bad), Error);
}

TEST(SeccompPrograms, RoundTripThroughAPipe) {
  // Larger than a pipe's atomic write size: the reader must reassemble it.
  std::vector<sock_filter> program(2000);
  for (size_t i = 0; i < program.size(); ++i) {
    program[i].code = static_cast<uint16_t>(i);
    program[i].k = static_cast<uint32_t>(i * 7);
  }
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const pid_t writer = fork();
  if (writer == 0) {
    send_program(fds[1], program);
    _exit(0);
  }
  close(fds[1]);
  const auto received = receive_program(fds[0]);
  close(fds[0]);
  waitpid(writer, nullptr, 0);
  ASSERT_EQ(received.size(), program.size());
  for (size_t i = 0; i < program.size(); ++i) {
    EXPECT_EQ(received[i].code, program[i].code);
    EXPECT_EQ(received[i].k, program[i].k);
  }
}

// Loads the compiled default filter in a child and reports what a denied syscall (acct) and an
// allowed one (getppid) return there.
TEST(SeccompPrograms, LoadedProgramDeniesWhatThePolicyDenies) {
  SeccompPrograms programs;
  const auto& program = programs.get(policies::Seccomp{});
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const pid_t child = fork();
  if (child == 0) {
    int result[2] = {-1, -1};
    try {
      hardening::set_no_new_privs();
      hardening::load_seccomp(program);
      result[0] = syscall(SYS_acct, nullptr) == 0 ? 0 : errno;
      result[1] = getppid() > 0 ? 0 : errno;
    } catch (...) {
    }
    (void)!write(fds[1], result, sizeof result);
    _exit(0);
  }
  close(fds[1]);
  int result[2] = {-1, -1};
  ASSERT_EQ(read(fds[0], result, sizeof result), static_cast<ssize_t>(sizeof result));
  close(fds[0]);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(result[0], EPERM) << "acct was not denied";
  EXPECT_EQ(result[1], 0) << "getppid was denied";
}

}  // namespace
}  // namespace sandbox
