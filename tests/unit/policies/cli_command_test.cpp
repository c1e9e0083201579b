// set_cli_command: the command of a policy without jobs comes from the command line.
#include <gtest/gtest.h>

#include <stdexcept>

#include "policy_test_support.hpp"

using policy_test::loaded;

TEST(CliCommand, FillsTheOneJob) {
  auto policy = loaded("version: 1\n");
  policies::set_cli_command(policy, {"sh", "-c", "echo hi"});
  EXPECT_EQ(policy.jobs.at(0).command, (std::vector<std::string>{"sh", "-c", "echo hi"}));
}

TEST(CliCommand, RejectsAnEmptyCommand) {
  auto policy = loaded("version: 1\n");
  EXPECT_THROW(policies::set_cli_command(policy, {}), std::invalid_argument);
  EXPECT_THROW(policies::set_cli_command(policy, {""}), std::invalid_argument);
  EXPECT_TRUE(policy.jobs.at(0).command.empty());
}

TEST(CliCommand, RejectsABareNameWithoutPath) {
  auto policy = loaded("version: 1\ndefaults: {env: {PATH: null}}\n");
  EXPECT_THROW(policies::set_cli_command(policy, {"sh"}), std::invalid_argument);
  policies::set_cli_command(policy, {"/bin/sh"});
  EXPECT_EQ(policy.jobs.at(0).command.at(0), "/bin/sh");
}

TEST(CliCommand, RejectsAPolicyWithJobs) {
  auto policy = loaded("version: 1\njobs: [{name: a, command: [/bin/true]}]\n");
  try {
    policies::set_cli_command(policy, {"/bin/sh"});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("lists its jobs"), std::string::npos) << e.what();
  }
  EXPECT_EQ(policy.jobs.at(0).command.at(0), "/bin/true");
}
