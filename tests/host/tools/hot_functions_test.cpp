// bench/hot_functions, the generator of the CLI's start-up layout (sandbox/cli/hot-functions.txt):
// it must see every function a real run executes, in the supervisor and in pid 1, and put the
// code both run first, pid 1's next, the supervisor's last.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>

#include "sandbox_cli.hpp"

namespace {

using sandbox::test::CliResult;
using sandbox::test::SandboxProcess;

const std::string kPolicy = std::string(SANDBOX_SOURCE_DIR) + "/bench/startup.yaml";
// main() and the functions below are ours; their mangled names are stable across compilers of
// one ABI.
const std::string kRunPid1 = "_ZN7sandbox8run_pid1ERKNS_10LaunchSpecEiib";
const std::string kRunCommand = "_ZN7sandbox3cli11run_commandERKNS0_12RunArgumentsE";
const std::string kValidateCommand = "_ZN7sandbox3cli16validate_commandERKNS0_17ValidateArgumentsE";

CliResult trace(std::vector<std::string> sandbox_args) {
  sandbox_args.insert(sandbox_args.begin(), SANDBOX_BINARY);
  SandboxProcess process(sandbox_args, "", HOT_FUNCTIONS_BINARY);
  return process.wait(std::chrono::seconds(60));
}

// Each listed name with its position; fails the test on a name listed twice.
std::map<std::string, size_t> positions(const std::string& list) {
  std::map<std::string, size_t> at;
  std::istringstream lines(list);
  std::string name;
  for (size_t i = 0; std::getline(lines, name); ++i) {
    EXPECT_TRUE(at.emplace(name, i).second) << name << " is listed twice";
  }
  return at;
}

TEST(HotFunctions, ListsTheSupervisorsAndPidOnesCodeSharedFirst) {
  const CliResult result = trace({"run", "-p", kPolicy, "--", "/bin/true"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto at = positions(result.out);
  for (const std::string& name : {std::string("_start"), std::string("main"), kRunCommand, kRunPid1,
                                  std::string("__libc_malloc")}) {
    ASSERT_TRUE(at.contains(name)) << name << " is missing from\n" << result.out;
  }
  // Only what ran: `sandbox validate`'s code did not.
  EXPECT_FALSE(at.contains(kValidateCommand));
  // malloc runs in both address spaces, run_pid1 only in pid 1 (a fork: it starts in the
  // function, never entering _start or main), _start and main only in the supervisor.
  EXPECT_LT(at.at("__libc_malloc"), at.at(kRunPid1));
  EXPECT_LT(at.at(kRunPid1), at.at("_start"));
  // The supervisor's code in the order it first ran.
  EXPECT_LT(at.at("_start"), at.at("main"));
  EXPECT_LT(at.at("main"), at.at(kRunCommand));
}

TEST(HotFunctions, FollowsTheCommandThatRuns) {
  const CliResult result = trace({"validate", kPolicy});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto at = positions(result.out);
  EXPECT_TRUE(at.contains(kValidateCommand));
  EXPECT_FALSE(at.contains(kRunCommand));
  EXPECT_FALSE(at.contains(kRunPid1));
}

TEST(HotFunctions, AFailedRunGivesNoList) {
  const CliResult result = trace({"run", "-p", kPolicy, "--", "/bin/false"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("the traced run failed"), std::string::npos) << result.err;
}

}  // namespace
