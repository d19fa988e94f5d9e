// Charts as inline SVG, for a report that opens anywhere without scripts or network: line charts
// with axes, grid, legend and marked x positions, and a heat map for confusion matrices.
#pragma once

#include <string>
#include <vector>

namespace berth::report {

struct Series {
  std::string name;
  std::string color;                              // CSS colour
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
  bool dots = false;  // draw a dot at every point (sparse series such as evaluations)
};

// A vertical line at x (a resume, a requeue) or a ringed point (the best checkpoint).
struct Marker {
  double x = 0;
  std::string label;
  std::string color = "#888";
  bool has_y = false;  // ring the point (x, y) instead of drawing a line
  double y = 0;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  std::vector<Marker> markers;
  int width = 640;
  int height = 260;
};

// The chart as an <svg> element; a chart with no points says so instead of drawing empty axes.
std::string render_svg(const LineChart& chart);

// A heat map of `counts` (rows = true label, columns = prediction), each cell shaded by its
// share of its row and labelled with the count.
std::string render_heat_map(const std::vector<std::vector<long long>>& counts,
                            const std::vector<std::string>& labels);

// Round tick values covering [lo, hi], about `target` of them (1, 2 or 5 times a power of ten).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// Escapes &, <, >, " and ' for HTML text and attributes.
std::string html_escape(const std::string& s);

}  // namespace berth::report
