#include "checkpoint/retention.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "checkpoint/layout.h"
#include "common/durable_fs.h"
#include "common/log.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

RetentionResult plan_retention(const std::vector<std::int64_t>& steps,
                               const std::map<std::int64_t, std::optional<double>>& metrics,
                               const RetentionPolicy& policy,
                               const std::vector<std::int64_t>& protected_steps) {
  std::vector<std::int64_t> sorted = steps;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  RetentionResult r;
  if (policy.keep_last == 0) {
    r.kept = sorted;
    return r;
  }
  std::set<std::int64_t> keep(protected_steps.begin(), protected_steps.end());
  for (std::size_t i = 0; i < sorted.size() && i < policy.keep_last; ++i) {
    keep.insert(sorted[sorted.size() - 1 - i]);
  }
  std::vector<std::pair<double, std::int64_t>> ranked;
  for (std::int64_t s : sorted) {
    auto it = metrics.find(s);
    if (it == metrics.end() || !it->second || std::isnan(*it->second)) continue;
    ranked.emplace_back(*it->second, s);
  }
  // Best first; on equal metrics the earlier step wins (it reached that value first).
  std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return policy.higher_is_better ? a.first > b.first : a.first < b.first;
    return a.second < b.second;
  });
  for (std::size_t i = 0; i < ranked.size() && i < policy.keep_best; ++i) {
    keep.insert(ranked[i].second);
  }
  for (std::int64_t s : sorted) (keep.count(s) ? r.kept : r.deleted).push_back(s);
  return r;
}

RetentionResult apply_retention(const fs::path& root, const RetentionPolicy& policy,
                                const std::map<std::int64_t, std::optional<double>>& metrics) {
  auto dirs = list_step_dirs(root);
  std::vector<std::int64_t> steps;
  for (const auto& d : dirs) steps.push_back(d.step);
  std::vector<std::int64_t> protected_steps;
  for (const char* pointer : {kLatestPointer, kBestPointer}) {
    if (auto target = read_pointer(root, pointer)) {
      if (auto s = parse_step_dir_name(target->filename().string())) protected_steps.push_back(*s);
    }
  }
  RetentionResult r = plan_retention(steps, metrics, policy, protected_steps);
  auto log = log::get("checkpoint");
  for (std::int64_t s : r.deleted) {
    fs::path dir = root / step_dir_name(s);
    fs::path doomed = root / (std::string(kTempPrefix) + "delete-" + step_dir_name(s) + "-" +
                              std::to_string(::getpid()));
    auto it = metrics.find(s);
    bool has_metric = it != metrics.end() && it->second;
    log->info("retention: deleting {} (not among the {} newest{}{})", dir.string(),
              policy.keep_last,
              policy.keep_best ? " nor the " + std::to_string(policy.keep_best) + " best" : "",
              has_metric ? "; metric " + std::to_string(*it->second) : "");
    durable::rename_path(dir, doomed);
    durable::fsync_dir(root);
    fs::remove_all(doomed);
  }
  return r;
}

}  // namespace berth::checkpoint
