// The sweep's HTML page (report/sweep_leaderboard.h): the same inline SVG charts as a run's page.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/svg_chart.h"
#include "report/sweep_leaderboard.h"
#include "run_directory/curves.h"

namespace berth::report {
namespace {

const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;
max-width:1340px;padding:0 16px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}.sub{color:#666;font-size:13px}.grid2{display:flex;flex-wrap:wrap;gap:14px}
.chart{background:#fff;border:1px solid #e3e3e3;border-radius:6px}
.ct{font-size:13px;font-weight:600;fill:#333}.tick{font-size:11px;fill:#555}.al{font-size:11px;fill:#333}
.ml{font-size:10px}.grid{stroke:#eee}.axis{stroke:#999}.empty{fill:#999;font-size:13px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0}
th,td{border:1px solid #e3e3e3;padding:3px 9px;text-align:right}th{background:#f0f0f0}
td.l,th.l{text-align:left}tr.best td{background:#fff6d5}.bad{color:#c62828;font-weight:600}
pre{background:#fff;border:1px solid #e3e3e3;padding:8px;font-size:12px;overflow:auto;max-height:200px}
)";

// Ten distinguishable colours (the usual plotting palette); more trials reuse them.
const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "–";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void table(std::ostream& o, const Leaderboard& b) {
  const std::string m = to_string(b.metric);
  o << "<h2>Leaderboard</h2><table><tr><th>#</th><th class=\"l\">trial</th>";
  for (const auto& k : b.keys) o << "<th class=\"l\">" << html_escape(k) << "</th>";
  o << "<th>best dev " << m << "</th><th>at step</th><th>test " << m
    << "</th><th>wall time (s)</th><th class=\"l\">status</th></tr>";
  int rank = 1;
  for (const auto& r : b.rows) {
    o << "<tr" << (&r == b.best() ? " class=\"best\"" : "") << "><td>" << rank++
      << "</td><td class=\"l\">" << html_escape(r.trial) << "</td>";
    for (const auto& v : r.values) o << "<td class=\"l\">" << html_escape(v) << "</td>";
    o << "<td>" << fixed(r.best_dev, 4) << "</td><td>"
      << (r.best_step >= 0 ? std::to_string(r.best_step) : "–") << "</td><td>"
      << (r.test ? fixed(*r.test, 4) : "–") << "</td><td>" << fixed(r.wall_s, 1)
      << "</td><td class=\"l" << (r.status.state == sweep::TrialState::kFailed ? " bad" : "")
      << "\">" << to_string(r.status.state);
    if (r.status.state == sweep::TrialState::kFailed) o << " (exit " << r.status.exit_code << ")";
    o << "</td></tr>";
  }
  o << "</table>";
  if (const auto* best = b.best())
    o << "<p>Best trial: <b>" << html_escape(best->trial) << "</b>; its checkpoint: <code>"
      << html_escape(best->checkpoint.empty() ? "(none on disk)" : best->checkpoint)
      << "</code></p>";
  else
    o << "<p class=\"sub\">No trial has a dev evaluation yet (data.dev).</p>";
}

void charts(std::ostream& o, const Leaderboard& b) {
  LineChart dev{"dev " + to_string(b.metric) + " of every trial", "step", to_string(b.metric)};
  LineChart loss{"training loss of every trial", "step", "loss"};
  size_t i = 0;
  for (const auto& r : b.rows) {
    const std::string color = kPalette[i++ % (sizeof kPalette / sizeof *kPalette)];
    Series d{r.trial, color, {}, true};
    for (const auto& e : r.history.evals) {
      const double v = run_directory::metric_value(e.values, b.metric);
      if (std::isfinite(v)) d.points.emplace_back(static_cast<double>(e.step), v);
    }
    Series l{r.trial, color, {}, false};
    for (const auto& p : r.history.train)
      if (std::isfinite(p.loss)) l.points.emplace_back(static_cast<double>(p.step), p.loss);
    if (!d.points.empty()) dev.series.push_back(std::move(d));
    if (!l.points.empty()) loss.series.push_back(std::move(l));
  }
  if (const auto* best = b.best())
    dev.markers.push_back(
        {static_cast<double>(best->best_step), best->trial, "#d62728", true, best->best_dev});
  o << "<h2>Curves</h2><div class=\"grid2\"><div class=\"chart\">" << render_svg(dev)
    << "</div><div class=\"chart\">" << render_svg(loss) << "</div></div>";
}

void failures(std::ostream& o, const Leaderboard& b) {
  bool any = false;
  for (const auto& r : b.rows) {
    if (r.status.state != sweep::TrialState::kFailed) continue;
    if (!any) o << "<h2>Failed trials</h2>";
    any = true;
    o << "<p><b>" << html_escape(r.trial) << "</b>: exit " << r.status.exit_code
      << "; the end of its train.log:</p><pre>" << html_escape(r.status.log_tail) << "</pre>";
  }
}

}  // namespace

std::string render_sweep_report(const Leaderboard& b) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>berth sweep: "
    << html_escape(b.dir.filename().string()) << "</title><style>" << kStyle
    << "</style></head><body><h1>Sweep " << html_escape(b.dir.string()) << "</h1>"
    << "<div class=\"sub\">" << b.rows.size() << " trials, ranked by their best dev "
    << to_string(b.metric) << " (train.metric); written by <code>berth report</code></div>";
  table(o, b);
  charts(o, b);
  failures(o, b);
  o << "</body></html>\n";
  return o.str();
}

}  // namespace berth::report
