// `berth checkpoint verify DIR` and `berth checkpoint list ROOT`: inspect checkpoints without a
// trainer, e.g. before copying them off a cluster or to see why --resume auto skipped one.
// Exit codes: 0 when everything verifies, 4 (ExitCode::kModel) when anything does not.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/layout.h"
#include "checkpoint/manifest.h"
#include "common/error.h"
#include "common/file_read.h"
#include "launcher/commands.h"

namespace berth::launcher {

namespace {

namespace fs = std::filesystem;
namespace ck = berth::checkpoint;

// A directory is one checkpoint if it has a manifest or a step-* name; otherwise a root.
bool is_step_dir(const fs::path& dir) {
  return fs::exists(dir / ck::kManifestName) ||
         ck::parse_step_dir_name(dir.filename().string()).has_value();
}

void print_files(const ck::VerifyResult& r, bool only_bad) {
  for (const auto& f : r.files) {
    bool bad = f.status != ck::FileCheck::Status::kOk && f.status != ck::FileCheck::Status::kExtra;
    if (only_bad && !bad) continue;
    std::printf("  %-18s %s%s\n", ck::to_string(f.status), f.path.c_str(),
                f.detail.empty() ? "" : ("  (" + f.detail + ")").c_str());
  }
  // Problems not tied to a listed file (manifest missing or unparseable, step mismatch).
  for (const auto& p : r.problems) {
    bool file_level = false;
    for (const auto& f : r.files) file_level |= p.rfind(f.path + ": ", 0) == 0;
    if (!file_level) std::printf("  %-18s %s\n", "problem", p.c_str());
  }
}

void verify_step_dir(const fs::path& dir) {
  ck::VerifyResult r = ck::verify(dir);
  std::printf("%s\n", dir.string().c_str());
  print_files(r, /*only_bad=*/false);
  std::size_t listed = 0;
  for (const auto& f : r.files) listed += f.status != ck::FileCheck::Status::kExtra;
  if (r.ok()) {
    std::printf("OK: %zu files match the manifest (step %lld)\n", listed,
                static_cast<long long>(*r.step));
    return;
  }
  std::printf("INVALID: %zu problem(s)\n", r.problems.size());
  std::fflush(stdout);
  throw model_error("checkpoint", "checkpoint " + dir.string() + " does not verify: " + r.summary(),
                    "do not resume from it; `berth checkpoint verify` on the checkpoint root "
                    "shows which checkpoint --resume auto would use");
}

void verify_root(const fs::path& root) {
  auto steps = ck::list_step_dirs(root);
  if (steps.empty()) {
    throw model_error("checkpoint", "no step-* checkpoint directories in " + root.string(),
                      "pass checkpoint.dir of a run that has saved a checkpoint, or a step "
                      "directory");
  }
  std::printf("%s: %zu checkpoint(s)\n", root.string().c_str(), steps.size());
  std::size_t invalid = 0;
  std::optional<std::int64_t> resumable;
  std::vector<std::string> skipped;
  std::set<std::string> valid_names;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    ck::VerifyResult r = ck::verify(it->path);
    std::string name = it->path.filename().string();
    std::printf("%s: %s\n", name.c_str(), r.ok() ? "OK" : "INVALID");
    print_files(r, /*only_bad=*/true);
    if (r.ok()) {
      valid_names.insert(name);
      if (!resumable) resumable = it->step;
    } else {
      ++invalid;
      if (!resumable) skipped.push_back(name);
    }
  }
  std::size_t bad_pointers = 0;
  for (const char* pointer : {ck::kLatestPointer, ck::kBestPointer}) {
    auto target = ck::read_pointer(root, pointer);
    if (!target) continue;
    std::string name = target->filename().string();
    const char* state = !fs::exists(*target)      ? "DANGLING"
                        : valid_names.count(name) ? "ok"
                                                  : "INVALID target";
    bad_pointers += std::string(state) != "ok";
    std::printf("%s -> %s  (%s)\n", pointer, name.c_str(), state);
  }
  if (resumable) {
    std::printf("resumable: %s", ck::step_dir_name(*resumable).c_str());
    if (!skipped.empty()) {
      std::printf("  (--resume auto skips newer:");
      for (const auto& s : skipped) std::printf(" %s", s.c_str());
      std::printf(")");
    }
    std::printf("\n");
  } else {
    std::printf("resumable: none\n");
  }
  if (invalid == 0 && bad_pointers == 0) {
    std::printf("OK: all %zu checkpoint(s) verify\n", steps.size());
    return;
  }
  std::fflush(stdout);
  throw model_error(
      "checkpoint",
      std::to_string(invalid) + " of " + std::to_string(steps.size()) + " checkpoint(s) in " +
          root.string() + " do not verify" +
          (bad_pointers ? ", " + std::to_string(bad_pointers) + " bad pointer(s)" : ""),
      resumable ? "--resume auto will use " + ck::step_dir_name(*resumable) +
                      "; delete the invalid ones once you no longer need them"
                : "no checkpoint here can be resumed; start from scratch or restore "
                  "a copy");
}

void list_root(const fs::path& root) {
  auto steps = ck::list_step_dirs(root);
  auto latest = ck::read_pointer(root, ck::kLatestPointer);
  auto best = ck::read_pointer(root, ck::kBestPointer);
  std::printf("%-15s %-21s %6s %12s  %s\n", "checkpoint", "created", "files", "bytes", "metadata");
  for (const auto& s : steps) {
    std::string name = s.path.filename().string();
    std::string created = "-", files = "-", bytes = "-", meta = "(no valid manifest)";
    if (const auto text = read_file(s.path / ck::kManifestName)) {
      try {
        ck::Manifest m = ck::parse_manifest(*text, ck::kManifestName);
        std::uint64_t total = 0;
        for (const auto& f : m.files) total += f.size;
        created = m.created;
        files = std::to_string(m.files.size());
        bytes = std::to_string(total);
        meta = m.metadata.dump();
      } catch (const Error&) {
      }
    }
    std::string marks;
    if (latest && latest->filename() == name) marks += " [latest]";
    if (best && best->filename() == name) marks += " [best]";
    std::printf("%-15s %-21s %6s %12s  %s%s\n", name.c_str(), created.c_str(), files.c_str(),
                bytes.c_str(), meta.c_str(), marks.c_str());
  }
  std::printf("(listing reads manifests only; run `berth checkpoint verify %s` to check files)\n",
              root.string().c_str());
}

void register_checkpoint(CLI::App& app) {
  auto* cmd = app.add_subcommand("checkpoint", "Verify or list checkpoints");
  cmd->require_subcommand(1);

  auto verify_dir = std::make_shared<std::string>();
  auto* verify = cmd->add_subcommand(
      "verify",
      "Check checkpoint files against their manifest.json (exit 0: valid, 4: not). DIR is a "
      "step directory, or a checkpoint root whose every step-* is checked");
  verify->add_option("DIR", *verify_dir, "step-XXXXXXXX directory or checkpoint root")->required();
  verify->callback([verify_dir] {
    fs::path dir = *verify_dir;
    if (!fs::is_directory(dir)) {
      throw usage_error("checkpoint", dir.string() + " is not a directory",
                        "pass a checkpoint root (checkpoint.dir) or one of its step-* directories");
    }
    // `root/latest` is a symlink: show and check the step directory it names.
    if (fs::is_symlink(dir)) dir = fs::canonical(dir);
    if (is_step_dir(dir)) {
      verify_step_dir(dir);
    } else {
      verify_root(dir);
    }
  });

  auto list_dir = std::make_shared<std::string>();
  auto* list = cmd->add_subcommand("list", "List the checkpoints under a checkpoint root");
  list->add_option("ROOT", *list_dir, "checkpoint root (checkpoint.dir)")->required();
  list->callback([list_dir] {
    if (!fs::is_directory(*list_dir)) {
      throw usage_error("checkpoint", *list_dir + " is not a directory",
                        "pass a checkpoint root (checkpoint.dir)");
    }
    list_root(*list_dir);
  });
}

const CommandRegistrar registrar(60, register_checkpoint);

}  // namespace

}  // namespace berth::launcher
