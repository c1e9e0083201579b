// End to end through the `sandbox` binary: a bridged policy with net shares 75/25 on a 100 Mbit/s
// link, both jobs uploading to iperf3 servers on the host side at once. Run from inside a network
// namespace the test made, so the run's bridge and all traffic stay there.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "network_fixture.hpp"

namespace network_test {
namespace {

using json = nlohmann::json;

class SandboxRunTest : public NetnsTest {
 protected:
  // Runs `sandbox run -p policy --report report` and returns its exit code (-1: killed after
  // `limit`); its output goes to `dir/output.txt`.
  int run_sandbox(const fs::path& policy, std::chrono::seconds limit) {
    const fs::path output = dir_.path / "output.txt", report = dir_.path / "report.json";
    Child sandbox([&] {
      return exec_program({SANDBOX_BINARY, "run", "-p", policy, "--report", report}, output);
    });
    const int code = sandbox.wait(limit);
    std::ifstream out(output);
    output_.assign(std::istreambuf_iterator<char>(out), {});
    std::ifstream in(report);
    report_ = json::parse(in, nullptr, false);
    return code;
  }

  // An iperf3 server on every address of the test's namespace (the run's bridge comes later).
  static std::unique_ptr<Child> iperf_server(uint16_t port) {
    auto server = std::make_unique<Child>([port] {
      return exec_program({"iperf3", "-s", "-p", std::to_string(port)}, "/dev/null");
    });
    if (!wait_for_listener(port)) throw std::runtime_error("iperf3 server did not start");
    return server;
  }

  TempDir dir_;
  std::string output_;
  json report_;
};

double received_mbps(const fs::path& path) {
  std::ifstream in(path);
  const json report = json::parse(in, nullptr, false);
  if (report.is_discarded() || !report.contains("end")) return -1;
  return report["end"]["sum_received"]["bits_per_second"].get<double>() / 1e6;
}

TEST_F(SandboxRunTest, BridgedPolicySharesTheLink75To25) {
  const fs::path out = dir_.path / "out";
  fs::create_directory(out);
  chmod(out.c_str(), 0777);  // the jobs write as an unprivileged user
  const fs::path policy = dir_.path / "bridged.yaml";
  std::ofstream(policy) << R"(version: 1
name: net-e2e
defaults:
  filesystem:
    root: tmpfs
    mounts:
      - {bind: /usr}
      - {bind: /bin, optional: true}
      - {bind: /lib, optional: true}
      - {bind: /lib64, optional: true}
      - {bind: /etc}
      - {bind: /dev/urandom, nodev: false}   # iperf3 reads it
      - {tmpfs: /tmp, size: 16MiB}
      - {bind: )" << out.string()
                        << R"(, to: /out, readonly: false}
  env: {PATH: /usr/bin:/bin}
  limits: {wall_time: 40s}
  network: {mode: bridged, link: {rate: 100mbit}}
jobs:
  - name: heavy
    command: [sh, -c, "iperf3 -c 10.203.0.1 -p 5201 -t 6 -O 1 -J > /out/heavy.json"]
    shares: {net: 75}
  - name: light
    command: [sh, -c, "iperf3 -c 10.203.0.1 -p 5202 -t 6 -O 1 -J > /out/light.json"]
    shares: {net: 25}
)";
  const auto before = link_names();
  const auto heavy_server = iperf_server(5201);
  const auto light_server = iperf_server(5202);

  ASSERT_EQ(run_sandbox(policy, std::chrono::seconds(60)), 0) << output_;
  const double heavy = received_mbps(out / "heavy.json");
  const double light = received_mbps(out / "light.json");
  ASSERT_GT(heavy, 0) << output_;
  ASSERT_GT(light, 0) << output_;
  std::printf("  heavy %.1f Mbit/s, light %.1f Mbit/s\n", heavy, light);
  EXPECT_NEAR(heavy / (heavy + light), 0.75, 0.05);
  EXPECT_NEAR(heavy + light, 100, 10);
  ASSERT_FALSE(report_.is_discarded()) << output_;
  EXPECT_EQ(report_["exit_code"], 0);
  // The report's view of the same run: requested and achieved shares, and the bytes moved.
  for (const auto& job : report_["jobs"]) {
    const double requested = job["name"] == "heavy" ? 0.75 : 0.25;
    EXPECT_DOUBLE_EQ(job.value("net_share_requested", -1.0), requested) << job.dump();
    EXPECT_NEAR(job.value("net_share_achieved", -1.0), requested, 0.05) << job.dump();
    EXPECT_GT(job.value("net_tx_bytes", uint64_t{0}), uint64_t{1'000'000}) << job.dump();
  }
  // The run took its bridge, IFB and veth pairs with it.
  EXPECT_EQ(link_names(), before);
}

}  // namespace
}  // namespace network_test
