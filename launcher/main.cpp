// berth: one executable, subcommands registered by launcher/cmd_*.cpp.
// Errors are caught here, once, and turned into the documented exit codes (common/error.h).
#include <algorithm>
#include <iostream>

#include "common/allocator_policy.h"
#include "common/error.h"
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
}  // namespace berth::launcher

int main(int argc, char** argv) {
  using namespace berth;
  apply_allocator_policy();
  CLI::App app{"berth: fine-tune BERT text classifiers on clusters"};
  app.require_subcommand(1);
  app.set_version_flag("--version", launcher::version_report);
  auto& reg = launcher::registry();
  std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : reg) fn(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  } catch (const Error& e) {
    std::cerr << "berth: error: " << e.what() << std::endl;
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "berth: internal error: " << e.what()
              << "\n  hint: this is a bug; please report it with the command line" << std::endl;
    return static_cast<int>(ExitCode::kInternal);
  }
  return launcher::exit_status();
}
