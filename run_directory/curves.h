// Which numbers of a record are curves: the one list TensorBoard's tags, `berth report`'s charts
// and tables and any other view read, so a metric the trainer starts writing shows up in all of
// them once it is listed here. Per-label F1 values (an eval record's per_class_f1, a test
// record's per_class) are curves too, one per label: per_label_f1() reads them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/choices.h"
#include "run_directory/record.h"

namespace berth::run_directory {

struct Curve {
  const char* key;    // the record's field
  const char* name;   // the curve's name (TensorBoard: <train|split>/<name>)
  const char* title;  // for people (report columns)
};

// The curves of a record type, in display order (empty for types without curves). eval and test
// share theirs.
const std::vector<Curve>& curves(RecordType type);

// The curves of `r` present in it (not NaN), by name.
std::map<std::string, double> curve_values(const Record& r);

// label -> F1 of an evaluation record (eval: per_class_f1; test: per_class.<label>.f1).
std::map<std::string, double> per_label_f1(const Record& r);

// The value of train.metric in an evaluation's curves (by name, as curve_values gives them).
// micro_f1 equals accuracy for single-label runs, whose records do not carry it (the trainer's
// EvalResult::metric); NaN when missing.
double metric_value(const std::map<std::string, double>& values, Metric metric);

}  // namespace berth::run_directory
