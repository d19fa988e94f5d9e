// Which checkpoints to delete. Two separate budgets, because a single "keep the last K" rule is
// what deletes the best model in other tools: the K newest and the M best are each kept, and
// whatever `latest` and `best` point at is never deleted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

namespace berth::checkpoint {

struct RetentionPolicy {
  std::size_t keep_last = 0;     // K newest by step; 0 keeps every checkpoint
  std::size_t keep_best = 0;     // M best by metric, in addition to the K newest
  bool higher_is_better = true;  // false for a loss
};

struct RetentionResult {
  std::vector<std::int64_t> kept;     // ascending
  std::vector<std::int64_t> deleted;  // ascending
};

// Steps to delete among `steps` (pure: decides, touches nothing). `metrics` maps a step to its
// metric; absent or NaN values never rank as best. `protected_steps` are kept regardless.
RetentionResult plan_retention(const std::vector<std::int64_t>& steps,
                               const std::map<std::int64_t, std::optional<double>>& metrics,
                               const RetentionPolicy& policy,
                               const std::vector<std::int64_t>& protected_steps);

// Applies the policy to the step-* directories under `root`, protecting what `latest` and `best`
// point at, and logs each deletion. A directory is renamed to a .tmp- name before it is removed,
// so a crash mid-delete never leaves a half-deleted step-* that looks like a checkpoint.
RetentionResult apply_retention(const std::filesystem::path& root, const RetentionPolicy& policy,
                                const std::map<std::int64_t, std::optional<double>>& metrics);

}  // namespace berth::checkpoint
