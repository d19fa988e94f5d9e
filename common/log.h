// Logging through spdlog, one logger per component, printed as "[component]".
// INFO and below come from rank 0 only; warnings and errors from every rank (prefixed with the
// rank when the world has more than one).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace berth::log {

// Sets the process's rank for log filtering and prefixes; call before the first logger is used
// (loggers created earlier are updated too).
void set_rank(int rank, int world_size);

// Also write every record of this rank to `path` (appending: a requeued job continues its log).
void add_file_sink(const std::string& path);

// Verbosity for rank 0: "debug", "info", "warn" or "error".
void set_level(const std::string& level);

// The logger for a component ("data", "model", "trainer", ...), created on first use.
std::shared_ptr<spdlog::logger> get(const std::string& component);

}  // namespace berth::log
