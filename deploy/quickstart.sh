#!/usr/bin/env bash
# Quick start: installs what is missing, builds (Release), then walks one
# consultation through a local relay with the real binaries and all three roles:
# a development PKI and directory key, samrad-relay on an embedded RocksDB, an
# adviser key bundle published in a signed directory, a professional asks, the
# adviser sees it in the queue, claims, reads and answers, the professional reads
# the answer. Every step is printed as a person would type it. Everything it makes
# lives under var/quickstart (ignored by git) and is made anew on each run; the
# relay is stopped at the end.
#
#   SAMRAD_BUILD_DIR=DIR      the build to use (default build)
#   SAMRAD_NO_BUILD=1         use the binaries already in it: no install-deps, no build
#   SAMRAD_QUICKSTART_DIR=DIR an empty or missing folder to use instead of var/quickstart
#   SAMRAD_QUICKSTART_PORT=N  the relay's port (default 7443; 0: any free port)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SAMRAD_NO_BUILD:-0}" != 1 ]; then
  ./deploy/install-deps.sh
  ./deploy/build.sh Release
fi
BUILD=${SAMRAD_BUILD_DIR:-build}
if [ -n "${SAMRAD_QUICKSTART_DIR:-}" ]; then
  VAR=$SAMRAD_QUICKSTART_DIR
  if [ -n "$(ls -A "$VAR" 2>/dev/null)" ]; then
    echo "quickstart: SAMRAD_QUICKSTART_DIR=$VAR is not empty; give an empty or new folder" >&2
    exit 1
  fi
else
  VAR=var/quickstart
  rm -rf "$VAR"
fi
mkdir -p "$VAR"; VAR=$(cd "$VAR" && pwd)
case $BUILD in /*) ;; *) BUILD="$PWD/$BUILD";; esac
export PATH="$BUILD/client:$BUILD/server:$PATH"
step() { printf '\n$ %s\n' "$*"; "$@"; }
as() { local who=$1; shift; printf '\n[%s] $ %s\n' "$who" "$*";
  SAMRAD_CONFIG="$VAR/$who.conf" SAMRAD_PASSPHRASE_FILE="$VAR/$who.pass" "$@"; }
for who in admin adviser pro dir; do echo "dev passphrase of $who" > "$VAR/$who.pass"; chmod 600 "$VAR/$who.pass"; done
export SAMRAD_ADMIN_DIR="$VAR/directory" SAMRAD_DIRECTORY_PASSPHRASE_FILE="$VAR/dir.pass"
PKI="$VAR/pki"
step certs/samrad-pki.sh --dir "$PKI" init
step certs/samrad-pki.sh --dir "$PKI" server relay --ip 127.0.0.1 --dns localhost
step certs/samrad-pki.sh --dir "$PKI" client admin national ops-1
step certs/samrad-pki.sh --dir "$PKI" client adviser rc-kronoberg a-12
step certs/samrad-pki.sh --dir "$PKI" client professional 07 p-3f9a
step samrad admin directory init --out "$SAMRAD_ADMIN_DIR" --routing deploy/routing.textproto
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$VAR/kek.hex"; chmod 600 "$VAR/kek.hex"
PORT=${SAMRAD_QUICKSTART_PORT:-7443}
cat > "$VAR/relay.textproto" <<CONF
listen_address: "127.0.0.1:$PORT"
tls { cert_file: "$PKI/relay.crt" key_file: "$PKI/relay.key" client_ca_file: "$PKI/ca.crt" }
data_dir: "$VAR/relay-data"
kek_file: "$VAR/kek.hex"
directory_public_key_file: "$SAMRAD_ADMIN_DIR/directory.pub"
CONF
printf '\n$ samrad-relay serve --config %s &\n' "$VAR/relay.textproto"
samrad-relay serve --config "$VAR/relay.textproto" 2> "$VAR/relay.log" &
RELAY=$!; trap 'kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q relay_started "$VAR/relay.log" && break; sleep 0.1; done
grep -q relay_started "$VAR/relay.log" || { echo "quickstart: the relay did not start:" >&2; cat "$VAR/relay.log" >&2; exit 1; }
PORT=$(grep relay_started "$VAR/relay.log" | sed -n 's/.* port=\([0-9]*\).*/\1/p')
profile() { local who=$1 cert=$2; shift 2
  as "$who" samrad init --relay 127.0.0.1:$PORT --cert "$PKI/$cert.crt" --key "$PKI/$cert.key" \
     --ca "$PKI/ca.crt" --directory-key "$SAMRAD_ADMIN_DIR/directory.pub" --keystore "$VAR/$who.keystore" "$@"; }
profile admin admin-national-ops-1
profile adviser adviser-rc-kronoberg-a-12 --adviser-id a-12
profile pro professional-07-p-3f9a
as adviser samrad keygen --out "$VAR/a-12.bundle.json"
as admin samrad admin directory add-adviser rc-kronoberg "$VAR/a-12.bundle.json"
as admin samrad admin directory sign
as admin samrad admin directory publish
printf 'En elev i årskurs 8 berättar att familjen planerar ett giftermål under sommarlovet. Hur bör skolan agera?\n' > "$VAR/question.txt"
as pro samrad ask --county 07 --category child-marriage --urgency high --org school --age child --file "$VAR/question.txt" | tee "$VAR/ask.out"
REF=$(grep -o '[0-9a-f]\{32\}' "$VAR/ask.out")
as adviser samrad queue
as adviser samrad claim "${REF:0:8}"
as adviser samrad show "${REF:0:8}"
printf 'Gör en orosanmälan till socialtjänsten samma dag och kontakta inte familjen.\n' > "$VAR/answer.txt"
as adviser samrad answer "${REF:0:8}" --file "$VAR/answer.txt"
as pro samrad show "${REF:0:8}"
echo; echo "quickstart: done. Everything is under $VAR."
