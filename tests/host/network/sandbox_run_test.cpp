// End to end through the `sandbox` binary: a bridged policy with net shares 75/25 on a 100 Mbit/s
// link, both jobs uploading to iperf3 servers on the host side at once. Run from inside a network
// namespace the test made, so the run's bridge and all traffic stay there.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cgroup/cgroup.hpp"
#include "network_fixture.hpp"

namespace network_test {
namespace {

using json = nlohmann::json;

// The start of a policy whose jobs see the host's programs (iperf3, sh, sleep) and write to
// `out` as /out.
std::string policy_head(const std::string& name, const fs::path& out) {
  const std::string head = "version: 1\nname: " + name + "\n";
  return head + R"(defaults:
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
      - {bind: )" +
         out.string() + ", to: /out, readonly: false}\n  env: {PATH: /usr/bin:/bin}\n";
}

class SandboxRunTest : public NetnsTest {
 protected:
  // Starts `sandbox run -p policy --report report`; its output goes to `dir/output.txt`.
  std::unique_ptr<Child> start_sandbox(const fs::path& policy) {
    return std::make_unique<Child>([policy, this] {
      return exec_program({SANDBOX_BINARY, "run", "-p", policy, "--report", report_path()},
                          output_path());
    });
  }
  fs::path output_path() const { return dir_.path / "output.txt"; }
  // A policy file: policy_head() with /out bound to out_path(), then `rest`.
  fs::path write_policy(const std::string& name, const std::string& rest) {
    fs::create_directories(out_path());
    chmod(out_path().c_str(), 0777);  // the jobs write as an unprivileged user
    const fs::path policy = dir_.path / (name + ".yaml");
    std::ofstream(policy) << policy_head(name, out_path()) << rest;
    return policy;
  }
  fs::path out_path() const { return dir_.path / "out"; }
  fs::path report_path() const { return dir_.path / "report.json"; }

