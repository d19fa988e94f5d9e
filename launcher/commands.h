// Subcommand registry: each cmd_<name>.cpp defines one register function, called from main.
// A command's register function adds its options to `app` and sets its callback; the callback
// does the work and throws berth::Error on failure.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace berth::launcher {

using Register = std::function<void(CLI::App& app)>;

// Static registration so that adding a command is adding a file.
std::vector<std::pair<int, Register>>& registry();

// Exit status a command sets when it ends normally but not with 0 (e.g. stopped by a signal).
int& exit_status();

// A command whose callback leaves nothing but memory to free when it returns (predict, eval,
// tokenize) calls this; main then ends the process through common/fast_exit.h instead of
// running LibTorch's static destructors (a third of a 2-text predict's CPU).
void request_fast_exit();

struct CommandRegistrar {
  // `order` fixes the position in `berth --help`.
  CommandRegistrar(int order, Register r) { registry().emplace_back(order, std::move(r)); }
};

}  // namespace berth::launcher
