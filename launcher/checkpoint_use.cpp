#include "launcher/checkpoint_use.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkpoint/checkpoint_scan.h"
#include "checkpoint/layout.h"
#include "common/cache_dir.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sha256.h"

namespace berth::launcher {

namespace fs = std::filesystem;

namespace {

fs::path verified_cache_dir() {
  return user_cache_dir("verified");
}

// A fingerprint of the directory as it is now: path, and name, size and mtime of every file.
std::string fingerprint(const fs::path& dir) {
  std::ostringstream os;
  os << fs::weakly_canonical(dir).string() << '\n';
  std::vector<fs::directory_entry> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e);
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path() < b.path(); });
  for (const auto& e : files) {
    os << e.path().lexically_relative(dir).string() << ' ' << e.file_size() << ' '
       << e.last_write_time().time_since_epoch().count() << '\n';
  }
  return sha256_hex(os.str());  // names the cache entry
}

}  // namespace

void check_checkpoint_for_use(const std::string& dir_name, bool verify) {
  const fs::path dir(dir_name);
  if (!fs::exists(dir)) {
    std::string hint =
        "name a checkpoint directory (e.g. RUN/checkpoints/latest) or a model "
        "directory";
    if (dir.filename() == checkpoint::kBestPointer)
      hint =
          "'best' is written only when a dev evaluation improved train.metric (a data.dev set "
          "and checkpoint.keep_best > 0); use " +
          (dir.parent_path() / checkpoint::kLatestPointer).string() + " instead";
    throw model_error("checkpoint", dir_name + " does not exist", hint);
  }
  if (!verify || !fs::exists(dir / checkpoint::kManifestName)) return;
  fs::path cache = verified_cache_dir();
  std::string key;
  std::error_code ec;
  if (!cache.empty()) {
    key = fingerprint(dir);
    if (fs::exists(cache / key, ec)) return;
  }
  auto r = checkpoint::verify(dir);
  if (!r.ok()) {
    std::string msg = "checkpoint " + dir_name + " fails its manifest check:";
    for (const auto& p : r.problems) msg += "\n    " + p;
    throw model_error("checkpoint", msg,
                      "the files changed since they were written (a copy cut short, a disk "
                      "error): use another checkpoint (`berth checkpoint verify " +
                          fs::absolute(dir).parent_path().string() +
                          "` lists them), or pass --no-verify to use it anyway");
  }
  if (!cache.empty()) {
    fs::create_directories(cache, ec);
    std::ofstream(cache / key) << dir_name << '\n';  // best effort: a failed write only costs time
  }
  log::get("checkpoint")->debug("{} verified against its manifest", dir_name);
}

std::shared_ptr<bool> add_verify_option(CLI::App* cmd) {
  auto verify = std::make_shared<bool>(true);
  cmd->add_flag_callback(
      "--no-verify", [verify] { *verify = false; },
      "Load a checkpoint without checking its files against its manifest");
  return verify;
}

}  // namespace berth::launcher
