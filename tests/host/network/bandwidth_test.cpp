// Bandwidth shares (issue 7) with real TCP traffic: iperf3 servers on the host side of the run's
// bridge, iperf3 clients in bridged jobs, all inside a network namespace the test made. HTB must
// split a 100 Mbit/s link 75/25 in both directions, lend an idle job's bandwidth to a busy one,
// and hold a job to its net_max even when it is alone.
#include <nlohmann/json.hpp>

#include "network_fixture.hpp"

namespace network_test {
namespace {

using sandbox::net::RunNetwork;
using json = nlohmann::json;

constexpr uint64_t link_bps = 100'000'000;
// Each measurement: one second of ramp-up left out, then this long.
constexpr int measure_seconds = 10;  // as issue 7 asks: both sending at once for 10 s

// An iperf3 server listening on address:port in the test's namespace.
class IperfServer {
 public:
  IperfServer(const std::string& address, uint16_t port)
      : child_([=] {
          return exec_program({"iperf3", "-s", "-B", address, "-p", std::to_string(port)},
                              "/dev/null");
        }) {
    if (!wait_for_listener(port)) throw std::runtime_error("iperf3 server did not start");
  }

 private:
  Child child_;
};

struct Measurement {
  double mbps = 0;      // what the receiving end got, per second
  uint64_t bytes = 0;   // what it got in total (after the omitted first second)
  std::string problem;  // why there is no measurement
};

Measurement read_iperf_report(const fs::path& path) {
  std::ifstream in(path);
  const json report = json::parse(in, nullptr, false);
  if (report.is_discarded()) return {0, 0, "no JSON report in " + path.string()};
  if (report.contains("error")) return {0, 0, report["error"].get<std::string>()};
  const json& received = report["end"]["sum_received"];
  return {received["bits_per_second"].get<double>() / 1e6, received["bytes"].get<uint64_t>(), ""};
}

// The machine's CPU time so far (/proc/stat, all CPUs), and how much of it the hypervisor gave to
// other guests (steal).
struct CpuTime {
  uint64_t steal = 0, total = 0;
  static CpuTime now() {
    std::ifstream stat("/proc/stat");
    std::string cpu;
    stat >> cpu;
    CpuTime time;
    // user nice system idle iowait irq softirq steal (guest time is counted in user already)
    for (int field = 0; field < 8 && stat; ++field) {
      uint64_t ticks = 0;
      stat >> ticks;
      time.total += ticks;
      if (field == 7) time.steal = ticks;
    }
    return time;
  }
};

class BandwidthTest : public NetnsTest {
 protected:
  // Starts one iperf3 client per job at once (uploading, or downloading when `reverse`), each
  // to its own server, and returns what each achieved, in job order.
  std::vector<Measurement> measure(RunNetwork& network, const std::vector<policies::Job>& jobs,
                                   bool reverse) {
    const std::string gateway = network.plan().gateway;
    std::vector<std::unique_ptr<IperfServer>> servers;
    std::vector<std::unique_ptr<JobProcess>> clients;
    std::vector<fs::path> reports;
    for (size_t i = 0; i < jobs.size(); ++i) {
      const uint16_t port = static_cast<uint16_t>(5201 + i);
      servers.push_back(std::make_unique<IperfServer>(gateway, port));
      reports.push_back(dir_.path / (jobs[i].name + ".json"));
      std::vector<std::string> argv = {"iperf3",
                                       "-c",
                                       gateway,
                                       "-p",
                                       std::to_string(port),
                                       "-t",
                                       std::to_string(measure_seconds),
                                       "-O",
                                       "1",
                                       "-J"};
      if (reverse) argv.push_back("-R");
      clients.push_back(std::make_unique<JobProcess>(
          jobs[i].settings.network,
          [argv, report = reports.back()] { return exec_program(argv, report); }));
    }
    std::vector<sandbox::net::JobLink> links;
    for (size_t i = 0; i < jobs.size(); ++i) {
      links.push_back(network.attach(jobs[i], clients[i]->pid()));
    }
    const CpuTime before = CpuTime::now();
    for (size_t i = 0; i < jobs.size(); ++i) clients[i]->release(links[i]);  // all start together
    std::vector<Measurement> results;
    for (size_t i = 0; i < jobs.size(); ++i) {
      const int code = clients[i]->wait(std::chrono::seconds(measure_seconds + 20));
      Measurement result = read_iperf_report(reports[i]);
      if (code != 0 && result.problem.empty()) {
        result.problem = "iperf3 client exited with " + std::to_string(code);
      }
      if (!result.problem.empty()) {
        std::ifstream raw(reports[i]);
        result.problem += "; iperf3 said: " + std::string(std::istreambuf_iterator<char>(raw), {});
      }
      EXPECT_EQ(result.problem, "") << jobs[i].name;
      std::printf("  %s %s: %.1f Mbit/s\n", jobs[i].name.c_str(), reverse ? "download" : "upload",
                  result.mbps);
      results.push_back(result);
    }
    const CpuTime after = CpuTime::now();
    steal_ = after.total > before.total
                 ? double(after.steal - before.steal) / double(after.total - before.total)
                 : 0;
    std::printf("  CPU steal time meanwhile: %.0f %%\n", 100 * steal_);
    return results;
  }

