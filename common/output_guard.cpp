#include "common/output_guard.h"

#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "common/error.h"

namespace berth {

namespace fs = std::filesystem;

namespace {

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

// stat(2), following links: the file a write to `p` would reach.
std::optional<struct stat> stat_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return st;
}

// Absolute, with every link and `..` of the part that exists resolved.
fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : r;
}

// The entry a writer replaces: the directory resolved, the last name kept (a rename over a link
// replaces the link). Two names are one artefact when these are equal.
fs::path named(const fs::path& p) {
  const fs::path abs = fs::absolute(p).lexically_normal();
  return resolved(abs.parent_path()) / abs.filename();
}

bool is_within(const fs::path& p, const fs::path& dir) {
  auto d = dir.begin();
  auto q = p.begin();
  for (; d != dir.end(); ++d, ++q) {
    if (d->empty()) continue;  // a trailing separator
    if (q == p.end() || *q != *d) return false;
  }
  return true;
}

// The first regular file under `dir` (links to files followed, links to directories not:
// a checkpoint root's `latest` names a step directory walked on its own) that is `id` and is
// not `skip`.
std::optional<fs::path> file_under(const fs::path& dir, const FileId& id, const fs::path& skip) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    auto st = stat_of(it->path());
    if (!st || !S_ISREG(st->st_mode)) continue;
    if (FileId{st->st_dev, st->st_ino} == id && named(it->path()) != skip) return it->path();
  }
  return std::nullopt;
}

}  // namespace

OutputGuard::OutputGuard(std::string component) : component_(std::move(component)) {}

OutputGuard& OutputGuard::protect(const std::string& path, const std::string& option) {
  if (!path.empty()) entries_.push_back({path, option, false});
  return *this;
}

OutputGuard& OutputGuard::seal(const std::string& dir, const std::string& what) {
  if (!dir.empty()) entries_.push_back({dir, what, true});
  return *this;
}

OutputGuard& OutputGuard::allow(const std::string& path) {
  allowed_.push_back(named(path).string());
  return *this;
}

void OutputGuard::check(const std::string& output, const std::string& option) const {
  if (output.empty()) return;
  const auto out_st = stat_of(output);
  // A device or FIFO is written as is and a directory is refused by the writer itself: neither
  // replaces a file.
  if (out_st && !S_ISREG(out_st->st_mode)) return;
  const fs::path out = resolved(output);
  const fs::path out_name = named(output);
  bool own = false;
  for (const auto& a : allowed_) own |= out_name == fs::path(a);

  auto refuse = [&](const std::string& why) {
    throw usage_error(component_, option + " " + output + " " + why,
                      "choose another " + option + " path: the command never writes over what " +
                          "it reads, nor into a run's or checkpoint's files");
  };
  const auto through = [&](const fs::path& target) {
    // Name the indirection when there is one: the user typed another name.
    return out == resolved(target) && fs::path(output).lexically_normal() == fs::path(target)
               ? std::string()
               : std::string(" (the same file through a link, `..` or a hard link)");
  };

  for (const auto& e : entries_) {
    const auto st = stat_of(e.path);
    if (!st) continue;  // nothing there to destroy
    if (S_ISDIR(st->st_mode)) {
      const fs::path dir = resolved(e.path);
      if (e.sealed && is_within(out, dir))
        refuse("is inside " + e.what + " " + e.path +
               ", whose files Berth alone writes (an extra file changes it too)");
      if (!out_st) continue;  // a new file: no inode to match
      const FileId id{out_st->st_dev, out_st->st_ino};
      // The own artefact may be rewritten; another protected file with its inode may not.
      if (auto hit = file_under(dir, id, own ? out_name : fs::path()))
        refuse("is " + hit->string() + through(*hit) + ", a file of " + e.what + " " + e.path +
               ": the output would replace it");
      continue;
    }
    if (!out_st || !S_ISREG(st->st_mode)) continue;
    if (own && named(e.path) == out_name) continue;  // the artefact itself, rewritten
    if (FileId{out_st->st_dev, out_st->st_ino} == FileId{st->st_dev, st->st_ino})
      refuse("is " + e.what + " " + e.path + through(e.path) + ": the output would replace it");
  }
}

}  // namespace berth
