#include "guard.hpp"

#include <utility>
#include <vector>

namespace policies::detail {

std::optional<ShapeProblem> check_shape(const YAML::Node& root) {
  std::vector<std::pair<YAML::Node, size_t>> pending{{root, 1}};
  size_t visited = 0;
  while (!pending.empty()) {
    auto [node, depth] = std::move(pending.back());
    pending.pop_back();
    if (++visited > max_nodes) {
      return ShapeProblem{node.Mark(), "too many values (over " + std::to_string(max_nodes) +
                                           ", counting each alias use): not a policy"};
    }
    if (depth > max_depth) {
      return ShapeProblem{node.Mark(), "nested deeper than " + std::to_string(max_depth) +
                                           " levels: not a policy"};
    }
    if (node.IsSequence()) {
      for (auto item = node.begin(); item != node.end(); ++item) {
        pending.emplace_back(*item, depth + 1);
      }
    } else if (node.IsMap()) {
      for (auto entry = node.begin(); entry != node.end(); ++entry) {
        pending.emplace_back(entry->first, depth + 1);
        pending.emplace_back(entry->second, depth + 1);
      }
    }
  }
  return std::nullopt;
}

}  // namespace policies::detail
