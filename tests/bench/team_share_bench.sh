#!/usr/bin/env bash
# How long a newly enrolled adviser waits until they can read a unit backlog
# (issue 15, "Team access"): BENCHMARKS.md "Team access: re-wrap throughput".
#
#   tests/bench/team_share_bench.sh WORK N [RATE]
#
# Builds a real deployment in WORK (PKI from certs/samrad-pki.sh, a
# samrad-relay on 127.0.0.1, `samrad` profiles and the admin's offline
# directory), publishes epoch 1 with adviser a-1 of rc-kronoberg, stores N open
# cases for county 07 with samrad-bench (sealed to a-1 only), enrols a-3 in
# epoch 2, then times a-1's `samrad team share` (the re-wrap of every case to
# a-3) and a-3's `samrad show` of the last case. RATE is the relay's
# per-certificate limit (limits.rate_per_second; default 20, the relay's own
# default; burst 3×). The relay runs only while the script runs.
# Environment: BUILD (default build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
PKI="$ROOT/certs/samrad-pki.sh"
work="${1:?usage: team_share_bench.sh WORK N [RATE]}"
n="${2:?number of cases}"
rate="${3:-20}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
cd "$work"

samrad() {  # samrad as $1 (profile, passphrase, admin folder in WORK)
  local who="$1"
  shift
  SAMRAD_CONFIG="$work/$who.conf" SAMRAD_PASSPHRASE_FILE="$work/$who.pass" \
    SAMRAD_DIRECTORY_PASSPHRASE_FILE="$work/dir.pass" SAMRAD_ADMIN_DIR="$work/dir" \
    LANG=C.UTF-8 LC_ALL= HOME="$work" "$BUILD/client/samrad" "$@"
}

[ -f pki/ca.crt ] || {
  "$PKI" --dir pki init
  "$PKI" --dir pki server relay --ip 127.0.0.1 --dns localhost
  "$PKI" --dir pki client admin national ops-1
  "$PKI" --dir pki client adviser rc-kronoberg a-1
  "$PKI" --dir pki client adviser rc-kronoberg a-3
  "$PKI" --dir pki client professional 07 p-bench
} >/dev/null
for who in admin a1 a3 dir; do [ -f "$who.pass" ] || echo "passphrase of $who" >"$who.pass"; done
[ -f kek.hex ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >kek.hex && chmod 600 kek.hex; }
[ -d dir ] || samrad admin admin directory init --out "$work/dir" --routing "$ROOT/deploy/routing.textproto" >/dev/null
rm -rf data && mkdir -p data

relay_pid=""
port=""
stop_relay() {
  [ -n "$relay_pid" ] && kill -TERM "$relay_pid" 2>/dev/null && wait "$relay_pid" || true
  relay_pid=""
}
trap stop_relay EXIT
# Starts the relay with per-certificate limit $1/s (burst 3x) and points every
# profile at its port.
start_relay() {
  cat >relay.textproto <<CFG
listen_address: "127.0.0.1:0"
tls { cert_file: "pki/relay.crt" key_file: "pki/relay.key" client_ca_file: "pki/ca.crt" }
data_dir: "data"
kek_file: "kek.hex"
directory_public_key_file: "dir/directory.pub"
limits { rate_per_second: $1 rate_burst: $(($1 * 3)) }
retention { sweeper_disabled: true }
CFG
  "$BUILD/server/samrad-relay" serve --config relay.textproto >relay.out 2>relay.err &
  relay_pid=$!
  port=""
  for _ in $(seq 1 300); do
    port="$(sed -n 's/.* port=\([0-9]*\).*/\1/p' relay.out relay.err | head -1)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat relay.err >&2; exit 1; }
  for conf in ./*.conf; do
    [ -f "$conf" ] && sed -i "s/^relay_address: .*/relay_address: \"127.0.0.1:$port\"/" "$conf"
  done
  return 0
}
# Setting up and filling is not what is measured: no rate limit then.
start_relay 300000

init() {  # profile $1 with certificate $2, extra args
  local who="$1" cert="$2"
  shift 2
  samrad "$who" init --force --relay "127.0.0.1:$port" --cert "pki/$cert.crt" --key "pki/$cert.key" \
    --ca pki/ca.crt --directory-key "$work/dir/directory.pub" --keystore "$work/$who.keystore" \
    "$@" >/dev/null
}
rm -f ./*.keystore
init admin admin-national-ops-1
init a1 adviser-rc-kronoberg-a-1 --adviser-id a-1
init a3 adviser-rc-kronoberg-a-3 --adviser-id a-3
publish() {
  samrad admin admin directory sign >/dev/null
  samrad admin admin directory publish >/dev/null
}
for who in a1 a3; do rm -f "$who.bundle.json"; samrad "$who" keygen --out "$work/$who.bundle.json" >/dev/null; done
samrad admin admin directory remove-adviser rc-kronoberg a-1 >/dev/null 2>&1 || true
samrad admin admin directory remove-adviser rc-kronoberg a-3 >/dev/null 2>&1 || true
samrad admin admin directory add-adviser rc-kronoberg "$work/a1.bundle.json" >/dev/null
publish

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg); $n cases; share under a relay rate limit of $rate/s"
fill_start=$(date +%s.%N)
"$BUILD/samrad-bench" --target "127.0.0.1:$port" --server-name localhost --ca pki/ca.crt \
  --cert pki/professional-07-p-bench.crt --key pki/professional-07-p-bench.key \
  --directory-key dir/directory.pub --county 07 --channels 1 --inflight 4 --warmup 0 \
  --seconds 86400 --envelopes "$n" --ack-log acks.txt >fill.out 2>&1 || { cat fill.out >&2; exit 1; }
echo "filled $(wc -l <acks.txt) cases in $(echo "$(date +%s.%N) - $fill_start" | bc) s"

samrad admin admin directory add-adviser rc-kronoberg "$work/a3.bundle.json" >/dev/null
publish
stop_relay
start_relay "$rate"

start=$(date +%s.%N)
samrad a1 team share --json >share.json
end=$(date +%s.%N)
echo "samrad team share: $(echo "$end - $start" | bc) s  $(cat share.json)"
start=$(date +%s.%N)
samrad a3 show "$(samrad a1 queue --json | grep -o '"reference":"[0-9a-f]*"' | tail -1 | cut -d'"' -f4)" >show.out
echo "a-3 samrad show of a shared case: $(echo "$(date +%s.%N) - $start" | bc) s, exit 0"
