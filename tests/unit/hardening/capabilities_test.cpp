// drop_capabilities() against the real kernel, in forked children (root on the host, or root in a
// fresh user namespace as the sandbox runs it). Capability sets are read from /proc/self/status,
// which is what the kernel enforces, and exercised with calls that need a capability.
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "child_process.hpp"
#include "hardening.hpp"
#include "sandbox/sandbox.hpp"

namespace sandbox::hardening {
namespace {

using hardening_test::errno_name_of;
using hardening_test::run_in_child;

constexpr const char* no_caps = "0000000000000000";
constexpr const char* only_net_bind_service = "0000000000000400";  // bit 10
constexpr const char* only_net_raw = "0000000000002000";           // bit 13

std::map<std::string, std::string> status_fields(std::istream& status) {
  std::map<std::string, std::string> fields;
  std::string line;
  while (std::getline(status, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

// "Inh Prm Eff Bnd Amb" of the calling process.
std::string capability_sets() {
  std::ifstream file("/proc/self/status");
  auto fields = status_fields(file);
  return fields["CapInh"] + " " + fields["CapPrm"] + " " + fields["CapEff"] + " " +
         fields["CapBnd"] + " " + fields["CapAmb"];
}

std::string all_sets(const std::string& value) {
  return value + " " + value + " " + value + " " + value + " " + value;
}

void require_root() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (the suite runs as root on the test machine)";
}

TEST(Capabilities, DroppingAllClearsEverySet) {
  require_root();
  const auto outcome = run_in_child([] {
    const std::string before = capability_sets();
    drop_capabilities({});
    return before + " -> " + capability_sets();
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  const auto arrow = outcome.report.find(" -> ");
  ASSERT_NE(arrow, std::string::npos) << outcome.report;
  EXPECT_NE(outcome.report.substr(0, arrow), all_sets(no_caps))
      << "nothing to drop: proves nothing";
  EXPECT_EQ(outcome.report.substr(arrow + 4), all_sets(no_caps));
}

TEST(Capabilities, KeepingOneLeavesExactlyThatOneInEverySet) {
  require_root();
  for (const char* name : {"CAP_NET_BIND_SERVICE", "net_bind_service", "cap_net_bind_service"}) {
    const auto outcome = run_in_child([&] {
      drop_capabilities({name});
      return capability_sets();
    });
    ASSERT_TRUE(outcome.returned()) << name << ": " << outcome.describe();
    EXPECT_EQ(outcome.report, all_sets(only_net_bind_service)) << name;
  }
}

TEST(Capabilities, DroppedCapabilitiesAreReallyGone) {
  require_root();
  // A raw socket needs CAP_NET_RAW: it works before the drop and when kept, fails after.
  const auto raw_socket = [] {
    const int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    std::string result = errno_name_of(fd);
    if (fd >= 0) close(fd);
    return result;
  };
  const auto outcome = run_in_child([&] {
    const std::string before = raw_socket();
    drop_capabilities({});
    return before + " " + raw_socket();
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report, "OK EPERM");

  const auto kept = run_in_child([&] {
    drop_capabilities({"CAP_NET_RAW"});
    return capability_sets() + " " + raw_socket();
  });
  ASSERT_TRUE(kept.returned()) << kept.describe();
  EXPECT_EQ(kept.report, all_sets(only_net_raw) + " OK");
}

// In a child: become uid/gid 65534 keeping the permitted set (as the launch code must), drop to
// `keep`, then execve `cat /proc/self/status` and return what the new program has.
std::string status_after_execve_as_nobody(const std::vector<std::string>& keep) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return "PR_SET_KEEPCAPS failed";
  if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
      setresuid(65534, 65534, 65534) != 0) {
    return "cannot become nobody";
  }
  drop_capabilities(keep);
  set_no_new_privs();
  int output[2];
  if (pipe(output) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(output[1], STDOUT_FILENO);
    execl("/bin/cat", "cat", "/proc/self/status", nullptr);
    _exit(127);
  }
  close(output[1]);
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(output[0], buffer, sizeof buffer)) > 0) text.append(buffer, n);
  close(output[0]);
  waitpid(pid, nullptr, 0);
  std::istringstream status(text);
  auto fields = status_fields(status);
  return "uid " + fields["Uid"].substr(0, fields["Uid"].find('\t')) + " eff " + fields["CapEff"] +
         " prm " + fields["CapPrm"] + " bnd " + fields["CapBnd"] + " amb " + fields["CapAmb"];
}

TEST(Capabilities, KeptCapabilitySurvivesExecveAsNonRootThroughTheAmbientSet) {
  require_root();
  const auto kept =
      run_in_child([] { return status_after_execve_as_nobody({"NET_BIND_SERVICE"}); });
  ASSERT_TRUE(kept.returned()) << kept.describe();
  const std::string c = only_net_bind_service;
  EXPECT_EQ(kept.report, "uid 65534 eff " + c + " prm " + c + " bnd " + c + " amb " + c);

  const auto none = run_in_child([] { return status_after_execve_as_nobody({}); });
  ASSERT_TRUE(none.returned()) << none.describe();
  const std::string z = no_caps;
  EXPECT_EQ(none.report, "uid 65534 eff " + z + " prm " + z + " bnd " + z + " amb " + z);
}

TEST(Capabilities, KeptCapabilityWorksAfterDropping) {
  require_root();
  // Binding a port below 1024 needs CAP_NET_BIND_SERVICE once the process is not root. A private
  // network namespace keeps the port off the host.
  const auto bind_port_80 = [](const std::vector<std::string>& keep) {
    return run_in_child([&] {
      if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET) failed");
      if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setresuid(65534, 65534, 65534) != 0) {
        return std::string("cannot become nobody");
      }
      drop_capabilities(keep);
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(80);
      std::string result =
          errno_name_of(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address));
      close(fd);
      return result;
    });
  };
  const auto kept = bind_port_80({"CAP_NET_BIND_SERVICE"});
  ASSERT_TRUE(kept.returned()) << kept.describe();
  EXPECT_EQ(kept.report, "OK");
  const auto dropped = bind_port_80({});
  ASSERT_TRUE(dropped.returned()) << dropped.describe();
  EXPECT_EQ(dropped.report, "EACCES");
}

