// What a job sees from inside its sandbox: its own pid tree, hostname, mounts, identity, no
// capabilities, no network but lo, a read-only /usr, and no inherited file descriptors.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "runtime_fixture.hpp"

namespace sandbox::test {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

using Isolation = RuntimeTest;

TEST_F(Isolation, JobIsPid2UnderItsOwnInit) {
  const auto result = run_sh(
      "echo self=$$; echo parent=$PPID; tr '\\0' ' ' < /proc/1/cmdline; echo;"
      "ls /proc | grep -c '^[0-9][0-9]*$'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto out = lines(result.out);
  ASSERT_EQ(out.size(), 4u) << result.out;
  EXPECT_EQ(out[0], "self=2");
  EXPECT_EQ(out[1], "parent=1");
  // pid 1 is the sandbox's own init (a copy of `sandbox`), not the host's.
  EXPECT_NE(out[2].find("sandbox run"), std::string::npos) << out[2];
  // init, sh, ls, grep: nothing of the host is visible.
  EXPECT_LE(std::stoi(out[3]), 4) << result.out;
}

TEST_F(Isolation, OwnHostname) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const auto result = run_sh("hostname");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "testbox\n");
  char after[256] = {};
  gethostname(after, sizeof after - 1);
  EXPECT_STREQ(host, after) << "the host's name must not change";
}

TEST_F(Isolation, OnlyItsOwnMounts) {
  const auto data = dir_ / "data";
  std::filesystem::create_directory(data);
  PolicyText policy;
  policy.extra_mounts = "      - {bind: " + data.string() + ", to: /data}\n";
  // Mount point and file system type (the first field after the " - " separator).
  const auto result = run(policy, {"/bin/sh", "-c",
                                   "sed 's/^[^ ]* [^ ]* [^ ]* [^ ]* \\([^ ]*\\) .* - \\([^ ]*\\) "
                                   ".*/\\1 \\2/' /proc/self/mountinfo"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> allowed{"/usr", "/bin",  "/lib", "/lib64",
                                         "/tmp", "/proc", "/dev", "/data"};
  bool saw_root_tmpfs = false;
  for (const auto& line : lines(result.out)) {
    const auto space = line.find(' ');
    const std::string point = line.substr(0, space), type = line.substr(space + 1);
    if (point == "/") {
      saw_root_tmpfs = type == "tmpfs";
      continue;
    }
    bool ok = false;
    for (const auto& prefix : allowed) {
      ok = ok || point == prefix || point.rfind(prefix + "/", 0) == 0;
    }
    EXPECT_TRUE(ok) << "unexpected mount " << point << " in:\n" << result.out;
  }
  EXPECT_TRUE(saw_root_tmpfs) << result.out;
  // Nothing was mounted on the host side.
  std::ifstream host_mounts("/proc/self/mountinfo");
  const std::string host((std::istreambuf_iterator<char>(host_mounts)), {});
  EXPECT_EQ(host.find(dir_.path().string()), std::string::npos);
}

TEST_F(Isolation, IdentityIsMappedToAnUnprivilegedHostUser) {
  PolicyText policy;
  policy.extra_defaults = "  identity: {uid: 1000, gid: 1000}\n";
  const std::string marker = "sleep 4.3" + std::to_string(getpid() % 1000);
  SandboxProcess process(run_args(policy, {"/bin/sh", "-c", "id -u; id -g; exec " + marker}));
  std::vector<pid_t> job;
  ASSERT_TRUE(eventually([&] {
    job = processes_running(marker);
    return job.size() == 1 && proc_status_field(job[0], "Uid") != "";
  }));
  // Seen from the host, the job is 65534 (nobody), never root.
  EXPECT_EQ(proc_status_field(job[0], "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(proc_status_field(job[0], "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(proc_status_field(job[0], "Groups"), "");
  process.signal(SIGTERM);
  const auto result = process.wait();
  EXPECT_EQ(result.out, "1000\n1000\n");
  EXPECT_EQ(run_cgroups_of(process.pid()), std::vector<std::string>{});
}

TEST_F(Isolation, NoCapabilities) {
  const auto result = run_sh("grep -E '^Cap(Inh|Prm|Eff|Amb|Bnd)' /proc/self/status");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto out = lines(result.out);
  ASSERT_EQ(out.size(), 5u) << result.out;
  for (const auto& line : out) {
    EXPECT_NE(line.find("0000000000000000"), std::string::npos) << line;
  }
}

TEST_F(Isolation, AKeptCapabilityIsTheOnlyOneInEverySet) {
  PolicyText policy;
  policy.extra_defaults =
      "  identity: {uid: 1000, gid: 1000}\n  capabilities: [NET_BIND_SERVICE]\n";
  const auto result =
      run_sh("grep -E '^Cap(Inh|Prm|Eff|Amb|Bnd)' /proc/self/status; id -u", policy);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto out = lines(result.out);
  ASSERT_EQ(out.size(), 6u) << result.out;
  // Through the ambient set it survives the execve of sh and of grep, as the non-root uid 1000.
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NE(out[i].find("0000000000000400"), std::string::npos) << out[i];  // bit 10 alone
  }
  EXPECT_EQ(out[5], "1000");
}

// The caller's signal state as nohup (SIGHUP ignored) or a shell's background job (SIGINT and
// SIGQUIT ignored) leave it, plus a realtime signal ignored and two signals blocked; all of it
// survives fork and execve into `sandbox`. Restored after.
class CallerIgnoresAndBlocksSignals {
 public:
  static constexpr int kIgnored[] = {SIGHUP, SIGINT, SIGQUIT, 40};
  static constexpr int kBlocked[] = {SIGALRM, SIGPROF};

  CallerIgnoresAndBlocksSignals() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (size_t i = 0; i < std::size(kIgnored); ++i) {
      sigaction(kIgnored[i], &ignore, &previous_[i]);
    }
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int sig : kBlocked) sigaddset(&blocked, sig);
    sigprocmask(SIG_BLOCK, &blocked, &mask_);
  }
  ~CallerIgnoresAndBlocksSignals() {
    sigprocmask(SIG_SETMASK, &mask_, nullptr);
    for (size_t i = 0; i < std::size(kIgnored); ++i) {
      sigaction(kIgnored[i], &previous_[i], nullptr);
    }
  }
  CallerIgnoresAndBlocksSignals(const CallerIgnoresAndBlocksSignals&) = delete;
  CallerIgnoresAndBlocksSignals& operator=(const CallerIgnoresAndBlocksSignals&) = delete;

 private:
  struct sigaction previous_[std::size(kIgnored)]{};
  sigset_t mask_{};
};

// The values of `field` ("SigIgn") in a text of /proc/PID/status files, as bit masks.
std::vector<unsigned long long> status_masks(const std::string& text, const std::string& field) {
  std::vector<unsigned long long> masks;
  for (const auto& line : lines(text)) {
    if (!line.starts_with(field + ":")) continue;
    masks.push_back(std::stoull(line.substr(field.size() + 1), nullptr, 16));
  }
  return masks;
}

unsigned long long bit_of(int sig) {
  return 1ULL << (sig - 1);
}

TEST_F(Isolation, SignalsAreDefaultAndUnblockedEvenWhenTheCallerIgnoresThem) {
  CliResult result;
  {
    const CallerIgnoresAndBlocksSignals caller;
    // pid 1 keeps what it inherited: it shows that the caller's state did reach the sandbox.
    result = run({}, {"/bin/cat", "/proc/1/status", "/proc/self/status"});
  }
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto ignored = status_masks(result.out, "SigIgn");
  const auto blocked = status_masks(result.out, "SigBlk");
  const auto handled = status_masks(result.out, "SigCgt");
  ASSERT_EQ(ignored.size(), 2u) << result.out;
  ASSERT_EQ(blocked.size(), 2u) << result.out;
  ASSERT_EQ(handled.size(), 2u) << result.out;
  for (int sig : CallerIgnoresAndBlocksSignals::kIgnored) {
    EXPECT_NE(ignored[0] & bit_of(sig), 0u)
        << "pid 1 does not ignore " << sig << ": proves nothing";
  }
  for (int sig : CallerIgnoresAndBlocksSignals::kBlocked) {
    EXPECT_NE(blocked[0] & bit_of(sig), 0u) << "pid 1 does not block " << sig << ": proves nothing";
  }
  // The job (cat): every signal at SIG_DFL, none blocked.
  EXPECT_EQ(ignored[1], 0u) << result.out;
  EXPECT_EQ(blocked[1], 0u) << result.out;
  EXPECT_EQ(handled[1], 0u) << result.out;
}

TEST_F(Isolation, OnlyLoopbackInItsNetworkNamespace) {
  const auto result = run_sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "lo\n");
}

