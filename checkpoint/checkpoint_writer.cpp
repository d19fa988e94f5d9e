#include "checkpoint/checkpoint_writer.h"

#include <unistd.h>

#include "checkpoint/layout.h"
#include "checkpoint/manifest.h"
#include "common/durable_fs.h"
#include "common/error.h"
#include "common/log.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// ".old-step-00001200-4711" -> "step-00001200"
std::optional<std::string> old_step_name(const std::string& name) {
  std::string rest = name.substr(std::string(kOldPrefix).size());
  auto dash = rest.rfind('-');
  if (dash == std::string::npos) return {};
  std::string step = rest.substr(0, dash);
  if (!parse_step_dir_name(step)) return {};
  return step;
}

}  // namespace

CheckpointWriter::CheckpointWriter(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  bool created = fs::create_directories(root_, ec);
  if (ec || !fs::is_directory(root_)) {
    throw model_error(
        "checkpoint",
        "cannot create checkpoint directory " + root_.string() + (ec ? ": " + ec.message() : ""),
        "check checkpoint.dir in the config and the permissions of its parent");
  }
  // A new root's own entry must survive a crash too, or its first checkpoint vanishes with it.
  if (created) durable::fsync_dir(fs::absolute(root_).parent_path());
  check_pointers();
  recover();
  for (const auto& s : list_step_dirs(root_))
    next_sequence_ = std::max(next_sequence_, write_sequence(s.path).value_or(0) + 1);
}

void CheckpointWriter::check_pointers() const {
  // `latest` and `best` are replaced by renaming a new symlink over them, which fails on a
  // directory, and only after a step's work is done: refuse at start instead.
  for (const char* pointer : {kLatestPointer, kBestPointer}) {
    fs::path p = root_ / pointer;
    std::error_code ec;
    auto st = fs::symlink_status(p, ec);
    if (ec || !fs::exists(st) || fs::is_symlink(st)) continue;
    throw model_error(
        "checkpoint",
        p.string() + " is a " + (fs::is_directory(st) ? "directory" : "file") +
            ", not a symlink to a step directory; Berth cannot move it to the next checkpoint",
        "the run directory was probably copied with its links followed (cp -r/-L, rsync -L, some "
        "sync tools), so it holds a copy of one step: move it out of " +
            root_.string() +
            " and run again; copy run directories with cp -a or rsync -a, which keep the links");
  }
}

CheckpointWriter::~CheckpointWriter() {
  abort();
}

void CheckpointWriter::recover() {
  auto log = log::get("checkpoint");
  bool changed = false;
  for (const auto& entry : fs::directory_iterator(root_)) {
    std::string name = entry.path().filename().string();
    if (starts_with(name, kTempPrefix)) {
      // An unfinished write or deletion: never a complete checkpoint, since it was not renamed.
      log->warn("removing {} left by an interrupted checkpoint write", entry.path().string());
      fs::remove_all(entry.path());
      changed = true;
    } else if (starts_with(name, kOldPrefix)) {
      // A step directory moved aside while the same step was being re-saved.
      auto step_name = old_step_name(name);
      if (!step_name) continue;
      if (fs::exists(root_ / *step_name)) {
        log->warn("removing {}: it was replaced by {}", entry.path().string(), *step_name);
        fs::remove_all(entry.path());
      } else {
        log->warn("restoring {} from {}: its replacement was interrupted", *step_name,
                  entry.path().string());
        durable::rename_path(entry.path(), root_ / *step_name);
      }
      changed = true;
    }
  }
  if (changed) durable::fsync_dir(root_);
}

fs::path CheckpointWriter::begin(std::int64_t step) {
  if (step < 0) {
    throw usage_error("checkpoint", "negative checkpoint step " + std::to_string(step),
                      "this is a trainer bug");
  }
  abort();
  tmp_ =
      root_ / (std::string(kTempPrefix) + step_dir_name(step) + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp_);
  std::error_code ec;
  fs::create_directory(tmp_, ec);
  if (ec) {
    throw model_error("checkpoint", "cannot create " + tmp_.string() + ": " + ec.message(),
                      "check free space and permissions of the checkpoint directory");
  }
  step_ = step;
  return tmp_;
}

