#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every suite.
# Exits non-zero on any build or test failure.
#
#   ./deploy/test.sh                          # Release build, every ctest label
#   SAMRAD_TEST_LABELS=unit ./deploy/test.sh  # a subset (ctest -L regex)
#   SAMRAD_FULL=1 ./deploy/test.sh            # what CI runs (.ci/run): the above, then
#       the unit and integration suites under ASan + UBSan (deploy/sanitize.sh) and
#       every libFuzzer target for SAMRAD_FUZZ_SECONDS each (deploy/fuzz.sh, default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "test.sh: $1 ($(date -u +%H:%M:%S), ${SECONDS}s in)"; }

./deploy/install-deps.sh
stage "Release build"
./deploy/build.sh "${SAMRAD_BUILD_TYPE:-Release}"
build_dir="${SAMRAD_BUILD_DIR:-build}"
args=(--test-dir "$build_dir" --output-on-failure --no-tests=error -j"${SAMRAD_TEST_JOBS:-2}")
[ -n "${SAMRAD_TEST_LABELS:-}" ] && args+=(-L "$SAMRAD_TEST_LABELS")
stage "test suites"
ctest "${args[@]}"

if [ "${SAMRAD_FULL:-0}" = 1 ]; then
  stage "sanitizer build and suites"
  ./deploy/sanitize.sh
  stage "fuzzing"
  ./deploy/fuzz.sh
fi
stage "all passed"
