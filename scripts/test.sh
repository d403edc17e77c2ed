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

step "dependencies"
scripts/deps.sh
scripts/kube-binaries.sh >/dev/null
scripts/helm.sh >/dev/null

step "formatting"
scripts/lint.sh format

step "build (warnings are errors)"
scripts/build.sh "$root/build" -DLAUNCH_WERROR=ON

step "clang-tidy"
scripts/lint.sh tidy "$root/build"

step "tests"
label_args=()
[ -z "${LABELS:-}" ] || label_args=(-L "$LABELS")
(cd build && ctest --output-on-failure --timeout 2700 -j2 "${label_args[@]}")

if [ -z "${LABELS:-}" ] || [ "${LABELS}" = unit ]; then
  step "unit tests under ASan+UBSan"
  # Only the unit-test binaries are built a second time, without optimisation or full debug info, to keep
  # the sanitizer pass short.
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DLAUNCH_WERROR=ON -DLAUNCH_SANITIZE=ON -DLAUNCH_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
  unit_targets=$(cd "$root/tests/unit" && ls -d */ | tr -d / | sed 's/^/unit_/')
  # shellcheck disable=SC2086
  cmake --build "$root/build-asan" --parallel "$(nproc)" --target $unit_targets
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j2 -L unit)
fi
step "done"
