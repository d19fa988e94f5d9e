#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace berth::report {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A tick label: short, without trailing zeros, scientific for very small or large values.
std::string tick_label(double v, double step) {
  char buf[32];
  if (v == 0) return "0";
  double a = std::fabs(v);
  if (a >= 1e5 || (a < 1e-3 && a > 0)) {
    std::snprintf(buf, sizeof buf, "%.2g", v);
  } else {
    int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6), v);
  }
  return buf;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  double raw = (hi - lo) / std::max(1, target);
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = p;
  // The first round step that gives at most ~1.3 x target ticks (so that a range just above a
  // round number still gets several ticks).
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw * 0.75) {
      step = m * p;
      break;
    }
  std::vector<double> t;
  // Multiples of the step (not a running sum, whose error grows tick by tick).
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1)
    t.push_back(k == 0 ? 0.0 : k * step);
  return t;
}

std::string render_svg(const LineChart& c) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  size_t n = 0;
  for (const auto& s : c.series)
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      ++n;
    }
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" << c.width
    << "\" height=\"" << c.height << "\" viewBox=\"0 0 " << c.width << " " << c.height
    << "\" role=\"img\"><title>" << html_escape(c.title) << "</title>";
  o << "<text x=\"8\" y=\"16\" class=\"ct\">" << html_escape(c.title) << "</text>";
  if (n == 0) {
    o << "<text x=\"" << c.width / 2 << "\" y=\"" << c.height / 2
      << "\" text-anchor=\"middle\" class=\"empty\">no data</text></svg>";
    return o.str();
  }
  if (x1 == x0) x0 -= 1, x1 += 1;
  if (y1 == y0)
    y0 -= std::max(1e-9, std::fabs(y0) * 0.1), y1 += std::max(1e-9, std::fabs(y1) * 0.1);
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  const double L = 58, R = c.width - 12, T = 28, B = c.height - 36;
  auto sx = [&](double x) { return L + (x - x0) / (x1 - x0) * (R - L); };
  auto sy = [&](double y) { return B - (y - y0) / (y1 - y0) * (B - T); };
  // Grid and tick labels.
  auto yt = nice_ticks(y0, y1, 5);
  double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : yt) {
    o << "<line x1=\"" << L << "\" x2=\"" << R << "\" y1=\"" << num(sy(v)) << "\" y2=\""
      << num(sy(v)) << "\" class=\"grid\"/>";
    o << "<text x=\"" << L - 4 << "\" y=\"" << num(sy(v) + 4)
      << "\" text-anchor=\"end\" class=\"tick\">" << tick_label(v, ystep) << "</text>";
  }
  auto xt = nice_ticks(x0, x1, 6);
  double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double v : xt) {
    o << "<line x1=\"" << num(sx(v)) << "\" x2=\"" << num(sx(v)) << "\" y1=\"" << B << "\" y2=\""
      << B + 4 << "\" class=\"axis\"/>";
    o << "<text x=\"" << num(sx(v)) << "\" y=\"" << B + 16
      << "\" text-anchor=\"middle\" class=\"tick\">" << tick_label(v, xstep) << "</text>";
  }
  o << "<line x1=\"" << L << "\" x2=\"" << R << "\" y1=\"" << B << "\" y2=\"" << B
    << "\" class=\"axis\"/><line x1=\"" << L << "\" x2=\"" << L << "\" y1=\"" << T << "\" y2=\""
    << B << "\" class=\"axis\"/>";
  o << "<text x=\"" << (L + R) / 2 << "\" y=\"" << c.height - 4
    << "\" text-anchor=\"middle\" class=\"al\">" << html_escape(c.x_label) << "</text>";
  o << "<text transform=\"translate(12," << (T + B) / 2
    << ") rotate(-90)\" text-anchor=\"middle\" class=\"al\">" << html_escape(c.y_label)
    << "</text>";
  // Vertical markers under the data.
  for (const auto& m : c.markers) {
    if (m.has_y || m.x < x0 || m.x > x1) continue;
    o << "<line x1=\"" << num(sx(m.x)) << "\" x2=\"" << num(sx(m.x)) << "\" y1=\"" << T
      << "\" y2=\"" << B << "\" stroke=\"" << m.color
      << "\" stroke-dasharray=\"4 3\" stroke-width=\"1.5\"><title>" << html_escape(m.label)
      << "</title></line>";
    o << "<text x=\"" << num(sx(m.x) + 3) << "\" y=\"" << T + 10 << "\" class=\"ml\" fill=\""
      << m.color << "\">" << html_escape(m.label) << "</text>";
  }
  for (const auto& s : c.series) {
    std::ostringstream path;
    bool pen = false;
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) {
        pen = false;  // a gap (e.g. a skipped fp16 step) breaks the line
        continue;
      }
      path << (pen ? "L" : "M") << num(sx(x)) << " " << num(sy(y)) << " ";
      pen = true;
    }
    o << "<path d=\"" << path.str() << "\" fill=\"none\" stroke=\"" << s.color
      << "\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>";
    if (s.dots)
      for (auto [x, y] : s.points)
        if (std::isfinite(x) && std::isfinite(y))
          o << "<circle cx=\"" << num(sx(x)) << "\" cy=\"" << num(sy(y)) << "\" r=\"2.8\" fill=\""
            << s.color << "\"/>";
  }
  for (const auto& m : c.markers) {
    if (!m.has_y) continue;
    o << "<circle cx=\"" << num(sx(m.x)) << "\" cy=\"" << num(sy(m.y))
      << "\" r=\"7\" fill=\"none\" stroke=\"" << m.color << "\" stroke-width=\"2\"><title>"
      << html_escape(m.label) << "</title></circle>";
    o << "<text x=\"" << num(sx(m.x)) << "\" y=\"" << num(sy(m.y) - 10)
      << "\" text-anchor=\"middle\" class=\"ml\" fill=\"" << m.color << "\">"
      << html_escape(m.label) << "</text>";
  }
  // Legend, top right.
  double lx = R - 8;
  for (auto it = c.series.rbegin(); it != c.series.rend(); ++it) {
    double w = 22 + 6.5 * it->name.size();
    lx -= w;
    o << "<rect x=\"" << num(lx) << "\" y=\"" << 9 << "\" width=\"12\" height=\"4\" fill=\""
      << it->color << "\"/><text x=\"" << num(lx + 16) << "\" y=\"15\" class=\"tick\">"
      << html_escape(it->name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

std::string render_heat_map(const std::vector<std::vector<long long>>& counts,
                            const std::vector<std::string>& labels) {
  const size_t k = labels.size();
  const int cell = k > 12 ? 28 : 44, left = 110, top = 96;
  const int w = left + cell * static_cast<int>(k) + 10, h = top + cell * static_cast<int>(k) + 10;
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heat\" width=\"" << w << "\" height=\""
    << h << "\" viewBox=\"0 0 " << w << " " << h
    << "\" role=\"img\"><title>confusion matrix</title>";
  o << "<text x=\"" << left + cell * k / 2.0 << "\" y=\"12\" text-anchor=\"middle\" class=\"al\">"
    << "predicted</text>";
  o << "<text transform=\"translate(10," << top + cell * k / 2.0
    << ") rotate(-90)\" text-anchor=\"middle\" class=\"al\">true label</text>";
  for (size_t j = 0; j < k; ++j)
    o << "<text transform=\"translate(" << left + cell * j + cell / 2 + 4 << "," << top - 6
      << ") rotate(-55)\" class=\"tick\">" << html_escape(labels[j]) << "</text>";
  for (size_t i = 0; i < k && i < counts.size(); ++i) {
    long long row = 0;
    for (long long v : counts[i]) row += v;
    o << "<text x=\"" << left - 6 << "\" y=\"" << top + cell * i + cell / 2 + 4
      << "\" text-anchor=\"end\" class=\"tick\">" << html_escape(labels[i]) << "</text>";
    for (size_t j = 0; j < k && j < counts[i].size(); ++j) {
      double share = row ? static_cast<double>(counts[i][j]) / row : 0.0;
      // White to a deep blue; the diagonal green so that correct predictions read at a glance.
      int r = static_cast<int>(255 - share * (i == j ? 215 : 225));
      int g = static_cast<int>(255 - share * (i == j ? 95 : 155));
      int b = static_cast<int>(255 - share * (i == j ? 175 : 75));
      o << "<rect x=\"" << left + cell * j << "\" y=\"" << top + cell * i << "\" width=\""
        << cell - 1 << "\" height=\"" << cell - 1 << "\" fill=\"rgb(" << r << "," << g << "," << b
        << ")\"><title>" << html_escape(labels[i]) << " predicted as " << html_escape(labels[j])
        << ": " << counts[i][j] << "</title></rect>";
      o << "<text x=\"" << left + cell * j + cell / 2 << "\" y=\"" << top + cell * i + cell / 2 + 4
        << "\" text-anchor=\"middle\" class=\"hv\" fill=\"" << (share > 0.55 ? "#fff" : "#222")
        << "\">" << counts[i][j] << "</text>";
    }
  }
  o << "</svg>";
  return o.str();
}

}  // namespace berth::report
