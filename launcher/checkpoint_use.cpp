#include "launcher/checkpoint_use.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

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

}  // namespace

std::string checkpoint_fingerprint(const std::string& dir_name) {
  const fs::path dir(dir_name);
  std::ostringstream os;
  os << fs::weakly_canonical(dir).string() << '\n';
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) continue;  // gone meanwhile: verify() will say so
    // Size and mtime alone missed an edit followed by `touch -r` (same size, mtime set back);
    // the ctime cannot be set back, and a replaced file has another inode.
    os << f.lexically_relative(dir).string() << ' ' << st.st_dev << ' ' << st.st_ino << ' '
       << st.st_size << ' ' << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec << ' '
       << st.st_ctim.tv_sec << '.' << st.st_ctim.tv_nsec << '\n';
  }
  return sha256_hex(os.str());  // names the cache entry
}

void check_checkpoint_for_use(const std::string& dir_name, VerifyMode mode) {
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
  if (mode == VerifyMode::kNever || !fs::exists(dir / checkpoint::kManifestName)) return;
  fs::path cache = verified_cache_dir();
  std::string key;
  std::error_code ec;
  if (!cache.empty()) {
    key = checkpoint_fingerprint(dir_name);
    if (mode == VerifyMode::kAuto && fs::exists(cache / key, ec)) return;
  }
  auto r = checkpoint::verify(dir);
  if (!r.ok()) {
    std::string msg = "checkpoint " + dir_name + " fails its manifest check:";
    for (const auto& p : r.problems) msg += "\n    " + p;
    throw model_error("checkpoint", msg,
                      "the files changed since they were written (a copy cut short, a disk "
                      "error): use another checkpoint (`berth checkpoint verify " +
                          fs::absolute(dir).parent_path().string() +
                          "` lists them), or pass --verify never to use it anyway");
  }
  if (!cache.empty()) {
    fs::create_directories(cache, ec);
    std::ofstream(cache / key) << dir_name << '\n';  // best effort: a failed write only costs time
  }
  log::get("checkpoint")->debug("{} verified against its manifest", dir_name);
}

std::shared_ptr<VerifyMode> add_verify_option(CLI::App* cmd) {
  auto mode = std::make_shared<VerifyMode>(VerifyMode::kAuto);
  // Parsed here, once: a bad value is a usage error naming the option and the values.
  auto* verify = cmd->add_option_function<std::string>(
                        "--verify",
                        [mode](const std::string& text) {
                          auto m = parse_choice<VerifyMode>(text);
                          if (!m)
                            throw usage_error("checkpoint", "--verify is '" + text + "'",
                                              "use " + allowed_choices<VerifyMode>());
                          *mode = *m;
                        },
                        "Check the checkpoint's files against its manifest: auto (hash once, "
                        "then only when a file changed), always (hash now), never")
                     ->default_str("auto");
  cmd->add_flag_callback(
         "--no-verify", [mode] { *mode = VerifyMode::kNever; }, "Same as --verify never")
      ->excludes(verify);
  return mode;
}

}  // namespace berth::launcher
