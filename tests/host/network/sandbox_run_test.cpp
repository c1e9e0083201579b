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

double received_mbps(const fs::path& path) {
  std::ifstream in(path);
  const json report = json::parse(in, nullptr, false);
  if (report.is_discarded()) return -1;
  // A failed client's report has an empty "end": read the value only where it is.
  return report.value("/end/sum_received/bits_per_second"_json_pointer, -1e6) / 1e6;
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
    fs::path policy = dir_.path / (name + ".yaml");
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

  // Starts a run of one bridged job "server" running `command` (iperf3 servers on port 5201),
  // with `ports` as its network.ports; nullptr (the run killed) when host port `port` does not
  // listen.
  std::unique_ptr<Child> start_iperf_job(const std::string& name, const std::string& command,
                                         const std::string& ports, uint16_t port) {
    const std::string job =
        "  - name: server\n    command: " + command + "\n    network: {ports: " + ports + "}\n";
    const fs::path policy =
        write_policy(name, "  limits: {wall_time: 30s}\n  network: {mode: bridged}\njobs:\n" + job);
    auto sandbox = start_sandbox(policy);
    return wait_for_listener(port) ? std::move(sandbox) : nullptr;
  }

  // An iperf3 client from the test's namespace to a forwarded port on 127.0.0.1, with `args`
  // (-t, -u); its JSON report, discarded when it never got through. Until the server inside
  // listens, the relay resets connections: it tries again a few times, counting the failures.
  json iperf_through(uint16_t port, const std::vector<std::string>& args, int* failed = nullptr) {
    const fs::path client_report = dir_.path / "client.json";
    std::vector<std::string> argv{"iperf3", "-c", "127.0.0.1", "-p", std::to_string(port), "-J"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (int attempt = 0; attempt < 20; ++attempt) {
      Child client([&] { return exec_program(argv, client_report); });
      if (client.wait(std::chrono::seconds(20)) == 0) {
        std::ifstream in(client_report);
        json report = json::parse(in, nullptr, false);
        // TCP reports what the server received in sum_received, UDP in sum (with its losses).
        if (!report.is_discarded() &&
            (report.value("/end/sum_received/bytes"_json_pointer, uint64_t{0}) > 0 ||
             report.value("/end/sum/bytes"_json_pointer, uint64_t{0}) > 0)) {
          return report;
        }
      }
      if (failed != nullptr) ++*failed;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return json(json::value_t::discarded);
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

// True while `pid` exists and is not a zombie.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto state = line.find(") ");
  return state != std::string::npos && line[state + 2] != 'Z';
}

TEST_F(SandboxRunTest, ForwardedPortCarriesTrafficToTheJob) {
  const auto sandbox = start_iperf_job("net-ports", R"([iperf3, -s, -1, -p, "5201"])",
                                       "[{host: 18090, job: 5201}]", 18090);
  ASSERT_NE(sandbox, nullptr) << "the forwarded port does not listen";
  const json client = iperf_through(18090, {"-t", "2"});
  ASSERT_FALSE(client.is_discarded()) << "iperf3 never got through the forwarded port";
  const double mbps = client["end"]["sum_received"]["bits_per_second"].get<double>() / 1e6;
  std::printf("  through the forwarded port: %.0f Mbit/s\n", mbps);
  ASSERT_EQ(finish(*sandbox, std::chrono::seconds(40)), 0) << output_;
  ASSERT_FALSE(report_.is_discarded()) << output_;
  EXPECT_GT(report_["jobs"][0].value("net_rx_bytes", uint64_t{0}), uint64_t{1'000'000})
      << report_.dump();
  EXPECT_EQ(tcp_connect("127.0.0.1", 18090), ECONNREFUSED) << "the port outlived the run";
}

TEST_F(SandboxRunTest, ReportListsEachForwardWithWhatItCarried) {
  // Host port 18094 is forwarded to the job's port 5201 for TCP and for UDP; the job serves one
  // iperf3 test over TCP (a control and a data connection), then one over UDP (a TCP control
  // connection, UDP data).
  const auto sandbox =
      start_iperf_job("net-report", R"([sh, -c, "iperf3 -s -1 -p 5201 && iperf3 -s -1 -p 5201"])",
                      "[{host: 18094, job: 5201}, {host: 18094, job: 5201, protocol: udp}]", 18094);
  ASSERT_NE(sandbox, nullptr) << "the forwarded port does not listen";
  int failed = 0;  // attempts while no server listened: one connection each, reset by the relay
  const json tcp_test = iperf_through(18094, {"-t", "1"}, &failed);
  ASSERT_FALSE(tcp_test.is_discarded()) << "iperf3 never got through the forwarded port";
  const json udp_test = iperf_through(18094, {"-u", "-b", "10M", "-t", "1"}, &failed);
  ASSERT_FALSE(udp_test.is_discarded()) << "iperf3 -u never got through the forwarded ports";
  ASSERT_EQ(finish(*sandbox, std::chrono::seconds(40)), 0) << output_;
  ASSERT_FALSE(report_.is_discarded()) << output_;
  ASSERT_TRUE(report_.contains("network")) << report_.dump();
  const json& network = report_["network"];
  EXPECT_EQ(network.value("bridge", "").rfind("sb", 0), 0u) << network.dump();
  EXPECT_EQ(network["subnet"], "10.203.0.0/24");
  EXPECT_EQ(network["gateway"], "10.203.0.1");
  ASSERT_EQ(network["forwards"].size(), 2u) << network.dump();
  for (const json& forward : network["forwards"]) {
    EXPECT_EQ(forward["job"], "server");
    EXPECT_EQ(forward["host_address"], "127.0.0.1");
    EXPECT_EQ(forward["host_port"], 18094);
    EXPECT_EQ(forward["job_address"], "10.203.0.2");
    EXPECT_EQ(forward["job_port"], 5201);
  }
  const json& tcp = network["forwards"][0];
  EXPECT_EQ(tcp["protocol"], "tcp");
  EXPECT_EQ(tcp["connections"], 3) << tcp.dump();
  EXPECT_EQ(tcp["rejected"], failed) << tcp.dump();
  // At least what the server received, at most what the client sent, plus iperf3's control
  // messages (a few kilobytes of JSON, both tests').
  const auto tcp_sent = tcp_test["end"]["sum_sent"]["bytes"].get<uint64_t>();
  const auto tcp_received = tcp_test["end"]["sum_received"]["bytes"].get<uint64_t>();
  const auto to_job = tcp.value("bytes_to_job", uint64_t{0});
  EXPECT_GE(to_job, tcp_received) << tcp.dump();
  EXPECT_LE(to_job, tcp_sent + uint64_t{64} * 1024) << tcp.dump() << " sent " << tcp_sent;
  EXPECT_GT(tcp.value("bytes_from_job", uint64_t{0}), 0u) << tcp.dump();
  EXPECT_LT(tcp.value("bytes_from_job", uint64_t{0}), 64u * 1024) << tcp.dump();
  // What the relay delivered crossed the job's interface (with headers on top).
  EXPECT_GE(report_["jobs"][0].value("net_rx_bytes", uint64_t{0}), tcp_received);

  const json& udp = network["forwards"][1];
  EXPECT_EQ(udp["protocol"], "udp");
  EXPECT_EQ(udp["connections"], 1) << udp.dump();  // one client address, one session
  EXPECT_EQ(udp["rejected"], 0);
  // The datagrams that arrived (iperf3 counts losses by sequence number) and the client's
  // 4-byte hello at least, what the client sent at most; the server's 4-byte reply back.
  const json& sum = udp_test["end"]["sum"];
  const auto udp_sent = sum["bytes"].get<uint64_t>();
  const auto packets = sum["packets"].get<uint64_t>(), lost = sum["lost_packets"].get<uint64_t>();
  ASSERT_GT(packets, 0u) << sum.dump();
  const auto udp_arrived = udp_sent / packets * (packets - std::min(lost, packets));
  EXPECT_GE(udp.value("bytes_to_job", uint64_t{0}), udp_arrived + 4) << udp.dump() << sum.dump();
  EXPECT_LE(udp.value("bytes_to_job", uint64_t{0}), udp_sent + 64) << udp.dump() << sum.dump();
  EXPECT_GE(udp.value("bytes_from_job", uint64_t{0}), 4u) << udp.dump();
  EXPECT_LT(udp.value("bytes_from_job", uint64_t{0}), 1024u) << udp.dump();
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
