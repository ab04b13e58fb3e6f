#!/usr/bin/env bash
# Builds the samrad Debian package into $SAMRAD_PACKAGE_DIR (default
# build-package/, next to build/ so that ccache reuses build/'s objects) with
# the test hooks and the test suites off, and prints the .deb's path.
# Usage: deploy/package.sh    (then: dpkg -i build-package/samrad_*.deb)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${SAMRAD_PACKAGE_DIR:-build-package}"
jobs="${SAMRAD_JOBS:-$(nproc)}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAMRAD_TEST_HOOKS=OFF \
  -DSAMRAD_BUILD_TESTS=OFF -DSAMRAD_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C "$out" -j"$jobs" samrad-relay samrad samrad_man >/dev/null
(cd "$out" && cpack -G DEB >/dev/null)
ls "$out"/samrad_*.deb
