#include "common/live_line.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace berth::log {

namespace {

struct LiveState {
  std::mutex mu;
  int rank = 0;
  std::string text;
  bool shown = false;
  std::chrono::steady_clock::time_point last_draw{};
};

LiveState& live() {
  static LiveState s;
  return s;
}

bool terminal() {
  static const bool t = [] {
    if (const char* force = std::getenv("BERTH_LIVE_PROGRESS")) return std::strcmp(force, "1") == 0;
    const char* term = std::getenv("TERM");
    return isatty(STDERR_FILENO) == 1 && !(term && std::strcmp(term, "dumb") == 0);
  }();
  return t;
}

size_t columns() {
  winsize w{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 100;
}

// Callers hold live().mu.
void erase_locked(LiveState& s) {
  if (!s.shown) return;
  std::fputs("\r\033[K", stderr);
  s.shown = false;
}

void draw_locked(LiveState& s) {
  if (s.text.empty()) return;
  std::string t = s.text;
  size_t cols = columns();
  if (t.size() >= cols) t.resize(cols > 1 ? cols - 1 : 0);  // a wrapped line cannot be redrawn
  std::fprintf(stderr, "\r\033[K%s", t.c_str());
  std::fflush(stderr);
  s.shown = true;
  s.last_draw = std::chrono::steady_clock::now();
}

// The coloured stderr sink with the live line kept below the records.
class LiveConsoleSink : public spdlog::sinks::sink {
 public:
  LiveConsoleSink() : inner_(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {}
  void log(const spdlog::details::log_msg& msg) override {
    auto& s = live();
    std::lock_guard<std::mutex> lock(s.mu);
    bool was = s.shown;
    erase_locked(s);
    inner_->log(msg);
    if (was) draw_locked(s);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

 private:
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> inner_;
};

}  // namespace

bool live_progress() {
  return terminal() && live().rank == 0;
}

void set_live_line_rank(int rank) {
  auto& s = live();
  std::lock_guard<std::mutex> lock(s.mu);
  s.rank = rank;
}

void set_live_line(const std::string& text, bool now) {
  if (!live_progress()) return;
  auto& s = live();
  std::lock_guard<std::mutex> lock(s.mu);
  s.text = text;
  if (!now && s.shown &&
      std::chrono::steady_clock::now() - s.last_draw < std::chrono::milliseconds(100))
    return;
  draw_locked(s);
}

void clear_live_line() {
  if (!terminal()) return;
  auto& s = live();
  std::lock_guard<std::mutex> lock(s.mu);
  erase_locked(s);
  std::fflush(stderr);
  s.text.clear();
}

void progress(spdlog::logger& logger, const std::string& text) {
  if (!live_progress()) {
    logger.info(text);
    return;
  }
  spdlog::details::log_msg msg(logger.name(), spdlog::level::info, text);
  for (auto& sink : logger.sinks()) {
    if (dynamic_cast<LiveConsoleSink*>(sink.get())) continue;
    if (sink->should_log(msg.level)) {
      sink->log(msg);
      sink->flush();
    }
  }
}

spdlog::sink_ptr make_console_sink() {
  if (terminal()) return std::make_shared<LiveConsoleSink>();
  return std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
}

}  // namespace berth::log
