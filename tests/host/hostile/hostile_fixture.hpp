// The fixture of every hostile test: a fresh copy of examples/untrusted.yaml, a snapshot of the
// host before, and after every run the check that nothing of it is left (then the clean-up, so a
// failing test does not spoil the next one).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include "hostile_support.hpp"

namespace hostile {

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the hostile suite runs as root";
    before_ = HostSnapshot::take();
  }

  RunResult run(const std::vector<std::string>& command,
                std::chrono::seconds timeout = std::chrono::seconds(60)) {
    RunResult result = run_sandbox(policy_, command, timeout);
    expect_clean_host(result);
    return result;
  }

  void expect_clean_host(const RunResult& result) {
    const auto problems = leftovers(before_, result, policy_);
    std::string text;
    for (const auto& problem : problems) text += "\n  " + problem;
    EXPECT_TRUE(problems.empty()) << "the run left something on the host:" << text;
    if (!problems.empty()) remove_leftovers(result, policy_);
  }

  PolicyFile policy_;
  HostSnapshot before_;
};

}  // namespace hostile
