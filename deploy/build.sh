#!/usr/bin/env bash
# Configures and builds Samråd with CMake and Ninja into build/ (or $SAMRAD_BUILD_DIR).
# Usage: deploy/build.sh [Release|RelWithDebInfo|Debug] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_type="${1:-Release}"; shift || true
build_dir="${SAMRAD_BUILD_DIR:-build}"
jobs="${SAMRAD_JOBS:-$(nproc)}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@" >/dev/null
ninja -C "$build_dir" -j"$jobs"
