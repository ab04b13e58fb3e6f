#!/usr/bin/env bash
# Clang's thread-safety analysis over Samråd's libraries: builds them with
# clang-14 and -Wthread-safety -Werror=thread-safety in build-thread-safety/,
# so a member marked ABSL_GUARDED_BY(mu) that is touched without holding mu
# (common/mutex.h) fails the build. Libraries only, without optimisation or
# debug info: the analysis runs in the compiler's front end, and the tests add
# nothing to it. First checks that the analysis is on at all (a snippet that
# breaks the rule must not compile).
# Cold (empty build-thread-safety/, no ccache hits), -j2: 302 s on the shared
# 2-core CI machine under a load of about 10; incremental runs take seconds.
#
#   ./deploy/thread_safety.sh        # called by deploy/test.sh when SAMRAD_FULL=1
# Environment: SAMRAD_JOBS (build parallelism, default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-thread-safety"
JOBS="${SAMRAD_JOBS:-2}"
FLAGS="-Wthread-safety -Werror=thread-safety"
LIBRARIES=(samrad_common samrad_crypto samrad_storage samrad_server samrad_guard samrad_client)

if ! command -v clang++-14 >/dev/null 2>&1; then
  echo "thread_safety: clang++-14 is missing (Debian package clang-14)" >&2
  exit 1
fi

# The analysis must refuse this; if it compiles, the flags do nothing.
probe="$(mktemp --suffix=.cc)"
trap 'rm -f "$probe"' EXIT
cat > "$probe" <<'CC'
#include "common/mutex.h"
struct Counter {
  samrad::Mutex mu;
  int n ABSL_GUARDED_BY(mu) = 0;
  void Bump() { ++n; }  // without the lock
};
CC
if clang++-14 -std=c++20 -fsyntax-only $FLAGS -I"$ROOT" "$probe" 2>/dev/null; then
  echo "thread_safety: clang accepted an unguarded access; the analysis is not working" >&2
  exit 1
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$FLAGS" \
    -DSAMRAD_BUILD_TESTS=OFF -DSAMRAD_BUILD_BENCHMARKS=OFF >/dev/null
fi
ninja -C "$BUILD" -j"$JOBS" "${LIBRARIES[@]}"
echo "thread_safety: ${LIBRARIES[*]} pass clang-14 $FLAGS"
