#!/usr/bin/env bash
# samrad-pki.sh — the transport PKI of Samråd on the OpenSSL command line.
#
# Creates a CA, the relay's server certificate and one client certificate per
# person whose SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID is the only thing the
# relay trusts for role and unit or county. Keys are ECDSA P-256 (handled by
# every TLS 1.3 stack gRPC can use); certificates are issued with `openssl ca`
# so that every serial is random and recorded in DIR/db/index.txt.
#
# Layout of DIR (default ./pki, or $SAMRAD_PKI_DIR):
#   ca.key ca.crt            the CA (ca.key 0600; keep it offline in production)
#   NAME.key NAME.crt        one pair per issued certificate (keys 0600)
#   NAME.csr NAME.ext        request and extensions, kept for `renew`
#   db/index.txt             OpenSSL CA database (V = valid, R = revoked, E = expired)
#   db/revoked.txt           serial<TAB>time<TAB>name<TAB>reason, one line per revocation
#
# Nothing is overwritten without --force. Exit status is non-zero with a
# one-line reason on any failure.
set -euo pipefail

prog=$(basename "$0")
usage() {
  cat <<EOF
Usage: $prog [--dir DIR] [--days N] [--force] COMMAND ...

Commands:
  init                                   create the CA (ca.key, ca.crt), default 3650 days
  server NAME [--dns HOST]... [--ip ADDR]...
                                         relay certificate NAME.{key,crt}; SANs default to
                                         DNS:localhost and IP:127.0.0.1; default 397 days
  client ROLE UNIT-OR-COUNTY ID          client certificate with SAN URI
                                         samrad://ROLE/UNIT-OR-COUNTY/ID, written as
                                         ROLE-UNIT-OR-COUNTY-ID.{key,crt}; default 365 days
                                         ROLE is professional (county 01..25),
                                         adviser (unit id) or admin (unit id or "national")
  renew NAME                             new certificate (new serial, same key and SANs)
  revoke NAME|SERIAL [REASON]            mark revoked in db/index.txt, record the serial in
                                         db/revoked.txt and print it for 'samrad admin revoke'
  list                                   status, expiry, serial and subject of every certificate
  serial NAME                            print the serial (uppercase hex) of NAME.crt

Options:
  --dir DIR          PKI directory (default \$SAMRAD_PKI_DIR or ./pki)
  --days N           lifetime in days for the certificate being made
  --not-before T     validity start, YYYYMMDDHHMMSSZ (tests: issue an expired certificate)
  --not-after T      validity end, YYYYMMDDHHMMSSZ (overrides --days)
  --name NAME        file name stem for 'client' (default ROLE-UNIT-OR-COUNTY-ID)
  --force            overwrite existing files
  -h, --help         this help
EOF
}

die() { echo "$prog: $*" >&2; exit 1; }

