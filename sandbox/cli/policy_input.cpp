#include "policy_input.hpp"

#include <fmt/core.h>

namespace sandbox::cli {

void print_diagnostics(const std::vector<policies::Diagnostic>& diagnostics) {
  for (const auto& diagnostic : diagnostics) fmt::print(stderr, "{}\n", diagnostic.to_string());
}

std::optional<policies::Policy> load_policy_or_print(const std::string& path) {
  auto loaded = policies::load_policy_file(path);
  if (!loaded.ok()) {
    print_diagnostics(loaded.diagnostics);
    return std::nullopt;
  }
  return std::move(loaded.policy);
}

}  // namespace sandbox::cli
