#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sandbox/sandbox.hpp"

namespace sandbox {
namespace {

TEST(Report, RunFieldsAndOptionalJobFields) {
  RunReport report;
  report.policy = "farm";
  report.cgroup_layout = "hybrid";
  report.exit_code = 0;
  report.wall_seconds = 1.5;
  JobReport job;
  job.name = "ci";
  job.command = {"make", "-j2"};
  job.status = "exited";
  job.exit_code = 0;
  job.namespaces = {"user", "pid"};
  job.cgroup = "/sb-1-2-farm/ci";
  job.cpu_share_requested = 0.75;
  job.cpu_share_achieved = 0.74;
  job.usage = JobReport::Cgroup{};
  job.usage->cpu_usage_us = 1234;
  report.jobs.push_back(job);

  const auto json = nlohmann::json::parse(to_json(report));
  EXPECT_EQ(json.at("policy"), "farm");
  EXPECT_EQ(json.at("cgroup_layout"), "hybrid");
  EXPECT_EQ(json.at("exit_code"), 0);
  const auto& out = json.at("jobs").at(0);
  EXPECT_EQ(out.at("name"), "ci");
  EXPECT_EQ(out.at("command"), nlohmann::json({"make", "-j2"}));
  EXPECT_EQ(out.at("status"), "exited");
  EXPECT_EQ(out.at("exit_code"), 0);
  EXPECT_DOUBLE_EQ(out.at("cpu_share_requested").get<double>(), 0.75);
  EXPECT_EQ(out.at("usage").at("cpu_usage_us"), 1234);
  // Absent values are left out, not null.
  EXPECT_FALSE(out.contains("signal"));
  EXPECT_FALSE(out.contains("error"));
  EXPECT_FALSE(out.contains("net_tx_bytes"));
}

TEST(Report, SignalAndErrorWhenSet) {
  RunReport report;
  JobReport job;
  job.status = "signaled";
  job.signal = 9;
  job.error = "";
  report.jobs.push_back(job);
  JobReport failed;
  failed.status = "setup_failed";
  failed.exit_code = 125;
  failed.error = "mount /data: source /x does not exist";
  report.jobs.push_back(failed);
  const auto json = nlohmann::json::parse(to_json(report, -1));
  EXPECT_EQ(json.at("jobs").at(0).at("signal"), 9);
  EXPECT_FALSE(json.at("jobs").at(0).contains("exit_code"));
  EXPECT_EQ(json.at("jobs").at(1).at("error"), "mount /data: source /x does not exist");
}

TEST(Report, TenantsWithTheirSharesOnlyWhenThePolicyHasTenants) {
  RunReport report;
  report.jobs.push_back(JobReport{});
  EXPECT_FALSE(nlohmann::json::parse(to_json(report)).contains("tenants"));
  report.tenants.push_back({"ci", 0.75, 0.7412});
  report.tenants.push_back({"batch", 0.25, std::nullopt});
  const auto tenants = nlohmann::json::parse(to_json(report)).at("tenants");
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants.at(0).at("name"), "ci");
  EXPECT_DOUBLE_EQ(tenants.at(0).at("cpu_share_requested").get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(tenants.at(0).at("cpu_share_achieved").get<double>(), 0.7412);
  EXPECT_FALSE(tenants.at(1).contains("cpu_share_achieved"));  // never ran together: left out
}

TEST(Report, NetworkWithItsForwardsOnlyWhenAJobIsBridged) {
  RunReport report;
  report.jobs.push_back(JobReport{});
  EXPECT_FALSE(nlohmann::json::parse(to_json(report)).contains("network"));
  report.network = NetworkReport{"sb0a1b2c3d", "10.203.0.0/24", "10.203.0.1", {}};
  report.network->forwards.push_back(
      {"web", "tcp", "127.0.0.1", 8080, "10.203.0.2", 80, 3, 1, 1000, 2000});
  const auto network = nlohmann::json::parse(to_json(report)).at("network");
  EXPECT_EQ(network.at("bridge"), "sb0a1b2c3d");
  EXPECT_EQ(network.at("subnet"), "10.203.0.0/24");
  EXPECT_EQ(network.at("gateway"), "10.203.0.1");
  ASSERT_EQ(network.at("forwards").size(), 1u);
  EXPECT_EQ(network.at("forwards").at(0),
            nlohmann::json::parse(R"({"job": "web", "protocol": "tcp", "host_address": "127.0.0.1",
              "host_port": 8080, "job_address": "10.203.0.2", "job_port": 80, "connections": 3,
              "rejected": 1, "bytes_to_job": 1000, "bytes_from_job": 2000})"));
}

}  // namespace
}  // namespace sandbox
