// Berth's version: one source, project(VERSION) in the top-level CMakeLists.txt, handed to this
// file's .cpp as BERTH_VERSION; the commit comes from git at build time (cmake/commit.cmake).
// `berth --version`, corpus files (created_by) and logs read it from here.
#pragma once

#include <string>

namespace berth {

std::string version();  // "0.1.0"
std::string commit();   // "0431ec1f2a3b", "...-dirty" with uncommitted changes, or "unknown"

}  // namespace berth
