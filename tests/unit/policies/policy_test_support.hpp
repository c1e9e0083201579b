// Helpers shared by the policy tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "policies/loader.hpp"

namespace policy_test {

inline policies::LoadResult load(const std::string& yaml, const std::string& name = "test.yaml") {
  return policies::load_policy_string(yaml, name);
}

// Every diagnostic, one per line, for failure messages.
inline std::string all_diagnostics(const policies::LoadResult& result) {
  std::string text;
  for (const auto& d : result.diagnostics) text += d.to_string() + "\n";
  return text;
}

// The policy of a load that must succeed; fails the test with the diagnostics otherwise.
inline policies::Policy loaded(const std::string& yaml) {
  auto result = load(yaml);
  EXPECT_TRUE(result.ok()) << all_diagnostics(result);
  if (!result.ok()) return policies::Policy{};
  EXPECT_TRUE(result.diagnostics.empty());
  return *result.policy;
}

// The diagnostic for `key`, or nullptr.
inline const policies::Diagnostic* find(const policies::LoadResult& result,
                                        const std::string& key) {
  for (const auto& d : result.diagnostics) {
    if (d.key == key) return &d;
  }
  return nullptr;
}

}  // namespace policy_test
