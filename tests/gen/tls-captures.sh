#!/bin/bash
# Debian packages needed: openssl iproute2 tcpdump coreutils
#
# tls-captures.sh - real TLS handshakes between openssl s_server and
# s_client inside a network namespace this script creates, captured with
# tcpdump on the namespace's loopback:
#
#   OUTDIR/tls12.pcap             TLS 1.2, SNI, ALPN h2,http/1.1, no client certificate
#   OUTDIR/tls12-mtls.pcap        TLS 1.2, server requires a client certificate, client sends one
#   OUTDIR/tls12-mtls-empty.pcap  TLS 1.2, server asks (optional), client has none (empty Certificate)
#   OUTDIR/tls13.pcap             TLS 1.3, SNI, ALPN
#   OUTDIR/tls13-mtls.pcap        TLS 1.3 with a client certificate (encrypted: not visible)
#   OUTDIR/expected.txt           what openssl x509 says of the two certificates, normalised
#                                 to Suricata's formats (key=value lines)
#
# usage: tests/gen/tls-captures.sh [OUTDIR]          (default: tests/pcaps/tls)
# Needs root (ip netns); exits 77 when not root or a tool is missing.
# Certificates are made afresh (a throw-away CA with openssl req), so each run
# gives new serials, dates and fingerprints: expected.txt is rewritten with them.

DEB_PACKAGES="openssl iproute2 tcpdump coreutils"
set -u
OUT=${1:-tests/pcaps/tls}
skip() { echo "tls-captures.sh: SKIP: $*" >&2; exit 77; }
die() { echo "tls-captures.sh: ERROR: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in openssl ip tcpdump timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found; install: apt-get install $DEB_PACKAGES"
done
timeout 5 ip netns list >/dev/null 2>&1 || skip "'ip netns' is unavailable"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

NS=pstls-$$
TMP=$(mktemp -d /tmp/periscope-tls.XXXXXX) || die "mktemp"
PIDS=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.2
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    timeout 5 ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ certificates
cd "$TMP" || die "cd"
SUBJ_CA="/C=US/O=Periscope Test/CN=Periscope Test CA"
SUBJ_SRV="/C=US/ST=Test State/O=Periscope Test/OU=Servers/CN=www.example.test"
SUBJ_CLI="/C=US/O=Periscope Test/CN=client.example.test"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 3650 -subj "$SUBJ_CA" 2>/dev/null || die "CA"
for who in srv cli; do
    subj=$SUBJ_SRV; [ $who = cli ] && subj=$SUBJ_CLI
    openssl req $ec -keyout $who.key -out $who.csr -subj "$subj" 2>/dev/null || die "$who csr"
    openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
        -out $who.pem 2>/dev/null || die "$who cert"
done

# ------------------------------------------------------------ namespace
timeout 5 ip netns add "$NS" || die "ip netns add"
ip -n "$NS" link set lo up || die "lo up"
nsx() { timeout 15 ip netns exec "$NS" "$@"; }

# one capture: NAME SERVER-OPTIONS -- CLIENT-OPTIONS
run() {
    local name=$1; shift
    local sopts=() copts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sopts+=("$1"); shift; done
    shift
    copts=("$@")
    ip netns exec "$NS" tcpdump -i lo -n -s 0 -U --immediate-mode -Z root -w "$TMP/$name.pcap" tcp port 4433 \
        >"$TMP/td.out" 2>&1 &
    local td=$!; PIDS+=($td)
    for _ in $(seq 50); do grep -q 'listening on' "$TMP/td.out" && break; sleep 0.1; done
    ip netns exec "$NS" timeout 15 openssl s_server -accept 127.0.0.1:4433 -naccept 1 \
        -www -cert srv.pem -key srv.key -CAfile ca.pem "${sopts[@]}" >"$TMP/s.out" 2>&1 &
    local sv=$!; PIDS+=($sv)
    for _ in $(seq 50); do nsx ss -Hltn 'sport = :4433' | grep -q . && break; sleep 0.1; done
    echo | nsx openssl s_client -connect 127.0.0.1:4433 -CAfile ca.pem "${copts[@]}" \
        >"$TMP/c.out" 2>&1
    sleep 1
    kill -TERM $sv 2>/dev/null
    wait $sv 2>/dev/null
    kill -INT $td
    wait $td 2>/dev/null
    [ -n "${DEBUG:-}" ] && cat "$TMP/c.out" "$TMP/s.out" "$TMP/td.out" >&2
    cp "$TMP/$name.pcap" "$OUT/$name.pcap" || die "no $name.pcap"
    chmod 644 "$OUT/$name.pcap"
    echo "$name: $(grep -m1 -E "^New, " "$TMP/c.out")" >&2
}

ALPN=(-alpn h2,http/1.1 -servername www.example.test)
run tls12 -tls1_2 -alpn h2 -- -tls1_2 "${ALPN[@]}"
run tls12-mtls -tls1_2 -alpn h2 -Verify 1 -- -tls1_2 "${ALPN[@]}" -cert cli.pem -key cli.key
run tls12-mtls-empty -tls1_2 -alpn h2 -verify 1 -- -tls1_2 "${ALPN[@]}"
run tls13 -tls1_3 -alpn h2 -- -tls1_3 "${ALPN[@]}"
run tls13-mtls -tls1_3 -alpn h2 -Verify 1 -- -tls1_3 "${ALPN[@]}" -cert cli.pem -key cli.key

# ------------------------------------------------------------ expected values
# openssl's own view of the certificates, in Suricata's formats: "K=V, K=V"
# names, serial as upper-case hex bytes joined by ':' (a leading 00 when the
# top bit is set, as DER has it), SHA-1 lower-case, ISO dates without zone.
cert_fields() {  # PREFIX FILE
    local p=$1 f=$2 s
    echo "$p.subject=$(openssl x509 -in "$f" -noout -subject -nameopt sep_comma_plus_space,sname,utf8 |
        sed 's/^subject=//; s/ = /=/g')"
    echo "$p.issuerdn=$(openssl x509 -in "$f" -noout -issuer -nameopt sep_comma_plus_space,sname,utf8 |
        sed 's/^issuer=//; s/ = /=/g')"
    s=$(openssl x509 -in "$f" -noout -serial | sed 's/^serial=//')
    [ $(( ${#s} % 2 )) -eq 1 ] && s=0$s
    case $s in [89A-F]*) s=00$s ;; esac
    echo "$p.serial=$(echo "$s" | sed 's/\(..\)/\1:/g; s/:$//')"
    echo "$p.fingerprint=$(openssl x509 -in "$f" -noout -fingerprint -sha1 |
        sed 's/^.*=//' | tr 'A-F' 'a-f')"
    echo "$p.notbefore=$(openssl x509 -in "$f" -noout -startdate -dateopt iso_8601 |
        sed 's/^notBefore=//; s/ /T/; s/Z$//')"
    echo "$p.notafter=$(openssl x509 -in "$f" -noout -enddate -dateopt iso_8601 |
        sed 's/^notAfter=//; s/ /T/; s/Z$//')"
}
{ cert_fields server srv.pem; cert_fields client cli.pem; } >"$OUT/expected.txt"
chmod 644 "$OUT/expected.txt"
cat "$OUT/expected.txt" >&2
ls -l "$OUT" >&2
exit 0
