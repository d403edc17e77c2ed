#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, checks formatting, builds with warnings as
# errors, runs unit, integration and e2e tests, then the unit tests again under ASan+UBSan.
#   scripts/test.sh            # everything
#   LABELS=unit scripts/test.sh   # one tier (unit, integration or e2e)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$SECONDS
step() { echo "== $* ($((SECONDS - started))s)"; }
# Builds started in the background below do not outlive a step that fails.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

step "dependencies"
scripts/deps.sh
# The Go-built tools (the test control plane's binaries, Helm; cached after the first build) are built in the
# background while the C++ build and clang-tidy run: the tests are the first to need them, and each build fills
# the other's idle time (module downloads, single-threaded links).
tools_log=$(mktemp)
(scripts/kube-binaries.sh && scripts/helm.sh) >"$tools_log" 2>&1 &
tools=$!

step "formatting"
scripts/lint.sh format

step "build (warnings are errors)"
# Optimised as the default build is, without its debug info (a third of the compile time; tests need none).
scripts/build.sh "$root/build" -DLAUNCH_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG"

step "clang-tidy"
scripts/lint.sh tidy "$root/build"

step "tests: waiting for the control plane's binaries and Helm"
if ! wait "$tools"; then
  cat "$tools_log" >&2
  echo "test.sh: building the Go tools failed (log above)" >&2
  exit 1
fi
rm -f "$tools_log"

sanitize=false
if [ -z "${LABELS:-}" ] || [ "${LABELS}" = unit ]; then sanitize=true; fi
# Only the unit-test binaries are built a second time, under ASan+UBSan, without optimisation or full debug
# info. That build starts now at the lowest CPU priority, so it takes only what the tests leave idle (they
# mostly wait on their control planes).
asan_log=$(mktemp)
if $sanitize; then
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DLAUNCH_WERROR=ON -DLAUNCH_SANITIZE=ON -DLAUNCH_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
  unit_targets=$(cd "$root/tests/unit" && ls -d */ | tr -d / | sed 's/^/unit_/')
  # shellcheck disable=SC2086
  nice -n 19 cmake --build "$root/build-asan" --parallel "$(nproc)" --target $unit_targets >"$asan_log" 2>&1 &
  asan_build=$!
fi

step "tests"
label_args=()
[ -z "${LABELS:-}" ] || label_args=(-L "$LABELS")
(cd build && ctest --output-on-failure --timeout 2700 -j2 "${label_args[@]}")

if $sanitize; then
  step "unit tests under ASan+UBSan"
  if ! wait "$asan_build"; then
    cat "$asan_log" >&2
    echo "test.sh: the ASan+UBSan build failed (log above)" >&2
    exit 1
  fi
  rm -f "$asan_log"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j2 -L unit)
fi
step "done"
