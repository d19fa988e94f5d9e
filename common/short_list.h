// A list for a log line that stays one readable line: a multi-label corpus has 134 labels
// (bench/debtags), and printing all of them twice buried the rest of the start-up log.
#pragma once

#include <string>
#include <vector>

namespace berth {

// "a, b, c" for up to `head` + 2 items; beyond that the first `head` and "... (N more)".
std::string short_list(const std::vector<std::string>& items, size_t head = 12);

}  // namespace berth
