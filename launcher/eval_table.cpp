#include "launcher/eval_table.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace berth::launcher {

namespace {

std::string cell(const char* fmt, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string pad_left(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, size_t w) {
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}

// Multi-label: the pooled scores, then each label's decisions with its threshold.
std::string format_multi_label(const model::ClassificationReport& r, double loss) {
  std::ostringstream o;
  size_t name_w = 9;  // "macro avg"
  for (const auto& c : r.per_class) name_w = std::max(name_w, c.name.size());
  o << r.total << " examples   micro-F1 " << cell("%.4f", r.micro_f1) << "   macro-F1 "
    << cell("%.4f", r.macro_f1) << "   subset accuracy " << cell("%.4f", r.accuracy) << "   loss "
    << cell("%.4f", loss) << "\n\n";
  o << pad_right("", name_w) << "  precision     recall         F1    support  threshold\n";
  for (size_t i = 0; i < r.per_class.size(); ++i) {
    const auto& c = r.per_class[i];
    o << pad_right(c.name, name_w) << pad_left(cell("%.4f", c.precision), 11)
      << pad_left(cell("%.4f", c.recall), 11) << pad_left(cell("%.4f", c.f1), 11)
      << pad_left(std::to_string(c.support), 11)
      << pad_left(i < r.thresholds.size() ? cell("%.2f", r.thresholds[i]) : "", 11) << "\n";
  }
  o << "\n"
    << pad_right("micro avg", name_w) << pad_left(cell("%.4f", r.micro_precision), 11)
    << pad_left(cell("%.4f", r.micro_recall), 11) << pad_left(cell("%.4f", r.micro_f1), 11) << "\n"
    << pad_right("macro avg", name_w) << pad_left("", 22) << pad_left(cell("%.4f", r.macro_f1), 11)
    << "\n";
  return o.str();
}

}  // namespace

std::string format_eval_table(const model::ClassificationReport& r, double loss) {
  if (r.multi_label) return format_multi_label(r, loss);
  std::ostringstream o;
  size_t name_w = 9;  // "macro avg"
  for (const auto& c : r.per_class) name_w = std::max(name_w, c.name.size());
  o << r.total << " examples   accuracy " << cell("%.4f", r.accuracy) << "   macro-F1 "
    << cell("%.4f", r.macro_f1) << "   loss " << cell("%.4f", loss) << "\n\n";
  o << pad_right("", name_w) << "  precision     recall         F1    support\n";
  for (const auto& c : r.per_class)
    o << pad_right(c.name, name_w) << pad_left(cell("%.4f", c.precision), 11)
      << pad_left(cell("%.4f", c.recall), 11) << pad_left(cell("%.4f", c.f1), 11)
      << pad_left(std::to_string(c.support), 11) << "\n";
  o << "\n"
    << pad_right("accuracy", name_w) << pad_left("", 22) << pad_left(cell("%.4f", r.accuracy), 11)
    << pad_left(std::to_string(r.total), 11) << "\n"
    << pad_right("macro avg", name_w) << pad_left("", 22) << pad_left(cell("%.4f", r.macro_f1), 11)
    << pad_left(std::to_string(r.total), 11) << "\n";
  // Confusion matrix; columns as wide as the longest count or label (cut to 10 characters).
  size_t col_w = 5;
  for (const auto& c : r.per_class) col_w = std::max(col_w, std::min<size_t>(c.name.size(), 10));
  for (const auto& row : r.confusion)
    for (auto v : row) col_w = std::max(col_w, std::to_string(v).size());
  o << "\nconfusion matrix (rows: true label, columns: predicted)\n" << pad_right("", name_w);
  for (const auto& c : r.per_class) o << " " << pad_left(c.name.substr(0, col_w), col_w);
  o << "\n";
  for (size_t i = 0; i < r.confusion.size(); ++i) {
    o << pad_right(r.per_class[i].name, name_w);
    for (auto v : r.confusion[i]) o << " " << pad_left(std::to_string(v), col_w);
    o << "\n";
  }
  return o.str();
}

}  // namespace berth::launcher
