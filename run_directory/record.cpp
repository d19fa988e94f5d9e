#include "run_directory/record.h"

#include <cmath>

namespace berth::run_directory {

double Record::number(const char* key) const {
  auto it = fields.find(key);
  return it != fields.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string Record::split() const {
  auto it = fields.find("split");
  if (it != fields.end() && it->is_string()) return it->get<std::string>();
  return type == RecordType::kTest ? "test" : "dev";
}

std::optional<Record> parse_record(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return std::nullopt;
  auto parsed = parse_choice<RecordType>(type->get<std::string>());
  if (!parsed) return std::nullopt;
  Record r;
  r.type = *parsed;
  auto step = j.find("step");
  if (step != j.end() && step->is_number_integer()) r.step = step->get<int64_t>();
  auto schema = j.find("schema");
  if (schema != j.end() && schema->is_number_integer()) r.schema = schema->get<int>();
  r.fields = std::move(j);
  r.time = r.number("time");
  return r;
}

}  // namespace berth::run_directory