  // Runs `sandbox run -p policy --report report` and returns its exit code (-1: killed after
  // `limit`).
  int run_sandbox(const fs::path& policy, std::chrono::seconds limit) {
    return finish(*start_sandbox(policy), limit);
  }
  // Waits for a started sandbox; reads its output and report.
  int finish(Child& sandbox, std::chrono::seconds limit) {
    const int code = sandbox.wait(limit);
    const fs::path output = output_path(), report = report_path();
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
  if (report.is_discarded()) return -1;
  // A failed client's report has an empty "end": read the value only where it is.
  return report.value("/end/sum_received/bits_per_second"_json_pointer, -1e6) / 1e6;
}

TEST_F(SandboxRunTest, BridgedPolicySharesTheLink75To25) {
  const fs::path out = out_path();
  const fs::path policy = write_policy("net-e2e", R"(  limits: {wall_time: 40s}
  network: {mode: bridged, link: {rate: 100mbit}}
jobs:
  - name: heavy
    command: [sh, -c, "iperf3 -c 10.203.0.1 -p 5201 -t 10 -O 1 -J > /out/heavy.json"]
    shares: {net: 75}
  - name: light
    command: [sh, -c, "iperf3 -c 10.203.0.1 -p 5202 -t 10 -O 1 -J > /out/light.json"]
    shares: {net: 25}
)");
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

// The relay process a run forked: the child of `sandbox` named sandbox-ports.
pid_t relay_of(pid_t sandbox) {
  const std::string tasks = "/proc/" + std::to_string(sandbox) + "/task";
  std::error_code error;
  for (const auto& task : fs::directory_iterator(tasks, error)) {
    std::ifstream children(task.path() / "children");
    for (pid_t pid = 0; children >> pid;) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      if (std::getline(comm, name) && name == "sandbox-ports") return pid;
    }
  }
  return -1;
}

// True while `pid` exists and is not a zombie.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto state = line.find(") ");
  return state != std::string::npos && line[state + 2] != 'Z';
}

TEST_F(SandboxRunTest, ForwardedPortCarriesTrafficToTheJob) {
  const fs::path policy = write_policy("net-ports", R"(  limits: {wall_time: 30s}
  network: {mode: bridged}
jobs:
  - name: server
    command: [iperf3, -s, -1, -p, "5201"]
    network: {ports: [{host: 18090, job: 5201}]}
)");
  const auto sandbox = start_sandbox(policy);
  ASSERT_TRUE(wait_for_listener(18090)) << "the forwarded port does not listen";
  // Until the server inside listens, the relay resets connections: try again a few times.
  const fs::path client_report = dir_.path / "client.json";
  double mbps = -1;
  for (int attempt = 0; attempt < 20 && mbps <= 0; ++attempt) {
    Child client([&] {
      return exec_program({"iperf3", "-c", "127.0.0.1", "-p", "18090", "-t", "2", "-J"},
                          client_report);
    });
    if (client.wait(std::chrono::seconds(20)) == 0) mbps = received_mbps(client_report);
    if (mbps <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_GT(mbps, 0) << "iperf3 never got through the forwarded port";
  std::printf("  through the forwarded port: %.0f Mbit/s\n", mbps);
  ASSERT_EQ(finish(*sandbox, std::chrono::seconds(40)), 0) << output_;
  ASSERT_FALSE(report_.is_discarded()) << output_;
  EXPECT_GT(report_["jobs"][0].value("net_rx_bytes", uint64_t{0}), uint64_t{1'000'000})
      << report_.dump();
  EXPECT_EQ(tcp_connect("127.0.0.1", 18090), ECONNREFUSED) << "the port outlived the run";
}

TEST_F(SandboxRunTest, PortInUseStopsTheRunWithItsOwnExitCode) {
  const fs::path policy = write_policy("net-taken", R"(  network: {mode: bridged}
jobs:
  - name: web
    command: [touch, /out/ran]
    network: {ports: [{host: 18092, job: 80}]}
)");
  const Fd taken = tcp_listen("127.0.0.1", 18092);
  const auto before = link_names();
  EXPECT_EQ(run_sandbox(policy, std::chrono::seconds(30)), sandbox::exit_code::resource_busy)
      << output_;
  EXPECT_NE(output_.find("host port 18092/tcp"), std::string::npos) << output_;
  EXPECT_NE(output_.find("already in use"), std::string::npos) << output_;
  EXPECT_FALSE(fs::exists(out_path() / "ran")) << "the job ran although its port was taken";
  EXPECT_EQ(link_names(), before);
}

TEST_F(SandboxRunTest, SigkilledRunLeavesNoRelayAndNoListener) {
  const fs::path policy = write_policy("net-killed", R"(  limits: {wall_time: 60s}
  network: {mode: bridged}
jobs:
  - name: idle
    command: [sleep, "60"]
    network: {ports: [{host: 18093, job: 80}]}
)");
  // A SIGKILLed run's job dies with it (parent-death signal) but its cgroups stay until
  // collected: collect them however this test ends, after `sandbox` below is killed and reaped.
  struct CollectStaleCgroups {
    ~CollectStaleCgroups() {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      cgroup::collect_stale(cgroup::detect());
    }
  } collect_at_exit;
  auto sandbox = start_sandbox(policy);
  ASSERT_TRUE(wait_for_listener(18093)) << "the forwarded port does not listen";
  // The ports are bound before the relay is forked: it may not be there yet when they listen
  // (seen under an emulated CPU).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  pid_t relay = relay_of(sandbox->pid());
  while (relay <= 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    relay = relay_of(sandbox->pid());
  }
  ASSERT_GT(relay, 0) << "no sandbox-ports child of the sandbox";
  kill(sandbox->pid(), SIGKILL);
  sandbox->wait();
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (alive(relay) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(alive(relay)) << "the relay outlived its SIGKILLed sandbox";
  EXPECT_EQ(tcp_connect("127.0.0.1", 18093), ECONNREFUSED) << "the port outlived the sandbox";
}

}  // namespace
}  // namespace network_test
