#!/bin/bash
# Debian packages needed: iproute2 tcpdump nginx-light curl openssh-client
#                         dropbear-bin python3-scapy ethtool coreutils
#
# app-captures.sh - record real HTTP/1.x and SSH conversations, made by real
# tools in two network namespaces this script creates, as small pcaps for the
# HTTP and SSH parser tests (tests/unit/test_http.c, test_ssh.c):
#
#   http-get.pcap        curl GET with User-Agent, Referer, X-Forwarded-For
#   http-post.pcap       curl POST with a Content-Length body, then a chunked body
#   http-chunked.pcap    curl --compressed: nginx gzips, the response is chunked
#   http-keepalive.pcap  one connection: GET, HEAD, GET 404, GET 301 (Location)
#   http-8080.pcap       HTTP on port 8080 (found by content, not port)
#   http-pipeline.pcap   three requests in one segment before any response
#   http-h2c.pcap        curl --http2-prior-knowledge (the HTTP/2 preface)
#   ssh-openssh.pcap     OpenSSH's ssh client against dropbear
#   ssh-dropbear.pcap    dropbear's dbclient against dropbear
#   ssh-*.hassh          "client|server MD5 STRING" computed here with hashlib
#                        from the KEXINITs in the capture (independent of the C
#                        parser, which the unit test compares with)
#
# usage: tests/gen/app-captures.sh [OUTDIR]     (default: tests/pcaps/app)
# Needs root; exits 77 (skip) when not root or a tool is missing.

DEB_PACKAGES="iproute2 tcpdump nginx-light curl openssh-client dropbear-bin python3-scapy ethtool coreutils"

