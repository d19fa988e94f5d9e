#include "report/run_history.h"

#include <cmath>
#include <fstream>

#include "common/error.h"

namespace berth::report {

namespace {

double number(const nlohmann::json& r, const char* key) {
  auto it = r.find(key);
  return it != r.end() && it->is_number() ? it->get<double>() : NAN;
}

template <class T>
void drop_after(std::vector<T>& v, int64_t step) {
  while (!v.empty() && v.back().step > step) v.pop_back();
}

}  // namespace

RunHistory read_run_history(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw data_error("report", "cannot read " + path,
                     "give the run directory of a `berth train` run (train.run_dir)");
  RunHistory h;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json r;
    try {
      r = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      ++h.bad_lines;
      continue;
    }
    if (!r.is_object() || !r.contains("type")) continue;
    const std::string type = r["type"].get<std::string>();
    const int64_t step = r.value("step", int64_t{0});
    const double time = number(r, "time");
    if (type == "start" || type == "resume") {
      if (type == "start") h = RunHistory{};
      drop_after(h.train, step);
      drop_after(h.evals, step);
      Session s;
      s.kind = type;
      s.step = s.end_step = step;
      s.time = s.end_time = time;
      s.restart = r.value("restart", int64_t{0});
      s.world_size = r.value("world_size", int64_t{1});
      s.resumed_from = r.value("resumed_from", "");
      s.slurm_job = r.value("slurm_job_id", "");
      s.slurm_restart = r.value("slurm_restart_count", int64_t{-1});
      h.total_steps = r.value("total_steps", int64_t{0});
      h.sessions.push_back(s);
      continue;
    }
    if (!h.sessions.empty()) {
      auto& s = h.sessions.back();
      s.end_step = std::max(s.end_step, step);
      if (std::isfinite(time)) s.end_time = time;
      if (type == "stopped" || type == "done") s.ended = type;
    }
    if (type == "train") {
      TrainPoint p;
      p.step = step;
      p.epoch = r.value("epoch", int64_t{0});
      p.loss = number(r, "mean_loss");
      p.lr = number(r, "lr");
      p.grad_norm = number(r, "grad_norm");
      p.samples_per_s = number(r, "samples_per_s");
      p.tokens_per_s = number(r, "tokens_per_s");
      p.time = time;
      drop_after(h.train, step - 1);  // the last record of a step wins
      h.train.push_back(p);
    } else if (type == "eval") {
      EvalPoint e;
      e.step = step;
      e.epoch = r.value("epoch", int64_t{0});
      e.loss = number(r, "loss");
      e.accuracy = number(r, "accuracy");
      e.macro_f1 = number(r, "macro_f1");
      e.time = time;
      drop_after(h.evals, step - 1);
      h.evals.push_back(e);
    } else if (type == "test") {
      h.test = r;
    } else if (type == "done") {
      h.done = r;
    }
  }
  return h;
}

}  // namespace berth::report
