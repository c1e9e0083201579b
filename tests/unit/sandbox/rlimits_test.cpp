#include "rlimits.hpp"

#include <gtest/gtest.h>

#include "sandbox/sandbox.hpp"

namespace sandbox {
namespace {

TEST(Rlimits, PolicyNamesMapToResources) {
  EXPECT_EQ(rlimit_resource("nofile"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_resource("as"), RLIMIT_AS);
  EXPECT_EQ(rlimit_resource("core"), RLIMIT_CORE);
  EXPECT_FALSE(rlimit_resource("nofiles"));
}

TEST(Rlimits, SoftAndHardAreBothTheValue) {
  const auto plan = plan_rlimits({{"core", 0}, {"nofile", 256}}, rlimit{1024, 4096});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].name, "core");
  EXPECT_EQ(plan[0].value.rlim_cur, 0u);
  EXPECT_EQ(plan[0].value.rlim_max, 0u);
  EXPECT_EQ(plan[1].resource, RLIMIT_NOFILE);
  EXPECT_EQ(plan[1].value.rlim_cur, 256u);
}

TEST(Rlimits, JobsGetTheCallersOpenFileLimitBack) {
  // The supervisor raises its own soft limit; a job without a nofile limit must not inherit it.
  const auto plan = plan_rlimits({}, rlimit{1024, 4096});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(plan[0].value.rlim_cur, 1024u);
  EXPECT_EQ(plan[0].value.rlim_max, 4096u);
}

TEST(Rlimits, UnlimitedIsInfinity) {
  const auto plan = plan_rlimits({{"stack", UINT64_MAX}}, rlimit{1, 1});
  EXPECT_EQ(plan[0].value.rlim_cur, RLIM_INFINITY);
}

TEST(Rlimits, UnknownNameIsAPolicyError) {
  try {
    plan_rlimits({{"bogus", 1}}, rlimit{1, 1});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, exit_code::invalid_policy);
    EXPECT_STREQ(e.what(), "rlimit bogus: unknown limit");
  }
}

}  // namespace
}  // namespace sandbox
