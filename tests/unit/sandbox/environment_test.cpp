#include "environment.hpp"

#include <gtest/gtest.h>

namespace sandbox {
namespace {

TEST(Environment, OnlyThePolicysVariables) {
  const char* caller[] = {"SECRET=1", "PATH=/caller", nullptr};
  const auto env = build_environment({{"PATH", "/usr/bin"}, {"HOME", "/tmp"}}, {}, caller);
  EXPECT_EQ(env, (std::vector<std::string>{"HOME=/tmp", "PATH=/usr/bin"}));
}

TEST(Environment, InheritedNamesComeFromTheCallerAndWin) {
  const char* caller[] = {"TERM=xterm", "LANG=C.UTF-8", "PATH=/caller", "TERMINAL=no", nullptr};
  const auto env = build_environment({{"PATH", "/usr/bin"}}, {"TERM", "PATH", "MISSING"}, caller);
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/caller", "TERM=xterm"}));
}

TEST(Environment, ValueLookup) {
  const std::vector<std::string> env{"PATHX=1", "PATH=/bin", "P=2"};
  EXPECT_EQ(environment_value(env, "PATH"), "/bin");
  EXPECT_EQ(environment_value(env, "P"), "2");
  EXPECT_EQ(environment_value(env, "NONE"), "");
}

}  // namespace
}  // namespace sandbox
