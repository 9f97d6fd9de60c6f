#!/bin/bash
# Debian packages needed: iproute2 tcpdump nginx-light dnsmasq-base bind9-dnsutils
#                         curl iputils-ping ethtool coreutils
#   (optional, for the final flow summary/comparison: python3-scapy)
#
# netns-capture.sh - record real client/server traffic, made by real tools in
# network namespaces this script creates, twice at once:
#
#   OUTDIR/real-plain.pcap   tcpdump -s 0 on the client's own interface
#   OUTDIR/real-vxlan.pcap   the same frames as mirrored by the Linux kernel's
#                            VXLAN device (VNI 4242, UDP 4789) to a "sensor"
#
# usage: tests/gen/netns-capture.sh [OUTDIR]          (default: tests/pcaps)
#        MIRROR=tc|bridge tests/gen/netns-capture.sh  (default: tc)
#
# Needs root.  Exits 77 (the automake "skip" status) when not root, when
# `ip netns` does not work, or when a needed tool is missing.
#
# Topology (only namespaces; nothing is added to the root namespace):
#
#   ns CLI  c0 10.9.0.1/24 ──veth── pc ┐
#                                      ├ br0 (ns SW) ── vx0 (VXLAN 4242, dstport 4789)
#   ns SRV  s0 10.9.0.2/24 ──veth── ps ┘                 │ underlay, MTU 9001
#                                           ns SW  u0 172.31.0.10/24
#                                                  │ veth
#                                           ns SEN u1 172.31.0.20/24  <- tcpdump udp port 4789
#
# MIRROR=tc (default): tc clsact on pc with u32 match-all filters:
#     ingress (client -> server) and egress (server -> client), both
#     "action mirred egress mirror dev vx0".  One copy of every frame that
#     crosses the client's port, like an AWS ENI mirror session.
# MIRROR=bridge: vx0 is a port of br0 and br0 has ageing_time 0, so the bridge
#     never learns and floods every frame to every port, vx0 included.
#
# Determinism: IPv6 is disabled in every namespace, neighbours are static (no
# ARP), offloads are off (no TSO/GSO/GRO super-frames, checksums filled in),
# every client flow uses a fixed source port (curl --local-port, dig -b) and ping
# a fixed identifier.  So the SHAPE (flows, 5-tuples) is the same on each run;
# timestamps, ISNs, TCP timestamps, DNS ids and cookies change.

DEB_PACKAGES="iproute2 tcpdump nginx-light dnsmasq-base bind9-dnsutils curl iputils-ping ethtool coreutils"

set -u
OUT=${1:-tests/pcaps}
MIRROR=${MIRROR:-tc}

skip() { echo "netns-capture.sh: SKIP: $*" >&2; exit 77; }
die() { echo "netns-capture.sh: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
timeout 5 ip netns list >/dev/null 2>&1 || skip "'ip netns' is unavailable"
for t in tcpdump nginx dnsmasq dig curl ping ethtool tc bridge ss timeout; do
    command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$t" >/dev/null 2>&1 \
        || skip "$t not found; install: apt-get install $DEB_PACKAGES"
done
case $MIRROR in tc|bridge) ;; *) die "MIRROR must be tc or bridge" ;; esac
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

SFX=$$
NS_C=psc-cli-$SFX NS_S=psc-srv-$SFX NS_W=psc-sw-$SFX NS_M=psc-sen-$SFX
TMP=$(mktemp -d /tmp/periscope-netns.XXXXXX) || die "mktemp failed"
PIDS=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for ns in "$NS_C" "$NS_S" "$NS_W" "$NS_M"; do timeout 5 ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run a command in a namespace, bounded in time
nsx() { local ns=$1; shift; timeout 10 ip netns exec "$ns" "$@"; }
step() { echo "== $*" >&2; }

