#include "data/label_list.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::data {

namespace {
std::string trim_ascii(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

void add_name(std::vector<std::string>& out, const std::string& raw) {
  std::string name = trim_ascii(raw);
  if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end())
    out.push_back(std::move(name));
}
}  // namespace

std::vector<std::string> split_label_list(const std::string& value, const LabelListFormat& format,
                                          const std::string& where) {
  std::vector<std::string> out;
  const std::string v = trim_ascii(value);
  if (format.json_arrays && !v.empty() && v.front() == '[') {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(v);
    } catch (const nlohmann::json::exception&) {
      throw data_error("data", where + ": the label list " + v + " is not a valid JSON array",
                       "write the labels as a JSON array of strings, e.g. [\"bug\", \"ui\"]");
    }
    for (const auto& e : j) {
      if (e.is_string())
        add_name(out, e.get<std::string>());
      else if (e.is_number())
        add_name(out, e.dump());
      else
        throw data_error("data", where + ": the label list " + v + " holds " + e.dump(),
                         "a label list holds strings (or numbers) only");
    }
    return out;
  }
  if (format.separator.empty()) {
    add_name(out, v);
    return out;
  }
  size_t start = 0;
  for (;;) {
    const size_t at = v.find(format.separator, start);
    add_name(out, v.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + format.separator.size();
  }
  return out;
}

}  // namespace berth::data
