// The known name closest to a mistyped one, for "did you mean ...?" hints (`berth trian`).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth {

// Levenshtein distance (insertions, deletions, substitutions of bytes).
size_t edit_distance(const std::string& a, const std::string& b);

// The name of `names` nearest to `word`, when it is fewer than `max_distance` edits away (ties:
// the first listed); nullopt otherwise. Names whose length alone puts them out of reach are not
// compared, so a long pasted word costs little.
std::optional<std::string> closest_name(const std::string& word,
                                        const std::vector<std::string>& names,
                                        size_t max_distance = 3);

}  // namespace berth
