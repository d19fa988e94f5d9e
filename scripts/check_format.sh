#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (.clang-format) makes of it, and
# lists those files; `make format` rewrites them. Exit 77 (skipped) without clang-format or git.
# Run by CTest as `format_check` so that the style cannot drift unnoticed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
command -v clang-format >/dev/null || { echo "SKIP: no clang-format"; exit 77; }
files=$(git ls-files '*.cpp' '*.h' '*.cu' 2>/dev/null) || { echo "SKIP: not a git checkout"; exit 77; }
bad=()
for f in $files; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "not formatted as .clang-format says ($(clang-format --version)):"
  printf '  %s\n' "${bad[@]}"
  echo "fix: make format"
  exit 1
fi
echo "$(wc -w <<<"$files") files formatted ($(clang-format --version))"
