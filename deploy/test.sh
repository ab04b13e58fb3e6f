#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every suite.
# Exits non-zero on any build or test failure.
# Subsets: SAMRAD_TEST_LABELS=unit ./deploy/test.sh  (ctest -L regex)
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh "${SAMRAD_BUILD_TYPE:-Release}"
build_dir="${SAMRAD_BUILD_DIR:-build}"
args=(--test-dir "$build_dir" --output-on-failure --no-tests=error -j"${SAMRAD_TEST_JOBS:-2}")
[ -n "${SAMRAD_TEST_LABELS:-}" ] && args+=(-L "$SAMRAD_TEST_LABELS")
ctest "${args[@]}"
