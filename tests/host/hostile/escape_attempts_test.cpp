// Hostile jobs that try to break out of examples/untrusted.yaml: each attempt must be denied, and
// the denial must come from the layer meant to stop it (seccomp gives EPERM, masks EROFS, the
// pid and network namespaces make the target unreachable).
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostile_fixture.hpp"

namespace hostile {
namespace {

class EscapeAttempt : public HostileTest {
 protected:
  // Runs probe `name` in the sandbox and returns its results; the job itself must have run.
  std::map<std::string, std::string> probe(const std::string& name,
                                           const std::vector<std::string>& arguments = {}) {
    policy_.add_probe_binary();
    const RunResult result = run(probe_command(name, arguments));
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.job().value("status", ""), "exited") << result.describe();
    auto results = probe_results(result.out);
    EXPECT_FALSE(results.empty()) << "the probe printed nothing\n" << result.describe();
    return results;
  }
};

TEST_F(EscapeAttempt, CannotMount) {
  auto results = probe("mount");
  EXPECT_EQ(results["mount_tmpfs"], "EPERM");
  EXPECT_EQ(results["umount_proc"], "EPERM");
  EXPECT_EQ(results["fsopen"], "EPERM");
  EXPECT_EQ(results["pivot_root"], "EPERM");
}

TEST_F(EscapeAttempt, CannotLoadAModule) {
  auto results = probe("module");
  EXPECT_EQ(results["init_module"], "EPERM");
  EXPECT_EQ(results["finit_module"], "EPERM");
  EXPECT_EQ(results["delete_module"], "EPERM");
}

TEST_F(EscapeAttempt, CannotPtraceTheSupervisorOrPid1) {
  auto results = probe("ptrace", {"{supervisor}"});
  EXPECT_EQ(results["ptrace_pid1"], "EPERM");
  EXPECT_EQ(results["ptrace_parent"], "EPERM");
  EXPECT_EQ(results["ptrace_supervisor"], "EPERM");
  // The supervisor's host pid names no process in the job's pid namespace.
  EXPECT_EQ(results["kill_supervisor"], "ESRCH");
  EXPECT_EQ(results["process_vm_readv_pid1"], "EPERM");
  EXPECT_NE(results["open_proc_1_mem"], "OK");
  EXPECT_FALSE(results["open_proc_1_mem"].empty());
}

// A write that the kernel refused: by permission (the job's uid does not own the file and has no
// capability over it) or by the read-only mask; which comes first depends on the file.
bool refused(const std::string& result) {
  return result == "EACCES" || result == "EROFS";
}

TEST_F(EscapeAttempt, CannotTouchKernelSettings) {
  auto results = probe("kernel_settings");
  // Absent on kernels without magic SysRq; masked where it exists. Never writable.
  EXPECT_TRUE(refused(results["write_sysrq_trigger"]) || results["write_sysrq_trigger"] == "ENOENT")
      << results["write_sysrq_trigger"];
  EXPECT_TRUE(refused(results["write_sysctl_hostname"])) << results["write_sysctl_hostname"];
  EXPECT_TRUE(refused(results["write_drop_caches"])) << results["write_drop_caches"];
  EXPECT_TRUE(refused(results["write_proc_keys"])) << results["write_proc_keys"];
  EXPECT_EQ(results["sethostname"], "EPERM");
  // Readable by anyone on the host, so only the mask keeps host timers (with kernel addresses)
  // from the job.
  if (access("/proc/timer_list", R_OK) == 0) {
    EXPECT_EQ(results["timer_list_bytes"], "0");
  }
  EXPECT_EQ(results["proc_keys_bytes"], "0");
}

TEST_F(EscapeAttempt, CannotOpenARawSocket) {
  auto results = probe("raw_socket");
  EXPECT_EQ(results["inet_raw"], "EPERM");
  EXPECT_EQ(results["inet6_raw"], "EPERM");
  EXPECT_EQ(results["packet"], "EPERM");
}

TEST_F(EscapeAttempt, CannotRegainCapabilitiesThroughAUserNamespace) {
  auto results = probe("user_namespace");
  EXPECT_EQ(results["unshare_user"], "EPERM");
  EXPECT_EQ(results["clone_user"], "EPERM");
  EXPECT_EQ(results["unshare_user_mount"], "EPERM");
  EXPECT_EQ(results["i386_unshare_user"], "EPERM");
  EXPECT_EQ(results["clone3"], "ENOSYS");
  EXPECT_EQ(results["setns"], "EPERM");
  EXPECT_EQ(results["cap_eff"], "0000000000000000");
}

// A non-loopback IPv4 address of the host, or empty.
std::string host_address() {
  ifaddrs* addresses = nullptr;
  if (getifaddrs(&addresses) != 0) return "";
  std::string found;
  for (auto* each = addresses; each != nullptr && found.empty(); each = each->ifa_next) {
    if (each->ifa_addr == nullptr || each->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    const auto* address = reinterpret_cast<sockaddr_in*>(each->ifa_addr);
    inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
    if (std::string(text).rfind("127.", 0) != 0) found = text;
  }
  freeifaddrs(addresses);
  return found;
}

// A TCP listener on every host address, on a free port; closed at scope exit.
class HostListener {
 public:
  HostListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t length = sizeof address;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on the host");
    }
    port_ = ntohs(address.sin_port);
  }
  ~HostListener() {
    if (fd_ >= 0) close(fd_);
  }
  HostListener(const HostListener&) = delete;
  HostListener& operator=(const HostListener&) = delete;
  int port() const { return port_; }
  bool was_reached() const {
    const int connection = accept(fd_, nullptr, nullptr);
    if (connection >= 0) close(connection);
    return connection >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Connects from the host itself, to show that the listener is really reachable there.
bool host_connects(const std::string& address, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &target.sin_addr);
  const bool connected =
      fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0;
  if (fd >= 0) close(fd);
  return connected;
}

TEST_F(EscapeAttempt, CannotReachTheHostNetwork) {
  // A machine without an external address (a test VM) still has the loopback target.
  const std::string address = host_address();
  HostListener listener;
  ASSERT_TRUE(host_connects("127.0.0.1", listener.port()));
  ASSERT_TRUE(listener.was_reached());
  if (!address.empty()) {
    ASSERT_TRUE(host_connects(address, listener.port()));
    ASSERT_TRUE(listener.was_reached());
  }
  auto results =
      probe("network", {std::to_string(listener.port()), address.empty() ? "none" : address});
  EXPECT_EQ(results["connect_host_loopback"], "ENETUNREACH");
  if (!address.empty()) {
    EXPECT_EQ(results["connect_host_address"], "ENETUNREACH");
  }
  EXPECT_EQ(results["connect_internet"], "ENETUNREACH");
  EXPECT_EQ(results["interfaces"], "lo");
  EXPECT_FALSE(listener.was_reached()) << "a connection from the sandbox reached the host";
}

}  // namespace
}  // namespace hostile