TEST_F(Isolation, UsrIsReadOnly) {
  const auto result = run_sh("touch /usr/sandbox-probe; echo rc=$?");
  EXPECT_NE(result.out.find("rc=1"), std::string::npos) << result.out << result.err;
  EXPECT_NE(result.err.find("Read-only file system"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists("/usr/sandbox-probe"));
}

TEST_F(Isolation, TmpIsWritableAndPrivate) {
  const auto result = run_sh("echo hi > /tmp/probe && cat /tmp/probe && ls /tmp");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "hi\nprobe\n");
}

TEST_F(Isolation, OnlyStandardFileDescriptorsAreOpen) {
  // The test runner may hold extra fds; the sandbox binary inherits whatever we pass it. Give
  // it one on purpose (not close-on-exec): the job must still see only 0, 1 and 2.
  const int leaked = dup(STDERR_FILENO);  // dup() clears FD_CLOEXEC
  ASSERT_GE(leaked, 3);
  const auto result = run_sh("ls /proc/$$/fd");
  close(leaked);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "0\n1\n2\n");
}

TEST_F(Isolation, EnvironmentComesFromThePolicyOnly) {
  setenv("SANDBOX_TEST_SECRET", "leak", 1);
  const auto result = run_sh("env | sort");
  unsetenv("SANDBOX_TEST_SECRET");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find("SANDBOX_TEST_SECRET"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("HOME=/tmp\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("PATH=/usr/bin:/bin\n"), std::string::npos) << result.out;
}

TEST_F(Isolation, MinimalDev) {
  const auto result = run_sh(
      "ls /dev | tr '\\n' ' '; echo; head -c 4 /dev/zero | od -An -tx1; echo x > /dev/null && "
      "echo null-ok; readlink /dev/ptmx");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto out = lines(result.out);
  ASSERT_EQ(out.size(), 4u) << result.out;
  for (const char* name :
       {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "ptmx"}) {
    EXPECT_NE(out[0].find(name), std::string::npos) << name << " missing in " << out[0];
  }
  EXPECT_EQ(out[1], " 00 00 00 00");
  EXPECT_EQ(out[2], "null-ok");
  EXPECT_EQ(out[3], "pts/ptmx");
}

}  // namespace
}  // namespace sandbox::test
