#include "report/sweep_leaderboard.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "checkpoint/layout.h"
#include "common/error.h"
#include "common/file_read.h"
#include "report/checkpoint_inventory.h"
#include "run_directory/curves.h"
#include "run_directory/run_layout.h"
#include "run_directory/saved_config.h"
#include "sweep/sweep_plan.h"

namespace berth::report {
namespace fs = std::filesystem;

namespace {

double wall_seconds(const RunHistory& h) {
  double s = 0;
  for (const auto& session : h.sessions)
    if (std::isfinite(session.end_time) && session.end_time > session.time)
      s += session.end_time - session.time;
  return s;
}

std::optional<double> test_value(const RunHistory& h, Metric metric) {
  if (!h.test) return std::nullopt;
  std::map<std::string, double> values;
  for (const auto& [k, v] : h.test->items())
    if (v.is_number()) values[k] = v.get<double>();
  const double x = run_directory::metric_value(values, metric);
  if (std::isnan(x)) return std::nullopt;
  return x;
}

TrialRow read_row(const fs::path& trial_dir, const sweep::Trial& t, Metric metric) {
  TrialRow row;
  row.trial = t.name;
  row.values = t.values;
  row.status = sweep::read_trial_status(trial_dir);
  const run_directory::RunLayout layout(trial_dir);
  if (fs::is_regular_file(layout.metrics())) row.history = read_run_history(layout.metrics());
  const double sign = metric == Metric::kLoss ? -1 : 1;
  for (const auto& e : row.history.evals) {
    const double v = run_directory::metric_value(e.values, metric);
    if (std::isnan(v)) continue;
    if (std::isnan(row.best_dev) || sign * v > sign * row.best_dev) {
      row.best_dev = v;
      row.best_step = e.step;
    }
  }
  row.test = test_value(row.history, metric);
  row.wall_s = wall_seconds(row.history);
  // The best pointer the trainer keeps (checkpoint.keep_best), else the newest checkpoint.
  const auto inv = scan_checkpoints(layout.checkpoints(), /*verify=*/false);
  if (inv.best_step)
    row.checkpoint = (layout.checkpoints() / checkpoint::step_dir_name(*inv.best_step)).string();
  else if (!inv.entries.empty())
    row.checkpoint = (layout.checkpoints() / inv.entries.back().name).string();
  return row;
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

bool is_sweep_dir(const fs::path& dir) {
  return fs::exists(sweep::plan_path(dir));
}

const TrialRow* Leaderboard::best() const {
  if (rows.empty() || std::isnan(rows.front().best_dev)) return nullptr;
  return &rows.front();
}

Leaderboard read_leaderboard(const fs::path& sweep_dir) {
  const auto plan = sweep::Plan::read(sweep::plan_path(sweep_dir));
  Leaderboard board;
  board.dir = sweep_dir;
  board.keys = plan.keys;
  // The metric the trials rank their checkpoints by: train.metric of the first trial's config
  // (a sweep over train.metric itself would rank trials by different measures).
  if (!plan.trials.empty()) {
    if (auto text = read_file(sweep_dir / plan.trials.front().name / "config.toml"))
      board.metric = run_directory::metric_of(*text);
  }
  // Absolute checkpoint paths: the report is read from anywhere (a job script, another shell).
  const auto root = fs::absolute(sweep_dir).lexically_normal();
  for (const auto& t : plan.trials) board.rows.push_back(read_row(root / t.name, t, board.metric));
  const double sign = board.metric == Metric::kLoss ? -1 : 1;
  std::stable_sort(board.rows.begin(), board.rows.end(), [&](const TrialRow& a, const TrialRow& b) {
    if (std::isnan(a.best_dev) || std::isnan(b.best_dev))
      return !std::isnan(a.best_dev) && std::isnan(b.best_dev);
    return sign * a.best_dev > sign * b.best_dev;
  });
  return board;
}

nlohmann::json to_json(const Leaderboard& board) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json j;
  j["sweep_dir"] = board.dir.string();
  j["metric"] = to_string(board.metric);
  j["keys"] = board.keys;
  j["trials"] = nlohmann::json::array();
  for (const auto& r : board.rows) {
    nlohmann::json t;
    t["trial"] = r.trial;
    nlohmann::json values = nlohmann::json::object();
    for (size_t i = 0; i < board.keys.size() && i < r.values.size(); ++i)
      values[board.keys[i]] = r.values[i];
    t["values"] = values;
    t["status"] = to_string(r.status.state);
    if (r.status.state == sweep::TrialState::kFailed) {
      t["exit_code"] = r.status.exit_code;
      t["log_tail"] = r.status.log_tail;
    }
    t["best_dev"] = number(r.best_dev);
    t["best_step"] = r.best_step >= 0 ? nlohmann::json(r.best_step) : nlohmann::json();
    t["test"] = r.test ? nlohmann::json(*r.test) : nlohmann::json();
    t["wall_s"] = r.wall_s;
    t["checkpoint"] = r.checkpoint.empty() ? nlohmann::json() : nlohmann::json(r.checkpoint);
    j["trials"].push_back(t);
  }
  const auto* best = board.best();
  j["best"] = best ? nlohmann::json{{"trial", best->trial}, {"checkpoint", best->checkpoint}}
                   : nlohmann::json();
  return j;
}

std::string leaderboard_text(const Leaderboard& board) {
  const std::string m = to_string(board.metric);
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head{"rank", "trial"};
  head.insert(head.end(), board.keys.begin(), board.keys.end());
  for (const auto& h :
       {"dev " + m, std::string("step"), "test " + m, std::string("wall_s"), std::string("status")})
    head.push_back(h);
  cells.push_back(head);
  int rank = 1;
  for (const auto& r : board.rows) {
    std::vector<std::string> row{std::to_string(rank++), r.trial};
    row.insert(row.end(), r.values.begin(), r.values.end());
    row.push_back(fixed(r.best_dev, 4));
    row.push_back(r.best_step >= 0 ? std::to_string(r.best_step) : "-");
    row.push_back(r.test ? fixed(*r.test, 4) : "-");
    row.push_back(fixed(r.wall_s, 1));
    row.push_back(to_string(r.status.state) +
                  (r.status.state == sweep::TrialState::kFailed
                       ? " (exit " + std::to_string(r.status.exit_code) + ")"
                       : ""));
    cells.push_back(std::move(row));
  }
  std::vector<size_t> width;
  for (const auto& row : cells)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::ostringstream os;
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) {
      os << row[i];
      if (i + 1 < row.size()) os << std::string(width[i] - row[i].size() + 2, ' ');
    }
    os << "\n";
  }
  if (const auto* best = board.best())
    os << "best: " << best->trial << ", checkpoint "
       << (best->checkpoint.empty() ? "(none on disk)" : best->checkpoint) << "\n";
  else
    os << "best: none yet (no trial has a dev evaluation: set data.dev)\n";
  return os.str();
}

}  // namespace berth::report
