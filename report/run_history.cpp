#include "report/run_history.h"

#include <cmath>

#include "run_directory/curves.h"
#include "run_directory/metrics_reader.h"

namespace berth::report {

namespace {

using run_directory::Record;
using run_directory::RecordType;

template <class T>
void drop_after(std::vector<T>& v, int64_t step) {
  while (!v.empty() && v.back().step > step) v.pop_back();
}

}  // namespace

double EvalPoint::value(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? NAN : it->second;
}

RunHistory read_run_history(const std::filesystem::path& path) {
  auto file = run_directory::read_metrics(path, "report");
  RunHistory h;
  for (const Record& r : file.records) {
    const auto& f = r.fields;
    if (r.type == RecordType::kStart || r.type == RecordType::kResume) {
      if (r.type == RecordType::kStart) h = RunHistory{};
      drop_after(h.train, r.step);
      drop_after(h.evals, r.step);
      Session s;
      s.kind = to_string(r.type);
      s.step = s.end_step = r.step;
      s.time = s.end_time = r.time;
      s.restart = f.value("restart", int64_t{0});
      s.world_size = f.value("world_size", int64_t{1});
      s.resumed_from = f.value("resumed_from", "");
      s.slurm_job = f.value("slurm_job_id", "");
      s.slurm_restart = f.value("slurm_restart_count", int64_t{-1});
      h.total_steps = f.value("total_steps", int64_t{0});
      h.sessions.push_back(s);
      continue;
    }
    if (!h.sessions.empty()) {
      auto& s = h.sessions.back();
      s.end_step = std::max(s.end_step, r.step);
      if (std::isfinite(r.time)) s.end_time = r.time;
      if (r.type == RecordType::kStopped || r.type == RecordType::kDone)
        s.ended = to_string(r.type);
    }
    if (r.type == RecordType::kTrain) {
      TrainPoint p;
      p.step = r.step;
      p.epoch = f.value("epoch", int64_t{0});
      p.loss = r.number("mean_loss");
      p.lr = r.number("lr");
      p.grad_norm = r.number("grad_norm");
      p.samples_per_s = r.number("samples_per_s");
      p.tokens_per_s = r.number("tokens_per_s");
      p.time = r.time;
      drop_after(h.train, r.step - 1);  // the last record of a step wins
      h.train.push_back(p);
    } else if (r.type == RecordType::kEval) {
      EvalPoint e;
      e.step = r.step;
      e.epoch = f.value("epoch", int64_t{0});
      e.values = run_directory::curve_values(r);
      e.time = r.time;
      drop_after(h.evals, r.step - 1);
      h.evals.push_back(e);
    } else if (r.type == RecordType::kTest) {
      h.test = f;
    } else if (r.type == RecordType::kDone) {
      h.done = f;
    }
  }
  h.bad_lines = file.bad_lines;
  return h;
}

}  // namespace berth::report
