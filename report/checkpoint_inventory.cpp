#include "report/checkpoint_inventory.h"

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/layout.h"

namespace berth::report {

namespace fs = std::filesystem;

CheckpointInventory scan_checkpoints(const fs::path& root, bool verify) {
  CheckpointInventory inv;
  inv.root = root;
  auto pointed = [&](const char* pointer) -> std::optional<int64_t> {
    auto p = checkpoint::read_pointer(root, pointer);
    if (!p) return std::nullopt;
    return checkpoint::parse_step_dir_name(p->filename().string());
  };
  auto latest = pointed(checkpoint::kLatestPointer);
  inv.best_step = pointed(checkpoint::kBestPointer);
  for (const auto& d : checkpoint::list_step_dirs(root)) {
    CheckpointEntry e;
    e.step = d.step;
    e.name = d.path.filename().string();
    std::error_code ec;
    for (const auto& f : fs::recursive_directory_iterator(d.path, ec))
      if (f.is_regular_file(ec)) e.bytes += f.file_size(ec);
    if (verify) {
      auto v = checkpoint::verify(d.path);
      e.verified = v.ok();
      e.problem = v.ok() ? "" : v.summary();
      if (v.metadata.is_object() && v.metadata.contains("reason") &&
          v.metadata["reason"].is_string())
        e.reason = v.metadata["reason"].get<std::string>();
    } else {
      e.problem = "not verified";
    }
    e.latest = latest && *latest == d.step;
    e.best = inv.best_step && *inv.best_step == d.step;
    inv.entries.push_back(std::move(e));
  }
  return inv;
}

}  // namespace berth::report
