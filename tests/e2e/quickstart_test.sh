#!/usr/bin/env bash
# deploy/quickstart.sh itself, end to end (ctest label e2e): the README's first
# command runs against this build's binaries (SAMRAD_NO_BUILD=1) in a fresh temp
# folder with the relay on a free port, must exit 0, and must end with the
# professional reading the adviser's verified answer. It never leaves a process
# behind: the quick start runs in its own session under `timeout`, and whatever
# is left of that session is killed before the temp folder is removed.
#
#   quickstart_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1
build=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/samrad-quickstart-test-XXXXXX")
session=""
cleanup() {
  if [ -n "$session" ]; then kill -KILL -- "-$session" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "quickstart_test: $*" >&2; echo "--- quickstart output:" >&2; cat "$work/out" >&2; exit 1; }

# `timeout` makes itself the group leader of the new session and signals the
# whole group when the time is up.
setsid env SAMRAD_NO_BUILD=1 SAMRAD_BUILD_DIR="$build" SAMRAD_QUICKSTART_DIR="$work/qs" \
  SAMRAD_QUICKSTART_PORT=0 LANG=C.UTF-8 LC_ALL= LC_MESSAGES= HOME="$work" \
  timeout -k 5 150 /bin/bash "$src/deploy/quickstart.sh" > "$work/out" 2>&1 < /dev/null &
session=$!
wait "$session"
status=$?
[ "$status" -eq 0 ] || fail "deploy/quickstart.sh exited $status (124: it ran out of time)"

grep -q '^quickstart: done\.' "$work/out" || fail "no \"quickstart: done.\" line"
# What the professional's last `samrad show` printed: the question and the answer.
shown=$(sed -n '/^\[pro\] \$ samrad show/,$p' "$work/out")
[ -n "$shown" ] || fail "the professional never ran samrad show"
grep -q 'giftermål under sommarlovet' <<<"$shown" || fail "the professional did not read the question"
grep -A1 ' adviser a-12 of rc-kronoberg$' <<<"$shown" |
  grep -q 'Gör en orosanmälan till socialtjänsten samma dag' ||
  fail "the professional did not read the adviser's answer"
# A message that fails decryption or its signature check prints this instead.
grep -q 'cannot be read' <<<"$shown" && fail "a message could not be read or verified"

# The relay the quick start started is gone (stopped by its EXIT trap).
if pgrep -f -- "$work/qs/relay.textproto" >/dev/null; then
  fail "a samrad-relay of the quick start is still running"
fi
grep -q 'event=relay_stopped' "$work/qs/relay.log" || fail "the relay did not stop cleanly"
echo "quickstart_test: passed"