set -u
OUT=${1:-tests/pcaps/app}
skip() { echo "app-captures.sh: SKIP: $*" >&2; exit 77; }
die() { echo "app-captures.sh: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
timeout 5 ip netns list >/dev/null 2>&1 || skip "'ip netns' is unavailable"
for t in tcpdump nginx curl ssh dropbear dropbearkey dbclient ethtool; do
    command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$t" >/dev/null 2>&1 \
        || skip "$t not found; install: apt-get install $DEB_PACKAGES"
done
PATH=$PATH:/usr/sbin:/sbin
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

SFX=$$
NS_C=psa-cli-$SFX NS_S=psa-srv-$SFX
TMP=$(mktemp -d /tmp/periscope-app.XXXXXX) || die "mktemp failed"
PIDS=()
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for ns in "$NS_C" "$NS_S"; do timeout 5 ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
nsx() { local ns=$1; shift; timeout 10 ip netns exec "$ns" "$@"; }

# ------------------------------------------------------------ topology
for ns in "$NS_C" "$NS_S"; do
    timeout 5 ip netns add "$ns" || die "ip netns add $ns"
    nsx "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6;
                     echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null
    nsx "$ns" ip link set lo up
done
set -e
ip -n "$NS_C" link add c0 address 02:00:00:0a:00:01 type veth peer name s0 netns "$NS_S" \
    address 02:00:00:0a:00:02
ip -n "$NS_C" addr add 10.10.0.1/24 dev c0
ip -n "$NS_S" addr add 10.10.0.2/24 dev s0
ip -n "$NS_C" link set c0 up
ip -n "$NS_S" link set s0 up
ip -n "$NS_C" neigh replace 10.10.0.2 lladdr 02:00:00:0a:00:02 dev c0 nud permanent
ip -n "$NS_S" neigh replace 10.10.0.1 lladdr 02:00:00:0a:00:01 dev s0 nud permanent
set +e
nsx "$NS_C" ethtool -K c0 tx off sg off tso off gso off gro off >/dev/null 2>&1
nsx "$NS_S" ethtool -K s0 tx off sg off tso off gso off gro off >/dev/null 2>&1
for _ in $(seq 50); do
    ip -n "$NS_C" link show c0 | grep -q 'qdisc noop\|state DOWN' || break
    sleep 0.1
done

# ------------------------------------------------------------ servers
WWW=$TMP/www
mkdir -p "$WWW" "$TMP/nginx"
{ printf '<!doctype html>\n<title>periscope</title>\n'; yes 'periscope http test' | head -c 400; } \
    > "$WWW/index.html"
yes 'periscope chunked response line' | head -c 20000 > "$WWW/big.txt"
TEMPS=""
for m in client_body proxy fastcgi uwsgi scgi; do
    nginx -V 2>&1 | grep -q -- "without-http_${m}_module" && continue
    TEMPS="$TEMPS    ${m}_temp_path $TMP/nginx/$m;
"
done
cat > "$TMP/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections 64; }
http {
    access_log $TMP/nginx-access.log;
$TEMPS
    server_tokens off;
    default_type application/octet-stream;
    types { text/html html; text/plain txt; }
    keepalive_timeout 10;
    gzip on;
    gzip_min_length 1;
    gzip_types text/plain;
    server {
        listen 10.10.0.2:80;
        listen 10.10.0.2:8080;
        listen 10.10.0.2:8081 http2;
        root $WWW;
        location = /post { return 200 "posted\n"; }
        location = /old { return 301 /index.html; }
    }
}
EOF
ip netns exec "$NS_S" nginx -e "$TMP/nginx-error.log" -p "$TMP/nginx" -c "$TMP/nginx.conf" \
    >"$TMP/nginx.out" 2>&1 &
PIDS+=($!)
dropbearkey -t ed25519 -f "$TMP/dbkey" >/dev/null 2>&1 || die "dropbearkey failed"
ip netns exec "$NS_S" dropbear -F -E -R -r "$TMP/dbkey" -p 10.10.0.2:22 -p 10.10.0.2:2222 \
    -P "$TMP/dropbear.pid" >"$TMP/dropbear.out" 2>&1 &
PIDS+=($!)
wait_for() {
    for _ in $(seq 50); do
        [ -n "$(ip netns exec "$NS_S" ss -Hln "( sport = :$1 )" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    cat "$TMP"/*.out >&2; die "server on port $1 did not start"
}
for p in 80 8080 8081 22 2222; do wait_for $p; done

# ------------------------------------------------------------ capture
ip netns exec "$NS_C" tcpdump -i c0 -n -s 0 -U -Z root -w "$TMP/all.pcap" tcp \
    >"$TMP/td.out" 2>&1 &
TD=$!; PIDS+=($TD)
for _ in $(seq 50); do grep -q 'listening on' "$TMP/td.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$TMP/td.out" || die "tcpdump did not start"
sleep 0.3

C() { timeout 15 ip netns exec "$NS_C" "$@"; }
S=http://10.10.0.2
Q="curl -sS --max-time 10 -o /dev/null"
FAIL=0
C $Q --local-port 41001 -A 'periscope-test/1.0' -e "$S/from" -H 'X-Forwarded-For: 192.0.2.7' \
    "$S/index.html?q=1" || FAIL=1
C $Q --local-port 41002 -d 'name=periscope&body=1' "$S/post" || FAIL=1
head -c 3000 "$WWW/big.txt" > "$TMP/body.txt"
C $Q --local-port 41003 -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/body.txt" "$S/post" \
    || FAIL=1
C $Q --local-port 41004 --compressed "$S/big.txt" || FAIL=1
C $Q --local-port 41005 "$S/index.html" --next -sS -o /dev/null -I "$S/index.html" \
    --next -sS -o /dev/null "$S/missing" --next -sS -o /dev/null "$S/old" || FAIL=1
C $Q --local-port 41006 "$S:8080/index.html" || FAIL=1
C /usr/bin/python3 - <<'EOF' || FAIL=1
import socket
s = socket.socket()
s.bind(("10.10.0.1", 41007))
s.connect(("10.10.0.2", 80))
r = b"".join(b"GET /%s HTTP/1.1\r\nHost: 10.10.0.2\r\n%s\r\n" % (p, c) for p, c in
             ((b"index.html", b""), (b"missing", b""), (b"big.txt", b"Connection: close\r\n")))
s.sendall(r)
while s.recv(65536):
    pass
s.close()
EOF
C $Q --local-port 41008 --http2-prior-knowledge "$S:8081/index.html" || FAIL=1
SSHO="-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"
C ssh $SSHO -p 22 nobody@10.10.0.2 true >"$TMP/ssh.out" 2>&1   # fails at auth: expected
C dbclient -y -y -p 2222 nobody@10.10.0.2 true </dev/null >"$TMP/dbclient.out" 2>&1
sleep 0.5
kill -INT $TD; wait $TD 2>/dev/null
[ $FAIL = 0 ] || die "a client failed"

# ------------------------------------------------------------ split
cut_pcap() {
    tcpdump -r "$TMP/all.pcap" -w "$OUT/$1.pcap" "$2" 2>/dev/null || die "split $1"
    [ -s "$OUT/$1.pcap" ] || die "$1 is empty"
    echo "$1.pcap: $(tcpdump -r "$OUT/$1.pcap" 2>/dev/null | wc -l) packets"
}
cut_pcap http-get "tcp port 41001"
cut_pcap http-post "tcp port 41002 or tcp port 41003"
cut_pcap http-chunked "tcp port 41004"
cut_pcap http-keepalive "tcp port 41005"
cut_pcap http-8080 "tcp port 41006"
cut_pcap http-pipeline "tcp port 41007"
cut_pcap http-h2c "tcp port 41008"
cut_pcap ssh-openssh "tcp port 22"
cut_pcap ssh-dropbear "tcp port 2222"

# ------------------------------------------------------------ HASSH, independently
for f in ssh-openssh ssh-dropbear; do
    /usr/bin/python3 - "$OUT/$f.pcap" > "$OUT/$f.hassh" <<'EOF' || die "hassh of $f"
import hashlib, struct, sys
from scapy.all import rdpcap, TCP, IP
pk = [p for p in rdpcap(sys.argv[1]) if TCP in p]
cli = next(p for p in pk if p[TCP].flags & 0x12 == 0x02)  # the SYN
streams = {}
for p in pk:
    d = 0 if (p[IP].src, p[TCP].sport) == (cli[IP].src, cli[TCP].sport) else 1
    n = p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4  # without Ethernet padding
    if n > 0:
        streams.setdefault(d, {}).setdefault(p[TCP].seq, bytes(p[TCP].payload)[:n])
def joined(segs):
    out, nxt = b"", None
    for seq in sorted(segs):
        if nxt is not None and seq != nxt:
            continue
        out += segs[seq]
        nxt = seq + len(segs[seq])
    return out
for d, side, pick in ((0, "client", (0, 2, 4, 6)), (1, "server", (0, 3, 5, 7))):
    b = joined(streams[d])
    i = b.index(b"SSH-")
    b = b[b.index(b"\n", i) + 1:]
    plen, pad, msg = struct.unpack(">IBB", b[:6])
    assert msg == 20, msg
    o, lists = 6 + 16, []
    for _ in range(10):
        (n,) = struct.unpack(">I", b[o:o + 4])
        lists.append(b[o + 4:o + 4 + n].decode())
        o += 4 + n
    s = ";".join(lists[k] for k in pick)
    print(side, hashlib.md5(s.encode()).hexdigest(), s)
EOF
    cat "$OUT/$f.hassh"
done
