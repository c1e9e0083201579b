// Bounds that make hostile documents cheap to reject. A policy is a few hundred values; these
// bounds are far above any real one and far below what could cost noticeable time or memory
// (yaml-cpp spends about half a kilobyte and a couple of microseconds per node).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>

namespace policies::detail {

inline constexpr size_t max_policy_bytes = size_t{256} * 1024;
inline constexpr size_t max_depth = 32;
// Values as written (before the tree is built).
inline constexpr size_t max_values = 20000;
// Values counted with aliases expanded, as the readers would walk them: an alias bomb ("billion
// laughs") is tiny as text and as a yaml-cpp tree (aliases are shared nodes) but not as a walk.
inline constexpr size_t max_walk = 50000;

struct ShapeProblem {
  YAML::Mark where;
  std::string message;
  bool second_document = false;  // the one problem bounded_by_its_text does not rule out
};

// Counts the nesting of flow brackets ([ and {) in the raw text, outside quoted strings and
// comments. yaml-cpp's scanner reads a whole run of nested flow collections before its parser
// sees the first one (about a second and 250MB for a megabyte of "["), so deep flow nesting is
// refused before yaml-cpp reads it. May over-count brackets inside plain scalars, which only
// matters past max_depth unclosed ones.
std::optional<ShapeProblem> check_flow_depth(const std::string& yaml);

// True when a look at the raw text proves that the event parse (prescan_events) can find no more
// than max_values values nor nesting deeper than max_depth, so that yaml-cpp reads a policy once
// instead of twice (each read is a third of `sandbox run`'s policy load). A value takes at least
// half a byte ("a," is a key and a null), and on every line nesting is at most
//   2 x (indentation + 1)  block collections that hold the line's first node (each starts at a
//                          column at or left of it, and only a mapping and a sequence share one:
//                          a sequence as a mapping's value, "key:\n- a"),
//   + one more per indicator on the line ("- ", "? ", ": ", "[", "{").
// A line inside a flow collection opened on an earlier line starts from that line's bound instead
// (its indentation means nothing there). A document marker ("---", "...") or directive ("%") at
// the start of a line, a quoted string that goes on past its line, a tab in the indentation, or a
// bound over max_depth sends the document to the full parse; so does counting an indicator inside
// a scalar, which can only count too many. It does not rule out a second document: yaml-cpp also
// starts one, without any marker, after content it cannot continue; see text_goes_on_after.
bool bounded_by_its_text(const std::string& yaml);

// After YAML::Load (which reads the first document only) of a text the event parse did not read:
// true unless the tree accounts for the whole text, i.e. no line after the last node's start has
// more than blanks, a comment or the ends of flow collections. True means "maybe a second
// document" (a multi-line scalar at the end also says so): the loader then runs the event parse.
bool text_goes_on_after(const YAML::Node& root, const std::string& yaml);

// Runs yaml-cpp's event parser over `yaml` (after check_flow_depth: the scanner reads deep flow
// nesting slowly) without building a tree, and stops at the first bound exceeded: too many values,
// nesting deeper than max_depth (long before yaml-cpp's own recursion could exhaust the stack), or
// a second document. Syntax errors propagate as YAML::ParserException, as from YAML::Load.
std::optional<ShapeProblem> prescan_events(const std::string& yaml);

// Walks a built tree iteratively (no recursion to overflow), following aliases, and stops at
// the first bound exceeded.
std::optional<ShapeProblem> check_shape(const YAML::Node& root);

}  // namespace policies::detail
