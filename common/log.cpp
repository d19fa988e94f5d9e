#include "common/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <vector>

#include "common/error.h"
#include "common/live_line.h"

namespace berth::log {

namespace {
struct State {
  std::mutex mu;
  int rank = 0;
  int world = 1;
  spdlog::level::level_enum level = spdlog::level::info;
  std::vector<spdlog::sink_ptr> sinks;
};

State& state() {
  static State s;
  return s;
}

std::string pattern(const State& s) {
  std::string rank = s.world > 1 ? " [rank " + std::to_string(s.rank) + "]" : "";
  return "[%Y-%m-%d %H:%M:%S.%e] [%^%l%$]" + rank + " [%n] %v";
}

// On the console, other ranks only speak up for warnings and errors; every rank's own log file
// keeps all it says at the chosen level. Loggers pass everything at that level, and the sinks
// filter (a logger level of warn would starve the files of ranks other than 0).
spdlog::level::level_enum console_level(const State& s) {
  return s.rank == 0 ? s.level : std::max(s.level, spdlog::level::warn);
}

void ensure_sinks(State& s) {
  if (s.sinks.empty()) s.sinks.push_back(make_console_sink());
}

void refresh_all(State& s) {
  // sinks[0] is the console (ensure_sinks), the rest are files.
  for (size_t i = 0; i < s.sinks.size(); ++i)
    s.sinks[i]->set_level(i == 0 ? console_level(s) : s.level);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks() = s.sinks;
    l->set_pattern(pattern(s));
    l->set_level(s.level);
  });
}
}  // namespace

void set_rank(int rank, int world_size) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.rank = rank;
  s.world = world_size;
  set_live_line_rank(rank);
  ensure_sinks(s);
  refresh_all(s);
}

void add_file_sink(const std::string& path) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  ensure_sinks(s);
  try {
    s.sinks.push_back(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false));
  } catch (const spdlog::spdlog_ex& e) {
    throw Error("log", "cannot open log file " + path + ": " + e.what(),
                "check that the run directory is writable", ExitCode::kUsage);
  }
  refresh_all(s);
}

void set_level(const std::string& level) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto l = spdlog::level::from_str(level);
  if (l == spdlog::level::off && level != "off") {
    throw usage_error("log", "unknown log level '" + level + "'",
                      "use one of debug, info, warn, error");
  }
  s.level = l;
  ensure_sinks(s);
  refresh_all(s);
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (auto l = spdlog::get(component)) return l;
  ensure_sinks(s);
  refresh_all(s);  // sink levels
  auto l = std::make_shared<spdlog::logger>(component, s.sinks.begin(), s.sinks.end());
  l->set_pattern(pattern(s));
  l->set_level(s.level);
  l->flush_on(spdlog::level::info);
  spdlog::register_logger(l);
  return l;
}

}  // namespace berth::log
