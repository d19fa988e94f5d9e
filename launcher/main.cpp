// berth: one executable, subcommands registered by launcher/cmd_*.cpp.
// Errors are caught here, once, and turned into the documented exit codes (common/error.h).
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>

#include "common/allocator_policy.h"
#include "common/closest_name.h"
#include "common/error.h"
#include "common/fast_exit.h"
#include "launcher/commands.h"
#include "launcher/version_report.h"

namespace berth::launcher {
std::vector<std::pair<int, Register>>& registry() {
  static std::vector<std::pair<int, Register>> r;
  return r;
}
int& exit_status() {
  static int status = 0;
  return status;
}
namespace {
bool fast_exit_requested = false;
}
void request_fast_exit() {
  fast_exit_requested = true;
}

namespace {

// The command words of argv, checked before CLI11 parses: CLI11 answered `berth trian` with "A
// subcommand is required", as if nothing had been typed. Descends while the command has
// subcommands (`berth checkpoint verfy DIR`); options end the descent. Returns the help of the
// command whose subcommand is missing (`berth`, `berth checkpoint`), else nullopt; throws on an
// unknown word.
std::optional<std::string> missing_subcommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  std::string path = app.get_name();
  std::string parent;  // what help() puts before the command's name in its usage line
  for (int i = 1;; ++i) {
    auto subs = level->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) return std::nullopt;
    if (i >= argc) {
      if (level->get_require_subcommand_min() == 0) return std::nullopt;
      return level->help(parent);
    }
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') return std::nullopt;  // --help, --version: CLI11's
    const CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (const auto* s : subs) {
      names.push_back(s->get_name());
      if (s->check_name(word)) next = s;
    }
    if (next == nullptr) {
      auto near = closest_name(word, names);
      throw usage_error(path, "unknown command '" + word + "'",
                        (near ? "did you mean '" + path + " " + *near + "'? " : std::string()) +
                            "`" + path + " --help` lists the commands");
    }
    parent = path;
    level = next;
    path += " " + level->get_name();
  }
}

}  // namespace
}  // namespace berth::launcher

int main(int argc, char** argv) {
  using namespace berth;
  apply_allocator_policy();
  CLI::App app{"berth: fine-tune BERT text classifiers on clusters", "berth"};
  app.require_subcommand(1);
  app.set_version_flag("--version", launcher::version_report);
  auto& reg = launcher::registry();
  std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : reg) fn(app);
  try {
    // `berth` alone, or `berth checkpoint`: the help, and the usage code (nothing was done, and
    // a script that lost its command word must not read success).
    if (const auto help = launcher::missing_subcommand(app, argc, argv)) {
      std::cout << *help << std::flush;
      return static_cast<int>(ExitCode::kUsage);
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // --help and --version have printed all they do.
    if (rc == 0) fast_exit(0);
    return static_cast<int>(ExitCode::kUsage);
  } catch (const Error& e) {
    std::cerr << "berth: error: " << e.what() << std::endl;
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "berth: internal error: " << e.what()
              << "\n  hint: this is a bug; please report it with the command line" << std::endl;
    return static_cast<int>(ExitCode::kInternal);
  }
  if (launcher::fast_exit_requested) fast_exit(launcher::exit_status());
  return launcher::exit_status();
}
