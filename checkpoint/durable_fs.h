// The POSIX durability primitives the checkpoint protocol is built from. rename() is atomic but
// only durable once the directory holding the name is fsynced; file contents are only durable
// once the file is fsynced. Each function throws berth::Error (kModel) naming the path.
#pragma once

#include <filesystem>
#include <string>

namespace berth::checkpoint {

// fsync of a regular file's data and metadata.
void fsync_file(const std::filesystem::path& file);

// fsync of a directory, making the entries created/renamed in it durable.
void fsync_dir(const std::filesystem::path& dir);

// Writes `content` to `file` (created or truncated) and fsyncs it.
void write_file_durably(const std::filesystem::path& file, const std::string& content);

// rename(2) with an error naming both paths.
void rename_path(const std::filesystem::path& from, const std::filesystem::path& to);

// Atomically swaps two existing directory entries (Linux renameat2 RENAME_EXCHANGE). Returns
// false, changing nothing, where the file system or kernel does not support it (e.g. NFS).
bool exchange_paths(const std::filesystem::path& a, const std::filesystem::path& b);

// Points `dir/name` at the relative `target` atomically: a temporary symlink renamed over the
// old one, so a reader sees either the old or the new target, never no pointer. Then fsyncs dir.
void replace_symlink(const std::filesystem::path& dir, const std::string& name,
                     const std::string& target);

}  // namespace berth::checkpoint
