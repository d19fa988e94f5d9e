// What the launcher knows of the directories its commands read, told to the output guard
// (common/output_guard.h): a checkpoint is sealed (no output goes into it), so is the checkpoint
// root around it, and the files a training run keeps in its directory are protected. The guard
// itself knows no layout; this file is where Berth's run and checkpoint layout meets it.
#pragma once

#include <string>

#include "common/output_guard.h"

namespace berth::launcher {

// The entries a training run writes in train.run_dir, the directory of metrics.jsonl. One list:
// a file added to runs must be added here to be protected.
const char* const* run_dir_entries();

// `dir` given with `option` (--checkpoint): sealed when it is a checkpoint (it has a manifest),
// protected otherwise (an exported model directory). When it is a step-* directory (or a
// `latest`/`best` link to one), its checkpoint root is sealed too, and when that root is a run's
// checkpoints/ directory, the run's own files are protected (guard_run_dir).
void guard_checkpoint(OutputGuard& guard, const std::string& dir, const std::string& option);

// The run's files (run_dir_entries) under `run_dir`; `checkpoints` (its checkpoint root, "" for
// <run_dir>/checkpoints) is sealed. New files beside them are allowed: `--output RUN/test.jsonl`
// is a common place for predictions, and rewriting it next time destroys nothing of the run.
void guard_run_dir(OutputGuard& guard, const std::string& run_dir,
                   const std::string& checkpoints = {});

}  // namespace berth::launcher