  // For a link-usage failure: a VM whose CPUs the hypervisor takes away for longer than an HTB
  // class's burst (60 ms, netlink_tc.cpp) loses that link time for good (measured: stalls of
  // 30-50 ms against bursts of 10 ms cost up to 7 % of the link at 25-45 % steal), so say how
  // much there was.
  std::string steal_note() const {
    char note[120];
    (void)std::snprintf(note, sizeof note, " (CPU steal time during the measurement: %.0f %%)",
                        100 * steal_);
    return note;
  }

  // Checks a two-job split against the requested fraction for the first job.
  void expect_split(const std::vector<Measurement>& got, double first_fraction) {
    ASSERT_EQ(got.size(), 2u);
    const double sum = got[0].mbps + got[1].mbps;
    ASSERT_GT(sum, 0);
    const double fraction = got[0].mbps / sum;
    EXPECT_NEAR(fraction, first_fraction, 0.05)
        << "achieved " << got[0].mbps << " and " << got[1].mbps << " Mbit/s";
    EXPECT_NEAR(sum, link_bps / 1e6, 0.10 * link_bps / 1e6)
        << "the link is not used in full" << steal_note();
  }

  TempDir dir_;
  double steal_ = 0;  // of the last measure()
};

std::vector<policies::Job> jobs_75_25(std::optional<uint64_t> net_max_of_second = std::nullopt) {
  return {bridged_job("heavy", 75, link_bps),
          bridged_job("light", 25, link_bps, net_max_of_second)};
}

TEST_F(BandwidthTest, UploadSplits75To25) {
  const auto jobs = jobs_75_25();
  auto network = RunNetwork::create(policy_of(jobs), "run-upload");
  ASSERT_NE(network, nullptr);
  const auto got = measure(*network, jobs, /*reverse=*/false);
  expect_split(got, 0.75);
  // Accounting: what each job sent passed through its upstream class.
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto traffic = network->traffic(jobs[i].name);
    EXPECT_GE(traffic.tx_bytes, got[i].bytes) << jobs[i].name;
    EXPECT_LT(traffic.rx_bytes, traffic.tx_bytes / 10) << jobs[i].name << " mostly received acks";
  }
}

TEST_F(BandwidthTest, DownloadSplits75To25) {
  const auto jobs = jobs_75_25();
  auto network = RunNetwork::create(policy_of(jobs), "run-download");
  ASSERT_NE(network, nullptr);
  const auto got = measure(*network, jobs, /*reverse=*/true);
  expect_split(got, 0.75);
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_GE(network->traffic(jobs[i].name).rx_bytes, got[i].bytes) << jobs[i].name;
  }
}

TEST_F(BandwidthTest, LoneJobBorrowsTheWholeLink) {
  // The light job alone: the heavy one's idle 75 % is lent to it, up and down.
  const auto jobs = jobs_75_25();
  for (const bool reverse : {false, true}) {
    auto network = RunNetwork::create(policy_of(jobs), reverse ? "run-alone-down" : "run-alone-up");
    ASSERT_NE(network, nullptr);
    const auto got = measure(*network, {jobs[1]}, reverse);
    EXPECT_GT(got[0].mbps, 0.90 * link_bps / 1e6)
        << (reverse ? "download" : "upload") << steal_note();
    EXPECT_LT(got[0].mbps, 1.02 * link_bps / 1e6) << (reverse ? "download" : "upload");
  }
}

TEST_F(BandwidthTest, NetMaxCapsAJobEvenAlone) {
  constexpr double cap_mbps = 20;
  const auto jobs = jobs_75_25(static_cast<uint64_t>(cap_mbps * 1e6));
  for (const bool reverse : {false, true}) {
    auto network = RunNetwork::create(policy_of(jobs), reverse ? "run-cap-down" : "run-cap-up");
    ASSERT_NE(network, nullptr);
    const auto got = measure(*network, {jobs[1]}, reverse);
    EXPECT_LT(got[0].mbps, 1.02 * cap_mbps) << (reverse ? "download" : "upload");
    EXPECT_GT(got[0].mbps, 0.85 * cap_mbps) << (reverse ? "download" : "upload");
  }
}

TEST_F(BandwidthTest, TenantsSplitTheLinkThenTheirJobsSplitTheTenantsPart) {
  // Tenant ci (50) holds a (75) and b (25); job c (50) has no tenant: 37.5 / 12.5 / 50 %.
  auto a = bridged_job("a", 75, link_bps), b = bridged_job("b", 25, link_bps);
  a.tenant = b.tenant = "ci";
  const auto c = bridged_job("c", 50, link_bps);
  auto policy = policy_of({a, b, c});
  policies::Tenant ci;
  ci.name = "ci";
  ci.shares.net = 50;
  policy.tenants = {ci};
  auto network = RunNetwork::create(policy, "run-tenants");
  ASSERT_NE(network, nullptr);
  const auto got = measure(*network, policy.jobs, /*reverse=*/false);
  ASSERT_EQ(got.size(), 3u);
  const double sum = got[0].mbps + got[1].mbps + got[2].mbps;
  ASSERT_GT(sum, 0);
  EXPECT_NEAR(got[0].mbps / sum, 0.375, 0.05);
  EXPECT_NEAR(got[1].mbps / sum, 0.125, 0.05);
  EXPECT_NEAR(got[2].mbps / sum, 0.5, 0.05);
  EXPECT_NEAR(sum, link_bps / 1e6, 0.10 * link_bps / 1e6)
      << "the link is not used in full" << steal_note();
}

}  // namespace
}  // namespace network_test