TEST(Capabilities, DropsInsideAFreshUserNamespace) {
  // The sandbox drops capabilities held in the job's own user namespace; no root needed here.
  const auto outcome = run_in_child([] {
    if (unshare(CLONE_NEWUSER) != 0) return "unshare(CLONE_NEWUSER): " + errno_name_of(-1);
    const std::string before = capability_sets();
    drop_capabilities({"CAP_NET_BIND_SERVICE"});
    return before + " -> " + capability_sets();
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  const auto arrow = outcome.report.find(" -> ");
  ASSERT_NE(arrow, std::string::npos) << outcome.report;
  EXPECT_NE(outcome.report.substr(0, arrow), all_sets(no_caps));
  EXPECT_EQ(outcome.report.substr(arrow + 4), all_sets(only_net_bind_service));
}

TEST(Capabilities, UnknownNameIsAClearErrorAndNothingIsDropped) {
  for (const char* name : {"CAP_NO_SUCH_THING", "12", "", "cap net raw"}) {
    const auto outcome = run_in_child([&] {
      const std::string before = capability_sets();
      try {
        drop_capabilities({"CAP_CHOWN", name});
        return std::string("no error");
      } catch (const sandbox::Error& error) {
        return std::to_string(error.code) + " " + error.what() +
               (capability_sets() == before ? " (unchanged)" : " (changed)");
      }
    });
    ASSERT_TRUE(outcome.returned()) << outcome.describe();
    EXPECT_EQ(outcome.report, std::to_string(exit_code::setup_failed) +
                                  " capabilities: unknown capability '" + name + "' (unchanged)");
  }
}

TEST(Capabilities, LosingThePermittedSetBeforeTheDropIsAClearError) {
  require_root();
  // A uid change without PR_SET_KEEPCAPS empties the permitted set; the bounding set can then not
  // be cleared, and that must not pass silently.
  const auto outcome = run_in_child([] {
    if (setresuid(65534, 65534, 65534) != 0) return std::string("cannot become nobody");
    try {
      drop_capabilities({});
      return std::string("no error");
    } catch (const sandbox::Error& error) {
      return std::string(error.what());
    }
  });
  ASSERT_TRUE(outcome.returned()) << outcome.describe();
  EXPECT_EQ(outcome.report,
            "capabilities: dropping CAP_CHOWN from the bounding set: Operation not permitted");
}

TEST(Capabilities, IsKnownCapability) {
  EXPECT_TRUE(is_known_capability("CAP_SYS_ADMIN"));
  EXPECT_TRUE(is_known_capability("sys_admin"));
  EXPECT_TRUE(is_known_capability("cap_net_bind_service"));
  EXPECT_TRUE(is_known_capability("Net_Raw"));
  EXPECT_FALSE(is_known_capability("CAP_NO_SUCH_THING"));
  EXPECT_FALSE(is_known_capability("21"));
  EXPECT_FALSE(is_known_capability(""));
  EXPECT_FALSE(is_known_capability("all"));
}

}  // namespace
}  // namespace sandbox::hardening