dir="${SAMRAD_PKI_DIR:-./pki}"
days=""
force=0
not_before=""
not_after=""
name_override=""
dns=()
ips=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || die "--dir needs a directory"; dir="$2"; shift 2 ;;
    --days) [ $# -ge 2 ] || die "--days needs a number"; days="$2"; shift 2 ;;
    --not-before) [ $# -ge 2 ] || die "--not-before needs YYYYMMDDHHMMSSZ"; not_before="$2"; shift 2 ;;
    --not-after) [ $# -ge 2 ] || die "--not-after needs YYYYMMDDHHMMSSZ"; not_after="$2"; shift 2 ;;
    --dns) [ $# -ge 2 ] || die "--dns needs a host name"; dns+=("$2"); shift 2 ;;
    --ip) [ $# -ge 2 ] || die "--ip needs an address"; ips+=("$2"); shift 2 ;;
    --name) [ $# -ge 2 ] || die "--name needs a name"; name_override="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 1 ] || { usage >&2; exit 2; }
cmd="${args[0]}"
args=("${args[@]:1}")

command -v openssl >/dev/null || die "openssl is not installed"
if [ -n "$days" ] && ! [[ "$days" =~ ^[1-9][0-9]{0,4}$ ]]; then
  die "--days must be a whole number of days between 1 and 99999, got '$days'"
fi
for t in "$not_before" "$not_after"; do
  if [ -n "$t" ] && ! [[ "$t" =~ ^[0-9]{14}Z$ ]]; then
    die "dates must look like 20250131235959Z (UTC), got '$t'"
  fi
done

ca_key="$dir/ca.key"
ca_crt="$dir/ca.crt"
db="$dir/db"

# Refuses to clobber unless --force.
check_free() {
  local f
  for f in "$@"; do
    if [ -e "$f" ] && [ "$force" -ne 1 ]; then
      die "$f exists; pass --force to overwrite it"
    fi
  done
}

new_key() {  # new_key PATH: ECDSA P-256 private key, mode 0600 from the start
  local path="$1"
  rm -f "$path"
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$path" 2>/dev/null) || die "could not generate a key at $path"
  chmod 600 "$path"
}

require_ca() {
  [ -f "$ca_key" ] && [ -f "$ca_crt" ] || die "no CA in $dir; run '$prog --dir $dir init' first"
}

ca_config() {  # writes the openssl ca configuration, prints its path
  local cnf="$db/openssl-ca.cnf"
  cat >"$cnf" <<EOF
[ ca ]
default_ca = samrad_ca
[ samrad_ca ]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db/newcerts
certificate = $ca_crt
private_key = $ca_key
default_md = sha256
policy = samrad_policy
unique_subject = no
copy_extensions = none
email_in_dn = no
[ samrad_policy ]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
EOF
  echo "$cnf"
}

# issue STEM DEFAULT_DAYS: signs STEM.csr with STEM.ext into STEM.crt.
issue() {
  local stem="$1" default_days="$2" cnf
  cnf=$(ca_config)
  local validity=()
  if [ -n "$not_after" ]; then
    validity+=(-enddate "$not_after")
  else
    validity+=(-days "${days:-$default_days}")
  fi
  # Backdate the start by five minutes unless told otherwise, so a certificate
  # is valid at once on a host whose clock runs slightly behind the CA's (and
  # within the same second as it was issued).
  validity+=(-startdate "${not_before:-$(date -u -d '-5 min' +%Y%m%d%H%M%SZ)}")
  local out
  if ! out=$(openssl ca -batch -config "$cnf" -rand_serial -notext -in "$stem.csr" \
      -out "$stem.crt.tmp" -extfile "$stem.ext" "${validity[@]}" 2>&1); then
    rm -f "$stem.crt.tmp"
    die "openssl ca refused to issue $stem.crt: $(echo "$out" | tail -n 1)"
  fi
  mv "$stem.crt.tmp" "$stem.crt"
  chmod 644 "$stem.crt"
}

serial_of() {  # uppercase hex, as the relay prints and compares serials
  openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'
}

cmd_init() {
  [ ${#args[@]} -eq 0 ] || die "init takes no arguments"
  mkdir -p "$dir"
  check_free "$ca_key" "$ca_crt"
  mkdir -p "$db/newcerts"
  : >"$db/index.txt"
  echo "unique_subject = no" >"$db/index.txt.attr"
  : >"$db/revoked.txt"
  openssl rand -hex 16 | tr 'a-f' 'A-F' >"$db/serial"
  new_key "$ca_key"
  openssl req -x509 -new -key "$ca_key" -sha256 -days "${days:-3650}" \
    -subj "/O=Samrad/CN=Samrad transport CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$ca_crt" 2>/dev/null || die "could not create the CA certificate"
  chmod 644 "$ca_crt"
  echo "CA created: $ca_crt (key $ca_key, mode 0600)"
}

cmd_server() {
  [ ${#args[@]} -eq 1 ] || die "usage: server NAME [--dns HOST]... [--ip ADDR]..."
  local name="${args[0]}"
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "server NAME must match [A-Za-z0-9._-]{1,64}"
  require_ca
  local stem="$dir/$name"
  check_free "$stem.key" "$stem.crt"
  [ ${#dns[@]} -gt 0 ] || [ ${#ips[@]} -gt 0 ] || { dns=(localhost); ips=(127.0.0.1); }
  local san="" h
  for h in "${dns[@]}"; do
    [[ "$h" =~ ^[A-Za-z0-9.*-]{1,253}$ ]] || die "--dns '$h' is not a host name"
    san+="${san:+,}DNS:$h"
  done
  for h in "${ips[@]}"; do
    [[ "$h" =~ ^[0-9A-Fa-f:.]{2,45}$ ]] || die "--ip '$h' is not an IP address"
    san+="${san:+,}IP:$h"
  done
  cat >"$stem.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  new_key "$stem.key"
  openssl req -new -key "$stem.key" -subj "/O=Samrad/OU=relay/CN=$name" -out "$stem.csr" \
    2>/dev/null || die "could not create $stem.csr"
  issue "$stem" 397
  echo "server certificate: $stem.crt (key $stem.key) SAN $san serial $(serial_of "$stem.crt")"
}

cmd_client() {
  [ ${#args[@]} -eq 3 ] || die "usage: client ROLE UNIT-OR-COUNTY ID"
  local role="${args[0]}" scope="${args[1]}" id="${args[2]}"
  case "$role" in
    professional)
      [[ "$scope" =~ ^[0-9]{2}$ ]] && [ "$scope" -ge 1 ] && [ "$scope" -le 25 ] \
        || die "a professional's county must be a two-digit län code 01..25, got '$scope'" ;;
    adviser|admin)
      [[ "$scope" =~ ^[a-z0-9-]{1,64}$ ]] || die "unit must match [a-z0-9-]{1,64}, got '$scope'" ;;
    *) die "ROLE must be professional, adviser or admin, got '$role'" ;;
  esac
  [[ "$id" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "ID must match [A-Za-z0-9._-]{1,64}, got '$id'"
  require_ca
  local name="${name_override:-$role-$scope-$id}"
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,128}$ ]] || die "--name must match [A-Za-z0-9._-]{1,128}"
  local stem="$dir/$name"
  check_free "$stem.key" "$stem.crt"
  local uri="samrad://$role/$scope/$id"
  cat >"$stem.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:$uri
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  new_key "$stem.key"
  openssl req -new -key "$stem.key" -subj "/O=Samrad/OU=$role/CN=$role $scope $id" \
    -out "$stem.csr" 2>/dev/null || die "could not create $stem.csr"
  issue "$stem" 365
  echo "client certificate: $stem.crt (key $stem.key) $uri serial $(serial_of "$stem.crt")"
}

cmd_renew() {
  [ ${#args[@]} -eq 1 ] || die "usage: renew NAME"
  local stem="$dir/${args[0]}"
  require_ca
  [ -f "$stem.csr" ] && [ -f "$stem.ext" ] || die "no $stem.csr/.ext; was ${args[0]} issued here?"
  local old=""
  [ -f "$stem.crt" ] && old=$(serial_of "$stem.crt") && cp "$stem.crt" "$stem.crt.$old"
  local keep_force=$force
  force=1
  local default_days=365
  grep -q serverAuth "$stem.ext" && default_days=397
  issue "$stem" "$default_days"
  force=$keep_force
  echo "renewed: $stem.crt serial $(serial_of "$stem.crt")${old:+ (previous $old kept as $stem.crt.$old; revoke it when no longer used)}"
}

cmd_revoke() {
  [ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || die "usage: revoke NAME|SERIAL [REASON]"
  require_ca
  local target="${args[0]}" reason="${args[1]:-unspecified}" serial name crt
  if [ -f "$dir/$target.crt" ]; then
    crt="$dir/$target.crt"; name="$target"; serial=$(serial_of "$crt")
  else
    serial=$(echo "$target" | tr 'a-f' 'A-F')
    [[ "$serial" =~ ^[0-9A-F]{1,64}$ ]] || die "'$target' is neither a certificate name in $dir nor a hex serial"
    crt="$db/newcerts/$serial.pem"
    [ -f "$crt" ] || die "no certificate with serial $serial was issued from $dir"
    name=$(awk -F'\t' -v s="$serial" '$4 == s {print $6}' "$db/index.txt")
  fi
  if grep -q "^$serial	" "$db/revoked.txt" 2>/dev/null; then
    echo "already revoked: $serial"
    return 0
  fi
  local cnf out
  cnf=$(ca_config)
  out=$(openssl ca -config "$cnf" -revoke "$crt" 2>&1) || die "openssl ca could not revoke $serial: $(echo "$out" | tail -n 1)"
  printf '%s\t%s\t%s\t%s\n' "$serial" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$reason" >>"$db/revoked.txt"
  echo "revoked: $serial ($name). Tell the relay: samrad admin revoke $serial"
}

cmd_list() {
  [ ${#args[@]} -eq 0 ] || die "list takes no arguments"
  require_ca
  openssl ca -config "$(ca_config)" -updatedb >/dev/null 2>&1 || true
  printf '%-8s %-15s %-42s %s\n' STATUS EXPIRES SERIAL SUBJECT
  awk -F'\t' '{
    st = ($1 == "V") ? "valid" : ($1 == "R") ? "revoked" : "expired";
    printf "%-8s %-15s %-42s %s\n", st, $2, $4, $6 }' "$db/index.txt"
}

cmd_serial() {
  [ ${#args[@]} -eq 1 ] || die "usage: serial NAME"
  [ -f "$dir/${args[0]}.crt" ] || die "no certificate $dir/${args[0]}.crt"
  serial_of "$dir/${args[0]}.crt"
}

case "$cmd" in
  init) cmd_init ;;
  server) cmd_server ;;
  client) cmd_client ;;
  renew) cmd_renew ;;
  revoke) cmd_revoke ;;
  list) cmd_list ;;
  serial) cmd_serial ;;
  help) usage ;;
  *) die "unknown command '$cmd' (see --help)" ;;
esac
