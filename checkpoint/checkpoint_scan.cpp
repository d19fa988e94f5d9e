#include "checkpoint/checkpoint_scan.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "checkpoint/layout.h"
#include "checkpoint/manifest.h"
#include "common/error.h"
#include "common/file_read.h"
#include "common/log.h"
#include "common/sha256.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;

const char* to_string(FileCheck::Status s) {
  switch (s) {
    case FileCheck::Status::kOk:
      return "ok";
    case FileCheck::Status::kMissing:
      return "missing";
    case FileCheck::Status::kSizeMismatch:
      return "size mismatch";
    case FileCheck::Status::kChecksumMismatch:
      return "checksum mismatch";
    case FileCheck::Status::kUnreadable:
      return "unreadable";
    case FileCheck::Status::kExtra:
      return "not in manifest";
  }
  return "?";
}

std::string VerifyResult::summary() const {
  std::string s;
  for (const auto& p : problems) s += (s.empty() ? "" : "; ") + p;
  return s;
}

namespace {

void check_file(const fs::path& dir, const ManifestEntry& e, VerifyResult& r) {
  FileCheck c;
  c.path = e.path;
  fs::path p = dir / e.path;
  std::error_code ec;
  auto status = fs::symlink_status(p, ec);
  if (!fs::exists(status)) {
    c.status = FileCheck::Status::kMissing;
    c.detail = "listed in the manifest but absent";
  } else if (!fs::is_regular_file(status)) {
    c.status = FileCheck::Status::kUnreadable;
    c.detail = "not a regular file";
  } else if (auto size = fs::file_size(p, ec); ec) {
    c.status = FileCheck::Status::kUnreadable;
    c.detail = ec.message();
  } else if (size != e.size) {
    // A size difference already proves the file wrong; skip hashing it.
    c.status = FileCheck::Status::kSizeMismatch;
    c.detail = std::to_string(size) + " bytes, manifest says " + std::to_string(e.size);
  } else {
    try {
      std::string digest = sha256_file(p);
      if (digest != e.sha256) {
        c.status = FileCheck::Status::kChecksumMismatch;
        c.detail = "sha256 " + digest.substr(0, 12) + "..., manifest says " +
                   e.sha256.substr(0, 12) + "...";
      }
    } catch (const Error& err) {
      c.status = FileCheck::Status::kUnreadable;
      c.detail = err.message();
    }
  }
  if (c.status != FileCheck::Status::kOk) {
    r.problems.push_back(e.path + ": " + to_string(c.status) + " (" + c.detail + ")");
  }
  r.files.push_back(std::move(c));
}

void list_extra_files(const fs::path& dir, const std::set<std::string>& listed, VerifyResult& r) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (rel == kManifestName || listed.count(rel)) continue;
    r.files.push_back({rel, FileCheck::Status::kExtra, ""});
    r.notes.push_back(rel + ": present but not in the manifest (ignored)");
  }
}

}  // namespace

VerifyResult verify(const fs::path& dir) {
  VerifyResult r;
  r.dir = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    r.problems.push_back(dir.string() + " is not a directory");
    return r;
  }
  fs::path manifest_path = dir / kManifestName;
  const auto text = read_file(manifest_path);
  if (!text) {
    r.problems.push_back(std::string(kManifestName) +
                         ": missing (the checkpoint was not completely written)");
    return r;
  }
  Manifest m;
  try {
    m = parse_manifest(*text, kManifestName);
  } catch (const Error& e) {
    r.problems.push_back(e.message());
    return r;
  }
  r.step = m.step;
  r.metadata = m.metadata;
  auto dir_step = parse_step_dir_name(dir.filename().string());
  if (dir_step && *dir_step != m.step) {
    r.problems.push_back(std::string(kManifestName) + ": step " + std::to_string(m.step) +
                         " does not match the directory name " + dir.filename().string());
  }
  std::set<std::string> listed;
  for (const auto& e : m.files) {
    listed.insert(e.path);
    check_file(dir, e, r);
  }
  list_extra_files(dir, listed, r);
  return r;
}

ResumeChoice find_resumable(const fs::path& root) {
  ResumeChoice choice;
  // Most recently written first: after a resume from an older checkpoint, the branch that run
  // wrote wins over higher steps left by the run it abandoned. A directory whose manifest cannot
  // be read counts as the most recent, so that the skip and its reason are reported.
  // Ties (manifests without a sequence) keep list_step_dirs' step order.
  std::vector<std::pair<std::int64_t, StepDir>> steps;
  for (auto& s : list_step_dirs(root)) {
    auto seq = write_sequence(s.path).value_or(std::numeric_limits<std::int64_t>::max());
    steps.emplace_back(seq, std::move(s));
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    const StepDir& dir = it->second;
    VerifyResult r = verify(dir.path);
    if (r.ok()) {
      choice.chosen = std::move(r);
      break;
    }
    choice.skipped.push_back({dir.step, dir.path, r.summary()});
  }
  return choice;
}

void require_valid(const fs::path& dir) {
  VerifyResult r = verify(dir);
  if (r.ok()) return;
  std::string msg = "checkpoint " + dir.string() + " is unusable:";
  for (const auto& p : r.problems) msg += "\n    " + p;
  throw model_error("checkpoint", msg,
                    "use --resume auto to fall back to the newest checkpoint that verifies, or "
                    "run `berth checkpoint verify " +
                        fs::absolute(dir).lexically_normal().parent_path().string() +
                        "` to see them all");
}

std::optional<fs::path> resolve_resume(const fs::path& root, const ResumeFrom& from) {
  using Kind = ResumeFrom::Kind;
  auto log = log::get("checkpoint");
  const std::string spec = from.str();
  if (from.kind == Kind::kNever) return {};
  if (from.kind == Kind::kAuto) {
    ResumeChoice c = find_resumable(root);
    for (const auto& s : c.skipped) {
      log->warn("skipping {}: {}", s.dir.string(), s.reason);
    }
    if (!c.chosen) {
      log->info("no valid checkpoint in {}: starting from scratch", root.string());
      return {};
    }
    log->info(
        "resuming from {} (the most recently written checkpoint whose manifest verifies{})",
        c.chosen->dir.string(),
        c.skipped.empty() ? "" : "; " + std::to_string(c.skipped.size()) + " later one(s) skipped");
    return c.chosen->dir;
  }
  fs::path dir;
  if (from.kind == Kind::kLatest || from.kind == Kind::kBest) {
    auto target = read_pointer(root, spec);
    if (!target) {
      throw model_error(
          "checkpoint", "no '" + spec + "' checkpoint in " + root.string(),
          spec == kBestPointer
              ? "'best' exists once a dev evaluation has improved train.metric (a data.dev set "
                "and checkpoint.keep_best > 0); --resume latest or auto take the last one"
              : "no checkpoint has been written there yet: leave --resume at auto to start "
                "from scratch, or check train.run_dir / checkpoint.dir");
    }
    dir = *target;
  } else {
    dir = from.dir;
    if (!fs::exists(dir)) {
      throw usage_error("checkpoint", "--resume " + spec + ": no such checkpoint directory",
                        "--resume takes auto, never, latest, best or a checkpoint directory such "
                        "as " +
                            (root / "step-00000010").string());
    }
  }
  require_valid(dir);
  log->info("resuming from {}", dir.string());
  return dir;
}

}  // namespace berth::checkpoint