# ---------------------------------------------------------------- topology
step "namespaces $NS_C $NS_S $NS_W $NS_M (mirror: $MIRROR)"
for ns in "$NS_C" "$NS_S" "$NS_W" "$NS_M"; do
    timeout 5 ip netns add "$ns" || die "ip netns add $ns"
    # no IPv6 at all: no router/neighbour solicitations or MLD reports in the captures
    # and no IGMP reports for link-local groups (sent at a random time after link up)
    nsx "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6;
                     echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;
                     echo 0 > /proc/sys/net/ipv4/igmp_link_local_mcast_reports' 2>/dev/null
    nsx "$ns" ip link set lo up
done

MAC_C=02:00:00:09:00:01 MAC_S=02:00:00:09:00:02
MAC_U0=02:00:00:1f:00:0a MAC_U1=02:00:00:1f:00:14
set -e
ip -n "$NS_C" link add c0 address $MAC_C type veth peer name pc netns "$NS_W"
ip -n "$NS_S" link add s0 address $MAC_S type veth peer name ps netns "$NS_W"
ip -n "$NS_W" link add u0 address $MAC_U0 mtu 9001 type veth peer name u1 netns "$NS_M"
ip -n "$NS_M" link set u1 address $MAC_U1 mtu 9001

ip -n "$NS_C" addr add 10.9.0.1/24 dev c0
ip -n "$NS_S" addr add 10.9.0.2/24 dev s0
ip -n "$NS_W" addr add 172.31.0.10/24 dev u0
ip -n "$NS_M" addr add 172.31.0.20/24 dev u1

if [ "$MIRROR" = bridge ]; then
    ip -n "$NS_W" link add br0 type bridge ageing_time 0 stp_state 0 mcast_snooping 0
else
    ip -n "$NS_W" link add br0 type bridge stp_state 0 mcast_snooping 0
fi
ip -n "$NS_W" link set pc master br0
ip -n "$NS_W" link set ps master br0
# Linux VXLAN device: VNI 4242, to the sensor, IANA port, no learning; outer
# UDP source port = kernel hash of the inner flow (default range = ephemeral ports)
ip -n "$NS_W" link add vx0 mtu 8951 type vxlan id 4242 local 172.31.0.10 remote 172.31.0.20 \
    dstport 4789 dev u0 nolearning
for d in c0; do ip -n "$NS_C" link set $d up; done
for d in s0; do ip -n "$NS_S" link set $d up; done
for d in pc ps u0 br0 vx0; do ip -n "$NS_W" link set $d up; done
ip -n "$NS_M" link set u1 up

# static neighbours: no ARP in the captures
ip -n "$NS_C" neigh replace 10.9.0.2 lladdr $MAC_S dev c0 nud permanent
ip -n "$NS_S" neigh replace 10.9.0.1 lladdr $MAC_C dev s0 nud permanent
ip -n "$NS_W" neigh replace 172.31.0.20 lladdr $MAC_U1 dev u0 nud permanent
ip -n "$NS_M" neigh replace 172.31.0.10 lladdr $MAC_U0 dev u1 nud permanent
set +e

# offloads off: real-size frames, complete checksums, no GRO merging
nsx "$NS_C" ethtool -K c0 tx off sg off tso off gso off gro off >/dev/null 2>&1
nsx "$NS_S" ethtool -K s0 tx off sg off tso off gso off gro off >/dev/null 2>&1
for d in pc ps u0; do nsx "$NS_W" ethtool -K $d tx off sg off tso off gso off gro off >/dev/null 2>&1; done
nsx "$NS_M" ethtool -K u1 tx off sg off tso off gso off gro off >/dev/null 2>&1

if [ "$MIRROR" = bridge ]; then
    ip -n "$NS_W" link set vx0 master br0 || die "cannot add vx0 to br0"
