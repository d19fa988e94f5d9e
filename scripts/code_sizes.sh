#!/usr/bin/env bash
# The largest classes (by data members) and functions (by lines) of Berth's modules, for the
# house notes (README's layout section, issue 24): universal-ctags over the module folders.
# Usage: scripts/code_sizes.sh [N]   (N rows of each, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
modules="common data model checkpoint run_directory distributed trainer report serve launcher"
tags=$(ctags -R --languages=C++ --c++-kinds=mf --fields=+neKZ -f - $modules)
echo "largest classes (data members):"
# A member's scope is its class or struct (ctags counts `int a, b;` once).
printf '%s\n' "$tags" | awk -F'\t' '$4 == "member" {
    scope = ""; file = $2
    for (i = 5; i <= NF; i++) if ($i ~ /^scope:(class|struct):/) scope = $i
    if (scope == "") next
    sub(/^scope:(class|struct):/, "", scope)
    count[scope]++; where[scope] = file
  } END { for (s in count) printf "%4d  %s  (%s)\n", count[s], s, where[s] }' |
  sort -rn | sed -n "1,${n}p"
echo "largest functions (lines):"
printf '%s\n' "$tags" | awk -F'\t' '$4 == "function" {
    line = 0; end = 0; scope = ""
    for (i = 5; i <= NF; i++) {
      if ($i ~ /^line:/) line = substr($i, 6)
      if ($i ~ /^end:/) end = substr($i, 5)
      if ($i ~ /^scope:/) { scope = $i; sub(/^scope:[a-z]+:/, "", scope); scope = scope "::" }
    }
    if (end >= line && line > 0) printf "%4d  %s%s  (%s:%d)\n", end - line + 1, scope, $1, $2, line
  }' | sed 's/__anon[0-9a-f]*::/(anonymous)::/' | sort -rn | sed -n "1,${n}p"
