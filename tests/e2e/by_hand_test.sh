#!/usr/bin/env bash
# README.md's "Running each role by hand" (issue 18 item 9), line by line, as
# on a fresh clone (ctest label e2e): the commands between
# <!-- by-hand:begin --> and <!-- by-hand:end --> run unchanged, in one bash
# shell, in a copy of the repository's files (git ls-files: what a clone has,
# no var/, no build output) whose build/ is this build. Only what the README
# itself names is set from outside: SAMRAD_PORT (a free port) and the
# passphrase files SAMRAD_PASSPHRASE_FILE / SAMRAD_DIRECTORY_PASSPHRASE_FILE.
# Every step must exit 0; the steps below also have their key output checked.
# The shell runs in its own session under `timeout`; whatever is left of it is
# killed before the copy is removed, so no relay outlives the test.
#
#   by_hand_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1
build=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/samrad-by-hand-test-XXXXXX")
session=""
cleanup() {
  if [ -n "$session" ]; then kill -KILL -- "-$session" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "by_hand_test: $*" >&2
  if [ -s "$work/clone/var/relay.log" ]; then
    echo "--- var/relay.log:" >&2
    cat "$work/clone/var/relay.log" >&2
  fi
  exit 1
}

# The block, with `\` continuations joined; comment-only and empty lines dropped.
block=$(sed -n '/^<!-- by-hand:begin -->$/,/^<!-- by-hand:end -->$/p' "$src/README.md" |
  sed -e '1,2d' -e '$d' | sed '$d' | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
[ -n "$block" ] || fail "README.md has no <!-- by-hand:begin --> ... <!-- by-hand:end --> block"
[ "$(sed -n '/^<!-- by-hand:begin -->$/{n;p;}' "$src/README.md")" = '```sh' ] ||
  fail "the by-hand block does not start with a \`\`\`sh fence"

# A fresh clone's files: tracked and new files of the checkout, never var/ or build/.
clone=$work/clone
mkdir -p "$clone"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    xargs -0 cp --parents -t "$clone") || fail "cannot copy the repository's files"
else
  (cd "$src" && tar --exclude=./var --exclude='./build*' -cf - .) | (cd "$clone" && tar -xf -) ||
    fail "cannot copy the repository's files"
fi
[ ! -e "$clone/var" ] || fail "the copy has a var/ folder; a fresh clone has none"
ln -s "$(cd "$build" && pwd)" "$clone/build"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for who in user directory; do
  echo "by-hand test passphrase $who" > "$work/$who.pass"
  chmod 600 "$work/$who.pass"
done

# The script the shell runs: each step is printed, run with its output in
# $work/steps/N, and must exit 0.
mkdir -p "$work/steps"
script=$work/by-hand.sh
{
  echo 'set -o pipefail'
  echo "cd '$clone'"
  n=0
  while IFS= read -r line; do
    case $line in '' | '#'*) continue ;; esac
    n=$((n + 1))
    printf '%s\n' "$line" >"$work/steps/$n.cmd"
    printf 'printf "\\n$ %%s\\n" "$(cat %q)"\n' "$work/steps/$n.cmd"
    printf '{ %s\n} >%q 2>&1\n' "$line" "$work/steps/$n.out"
    printf 'rc=$?; cat %q; if [ $rc -ne 0 ]; then echo "by-hand step %d exited $rc"; exit 1; fi\n' \
      "$work/steps/$n.out" "$n"
  done <<<"$block"
  echo 'echo "by-hand: all steps exited 0"'
} >"$script"
steps=$(ls "$work/steps" | grep -c '\.cmd$')
[ "$steps" -ge 25 ] || fail "only $steps commands in the by-hand block"

setsid env SAMRAD_PORT="$port" SAMRAD_PASSPHRASE_FILE="$work/user.pass" \
  SAMRAD_DIRECTORY_PASSPHRASE_FILE="$work/directory.pass" LANG=C.UTF-8 LC_ALL= LC_MESSAGES= \
  HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_RUNTIME_DIR="$work/run" \
  timeout -k 5 200 /bin/bash "$script" >"$work/out" 2>&1 </dev/null &
session=$!
wait "$session"
status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "the by-hand steps stopped (exit $status; 124: out of time); see above"
grep -q '^by-hand: all steps exited 0$' "$work/out" || fail "the steps did not all run"

# Key output of the steps that matter, found by their command.
step_out() { # PATTERN: the output of the first step whose command matches
  local f
  for f in $(ls "$work/steps" | grep '\.cmd$' | sort -n); do
    if grep -qE -- "$1" "$work/steps/$f"; then cat "$work/steps/${f%.cmd}.out"; return 0; fi
  done
  fail "no step matches /$1/"
}
expect() { # PATTERN-OF-COMMAND PATTERN-OF-OUTPUT WHAT
  step_out "$1" | grep -qE -- "$2" || fail "$3 (step /$1/ printed no /$2/)"
}
expect 'gen-kek var/relay/kek' 'created directory var/relay \(mode 0700\)' \
  "gen-kek did not create the missing var/relay"
[ "$(stat -c %a "$clone/var/relay")" = 700 ] || fail "var/relay is not 0700"
[ "$(stat -c %a "$clone/var/relay/kek")" = 600 ] || fail "var/relay/kek is not 0600"
[ -s "$clone/var/directory/directory.pub" ] ||
  fail "no step made var/directory/directory.pub, which deploy/relay.textproto names"
expect 'until grep relay_started' "event=relay_started .*port=$port" \
  "the relay did not start on 127.0.0.1:$port"
expect '^pro ask' '[0-9a-f]{32}' "ask printed no case reference"
ref=$(grep -oE '[0-9a-f]{32}' "$clone/var/ask.out" | cut -c1-8)
expect '^adviser queue' "$ref" "the adviser's queue does not list the case"
expect '^adviser show' 'giftermål under sommarlovet' "the adviser did not read the question"
step_out '^pro show' | grep -A1 ' adviser a-12 of rc-kronoberg$' |
  grep -q 'Gör en orosanmälan till socialtjänsten samma dag' ||
  fail "the professional did not read the adviser's answer"
grep -q 'event=relay_stopped' "$clone/var/relay.log" || fail "the relay did not stop cleanly"
expect 'samrad --help' 'ask' "samrad --help lists no ask"
expect 'samrad help ask' '--county' "samrad help ask shows no --county"
echo "by_hand_test: $steps steps OK"
