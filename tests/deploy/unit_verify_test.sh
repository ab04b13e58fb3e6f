#!/usr/bin/env bash
# deploy/debian/samrad-relay.service passes `systemd-analyze verify` with no
# warning (issue 18 "Bad input": a unit systemd would reject or warn about is
# caught here, not at an operator's `systemctl start`), and keeps the lines
# the start-failure behaviour relies on. ExecStart points at this build's
# samrad-relay (the package is not installed here). Skipped (exit 77) when
# systemd-analyze is missing.
#
#   unit_verify_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1
build=$2
unit=$src/deploy/debian/samrad-relay.service
fail() { echo "unit_verify_test: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/samrad-unit-verify-XXXXXX")
trap 'rm -rf "$work"' EXIT
relay=$(cd "$build/server" && pwd)/samrad-relay
[ -x "$relay" ] || fail "no $relay; build samrad-relay first"
for line in "Type=notify" "--log-format json" "LoadCredential=kek:" "RestartPreventExitStatus=2"; do
  grep -qF -- "$line" "$unit" || fail "the unit lacks $line"
done
sed "s#/usr/bin/samrad-relay#$relay#" "$unit" >"$work/samrad-relay.service"
systemd-analyze verify --man=no "$work/samrad-relay.service" >"$work/verify" 2>&1 ||
  { cat "$work/verify" >&2; fail "systemd-analyze verify refuses the unit"; }
if [ -s "$work/verify" ]; then cat "$work/verify" >&2; fail "systemd-analyze verify warns"; fi
# The check can fail: a unit with a misspelt directive is reported.
sed 's/^NoNewPrivileges=yes/NoNewPrivilegs=yes/' "$work/samrad-relay.service" >"$work/broken.service"
systemd-analyze verify --man=no "$work/broken.service" >"$work/verify-broken" 2>&1
grep -q 'NoNewPrivilegs' "$work/verify-broken" || fail "systemd-analyze did not report a misspelt line"
echo "unit_verify_test: OK"
