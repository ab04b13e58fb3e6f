#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every suite.
# Exits non-zero on any build or test failure, and when ctest lists fewer tests than
# tests/EXPECTED_TEST_COUNT records (checked when every label runs). Tests that skip
# themselves (GTEST_SKIP) pass in ctest's count; they are listed again at the end.
#
#   ./deploy/test.sh                          # Release build, every ctest label
#   SAMRAD_TEST_LABELS=unit ./deploy/test.sh  # a subset (ctest -L regex)
#   SAMRAD_FULL=1 ./deploy/test.sh            # what CI runs (.ci/run): the above, then
#       clang-14's thread-safety analysis of the libraries (deploy/thread_safety.sh),
#       the unit and integration suites under ASan + UBSan (deploy/sanitize.sh) and
#       every libFuzzer target for SAMRAD_FUZZ_SECONDS each (deploy/fuzz.sh, default 60)
#   SAMRAD_FAIL_ON_SKIP=1 ./deploy/test.sh    # a skipped test fails the run
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "test.sh: $1 ($(date -u +%H:%M:%S), ${SECONDS}s in)"; }

./deploy/install-deps.sh
stage "Release build"
./deploy/build.sh "${SAMRAD_BUILD_TYPE:-Release}"
build_dir="${SAMRAD_BUILD_DIR:-build}"
args=(--test-dir "$build_dir" --output-on-failure --no-tests=error -j"${SAMRAD_TEST_JOBS:-2}")
[ -n "${SAMRAD_TEST_LABELS:-}" ] && args+=(-L "$SAMRAD_TEST_LABELS")

# Nothing silently disappears: a folder, file or test case that stops being built
# or registered makes the suite smaller, which fails here rather than passing.
check_test_count() {
  local expected listed
  expected=$(grep -v '^#' tests/EXPECTED_TEST_COUNT | tr -d '[:space:]')
  listed=$(ctest --test-dir "$build_dir" -N | sed -n 's/^Total Tests: *//p')
  if [ -z "$listed" ] || [ "$listed" -lt "$expected" ]; then
    echo "test.sh: ctest lists ${listed:-no} tests, fewer than the $expected recorded in" \
         "tests/EXPECTED_TEST_COUNT: a test folder, file or case has gone missing." >&2
    echo "test.sh: if tests were removed on purpose, lower tests/EXPECTED_TEST_COUNT in the" \
         "same commit and say why." >&2
    exit 1
  fi
  echo "test.sh: $listed tests listed (at least $expected expected)"
  if [ "$listed" -gt "$expected" ]; then
    echo "test.sh: set tests/EXPECTED_TEST_COUNT to $listed to protect the new tests"
  fi
}
if [ -z "${SAMRAD_TEST_LABELS:-}" ]; then
  check_test_count
fi

stage "test suites"
ctest_log="$build_dir/ctest-last.log"
status=0
ctest "${args[@]}" | tee "$ctest_log" || status=$?
# A GTEST_SKIP counts as passed; say so, loudly, whatever the outcome.
skipped=$(grep -F '***Skipped' "$ctest_log" || true)
if [ -n "$skipped" ]; then
  echo "test.sh: $(echo "$skipped" | wc -l) test(s) SKIPPED, which ctest counts as passed;" \
       "they proved nothing in this run (reasons above):" >&2
  echo "$skipped" | sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+).*/  \1/' >&2
  if [ "${SAMRAD_FAIL_ON_SKIP:-0}" = 1 ]; then status=1; fi
fi
[ "$status" -eq 0 ] || exit "$status"

if [ "${SAMRAD_FULL:-0}" = 1 ]; then
  stage "thread-safety analysis (clang-14)"
  ./deploy/thread_safety.sh
  stage "sanitizer build and suites"
  ./deploy/sanitize.sh
  stage "fuzzing"
  ./deploy/fuzz.sh
fi
stage "all passed"
