// Writes checkpoint directories so that a crash at any moment leaves the previous checkpoint
// usable (protocol in docs/checkpoint-format.md, "Berth state and atomicity"):
//   begin(step)  -> <root>/.tmp-step-XXXXXXXX-<pid>/, which the trainer fills with its files;
//   commit(meta) -> hash + fsync every file, write manifest.json last, fsync the directory,
//                   rename it to step-XXXXXXXX, fsync the root, then move `latest` atomically.
// One writer per checkpoint root at a time (rank 0): constructing one removes the leftovers of
// any earlier, crashed writer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace berth::checkpoint {

class CheckpointWriter {
 public:
  // Creates `root` if needed and recovers it from an interrupted write (logged).
  explicit CheckpointWriter(std::filesystem::path root);
  // An uncommitted begin() is abandoned: its temporary directory is removed.
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // Starts a checkpoint for `step`; returns the empty temporary directory to fill.
  std::filesystem::path begin(std::int64_t step);

  // Seals the checkpoint begun by begin(); `metadata` (a JSON object, e.g. metric values) is
  // stored in the manifest. Replaces an existing step directory of the same step safely.
  // Returns the final step directory.
  std::filesystem::path commit(const nlohmann::json& metadata = nlohmann::json::object());

  // Drops the checkpoint begun by begin(), if any.
  void abort() noexcept;

  // begin + fill + commit; when `fill` throws, the temporary directory is removed and the
  // exception propagates, leaving the previous checkpoints and pointers untouched.
  std::filesystem::path write(std::int64_t step,
                              const std::function<void(const std::filesystem::path&)>& fill,
                              const nlohmann::json& metadata = nlohmann::json::object());

  // Points `best` at an existing, committed step directory (atomically).
  void mark_best(std::int64_t step);

  // Fault injection for tests: called at each point of commit() where a crash must leave the
  // root usable ("files_synced", "manifest_written", "installed", "latest_updated"; and
  // "replaced" when an existing step directory was swapped out but not yet removed;
  // "moved_aside" between the two renames of the fallback replacement).
  using PhaseHook = std::function<void(const std::string& phase)>;
  void set_phase_hook(PhaseHook hook) { hook_ = std::move(hook); }

  // Re-saving a step swaps directories with renameat2(RENAME_EXCHANGE) where the file system
  // supports it; false forces the move-aside fallback (tests, or a file system whose exchange
  // is unreliable).
  void set_use_exchange(bool use) { use_exchange_ = use; }

 private:
  void check_pointers() const;
  void recover();
  void install(const std::filesystem::path& tmp, const std::filesystem::path& final_dir);

  std::filesystem::path root_;
  std::int64_t next_sequence_ = 1;  // see write_sequence() in layout.h
  std::optional<std::int64_t> step_;
  std::filesystem::path tmp_;
  PhaseHook hook_;
  bool use_exchange_ = true;
};

}  // namespace berth::checkpoint