else
    nsx "$NS_W" tc qdisc add dev pc clsact || die "tc clsact unavailable (try MIRROR=bridge)"
    for dir in ingress egress; do
        nsx "$NS_W" tc filter add dev pc $dir protocol all u32 match u32 0 0 \
            action mirred egress mirror dev vx0 || die "tc mirred unavailable (try MIRROR=bridge)"
    done
fi

# wait until every link is really up: a qdisc still "noop" (link watch not yet
# run) or a bridge port not yet forwarding silently drops the first packets
for _ in $(seq 50); do
    ok=1
    ip -n "$NS_C" link show c0 | grep -q 'qdisc noop\|state DOWN' && ok=0
    ip -n "$NS_S" link show s0 | grep -q 'qdisc noop\|state DOWN' && ok=0
    ip -n "$NS_M" link show u1 | grep -q 'qdisc noop\|state DOWN' && ok=0
    for d in pc ps u0 vx0 br0; do
        ip -n "$NS_W" link show $d | grep -q 'qdisc noop\|state DOWN' && ok=0
    done
    [ "$(bridge -n "$NS_W" link show | grep -c 'state forwarding')" -ge 2 ] || ok=0
    [ $ok = 1 ] && break
    sleep 0.1
done
[ $ok = 1 ] || { for ns in "$NS_C" "$NS_S" "$NS_W" "$NS_M"; do ip -n "$ns" link >&2; done
                 die "links did not come up"; }

# ---------------------------------------------------------------- servers
step "servers"
WWW=$TMP/www
mkdir -p "$WWW" "$TMP/nginx"
yes 'periscope test file' | head -c 1024 > "$WWW/1k.bin"
yes 'periscope test file' | head -c 102400 > "$WWW/100k.bin"
{ printf '<!doctype html>\n<title>periscope</title>\n<p>'; yes 'periscope ' | head -c 470 | tr -d '\n'; printf '</p>\n'; } \
    | head -c 512 > "$WWW/index.html"
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
    types { text/html html; }
    keepalive_timeout 10;
    server {
        listen 10.9.0.2:80;
        root $WWW;
    }
}
EOF
ip netns exec "$NS_S" nginx -e "$TMP/nginx-error.log" -p "$TMP/nginx" -c "$TMP/nginx.conf" \
    >"$TMP/nginx.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_S" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces --listen-address=10.9.0.2 --port=53 --pid-file \
    --local=/example.test/ \
    --host-record=www.example.test,10.9.0.2,fd00:9::2 \
    --txt-record=txt.example.test,"periscope test zone" \
    --log-queries --log-facility=- >"$TMP/dnsmasq.out" 2>&1 &
PIDS+=($!)

