// The fixture of the runtime suite: runs the real `sandbox` binary on a policy written to a
// scratch directory, and checks after every run that it left no cgroup behind.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "host_state.hpp"
#include "policy_text.hpp"
#include "sandbox_cli.hpp"
#include "temp_dir.hpp"

namespace sandbox::test {

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (user namespaces mapped to 65534, cgroups)";
  }

  std::vector<std::string> run_args(const PolicyText& policy,
                                    const std::vector<std::string>& command,
                                    const std::vector<std::string>& extra = {}) {
    const auto file = dir_.write("policy.yaml", policy.yaml());
    std::vector<std::string> args{"run", "-p", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!command.empty()) {
      args.push_back("--");
      args.insert(args.end(), command.begin(), command.end());
    }
    return args;
  }

  // `sandbox run -p POLICY EXTRA... -- COMMAND...`, then: no cgroup of that run is left.
  CliResult run(const PolicyText& policy, const std::vector<std::string>& command,
                const std::vector<std::string>& extra = {}, const std::string& input = "",
                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    SandboxProcess process(run_args(policy, command, extra), input);
    CliResult result = process.wait(timeout);
    EXPECT_FALSE(result.timed_out) << "sandbox did not finish; stderr:\n" << result.err;
    EXPECT_EQ(run_cgroups_of(process.pid()), std::vector<std::string>{})
        << "cgroups left behind by the run";
    return result;
  }

  // A shell command in the default test policy.
  CliResult run_sh(const std::string& script, const PolicyText& policy = {}) {
    return run(policy, {"/bin/sh", "-c", script});
  }

  TempDir dir_{"sandbox-runtime"};
};

}  // namespace sandbox::test
