#include "data/jsonl_reader.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::data {

namespace {
using Json = nlohmann::ordered_json;  // keeps the keys' order for columns() and messages

bool blank(const std::string& s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

Json parse_object(const std::string& line, const std::string& where) {
  Json j;
  try {
    j = Json::parse(line);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e9999
    throw data_error("data", where + ": not valid JSON (" + std::string(e.what()) + ")",
                     "JSON Lines needs one complete JSON object per line, e.g. "
                     "{\"text\": \"great film\", \"label\": 1}");
  }
  if (!j.is_object()) {
    throw data_error("data",
                     where + ": expected a JSON object, found a " + std::string(j.type_name()),
                     "write one object per line, e.g. {\"text\": \"great film\", \"label\": 1}");
  }
  return j;
}

std::string value_text(const Json& v, const std::string& key, const std::string& where) {
  switch (v.type()) {
    case Json::value_t::string:
      return v.get<std::string>();
    case Json::value_t::null:
      return std::string();
    case Json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return v.dump();
    case Json::value_t::array:
      // Its JSON text: a multi-label column reads it back as a list (data/label_list.h).
      return v.dump();
    default:
      throw data_error("data",
                       where + ": the value of '" + key + "' is a JSON " +
                           std::string(v.type_name()) +
                           ", expected a string, a number or an array of them",
                       "flatten nested values into strings before prep");
  }
}
}  // namespace

JsonlReader::JsonlReader(const std::string& path, TextInput::ByteObserver observer)
    : TableReader(path, std::move(observer)) {
  long long line = 0;
  if (!next_line(line)) {
    throw data_error(
        "data", path + " has no JSON objects (empty or only blank lines)",
        "write one JSON object per line, e.g. {\"text\": \"great film\", \"label\": 1}");
  }
  Json first = parse_object(line_, where(line));
  for (const auto& item : first.items()) columns_.push_back(item.key());
  have_pending_ = true;
  pending_line_.swap(line_);
  pending_lineno_ = line;
}

bool JsonlReader::next_line(long long& line) {
  for (;;) {
    line = input_.line();
    if (!input_.read_line(line_)) return false;
    if (!blank(line_)) return true;
  }
}

bool JsonlReader::next(TableRow& row) {
  long long line = 0;
  if (have_pending_) {
    have_pending_ = false;
    line_.swap(pending_line_);
    line = pending_lineno_;
  } else if (!next_line(line)) {
    return false;
  }
  std::string at = where(line);
  Json obj = parse_object(line_, at);
  size_t n = selected_.empty() ? columns_.size() : selected_.size();
  row.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string& key = columns_[selected_.empty() ? i : selected_[i]];
    auto it = obj.find(key);
    row.values[i] = it == obj.end() ? std::string() : value_text(*it, key, at);
  }
  row.record = ++records_;
  row.line = line;
  return true;
}

}  // namespace berth::data
