// Checks made before step 1 for what a run will need later (the tokenizer files its first
// checkpoint copies, a max_length the model can embed, two classes to tell apart, writable
// directories, room for a checkpoint): a run must not train for an hour and then fail on
// something that was knowable at its start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "trainer/train_config.h"

namespace berth::trainer {

// model.path holds a readable config.json and the vocab.txt every checkpoint copies, and
// data.max_length fits its max_position_embeddings. Throws berth::Error naming the key.
void preflight_model(const TrainConfig& cfg);

// At least two labels in the training data (a one-class "classifier" learns nothing).
void preflight_labels(const std::vector<std::string>& labels, const std::string& corpus,
                      const TrainConfig& cfg);

// `dir` can be created and written (a probe file); `key` names the setting in the message.
void preflight_writable(const std::filesystem::path& dir, const std::string& key);

// Warns when the file system of `dir` has less free space than two checkpoints of
// `checkpoint_bytes` (the one being written and the last one kept).
void preflight_disk_space(const std::filesystem::path& dir, int64_t checkpoint_bytes);

}  // namespace berth::trainer
