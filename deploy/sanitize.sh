#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DSAMRAD_SANITIZE=address,undefined, the same gcc as the main build) in
# build-san/ and runs the unit and integration suites under them. Any
# sanitizer report aborts the process that made it, so its test fails; the
# reports are also kept in build-san/sanitizer-logs/. Exits non-zero on any
# build or test failure.
#
#   ./deploy/sanitize.sh                       # unit + integration
#   SAMRAD_SANITIZE_LABELS='^unit$' ./deploy/sanitize.sh
# Environment: SAMRAD_JOBS (build parallelism, default nproc),
#              SAMRAD_TEST_JOBS (ctest parallelism, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
build_dir="${SAMRAD_SANITIZE_BUILD_DIR:-build-san}"
labels="${SAMRAD_SANITIZE_LABELS:-^(unit|integration)$}"
logs="$PWD/$build_dir/sanitizer-logs"

# -O1 compiles much faster than -O3 and keeps the suites fast enough; -g1
# gives the reports file and line numbers. No benchmarks: not run here.
SAMRAD_BUILD_DIR="$build_dir" ./deploy/build.sh None \
  -DSAMRAD_SANITIZE=address,undefined -DSAMRAD_BUILD_BENCHMARKS=OFF \
  "-DCMAKE_C_FLAGS=-O1 -g1" "-DCMAKE_CXX_FLAGS=-O1 -g1"

rm -rf "$logs" && mkdir -p "$logs"
# verify_asan_link_order=0: some tests LD_PRELOAD a clock shim into the
# processes they start, which puts it ahead of libasan.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:verify_asan_link_order=0:log_path=$logs/asan"
export LSAN_OPTIONS="suppressions=$PWD/deploy/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
status=0
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error \
  -j"${SAMRAD_TEST_JOBS:-2}" -L "$labels" || status=$?
if compgen -G "$logs/*" >/dev/null; then
  echo "sanitize: sanitizer reports in $logs:" >&2
  head -n 40 "$logs"/* >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "sanitize: unit and integration suites clean under ASan + UBSan"
exit "$status"
