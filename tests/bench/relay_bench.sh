#!/usr/bin/env bash
# Sets up a measurement relay (docs/benchmarks/relay.md, "Setting up a measurement relay")
# in a work directory and runs samrad-bench against it.
#
#   tests/bench/relay_bench.sh setup  WORK        # PKI, keys, config, directory (once)
#   tests/bench/relay_bench.sh submit WORK [samrad-bench flags...]
#       durable submits vs the echo baseline (and echo+verify), relay CPU and RSS
#   tests/bench/relay_bench.sh mix    WORK [--rate 500 --seconds 20 ...]
#   tests/bench/relay_bench.sh fill   WORK N      # store N more consultations
#   tests/bench/relay_bench.sh perf   WORK SECONDS [samrad-bench flags...]
#       as submit, with `perf record` on the relay for SECONDS (report in WORK/perf.txt)
#
# The relay runs only while a command runs (started and stopped by this script) on
# 127.0.0.1 with an OS-chosen port; the store in WORK/data persists between commands.
# Environment: BUILD (default build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
PKI="$ROOT/certs/samrad-pki.sh"
cmd="${1:?usage: relay_bench.sh setup|submit|mix|fill|perf WORK ...}"
work="${2:?work directory}"
shift 2

setup() {
  mkdir -p "$work"
  cd "$work"
  [ -f pki/ca.crt ] || {
    "$PKI" --dir pki init
    "$PKI" --dir pki server relay
    "$PKI" --dir pki client professional 07 p-bench
    "$PKI" --dir pki client adviser bench-unit a-bench
    "$PKI" --dir pki client admin national ops-bench
  } >/dev/null
  [ -f dir.key.pem ] || openssl genpkey -algorithm ed25519 -out dir.key.pem
  openssl pkey -in dir.key.pem -pubout -outform DER | tail -c 32 >dir.pub
  [ -f kek ] || { head -c 32 /dev/urandom >kek && chmod 600 kek; }
  cat >relay.textproto <<'CFG'
listen_address: "127.0.0.1:0"
tls { cert_file: "pki/relay.crt" key_file: "pki/relay.key" client_ca_file: "pki/ca.crt" }
data_dir: "data"
kek_file: "kek"
directory_public_key_file: "dir.pub"
# One bench certificate carries the whole load (the default is 20/s, burst 60, per person).
# Streams: room for `mix --thread-watchers 10000 --watchers 100` from the one bench
# professional certificate (half of max_concurrent_streams is kept for advisers).
limits {
  rate_per_second: 1000000 rate_burst: 1000000
  max_concurrent_streams: 30000 max_streams_per_identity: 15000
}
retention { sweeper_disabled: true }
CFG
}

relay_pid=""
port=""
start_relay() {
  cd "$work"
  "$BUILD/server/samrad-relay" serve --config relay.textproto --quiet >relay.out 2>relay.err &
  relay_pid=$!
  for _ in $(seq 1 300); do
    port="$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' relay.out relay.err | head -1)"
    [ -n "$port" ] && return 0
    kill -0 "$relay_pid" 2>/dev/null || { cat relay.err >&2; exit 1; }
    sleep 0.1
  done
  echo "relay did not start" >&2
  exit 1
}
stop_relay() {
  [ -n "$relay_pid" ] && kill -TERM "$relay_pid" 2>/dev/null && wait "$relay_pid" || true
  relay_pid=""
}
trap stop_relay EXIT

common() {
  echo --target "127.0.0.1:$port" --ca pki/ca.crt --cert pki/professional-07-p-bench.crt \
    --key pki/professional-07-p-bench.key --directory-key dir.pub
}
identities() {
  echo --adviser-cert pki/adviser-bench-unit-a-bench.crt \
    --adviser-key pki/adviser-bench-unit-a-bench.key --adviser-id a-bench \
    --admin-cert pki/admin-national-ops-bench.crt --admin-key pki/admin-national-ops-bench.key \
    --directory-signing-key dir.key.pem
}
publish_once() {
  [ -f published ] || { "$BUILD/samrad-bench" --publish-only $(common) $(identities) && touch published; }
}
submit_flags() {
  echo --channels 4 --inflight 16 --seconds 10 --payload 1024 --baseline --baseline-verify \
    --baseline-cert pki/relay.crt --baseline-key pki/relay.key --relay-pid "$relay_pid"
}

case "$cmd" in
  setup) setup ;;
  submit)
    start_relay && publish_once
    echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$BUILD/samrad-bench" $(common) $(submit_flags) "$@"
    ;;
  mix)
    start_relay && publish_once
    echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$BUILD/samrad-bench" --mix $(common) $(identities) --relay-pid "$relay_pid" "$@"
    ;;
  fill)
    n="${1:?count}"
    start_relay && publish_once
    "$BUILD/samrad-bench" $(common) --inflight 16 --seconds 100000 --warmup 0 --envelopes "$n" \
      --ack-log "fill-acks.txt"
    ;;
  perf)
    secs="${1:?seconds}"
    shift
    start_relay && publish_once
    "$BUILD/samrad-bench" $(common) --channels 4 --inflight 16 --seconds $((secs + 4)) \
      --payload 1024 --relay-pid "$relay_pid" "$@" >bench.out 2>&1 &
    bench=$!
    # Profile the load, not the sealing before it.
    until grep -q '^sealed' bench.out; do
      kill -0 "$bench" 2>/dev/null || { cat bench.out >&2; exit 1; }
      sleep 0.2
    done
    sleep 2
    perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -o perf.data -p "$relay_pid" -- sleep "$secs"
    wait "$bench" || true
    cat bench.out
    perf report -i perf.data --no-children --sort symbol --stdio 2>/dev/null | head -120 >perf.txt
    perf report -i perf.data --children --sort symbol --stdio 2>/dev/null \
      | grep -E '^ +[0-9]' | head -60 >perf-children.txt
    echo "profile: $work/perf.txt $work/perf-children.txt"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
