#include "trainer/tensorboard_writer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/durable_fs.h"
#include "common/error.h"

namespace berth::trainer {

namespace fs = std::filesystem;

namespace {

bool is_event_file(const fs::path& p) {
  return p.filename().string().find("tfevents") != std::string::npos;
}

std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && is_event_file(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // the order TensorBoard reads them in
  return files;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

Error not_writable(const fs::path& dir, const std::string& what) {
  return usage_error("tensorboard", "cannot " + what + " in " + dir.string(),
                     "check that train.run_dir is writable");
}

}  // namespace

std::vector<tfevents::Scalar> TensorBoardWriter::read_dir(const fs::path& dir) {
  std::vector<tfevents::Scalar> out;
  for (const auto& f : event_files(dir)) {
    std::ifstream in(f, std::ios::binary);
    for (const auto& payload : tfevents::read_records(in))
      if (auto s = tfevents::parse_scalar_event(payload)) out.push_back(std::move(*s));
  }
  return out;
}

TensorBoardWriter::TensorBoardWriter(fs::path dir, int64_t keep_through_step)
    : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw not_writable(dir_, "create the directory");
  // The last value of each (tag, step) wins, in the order TensorBoard would read them.
  std::map<std::pair<std::string, int64_t>, size_t> index;
  std::vector<tfevents::Scalar> keep;
  for (auto& s : read_dir(dir_)) {
    if (s.step > keep_through_step) continue;
    auto key = std::make_pair(s.tag, s.step);
    auto it = index.find(key);
    if (it != index.end()) {
      keep[it->second] = std::move(s);
    } else {
      index.emplace(key, keep.size());
      keep.push_back(std::move(s));
    }
  }
  rewrite(keep);
}

void TensorBoardWriter::rewrite(const std::vector<tfevents::Scalar>& keep) {
  out_.close();
  const double t = now_seconds();
  // A name no earlier file of this directory has (TensorBoard only needs "tfevents" in it).
  const auto name = "events.out.tfevents." + std::to_string(static_cast<int64_t>(t)) + "." +
                    host_name() + "." + std::to_string(getpid()) + "." +
                    std::to_string(++rewrites_) + ".berth";
  const fs::path tmp = dir_ / ".writing.tmp";  // no "tfevents": TensorBoard ignores it
  std::string content = tfevents::frame_record(tfevents::file_version_event(t));
  for (const auto& s : keep) content += tfevents::frame_record(tfevents::scalar_event(s));
  // Durable before the old files go: a crash must leave the old curves or the new, not neither.
  const durable::Blame blame{"tensorboard", ExitCode::kUsage};
  durable::write_file_durably(tmp, content, blame);
  const auto old = event_files(dir_);
  durable::commit_file(tmp, dir_ / name, blame);
  std::error_code ec;
  // Until the old files are gone a crash leaves both; the next open merges them again.
  for (const auto& f : old)
    if (f.filename() != name) fs::remove(f, ec);
  file_ = dir_ / name;
  written_.clear();
  for (const auto& s : keep) written_.emplace(s.tag, s.step);
  out_.open(file_, std::ios::binary | std::ios::app);
  if (!out_) throw not_writable(dir_, "open " + name);
}

void TensorBoardWriter::add(const tfevents::Scalar& s) {
  if (written_.count({s.tag, s.step})) {
    // Rare (a step evaluated again): the file is small, rewrite it without the earlier value.
    out_.flush();
    auto all = read_dir(dir_);
    all.erase(std::remove_if(
                  all.begin(), all.end(),
                  [&](const tfevents::Scalar& o) { return o.tag == s.tag && o.step == s.step; }),
              all.end());
    rewrite(all);
  }
  out_ << tfevents::frame_record(tfevents::scalar_event(s));
  out_.flush();
  written_.emplace(s.tag, s.step);
}

}  // namespace berth::trainer
