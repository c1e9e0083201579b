// Bounds that make hostile documents cheap to reject. A policy is a few hundred values; these
// bounds are far above any real one and far below what could cost noticeable time or memory
// (yaml-cpp spends about half a kilobyte and a couple of microseconds per node).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>

namespace policies::detail {

inline constexpr size_t max_policy_bytes = 256 * 1024;
inline constexpr size_t max_depth = 32;
// Values as written (before the tree is built).
inline constexpr size_t max_values = 20000;
// Values counted with aliases expanded, as the readers would walk them: an alias bomb ("billion
// laughs") is tiny as text and as a yaml-cpp tree (aliases are shared nodes) but not as a walk.
inline constexpr size_t max_walk = 50000;

struct ShapeProblem {
  YAML::Mark where;
  std::string message;
};

// Counts the nesting of flow brackets ([ and {) in the raw text, outside quoted strings and
// comments. yaml-cpp's scanner reads a whole run of nested flow collections before its parser
// sees the first one (about a second and 250MB for a megabyte of "["), so deep flow nesting is
// refused before yaml-cpp reads it. May over-count brackets inside plain scalars, which only
// matters past max_depth unclosed ones.
std::optional<ShapeProblem> check_flow_depth(const std::string& yaml);

// Runs yaml-cpp's event parser over `yaml` without building a tree, and stops at the first
// bound exceeded: too many values, nesting deeper than max_depth (long before yaml-cpp's own
// recursion could exhaust the stack), or a second document. Syntax errors propagate as
// YAML::ParserException, as from YAML::Load.
std::optional<ShapeProblem> prescan(const std::string& yaml);

// Walks a built tree iteratively (no recursion to overflow), following aliases, and stops at
// the first bound exceeded.
std::optional<ShapeProblem> check_shape(const YAML::Node& root);

}  // namespace policies::detail
