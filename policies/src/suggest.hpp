// "Did you mean ...?" for misspelt keys and values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace policies::detail {

// Edit distance with adjacent transpositions ("memroy" is one edit from "memory").
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, when it is close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string_view>& candidates);

// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace policies::detail
