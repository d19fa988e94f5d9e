#include "checkpoint/manifest.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <sstream>

#include "checkpoint/layout.h"
#include "common/durable_fs.h"
#include "common/error.h"
#include "common/file_read.h"
#include "common/sha256.h"

namespace berth::checkpoint {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_hex_digest(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A manifest path must stay inside the checkpoint: verify() opens dir/path.
bool is_safe_relative(const std::string& p) {
  if (p.empty() || p.front() == '/') return false;
  for (const auto& part : fs::path(p)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

}  // namespace

std::vector<ManifestEntry> hash_directory(const fs::path& dir, bool fsync_files) {
  std::vector<ManifestEntry> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    const auto& entry = *it;
    auto status = entry.symlink_status();
    std::string rel = fs::relative(entry.path(), dir).generic_string();
    if (fs::is_directory(status)) {
      if (fsync_files) durable::fsync_dir(entry.path());
      continue;
    }
    if (!fs::is_regular_file(status)) {
      throw model_error("checkpoint", "'" + rel + "' in " + dir.string() + " is not a regular file",
                        "the trainer must write plain files into a checkpoint (no symlinks)");
    }
    if (rel == kManifestName) continue;
    if (fsync_files) durable::fsync_file(entry.path());
    out.push_back({rel, static_cast<std::uint64_t>(entry.file_size()), sha256_file(entry.path())});
  }
  std::sort(out.begin(), out.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  return out;
}

std::string manifest_to_json(const Manifest& m) {
  json files = json::array();
  for (const auto& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  }
  json j = {{"format", "berth-checkpoint"},
            {"format_version", m.format_version},
            {"step", m.step},
            {"created", m.created},
            {"metadata", m.metadata},
            {"files", files}};
  return j.dump(2) + "\n";
}

Manifest parse_manifest(const std::string& text, const std::string& source) {
  auto bad = [&](const std::string& what) {
    return model_error("checkpoint", source + ": " + what,
                       "the checkpoint was not completely written or was modified; use another "
                       "checkpoint (--resume auto picks the newest valid one)");
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a huge number
    throw bad(std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw bad("not a JSON object");
  // Not j.value("format", ""): it throws when "format" is there but no string (found by fuzzing).
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || *format != "berth-checkpoint")
    throw bad("\"format\" is not \"berth-checkpoint\"");
  // Integers only: nlohmann turns a JSON float into an integer with a plain cast, undefined
  // behaviour when it is out of range (fuzz/fuzz_manifest found "size": 9e85).
  auto integer = [&](const json& v, const std::string& key) -> std::int64_t {
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)))
      throw bad("\"" + key + "\" is not an integer: " + v.dump());
    return v.get<std::int64_t>();
  };
  Manifest m;
  try {
    const std::int64_t version = integer(j.at("format_version"), "format_version");
    if (version < 1 || version > 1000000) throw bad("format_version " + std::to_string(version));
    m.format_version = static_cast<int>(version);
    if (m.format_version > kManifestFormatVersion) {
      throw bad("format_version " + std::to_string(m.format_version) +
                " is newer than this berth understands (" + std::to_string(kManifestFormatVersion) +
                ")");
    }
    m.step = integer(j.at("step"), "step");
    m.created = j.value("created", "");
    if (j.contains("metadata")) m.metadata = j.at("metadata");
    for (const auto& f : j.at("files")) {
      const std::int64_t size = integer(f.at("size"), "size");
      if (size < 0) throw bad("negative size " + std::to_string(size));
      ManifestEntry e{f.at("path").get<std::string>(), static_cast<std::uint64_t>(size),
                      f.at("sha256").get<std::string>()};
      if (!is_safe_relative(e.path)) throw bad("file path '" + e.path + "' leaves the checkpoint");
      if (!is_hex_digest(e.sha256)) throw bad("bad sha256 for '" + e.path + "'");
      m.files.push_back(std::move(e));
    }
  } catch (const json::exception& e) {
    throw bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
  return m;
}

std::optional<std::int64_t> write_sequence(const std::filesystem::path& step_dir) {
  const auto text = read_file(step_dir / kManifestName);
  if (!text) return {};
  Manifest m;
  try {
    m = parse_manifest(*text, kManifestName);
  } catch (const Error&) {
    return {};  // verify() reports what is wrong with it
  }
  auto it = m.metadata.find(kSequenceKey);
  if (it == m.metadata.end() || !it->is_number_integer()) return 0;
  return it->get<std::int64_t>();
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace berth::checkpoint
