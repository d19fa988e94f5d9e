// `berth report`: one self-contained HTML page about a training run (inline SVG and CSS, no
// script, nothing fetched): loss and learning-rate curves, dev metrics per evaluation with the
// best checkpoint marked, resumes marked on the step and time axes, throughput over time, the
// final test metrics (per-class precision/recall/F1, confusion matrix as a heat map), the config
// and the checkpoints on disk with their verify status.
#pragma once

#include <string>

namespace berth::report {

struct ReportOptions {
  std::string run_dir;
  std::string checkpoint_dir;  // default: <run_dir>/checkpoints
  bool verify = true;          // hash every checkpoint's files (seconds for large models)
};

// The page; throws berth::Error (data) when the run directory has no metrics.jsonl.
std::string render_report(const ReportOptions& options);

}  // namespace berth::report
