// The one way Berth writes a file that must survive a crash or a full disk: checkpoint parts,
// Hugging Face weights and config, corpora, predictions, reports, TensorBoard files. POSIX
// rename() is atomic but durable only once the directory holding the name is fsynced; file
// contents are durable only once the file is fsynced; and a full disk may show up only at
// write(), fsync() or close(). Every failure throws berth::Error naming the path and errno's
// text; a file written atomically never appears under its final name half-written: its
// temporary (".<name>.tmp.<pid>", beside it) is removed on failure.
// Here, in common/, because every module that writes (data, model, checkpoint, trainer, the
// launcher, report, serve) may depend on common (cmake/layering.cmake).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::durable {

// Whose write failed: the component named in the error and the exit code (a corpus that cannot
// be written is a data error, a checkpoint or a model directory a model error).
struct Blame {
  std::string component = "checkpoint";
  ExitCode code = ExitCode::kModel;
};

// fsync of a regular file's data and metadata.
void fsync_file(const std::filesystem::path& file, const Blame& blame = {});

// fsync of a directory, making the entries created/renamed in it durable.
void fsync_dir(const std::filesystem::path& dir, const Blame& blame = {});

// Writes `content` to `file` (created or truncated, not atomically: for files inside a directory
// that is itself renamed into place) and fsyncs it.
void write_file_durably(const std::filesystem::path& file, std::string_view content,
                        const Blame& blame = {});

// Writes `content` to a temporary beside `path`, fsyncs it, renames it over `path` and fsyncs
// the directory: readers see the old file or the whole new one, never a part.
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           const Blame& blame = {});

// The temporary name write_file_atomically and AtomicFile use for `path`, for writers that
// create the file themselves (the HDF5 library does) and then call commit_file().
std::filesystem::path temp_path_for(const std::filesystem::path& path);

// Makes an already written and closed `tmp` durable under `path`: fsync, rename, fsync of the
// directory. On failure `tmp` is removed and `path` left as it was.
void commit_file(const std::filesystem::path& tmp, const std::filesystem::path& path,
                 const Blame& blame = {});

// A file written in pieces (predictions, a safetensors file) that appears under its name only
// at commit(). Destroyed without commit() (an error, an exception), it removes its temporary.
class AtomicFile {
 public:
  AtomicFile(std::filesystem::path path, Blame blame = {});
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // fsync, close (whose error counts: NFS reports a full disk there), rename, fsync of the dir.
  void commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return tmp_; }

 private:
  void flush();

  std::filesystem::path path_, tmp_;
  Blame blame_;
  std::string buffer_;  // small writes (a prediction line) gathered into few write(2) calls
  int fd_ = -1;
  bool committed_ = false;
};

// rename(2) with an error naming both paths.
void rename_path(const std::filesystem::path& from, const std::filesystem::path& to,
                 const Blame& blame = {});

// Atomically swaps two existing directory entries (Linux renameat2 RENAME_EXCHANGE). Returns
// false, changing nothing, where the file system or kernel does not support it (e.g. NFS).
bool exchange_paths(const std::filesystem::path& a, const std::filesystem::path& b,
                    const Blame& blame = {});

// Points `dir/name` at the relative `target` atomically: a temporary symlink renamed over the
// old one, so a reader sees either the old or the new target, never no pointer. Then fsyncs dir.
void replace_symlink(const std::filesystem::path& dir, const std::string& name,
                     const std::string& target, const Blame& blame = {});

}  // namespace berth::durable
