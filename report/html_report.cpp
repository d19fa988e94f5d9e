#include "report/html_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "common/clock.h"
#include "report/checkpoint_inventory.h"
#include "report/run_history.h"
#include "report/svg_chart.h"
#include "run_directory/curves.h"
#include "run_directory/run_layout.h"
#include "run_directory/saved_config.h"

namespace berth::report {

namespace fs = std::filesystem;

namespace {

// Colours of the usual plotting palette, so the page reads like the charts people know.
constexpr const char* kBlue = "#1f77b4";
constexpr const char* kOrange = "#ff7f0e";
constexpr const char* kGreen = "#2ca02c";
constexpr const char* kRed = "#d62728";
constexpr const char* kPurple = "#9467bd";

const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;
max-width:1340px;padding:0 16px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}.sub{color:#666;font-size:13px}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#666;font-size:12px}
.grid2{display:flex;flex-wrap:wrap;gap:14px}.chart,.heat{background:#fff;border:1px solid #e3e3e3;border-radius:6px}
.ct{font-size:13px;font-weight:600;fill:#333}.tick{font-size:11px;fill:#555}.al{font-size:11px;fill:#333}
.ml{font-size:10px}.hv{font-size:12px}.grid{stroke:#eee}.axis{stroke:#999}.empty{fill:#999;font-size:13px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0}
th,td{border:1px solid #e3e3e3;padding:3px 9px;text-align:right}th{background:#f0f0f0}
td.l,th.l{text-align:left}tr.best td{background:#fff6d5}.ok{color:#2a7d2a;font-weight:600}
.bad{color:#c62828;font-weight:600}pre{background:#fff;border:1px solid #e3e3e3;padding:10px;
font-size:12px;overflow:auto;max-height:420px}.flex{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
)";

std::string fmt(double v, int decimals = 4) {
  if (!std::isfinite(v)) return "–";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_sci(double v) {
  if (!std::isfinite(v)) return "–";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string fmt_time(double unix_s) {
  if (!std::isfinite(unix_s) || unix_s <= 0) return "–";
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + " UTC";
}

std::string fmt_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / double(1ull << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / double(1ull << 20));
  return buf;
}

// The evaluation curves that any of the evaluations carries, in the schema's order.
std::vector<const run_directory::Curve*> curves_of(const std::vector<EvalPoint>& evals) {
  std::vector<const run_directory::Curve*> out;
  for (const auto& c : run_directory::curves(run_directory::RecordType::kEval))
    for (const auto& e : evals)
      if (e.values.count(c.name)) {
        out.push_back(&c);
        break;
      }
  return out;
}

std::string card(const std::string& value, const std::string& label) {
  return "<div class=\"card\"><b>" + html_escape(value) + "</b><span>" + html_escape(label) +
         "</span></div>";
}

// Resumes as step markers (for the step axis) or time markers (for the time axis, minutes since
// the first start).
std::vector<Marker> resume_markers(const RunHistory& h, bool on_time, double t0) {
  std::vector<Marker> m;
  for (size_t i = 1; i < h.sessions.size(); ++i) {
    const auto& s = h.sessions[i];
    Marker k;
    k.x = on_time ? (s.time - t0) / 60.0 : static_cast<double>(s.step);
    k.label = (s.slurm_restart > 0 ? "requeue " : "resume ") + std::to_string(s.restart);
    k.color = s.slurm_restart > 0 ? kPurple : kRed;
    m.push_back(k);
  }
  return m;
}

// What every section reads: the run's history, its checkpoints, the metric that ranks its
// evaluations and the best of them.
struct Page {
  const RunHistory& h;
  const CheckpointInventory& inv;
  Metric metric;
  std::vector<const run_directory::Curve*> dev_curves;
  const EvalPoint* best;
  double t0;  // the first start (Unix seconds)
  double score(const EvalPoint& e) const { return run_directory::metric_value(e.values, metric); }
};

// The evaluation the best pointer names, else (keep_best = 0) the best by the metric.
const EvalPoint* best_eval(const RunHistory& h, const CheckpointInventory& inv, Metric metric) {
  const EvalPoint* best = nullptr;
  for (const auto& e : h.evals)
    if (inv.best_step && e.step == *inv.best_step) best = &e;
  if (best) return best;
  const double sign = metric == Metric::kLoss ? -1 : 1;
  for (const auto& e : h.evals) {
    const double v = run_directory::metric_value(e.values, metric);
    if (!best || sign * v > sign * run_directory::metric_value(best->values, metric)) best = &e;
  }
  return best;
}

void summary(std::ostream& o, const Page& p) {
  const auto& h = p.h;
  const int64_t last_step = h.train.empty() ? 0 : h.train.back().step;
  std::string status = h.sessions.empty() ? "no session" : h.sessions.back().ended;
  if (status == "interrupted") status = "running or interrupted";
  o << "<div class=\"cards\">" << card(status, "status")
    << card(std::to_string(last_step) + " / " + std::to_string(h.total_steps), "optimizer steps")
    << card(std::to_string(h.sessions.size() ? h.sessions.size() - 1 : 0), "resumes");
  if (h.done) o << card(format_duration(h.done->value("train_seconds", NAN), "–"), "training time");
  if (p.best)
    o << card(fmt(p.score(*p.best)) + " @ " + std::to_string(p.best->step),
              "best dev " + to_string(p.metric));
  if (h.test) {
    o << card(fmt(h.test->value("accuracy", NAN)), "test accuracy")
      << card(fmt(h.test->value("macro_f1", NAN)), "test macro-F1");
  }
  o << "</div>";
}

void curves(std::ostream& o, const Page& p) {
  const auto& h = p.h;
  // On the step axis.
  auto step_markers = resume_markers(h, false, p.t0);
  LineChart loss{"Loss", "optimizer step", "loss", {}, step_markers};
  Series tl{"train (window mean)", kBlue, {}}, dl{"dev", kOrange, {}, true};
  for (const auto& t : h.train) tl.points.emplace_back(t.step, t.loss);
  for (const auto& e : h.evals) dl.points.emplace_back(e.step, e.value("loss"));
  loss.series = {tl, dl};
  LineChart lr{"Learning rate", "optimizer step", "lr", {}, step_markers};
  Series lrs{"lr", kGreen, {}};
  for (const auto& t : h.train) lrs.points.emplace_back(t.step, t.lr);
  lr.series = {lrs};
  o << "<h2>Training curves</h2><div class=\"grid2\">" << render_svg(loss) << render_svg(lr)
    << "</div>";

  LineChart dev{"Dev metrics per evaluation", "optimizer step", "score", {}, step_markers};
  // Every score the evaluations carry (the loss has its own chart).
  const char* const palette[] = {kBlue, kOrange, kGreen, kPurple, kRed};
  for (const auto* c : p.dev_curves) {
    if (std::string(c->name) == "loss") continue;
    Series s{c->title, palette[dev.series.size() % 5], {}, true};
    for (const auto& e : h.evals) s.points.emplace_back(e.step, e.value(c->name));
    dev.series.push_back(s);
  }
  if (p.best) {
    Marker m;
    m.x = p.best->step, m.has_y = true, m.color = kRed;
    m.y = p.metric == Metric::kLoss ? p.best->value("accuracy") : p.score(*p.best);
    m.label = p.inv.best_step ? "best checkpoint" : "best";
    dev.markers.push_back(m);
  }
  // Throughput on the wall-clock axis: gaps between sessions show the time a run was down.
  LineChart tp{"Throughput over time",
               "minutes since the run started",
               "samples/s",
               {},
               resume_markers(h, true, p.t0)};
  Series sps{"samples/s", kPurple, {}};
  for (const auto& t : h.train) sps.points.emplace_back((t.time - p.t0) / 60.0, t.samples_per_s);
  // A window spanning a resume is drawn apart from the previous session's points.
  for (size_t i = 1; i < h.sessions.size(); ++i) {
    double cut = (h.sessions[i].time - p.t0) / 60.0;
    auto it = std::lower_bound(sps.points.begin(), sps.points.end(), cut,
                               [](const auto& q, double x) { return q.first < x; });
    sps.points.insert(it, {cut, NAN});
  }
  tp.series = {sps};
  o << "<div class=\"grid2\">" << render_svg(dev) << render_svg(tp) << "</div>";
}

void evaluations(std::ostream& o, const Page& p) {
  o << "<h2>Dev evaluations</h2>";
  if (p.h.evals.empty()) {
    o << "<p class=\"sub\">no evaluation on a dev set (data.dev not set)</p>";
    return;
  }
  o << "<table><tr><th>step</th><th>epoch</th>";
  for (const auto* c : p.dev_curves) o << "<th>" << html_escape(c->title) << "</th>";
  o << "<th class=\"l\"></th></tr>";
  for (const auto& e : p.h.evals) {
    bool b = p.best && e.step == p.best->step;
    o << "<tr" << (b ? " class=\"best\"" : "") << "><td>" << e.step << "</td><td>" << e.epoch
      << "</td>";
    for (const auto* c : p.dev_curves) o << "<td>" << fmt(e.value(c->name)) << "</td>";
    o << "<td class=\"l\">" << (b ? (p.inv.best_step ? "best checkpoint" : "best") : "")
      << "</td></tr>";
  }
  o << "</table>";
}

void final_test(std::ostream& o, const Page& p) {
  o << "<h2>Test</h2>";
  if (!p.h.test) {
    o << "<p class=\"sub\">no test evaluation (data.test not set, or the run has not finished)"
         "</p>";
    return;
  }
  const auto& t = *p.h.test;
  o << "<p class=\"sub\">" << t.value("total", int64_t{0}) << " examples, "
    << html_escape(t.value("weights", std::string("final weights"))) << ", loss "
    << fmt(t.value("loss", NAN)) << "</p><div class=\"flex\"><table><tr><th class=\"l\">label"
    << "</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>";
  std::vector<std::string> labels;
  if (t.contains("labels"))
    for (const auto& l : t["labels"]) labels.push_back(l.get<std::string>());
  for (const auto& l : labels) {
    const auto& c = t["per_class"][l];
    o << "<tr><td class=\"l\">" << html_escape(l) << "</td><td>" << fmt(c.value("precision", NAN))
      << "</td><td>" << fmt(c.value("recall", NAN)) << "</td><td>" << fmt(c.value("f1", NAN))
      << "</td><td>" << c.value("support", 0) << "</td></tr>";
  }
  o << "<tr><th class=\"l\">accuracy</th><td></td><td></td><td>" << fmt(t.value("accuracy", NAN))
    << "</td><td>" << t.value("total", 0)
    << "</td></tr><tr><th class=\"l\">macro avg</th><td></td><td></td><td>"
    << fmt(t.value("macro_f1", NAN)) << "</td><td></td></tr></table>";
  std::vector<std::vector<long long>> cm;
  if (t.contains("confusion_matrix"))
    for (const auto& row : t["confusion_matrix"]) cm.push_back(row.get<std::vector<long long>>());
  o << render_heat_map(cm, labels) << "</div>";
}

void sessions(std::ostream& o, const Page& p) {
  o << "<h2>Sessions (starts, resumes, requeues)</h2><table><tr><th class=\"l\">kind</th>"
       "<th class=\"l\">started</th><th>from step</th><th>to step</th><th class=\"l\">ended</th>"
       "<th>ranks</th><th class=\"l\">Slurm job</th><th class=\"l\">resumed from</th></tr>";
  for (const auto& s : p.h.sessions) {
    o << "<tr><td class=\"l\">" << s.kind << (s.restart ? " #" + std::to_string(s.restart) : "")
      << "</td><td class=\"l\">" << fmt_time(s.time) << "</td><td>" << s.step << "</td><td>"
      << s.end_step << "</td><td class=\"l\">" << s.ended << "</td><td>" << s.world_size
      << "</td><td class=\"l\">"
      << html_escape(s.slurm_job.empty()
                         ? "–"
                         : s.slurm_job + " (requeue " + std::to_string(s.slurm_restart) + ")")
      << "</td><td class=\"l\">" << html_escape(fs::path(s.resumed_from).filename().string())
      << "</td></tr>";
  }
  o << "</table>";
}

void checkpoints(std::ostream& o, const CheckpointInventory& inv) {
  o << "<h2>Checkpoints on disk</h2><p class=\"sub\">" << html_escape(inv.root.string()) << "</p>";
  if (inv.entries.empty()) {
    o << "<p class=\"sub\">none</p>";
    return;
  }
  o << "<table><tr><th class=\"l\">checkpoint</th><th>step</th><th class=\"l\">reason</th>"
       "<th>size</th><th class=\"l\">pointers</th><th class=\"l\">verify</th></tr>";
  for (const auto& e : inv.entries) {
    std::string ptr = std::string(e.latest ? "latest " : "") + (e.best ? "best" : "");
    o << "<tr><td class=\"l\">" << html_escape(e.name) << "</td><td>" << e.step
      << "</td><td class=\"l\">" << html_escape(e.reason) << "</td><td>" << fmt_bytes(e.bytes)
      << "</td><td class=\"l\">" << ptr << "</td><td class=\"l\">"
      << (e.verified ? "<span class=\"ok\">OK</span>"
                     : "<span class=\"bad\">" + html_escape(e.problem) + "</span>")
      << "</td></tr>";
  }
  o << "</table>";
}

void configuration(std::ostream& o, const run_directory::SavedConfig& saved) {
  o << "<h2>Configuration</h2>";
  if (saved.text.empty())
    o << "<p class=\"sub\">no checkpoint holds a config.toml</p>";
  else
    o << "<p class=\"sub\">" << html_escape(saved.from.string()) << "</p><pre>"
      << html_escape(saved.text) << "</pre>";
}

}  // namespace

std::string render_report(const ReportOptions& opt) {
  const run_directory::RunLayout layout(opt.run_dir, opt.checkpoint_dir);
  const auto h = read_run_history(layout.metrics());
  const auto inv = scan_checkpoints(layout.checkpoints(), opt.verify);
  const auto saved = run_directory::find_saved_config(layout);
  const Page page{h,
                  inv,
                  saved.metric,
                  curves_of(h.evals),
                  best_eval(h, inv, saved.metric),
                  h.sessions.empty() ? 0 : h.sessions.front().time};

  std::ostringstream o;
  const fs::path& run = layout.root();
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>berth report: "
    << html_escape(run.filename().string()) << "</title><style>" << kStyle
    << "</style></head><body>";
  o << "<h1>Training run " << html_escape(run.string()) << "</h1>";
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
  o << "<div class=\"sub\">report written " << fmt_time(now.count())
    << " by <code>berth report</code> from metrics.jsonl";
  if (h.bad_lines) o << " (" << h.bad_lines << " unreadable line(s) skipped)";
  o << "</div>";
  summary(o, page);
  curves(o, page);
  evaluations(o, page);
  final_test(o, page);
  sessions(o, page);
  checkpoints(o, inv);
  configuration(o, saved);
  o << "</body></html>\n";
  return o.str();
}

}  // namespace berth::report