void CheckpointWriter::install(const fs::path& tmp, const fs::path& final_dir) {
  if (!fs::exists(fs::symlink_status(final_dir))) {
    durable::rename_path(tmp, final_dir);
    durable::fsync_dir(root_);
    return;
  }
  // Re-saving a step (e.g. after a resume). An atomic exchange never lets step-X be absent;
  // where the file system cannot exchange, move the old one aside first: recover() puts it
  // back if we die before the new one is in place.
  log::get("checkpoint")->info("replacing existing {}", final_dir.string());
  if (use_exchange_ && durable::exchange_paths(tmp, final_dir)) {
    durable::fsync_dir(root_);
    if (hook_) hook_("replaced");
    fs::remove_all(tmp);  // now holds the old checkpoint
    return;
  }
  fs::path aside = root_ / (std::string(kOldPrefix) + final_dir.filename().string() + "-" +
                            std::to_string(::getpid()));
  fs::remove_all(aside);
  durable::rename_path(final_dir, aside);
  if (hook_) hook_("moved_aside");
  durable::rename_path(tmp, final_dir);
  durable::fsync_dir(root_);
  if (hook_) hook_("replaced");
  fs::remove_all(aside);
}

fs::path CheckpointWriter::commit(const nlohmann::json& metadata) {
  if (!step_) {
    throw Error("checkpoint", "commit() without begin()", "this is a trainer bug");
  }
  if (!metadata.is_object()) {
    throw Error("checkpoint", "checkpoint metadata must be a JSON object", "this is a trainer bug");
  }
  Manifest m;
  m.step = *step_;
  m.created = utc_now_iso8601();
  m.metadata = metadata;
  m.metadata[kSequenceKey] = next_sequence_++;
  // Hashing reads every file anyway; fsyncing it at the same time makes the data durable
  // before the manifest that vouches for it exists.
  m.files = hash_directory(tmp_, /*fsync_files=*/true);
  if (hook_) hook_("files_synced");
  durable::write_file_durably(tmp_ / kManifestName, manifest_to_json(m));
  durable::fsync_dir(tmp_);
  if (hook_) hook_("manifest_written");

  std::string name = step_dir_name(*step_);
  fs::path final_dir = root_ / name;
  install(tmp_, final_dir);
  step_.reset();
  tmp_.clear();
  if (hook_) hook_("installed");

  // Only now that step-X is durable may `latest` name it.
  durable::replace_symlink(root_, kLatestPointer, name);
  if (hook_) hook_("latest_updated");

  std::uint64_t bytes = 0;
  for (const auto& f : m.files) bytes += f.size;
  auto log = log::get("checkpoint");
  log->info("checkpoint {} written ({} files, {:.1f} MB)", final_dir.string(), m.files.size(),
            bytes / 1e6);
  auto steps = list_step_dirs(root_);
  if (!steps.empty() && steps.back().step > m.step) {
    // Resume goes by write order, so this is about disk space and `checkpoint verify` output.
    log->warn(
        "{} (a higher step, written before this one) is left from a run this one branched off; "
        "--resume auto resumes from the most recently written checkpoint, so it only takes "
        "space: remove it if that run is abandoned",
        steps.back().path.string());
  }
  return final_dir;
}

void CheckpointWriter::abort() noexcept {
  if (!step_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  step_.reset();
  tmp_.clear();
}

fs::path CheckpointWriter::write(std::int64_t step,
                                 const std::function<void(const fs::path&)>& fill,
                                 const nlohmann::json& metadata) {
  fs::path tmp = begin(step);
  try {
    fill(tmp);
  } catch (...) {
    abort();
    throw;
  }
  return commit(metadata);
}

void CheckpointWriter::mark_best(std::int64_t step) {
  std::string name = step_dir_name(step);
  if (!fs::is_directory(root_ / name)) {
    throw Error("checkpoint",
                "cannot mark " + (root_ / name).string() + " as best: it does not exist",
                "mark_best() takes the step of a committed checkpoint");
  }
  durable::replace_symlink(root_, kBestPointer, name);
  log::get("checkpoint")->info("best checkpoint is now {}", name);
}

}  // namespace berth::checkpoint
