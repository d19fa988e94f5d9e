// A directory of TensorBoard scalars (<run_dir>/tensorboard) that a resumed run continues without
// leaving TensorBoard two values for one step. TensorBoard reads every event file of a
// directory, so appending after a resume would keep the abandoned attempt's later steps and draw
// its curves doubling back. Instead the directory always holds one event file: on open the
// existing events are read (a torn tail from a crash is dropped), those after the step the run
// continues from are discarded, and the rest are rewritten into a fresh file that replaces the
// old ones. Writing a tag at a step it already has (a finished run re-evaluated on rerun)
// rewrites the file without the earlier value, so the last value wins, as in metrics.jsonl.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "trainer/tfevents.h"

namespace berth::trainer {

class TensorBoardWriter {
 public:
  // Opens `dir` (created if needed), keeping the existing events with step <= keep_through_step
  // (-1 keeps none). Throws berth::Error (usage) when the directory is not writable.
  TensorBoardWriter(std::filesystem::path dir, int64_t keep_through_step);

  // Appends one scalar, flushed (a crash loses at most the record being written).
  void add(const tfevents::Scalar& s);

  const std::filesystem::path& file() const { return file_; }

  // The scalars of every event file in `dir`, in file-name order then file order.
  static std::vector<tfevents::Scalar> read_dir(const std::filesystem::path& dir);

 private:
  void rewrite(const std::vector<tfevents::Scalar>& keep);

  std::filesystem::path dir_;
  std::filesystem::path file_;
  std::ofstream out_;
  std::set<std::pair<std::string, int64_t>> written_;  // (tag, step) in the file
  int rewrites_ = 0;
};

}  // namespace berth::trainer
