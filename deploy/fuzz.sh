#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan + libFuzzer) in build-fuzz/
# and runs each for SAMRAD_FUZZ_SECONDS (default 60) on a temporary copy of its seed
# corpus (tests/fuzz/corpus/<target>/). Exits non-zero on any crash, leak, timeout or
# sanitizer report; the reproducer is left in build-fuzz/fuzz-artifacts/<target>/.
#
#   ./deploy/fuzz.sh                   # all targets
#   ./deploy/fuzz.sh guard envelope    # some targets
# Environment: SAMRAD_FUZZ_SECONDS, SAMRAD_JOBS (build parallelism, default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-fuzz"
SECONDS_PER_TARGET="${SAMRAD_FUZZ_SECONDS:-60}"
JOBS="${SAMRAD_JOBS:-2}"
ALL_TARGETS=(envelope directory guard storage_value validation)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

# clang-14 and its runtime (libFuzzer, sanitizers) from Debian, like install-deps.sh.
PACKAGES=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      echo "fuzz: missing Debian packages: ${missing[*]}; run as root or install sudo" >&2
      exit 1
    fi
  fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMRAD_BUILD_FUZZERS=ON \
    -DSAMRAD_BUILD_TESTS=OFF -DSAMRAD_BUILD_BENCHMARKS=OFF
fi
ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]/#/fuzz_}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

failed=()
printf '%-15s %10s %8s %s\n' target execs exec/s result > "$WORK/summary"
for t in "${TARGETS[@]}"; do
  corpus="$WORK/corpus-$t"
  artifacts="$BUILD/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  cp -r "$ROOT/tests/fuzz/corpus/$t/." "$corpus/" 2>/dev/null || true
  log="$BUILD/fuzz-artifacts/$t.log"
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s (log $log)"
  result=ok
  if ! "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "$corpus" >"$log" 2>&1; then
    result=FAILED
  fi
  # A sanitizer report is a failure even if the process exited 0.
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    result=FAILED
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  printf '%-15s %10s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result" >> "$WORK/summary"
  if [ "$result" != ok ]; then
    failed+=("$t")
    grep -E -A25 'ERROR:|runtime error:|Check failed' "$log" | head -60 >&2 || true
    ls "$artifacts" >&2
  fi
done
cat "$WORK/summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in $BUILD/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz: all ${#TARGETS[@]} targets clean"
