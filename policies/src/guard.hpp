// Bounds that make hostile documents cheap to reject. A policy is a few hundred nodes; these
// are far above any real one and far below what could cost noticeable time or memory.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>

namespace policies::detail {

inline constexpr size_t max_policy_bytes = 1024 * 1024;
inline constexpr size_t max_depth = 32;
// Counted with aliases expanded, as the readers would walk them: an alias bomb ("billion
// laughs") is tiny as text and as a yaml-cpp tree (aliases are shared nodes) but not as a walk.
inline constexpr size_t max_nodes = 100000;

struct ShapeProblem {
  YAML::Mark where;
  std::string message;
};

// Walks the tree iteratively (no recursion to overflow) and stops at the first bound exceeded.
std::optional<ShapeProblem> check_shape(const YAML::Node& root);

}  // namespace policies::detail
