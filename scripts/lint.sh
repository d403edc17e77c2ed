#!/usr/bin/env bash
# Style checks: `lint.sh format` (clang-format, fast) or `lint.sh tidy [BUILD_DIR]` (clang-tidy, slow).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src operator tests bench -name '*.[ch]pp')
case "${1:-format}" in
format)
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
  ;;
tidy)
  # The product's code (src/, operator/) by default; pass ALL=1 to check tests and benchmarks too.
  [ -n "${ALL:-}" ] || files=$(echo "$files" | tr ' ' '\n' | grep -E '^(src|operator)/')
  build=${2:-$root/build}
  [ -f "$build/compile_commands.json" ] || scripts/build.sh "$build"
  # A file passed before with the same text, the same headers and the same checks is not checked again: a
  # stamp named by the hash of all three is kept in the build directory (any header change checks everything).
  stamps="$build/clang-tidy-passed"
  mkdir -p "$stamps"
  headers=$( (cat .clang-tidy; git ls-files '*.hpp' | xargs cat) | sha256sum | cut -c1-16)
  todo=()
  for f in $(echo $files | tr ' ' '\n' | grep '\.cpp$'); do
    stamp="$stamps/$(cat "$f" | sha256sum | cut -c1-16)-$headers"
    [ -f "$stamp" ] || todo+=("$f")
  done
  [ ${#todo[@]} -eq 0 ] && exit 0
  printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet
  # Reached only when every file passed (clang-tidy's errors stop the script through set -e and xargs).
  for f in "${todo[@]}"; do touch "$stamps/$(cat "$f" | sha256sum | cut -c1-16)-$headers"; done
  ;;
*) echo "usage: lint.sh format|tidy [BUILD_DIR]" >&2; exit 2 ;;
esac
