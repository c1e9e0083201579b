// The report's network fields for bridged jobs: bytes moved, and the requested and achieved
// shares of the link (the shaping itself is the network suite's subject).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime_fixture.hpp"

namespace sandbox::test {
namespace {

// An iperf3 server on the host side of the run's bridge (in the test's network namespace), for one
// client, killed with the test.
class IperfServer {
 public:
  explicit IperfServer(int port) {
    pid_ = fork();
    if (pid_ == 0) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      const std::string p = std::to_string(port);
      execl("/usr/bin/iperf3", "iperf3", "-s", "-1", "-p", p.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~IperfServer() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  IperfServer(const IperfServer&) = delete;
  IperfServer& operator=(const IperfServer&) = delete;

 private:
  pid_t pid_ = -1;
};

// Runs each test in a network namespace of its own, so the run's bridge, the iperf3 servers and
// all traffic stay there and never touch the machine's interfaces; returns to ours afterwards.
class NetworkReport : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(original_, 0) << "cannot open our network namespace: " << std::strerror(errno);
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    entered_ = true;
  }
  void TearDown() override {
    if (entered_) {
      EXPECT_EQ(setns(original_, CLONE_NEWNET), 0) << "cannot return to our namespace";
    }
    if (original_ >= 0) close(original_);
  }

 private:
  int original_ = -1;
  bool entered_ = false;
};

TEST_F(NetworkReport, BridgedJobsReportTrafficAndShares) {
  if (access("/usr/bin/iperf3", X_OK) != 0) GTEST_SKIP() << "iperf3 missing: scripts/install-deps";
  const IperfServer heavy_server(5311), light_server(5312);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let them listen
  PolicyText policy;
  policy.name = "netreport";
  policy.extra_defaults =
      "  network: {mode: bridged, subnet: 10.213.7.0/24, link: {rate: 20mbit}}\n"
      "  limits: {wall_time: 30s}\n";
  policy.jobs =
      "jobs:\n"
      "  - name: heavy\n"
      "    command: [iperf3, -c, 10.213.7.1, -p, '5311', -t, '3']\n"
      "    shares: {net: 75}\n"
      "  - name: light\n"
      "    command: [iperf3, -c, 10.213.7.1, -p, '5312', -t, '3']\n"
      "    shares: {net: 25}\n";
  const auto report = dir_ / "report.json";
  const auto result = run(policy, {}, {"--report", report.string()}, "", std::chrono::seconds(60));
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  std::ifstream in(report);
  const auto json = nlohmann::json::parse(in);
  const auto& heavy = json.at("jobs").at(0);
  const auto& light = json.at("jobs").at(1);
  // Three seconds at a share of a 20 Mbit/s link: megabytes, not bytes.
  EXPECT_GT(heavy.at("net_tx_bytes").get<uint64_t>(), 1'000'000u) << heavy.dump(2);
  EXPECT_GT(light.at("net_tx_bytes").get<uint64_t>(), 300'000u) << light.dump(2);
  EXPECT_GT(heavy.at("net_rx_bytes").get<uint64_t>(), 0u);
  EXPECT_NEAR(heavy.at("net_share_requested").get<double>(), 0.75, 1e-6);
  EXPECT_NEAR(light.at("net_share_requested").get<double>(), 0.25, 1e-6);
  EXPECT_NEAR(heavy.at("net_share_achieved").get<double>(), 0.75, 0.1) << heavy.dump(2);
  EXPECT_NEAR(light.at("net_share_achieved").get<double>(), 0.25, 0.1) << light.dump(2);
}

}  // namespace
}  // namespace sandbox::test
