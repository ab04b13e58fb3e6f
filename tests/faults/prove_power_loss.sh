#!/usr/bin/env bash
# Shows that FaultsTest.PowerLossUnderLoad can fail. Builds the relay from a
# copy of this tree whose commit pipeline does not sync its write (the
# one-line change of tests/storage/unsynced_store.cmake), runs the test against
# that relay, and expects it to fail with acknowledged ids missing.
# Exit 0 when it failed as it must; 1 when it passed (the test proves nothing).
# Not part of CI (a second build); the storage-level proof
# (power_loss_unsynced_test) is. Takes a few minutes with a warm ccache.
#
#   tests/faults/prove_power_loss.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(mktemp -d "${TMPDIR:-/tmp}/samrad-prove-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
cmake -DIN=storage/store.cc -DOUT="$work/src/storage/store.cc" -P tests/storage/unsynced_store.cmake
export CCACHE_BASEDIR="$work/src" CCACHE_NOHASHDIR=1
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$work/build" -j"${SAMRAD_JOBS:-2}" faults_test samrad-relay samrad-bench samrad >/dev/null
echo "prove_power_loss: running PowerLossUnderLoad against a relay that does not sync its commits"
if "$work/build/tests/faults/faults_test" --gtest_filter=FaultsTest.PowerLossUnderLoad \
    >"$work/out.txt" 2>&1; then
  tail -5 "$work/out.txt"
  echo "prove_power_loss: FAILED: the test passed against an unsynced relay" >&2
  exit 1
fi
grep -E -A4 "Failure" "$work/out.txt" | cut -c1-300 | head -24
echo "prove_power_loss: OK: the test fails when the synced write is removed"
