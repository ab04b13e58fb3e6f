#!/usr/bin/env bash
# The samrad Debian package (issue 18 item 1), label slow: builds it with
# deploy/package.sh (test hooks and test suites off) into a folder next to the
# build folder, so ccache reuses the build's objects, then checks its
# contents, its conffile and maintainer scripts, that the packaged relay has no
# test hooks, `lintian` reports no errors, and `systemd-analyze verify`
# accepts the unit.
# Usage: package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
pkg_dir="$(dirname "$build")/$(basename "$build")-package-test"
work="$(mktemp -d)"
cleanup() { rm -rf "$work" "$pkg_dir"; }
trap cleanup EXIT
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }

SAMRAD_PACKAGE_DIR="$pkg_dir" SAMRAD_JOBS="${SAMRAD_JOBS:-2}" "$src/deploy/package.sh" >"$work/deb"
deb="$(cat "$work/deb")"
[ -f "$deb" ] || fail "no package was built"
echo "package_test: built $deb"

contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/samrad-relay ./usr/bin/samrad ./lib/systemd/system/samrad-relay.service \
            ./etc/samrad/relay.textproto ./usr/share/man/man8/samrad-relay.8.gz \
            ./usr/share/man/man1/samrad.1.gz ./usr/share/man/sv/man1/samrad.1.gz \
            ./usr/share/bash-completion/completions/samrad-relay \
            ./usr/share/bash-completion/completions/samrad ./usr/share/doc/samrad/copyright \
            ./var/lib/samrad/; do
  grep -qF " $path" <<<"$contents" || fail "$path is not in the package"
done
grep -E ' \./var/lib/samrad/$' <<<"$contents" | grep -q '^drwx------' ||
  fail "/var/lib/samrad is not 0700"
if grep -E '_test$|samrad-bench|/tests/|simulated|\.a$' <<<"$contents"; then
  fail "test binaries or libraries are in the package"
fi
[ "$(grep -cE ' \./usr/bin/.+' <<<"$contents")" -eq 2 ] || fail "more than two programs in /usr/bin"

mkdir "$work/control" "$work/root"
dpkg-deb -e "$deb" "$work/control"
dpkg-deb -x "$deb" "$work/root"
grep -qx '/etc/samrad/relay.textproto' "$work/control/conffiles" || fail "relay.textproto is no conffile"
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst makes no samrad user"
grep -q 'install -d -m 0700 -o samrad' "$work/control/postinst" || fail "postinst leaves /var/lib/samrad"
grep -q '^Depends:.*libgrpc' "$work/control/control" || fail "no shared-library Depends"
grep -q '^Depends:.*libmicrohttpd12' "$work/control/control" ||
  fail "no Depends on libmicrohttpd12 (the relay's metrics endpoint)"

# The conffile is commented and parses as the relay's config (the relay
# refuses it only for files that do not exist on this machine).
grep -q '^# ' "$work/root/etc/samrad/relay.textproto" || fail "the conffile has no comments"
relay="$work/root/usr/bin/samrad-relay"
"$relay" --version | grep -qx "samrad-relay [0-9.]*" || fail "samrad-relay --version"
"$work/root/usr/bin/samrad" --version | grep -q "^samrad [0-9.]* " || fail "samrad --version"
out="$("$relay" serve --config "$work/root/etc/samrad/relay.textproto" 2>&1 || true)"
grep -q 'event=start_failed' <<<"$out" || fail "the conffile did not parse: $out"

# Built without test hooks (SAMRAD_TEST_HOOKS=OFF): the simulated disk is not
# in the binary, only the refusal of its variables is.
grep -aq 'built without test hooks' "$relay" || fail "the packaged relay has no test-hook refusal"
if grep -aq 'TEST HOOK, never in production' "$relay"; then
  fail "the packaged relay was built with test hooks"
fi

# The unit: the hardening the issue asks for, then systemd's own check.
unit="$work/root/lib/systemd/system/samrad-relay.service"
for line in Type=notify WatchdogSec= ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes \
            UMask=0077 StateDirectory=samrad LoadCredential=kek: "--log-format json" \
            "ExecReload=/bin/kill -HUP"; do
  grep -qF -- "$line" "$unit" || fail "the unit lacks $line"
done
if command -v systemd-analyze >/dev/null; then
  # Against this host's systemd, with ExecStart pointing at the unpacked
  # binary (the package is not installed here).
  mkdir "$work/unit"
  sed "s#/usr/bin/samrad-relay#$relay#" "$unit" >"$work/unit/samrad-relay.service"
  systemd-analyze verify --man=no "$work/unit/samrad-relay.service" >"$work/verify" 2>&1 ||
    { cat "$work/verify" >&2; fail "systemd-analyze verify"; }
  if [ -s "$work/verify" ]; then cat "$work/verify" >&2; fail "systemd-analyze verify warns"; fi
  echo "package_test: systemd-analyze verify: OK"
else
  echo "package_test: systemd-analyze is not installed; the unit was not verified" >&2
fi

command -v lintian >/dev/null || fail "lintian is not installed (deploy/install-deps.sh)"
lintian --fail-on error --tag-display-limit 0 "$deb" >"$work/lintian" 2>&1 ||
  { cat "$work/lintian" >&2; fail "lintian reports errors"; }
cat "$work/lintian"
echo "package_test: OK"
