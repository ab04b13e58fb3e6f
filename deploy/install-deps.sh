#!/usr/bin/env bash
# Installs exactly the Debian 12 packages that Samråd's build, tests and quick
# start need. Idempotent: prints nothing and changes nothing when all are present.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache clang-format
  # gRPC 1.51 and Protocol Buffers 3.21
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # OpenSSL 3.0 (library and the command line the PKI scripts use)
  libssl-dev openssl
  # Abseil, RocksDB 7.8, libargon2 (keystore KDF), RE2 (anonymisation guard)
  libabsl-dev librocksdb-dev libargon2-dev libre2-dev
  # sd_notify for the relay's systemd unit (Type=notify, watchdog)
  libsystemd-dev
  # the relay's Prometheus metrics endpoint (HTTP server: libmicrohttpd12)
  libmicrohttpd-dev
  # anonymisation guard: NFKC normalisation (ICU) and the Swedish dictionary
  # compiled into the binary (client/guard_data/README.md)
  libicu-dev wswedish
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # end-to-end tests and quick start
  procps psmisc
  # the Debian package test (tests/deploy): lintian, dpkg-shlibdeps, systemd-analyze
  lintian dpkg-dev systemd
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root (or install sudo) to install them." >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