wait_for() {  # wait_for NS 'ss filter' what
    local i
    for i in $(seq 50); do
        [ -n "$(ip netns exec "$1" ss -Hln "$2" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    cat "$TMP"/*.out "$TMP"/nginx-error.log >&2 2>/dev/null
    die "$3 did not start"
}
wait_for "$NS_S" "( sport = :80 )" nginx
wait_for "$NS_S" "( sport = :53 )" dnsmasq

# ---------------------------------------------------------------- captures
step "captures"
ip netns exec "$NS_C" tcpdump -i c0 -n -s 0 -U -Z root -w "$TMP/real-plain.pcap" \
    >"$TMP/td-plain.out" 2>&1 &
TD1=$!; PIDS+=($TD1)
ip netns exec "$NS_M" tcpdump -i u1 -n -s 0 -U -Z root -w "$TMP/real-vxlan.pcap" udp port 4789 \
    >"$TMP/td-vxlan.out" 2>&1 &
TD2=$!; PIDS+=($TD2)
for f in td-plain td-vxlan; do
    for _ in $(seq 50); do grep -q 'listening on' "$TMP/$f.out" 2>/dev/null && break; sleep 0.1; done
    grep -q 'listening on' "$TMP/$f.out" || { cat "$TMP/$f.out" >&2; die "tcpdump ($f) did not start"; }
done
# LISTEN_CMD (optional): a mirror target to run in the sensor namespace too,
# e.g. 'periscope listen --vxlan 4789 ...'; it is sent SIGTERM after the
# traffic and must exit 0 (used by tests/e2e/listen-vxlan.sh).
LPID=
if [ -n "${LISTEN_CMD:-}" ]; then
    ip netns exec "$NS_M" sh -c "exec $LISTEN_CMD" >"$TMP/listen.out" 2>&1 &
    LPID=$!; PIDS+=($LPID)
    for _ in $(seq 50); do
        [ -n "$(ip netns exec "$NS_M" ss -Huln 'sport = :4789' 2>/dev/null)" ] && break
        sleep 0.1
    done
fi
sleep 0.3

# ---------------------------------------------------------------- traffic
step "traffic"
C() { timeout 15 ip netns exec "$NS_C" "$@"; }
FAIL=0
CURL="curl -sS --max-time 10 -o /dev/null -w %{http_code}:%{size_download}:%{num_connects}\n"
C $CURL --local-port 41001 http://10.9.0.2/1k.bin          || FAIL=1
C $CURL --local-port 41002 http://10.9.0.2/100k.bin        || FAIL=1
# keep-alive: two requests on one connection (num_connects 1 then 0)
C curl -sS --max-time 10 --local-port 41003 -w '%{http_code}:%{size_download}:%{num_connects}\n' \
    -o /dev/null http://10.9.0.2/1k.bin -o /dev/null http://10.9.0.2/index.html || FAIL=1
C $CURL --local-port 41004 http://10.9.0.2/missing.html    # 404 is expected
DIG="dig +tries=1 +time=3 @10.9.0.2"
C $DIG -b 10.9.0.1#42001 www.example.test A    +short || FAIL=1
C $DIG -b 10.9.0.1#42002 www.example.test AAAA +short || FAIL=1
C $DIG -b 10.9.0.1#42003 txt.example.test TXT  +short || FAIL=1
C $DIG -b 10.9.0.1#42004 nx.example.test A | grep -o 'status: [A-Z]*' || FAIL=1
C $DIG -b 10.9.0.1#42005 +tcp www.example.test A +short || FAIL=1
C ping -n -q -c 3 -i 0.2 -W 2 -e 2345 10.9.0.2 | tail -2 || FAIL=1
sleep 1     # let the last FIN/ACKs and mirrored copies arrive

# ---------------------------------------------------------------- stop
step "stop"
kill -INT $TD1 $TD2 2>/dev/null
for p in $TD1 $TD2; do
    for _ in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
done
cat "$TMP/td-plain.out" "$TMP/td-vxlan.out" | grep -E 'captured|dropped' >&2
if [ -n "$LPID" ]; then
    kill -TERM $LPID 2>/dev/null
    for _ in $(seq 100); do kill -0 $LPID 2>/dev/null || break; sleep 0.1; done
    wait $LPID || { cat "$TMP/listen.out" >&2; die "LISTEN_CMD did not exit 0"; }
fi
[ $FAIL -eq 0 ] || { cat "$TMP"/*.out >&2; die "a client command failed"; }

cp "$TMP/real-plain.pcap" "$OUT/real-plain.pcap" || die "no real-plain.pcap"
cp "$TMP/real-vxlan.pcap" "$OUT/real-vxlan.pcap" || die "no real-vxlan.pcap"
chmod 644 "$OUT/real-plain.pcap" "$OUT/real-vxlan.pcap"
ls -l "$OUT/real-plain.pcap" "$OUT/real-vxlan.pcap" >&2

# summary and plain-vs-mirror check (needs python3-scapy; skipped otherwise)
HERE=$(cd "$(dirname "$0")" && pwd)
if /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
    timeout 60 /usr/bin/python3 "$HERE/pcap-flows.py" --compare "$OUT/real-plain.pcap" "$OUT/real-vxlan.pcap"
fi
exit 0
