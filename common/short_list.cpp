#include "common/short_list.h"

namespace berth {

std::string short_list(const std::vector<std::string>& items, size_t head) {
  // Cutting fewer than 3 items would print "... (2 more)" where the 2 items fit as well.
  const size_t shown = items.size() <= head + 2 ? items.size() : head;
  std::string out;
  for (size_t i = 0; i < shown; ++i) out += (i == 0 ? "" : ", ") + items[i];
  if (shown < items.size())
    out += (shown == 0 ? "... (" : ", ... (") + std::to_string(items.size() - shown) + " more)";
  return out;
}

}  // namespace berth
