// Progress on a terminal: one status line at the bottom of rank 0's stderr, redrawn in place,
// with log records printed above it. Only when stderr is a terminal: written to a file (Slurm
// output, `2> log`), nothing here ever emits a carriage return and progress stays plain log
// lines.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace berth::log {

// Whether progress is shown as a live line: this is rank 0 and its stderr is a terminal (TERM
// not "dumb"). BERTH_LIVE_PROGRESS=0/1 overrides the terminal check (tests, `script` logs).
bool live_progress();

// Sets the live line's text and redraws it, at most 10 times a second unless `now` (the text is
// cut to the terminal width so that it never wraps). No-op without live progress.
void set_live_line(const std::string& text, bool now = false);

// Erases the live line; the next set_live_line() draws it again. Call when a command's progress
// ends (LiveLineScope does).
void clear_live_line();

struct LiveLineScope {
  LiveLineScope() = default;
  LiveLineScope(const LiveLineScope&) = delete;
  LiveLineScope& operator=(const LiveLineScope&) = delete;
  ~LiveLineScope() { clear_live_line(); }
};

// A progress record (e.g. the trainer's line per train.log_every steps): with live progress it
// goes to the log files only, the terminal showing the live line instead; otherwise it is logged
// at info like any other record.
void progress(spdlog::logger& logger, const std::string& text);

// The console sink (stderr, coloured): with live progress it erases the live line before each
// record and redraws it after. Used by log.cpp.
spdlog::sink_ptr make_console_sink();

// Called by log.cpp when the rank is known: only rank 0 draws a live line.
void set_live_line_rank(int rank);

}  // namespace berth::log
