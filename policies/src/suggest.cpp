#include "suggest.hpp"

#include <algorithm>

namespace policies::detail {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance, three rolling rows. Words here are short keys.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string_view>& candidates) {
  // Hostile input can make `word` huge; a typo of a short key is never long.
  if (word.empty() || word.size() > 64) return std::nullopt;
  // Up to a third of the word may be wrong, at least one letter: "memroy", "pdi", "cpu_mx".
  size_t allowed = std::max<size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (auto candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    // Replacing every letter of the word is not a typo ("b" is not a misspelt "a").
    if (distance < best_distance && distance < word.size()) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  auto match = closest(word, candidates);
  return match ? " (did you mean '" + *match + "'?)" : "";
}

}  // namespace policies::detail
