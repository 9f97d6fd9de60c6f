#!/bin/bash
# Debian packages needed: iproute2 tcpdump nmap hping3 thc-ipv6 iputils-ping
#                         dnsmasq-base bind9-dnsutils ethtool coreutils
#
# attacks.sh - record REAL attack tools (and benign fragmented traffic) in two
# network namespaces this script creates, for periscope's packet-level
# detectors (fragmentation, IPv4 options, IPv6 extension headers, RA/NA floods).
#
# usage: sudo tests/gen/attacks.sh [OUTDIR]         (default: tests/pcaps/attacks)
#        ONLY="nmap-frag ping-rr" sudo -E tests/gen/attacks.sh /tmp/x   (a subset)
#
# Needs root.  Exits 77 (the automake "skip" status) when not root, when
# `ip netns` does not work, or when a needed tool is missing.
#
# Topology (only namespaces; nothing is added to the root namespace):
#
#   ns ATK  a0 10.77.0.1/24 fd00:77::1/64 ──veth── v0 10.77.0.2/24 fd00:77::2/64  ns VIC
#           02:00:00:4d:00:01                      02:00:00:4d:00:02
#                                                  (+ 10.77.9.2/32 on lo: a "waypoint"
#                                                     for the source-route option)
#
# Every capture is tcpdump on the victim's v0 (what a mirror of the victim's
# interface would see), one file per tool run: OUTDIR/real-<name>.pcap.  Each
# tcpdump has a BPF filter for the traffic of that run, a packet count (-c) and
# a time limit, and each tool runs under `timeout` with its own count/limit.
# Packets are captured whole (no snaplen cut: a truncated RA is a different
# test - Suricata flags every one "IPv6 truncated packet"); the flood captures
# are limited by count instead (flood_router26's RAs are ~1490 bytes each, so
# 180 of them, sent in about 2 ms).  A capture that still ends up over 280 KB is
# cut to its first N packets (N halved until it fits).
#
# Determinism: none byte-for-byte (tools randomise ids, ports, MACs, timing);
# the shape (tool, packet types, addresses) is the same each run.  To keep the
# captures free of unrelated packets: static IPv4/IPv6 neighbours (no ARP/ND
# from the kernels), no DAD, no router solicitations, the victim ignores RAs
# (accept_ra 0, so flood_router26 does not make it configure thousands of
# addresses), offloads off, and a 2 s settle time after the links come up (MLD
# reports).  Kernel replies (TCP RST, ICMP echo replies, ICMP errors) are part
# of the captures: they show what the victim's own stack made of the packets.

DEB_PACKAGES="iproute2 tcpdump nmap hping3 thc-ipv6 iputils-ping dnsmasq-base bind9-dnsutils ethtool coreutils"

set -u
OUT=${1:-tests/pcaps/attacks}
ONLY=${ONLY:-}
MAXSIZE=$((280 * 1024))

skip() { echo "attacks.sh: SKIP: $*" >&2; exit 77; }
die() { echo "attacks.sh: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
PATH=$PATH:/usr/sbin:/sbin
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
timeout 5 ip netns list >/dev/null 2>&1 || skip "'ip netns' is unavailable"
for t in tcpdump nmap hping3 atk6-fragmentation6 atk6-implementation6 atk6-flood_router26 \
         atk6-flood_advertise6 ping dnsmasq dig ethtool timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found; install: apt-get install $DEB_PACKAGES"
done
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

SFX=$$
NS_A=psa-atk-$SFX NS_V=psa-vic-$SFX
TMP=$(mktemp -d /tmp/periscope-attacks.XXXXXX) || die "mktemp failed"
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
    for ns in "$NS_A" "$NS_V"; do timeout 5 ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; timeout 10 ip netns exec "$ns" "$@"; }
step() { echo "== $*" >&2; }

# ---------------------------------------------------------------- topology
A4=10.77.0.1 V4=10.77.0.2 WAYPOINT=10.77.9.2
A6=fd00:77::1 V6=fd00:77::2
MAC_A=02:00:00:4d:00:01 MAC_V=02:00:00:4d:00:02
step "namespaces $NS_A (attacker) $NS_V (victim)"
for ns in "$NS_A" "$NS_V"; do
    timeout 5 ip netns add "$ns" || die "ip netns add $ns"
    nsx "$ns" sh -c 'for c in all default; do
                       echo 0 > /proc/sys/net/ipv6/conf/$c/accept_dad
                       echo 0 > /proc/sys/net/ipv6/conf/$c/dad_transmits
                       echo 0 > /proc/sys/net/ipv6/conf/$c/router_solicitations
                       echo 0 > /proc/sys/net/ipv6/conf/$c/accept_ra
                     done
                     echo 0 > /proc/sys/net/ipv4/igmp_link_local_mcast_reports' 2>/dev/null
    nsx "$ns" ip link set lo up
done
set -e
ip -n "$NS_A" link add a0 address $MAC_A type veth peer name v0 netns "$NS_V"
ip -n "$NS_V" link set v0 address $MAC_V
ip -n "$NS_A" addr add $A4/24 dev a0
ip -n "$NS_V" addr add $V4/24 dev v0
ip -n "$NS_V" addr add $WAYPOINT/32 dev lo
ip -n "$NS_A" addr add $A6/64 dev a0 nodad
ip -n "$NS_V" addr add $V6/64 dev v0 nodad
ip -n "$NS_A" link set a0 up
ip -n "$NS_V" link set v0 up
ip -n "$NS_A" route add $WAYPOINT/32 via $V4 dev a0
ip -n "$NS_A" neigh replace $V4 lladdr $MAC_V dev a0 nud permanent
ip -n "$NS_V" neigh replace $A4 lladdr $MAC_A dev v0 nud permanent
ip -n "$NS_A" -6 neigh replace $V6 lladdr $MAC_V dev a0 nud permanent
ip -n "$NS_V" -6 neigh replace $A6 lladdr $MAC_A dev v0 nud permanent
set +e
for p in "$NS_A a0" "$NS_V v0"; do
    set -- $p
    nsx "$1" ethtool -K "$2" tx off sg off tso off gso off gro off >/dev/null 2>&1
done
# link-local neighbours too (the THC tools and the kernel use them)
LL_A=$(ip -n "$NS_A" -6 addr show dev a0 scope link | sed -n 's/.*inet6 \([^/]*\).*/\1/p')
LL_V=$(ip -n "$NS_V" -6 addr show dev v0 scope link | sed -n 's/.*inet6 \([^/]*\).*/\1/p')
[ -n "$LL_A" ] && ip -n "$NS_V" -6 neigh replace "$LL_A" lladdr $MAC_A dev v0 nud permanent
[ -n "$LL_V" ] && ip -n "$NS_A" -6 neigh replace "$LL_V" lladdr $MAC_V dev a0 nud permanent
for _ in $(seq 50); do
    ip -n "$NS_A" link show a0 | grep -q 'qdisc noop\|state DOWN' || \
    ip -n "$NS_V" link show v0 | grep -q 'qdisc noop\|state DOWN' || break
    sleep 0.1
done
sleep 2      # let the MLD reports sent on link-up pass before the first capture

# ---------------------------------------------------------------- helpers
want() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

TD=
start_cap() {   # start_cap NAME SNAPLEN COUNT BPF
    local name=$1 snap=$2 count=$3 bpf=$4
    : > "$TMP/td-$name.out"
    # --immediate-mode: without it, packets of a run shorter than the kernel
    # ring's block timeout (nmap: 0.1 s) are counted "received by filter" but
    # never written before SIGINT.
    timeout 120 ip netns exec "$NS_V" tcpdump -i v0 -n -s "$snap" -c "$count" -U --immediate-mode -Z root \
        -w "$TMP/real-$name.pcap" "$bpf" >"$TMP/td-$name.out" 2>&1 &
    TD=$!; PIDS+=("$TD")
    for _ in $(seq 50); do grep -q 'listening on' "$TMP/td-$name.out" && break; sleep 0.1; done
    grep -q 'listening on' "$TMP/td-$name.out" || { cat "$TMP/td-$name.out" >&2; die "tcpdump ($name) did not start"; }
}
stop_cap() {    # stop_cap NAME
    local name=$1 n
    sleep 0.7                     # replies and the last packets
    kill -INT "$TD" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$TD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TD" 2>/dev/null
    wait "$TD" 2>/dev/null
    [ -n "${DEBUG:-}" ] && cat "$TMP/td-$name.out" >&2
    local f=$TMP/real-$name.pcap
    [ -s "$f" ] || { echo "   real-$name: no capture" >&2; RESULTS+=("real-$name.pcap: NO CAPTURE"); FAILED+=("$name"); return; }
    n=$(tcpdump -r "$f" -n 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] || { echo "   real-$name: 0 packets, not copied" >&2; RESULTS+=("real-$name.pcap: EMPTY"); FAILED+=("$name"); return; }
    while [ "$(stat -c %s "$f")" -gt $MAXSIZE ] && [ "$n" -gt 1 ]; do
        n=$((n / 2))
        tcpdump -r "$f" -c "$n" -w "$f.cut" 2>/dev/null && mv "$f.cut" "$f"
    done
    cp "$f" "$OUT/real-$name.pcap" && chmod 644 "$OUT/real-$name.pcap"
    RESULTS+=("$(printf 'real-%-24s %5d packets %7d bytes' "$name.pcap" "$n" "$(stat -c %s "$f")")")
    echo "   real-$name.pcap: $n packets, $(stat -c %s "$f") bytes" >&2
}
ATK() { local t=$1; shift; timeout -s INT -k 2 "$t" ip netns exec "$NS_A" "$@"; }
RESULTS=() FAILED=()
run() {         # run NAME SNAPLEN COUNT BPF TIMEOUT CMD...  (CMD runs in the attacker ns)
    local name=$1 snap=$2 count=$3 bpf=$4 t=$5; shift 5
    want "$name" || return 0
    step "$name: $*"
    start_cap "$name" "$snap" "$count" "$bpf"
    ATK "$t" "$@" >"$TMP/$name.log" 2>&1
    [ -n "${DEBUG:-}" ] && cat "$TMP/$name.log" "$TMP/td-$name.out" >&2
    local rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 124 ] || { echo "   ($1 exited $rc)" >&2; tail -3 "$TMP/$name.log" >&2; }
    stop_cap "$name"
}
V4ONLY="host $A4 or host $V4 or host $WAYPOINT"
V6ONLY="ip6"

# ---------------------------------------------------------------- nmap
NMAP="nmap -n -Pn -sS -T4 --max-retries 0 -e a0 -p 21,22,80,443"
# -f: 8 bytes of TCP header per fragment (tiny first fragment)
run nmap-frag      0 200 "$V4ONLY" 30 $NMAP -f $V4
# --mtu 16: 16 bytes of TCP header per fragment
run nmap-mtu16     0 200 "$V4ONLY" 30 $NMAP --mtu 16 $V4
# loose source route through the waypoint address, and record route
run nmap-lsrr      0 200 "$V4ONLY" 30 $NMAP --ip-options "L $WAYPOINT" $V4
run nmap-rr        0 200 "$V4ONLY" 30 $NMAP --ip-options R $V4
# (nmap 7.93 refuses -f with -6: "fragmentation ... not supported with IPv6")

# ---------------------------------------------------------------- hping3
# -f: split into 16-byte fragments (hping3's default virtual MTU); SYN and ICMP
run hping3-frag    0 200 "$V4ONLY" 15 sh -c "hping3 -S -p 80 -f -c 5 -i u100000 $V4; \
                                              hping3 -1 -d 120 -f -c 5 -i u100000 $V4"
# -m/--mtu 64 (implies --frag) on 1000-byte UDP: fragments of 64 bytes
run hping3-mtu     0 200 "$V4ONLY" 15 hping3 -2 -p 7000 -d 1000 -m 64 -c 5 -i u100000 $V4
# -x (More Fragments set on complete packets): 300 datagrams that never complete
run hping3-fragflood 0 400 "$V4ONLY" 15 hping3 -2 -p 7000 -d 100 -x -c 300 -i u1000 $V4
# -g (fragment offset): offset 65520 + 108 bytes > 65535, a ping-of-death fragment
run hping3-pod     0 200 "$V4ONLY" 15 hping3 -1 -d 100 -g 65520 -c 3 -i u100000 $V4
# -G (record route) on ICMP echo
run hping3-rr      0 200 "$V4ONLY" 15 hping3 -1 -G -c 3 -i u100000 $V4

# ---------------------------------------------------------------- ping options
run ping-rr        0 200 "$V4ONLY" 10 ping -n -R -c 3 -i 0.2 -W 1 $V4
run ping-ts        0 200 "$V4ONLY" 10 ping -n -T tsonly -c 3 -i 0.2 -W 1 $V4

# ---------------------------------------------------------------- THC-IPv6
# fragmentation6 runs its fragment tests with pauses; 20 s covers the first
# ~8 "Firewall" tests (duplicate/overlapping fragments with different data).
# (-f, flooding without pauses, only works with one test case number.)
run thc-fragmentation6 0 1500 "$V6ONLY" 20 atk6-fragmentation6 a0 $V6
# implementation6 runs ~50 implementation tests (ext headers, RH0, ...)
run thc-implementation6 0 1500 "$V6ONLY" 20 atk6-implementation6 a0 $V6
# RA flood to ff02::1 (random link-local sources/MACs, ~17 prefixes/routes each)
run thc-flood-router26 0 180 "icmp6" 3 atk6-flood_router26 a0
# NA flood (random MACs and targets), and the same with -k: every NA from the
# attacker's real MAC (one MAC claiming hundreds of addresses)
run thc-flood-advertise6 0 1000 "icmp6" 3 atk6-flood_advertise6 a0
run thc-flood-advertise6-k 0 500 "icmp6" 3 atk6-flood_advertise6 -k a0

# ---------------------------------------------------------------- benign
# legitimately fragmented pings: 4000 bytes of ICMP data, MTU 1500 -> 3 fragments
run benign-ping-frag 0 200 "$V4ONLY or $V6ONLY" 15 sh -c "ping -n -s 4000 -c 3 -i 0.2 -W 1 $V4; \
                                                          ping -6 -n -s 4000 -c 3 -i 0.2 -W 1 $V6"
# legitimately fragmented UDP from a real application: a DNS answer of ~3 KB
# (EDNS buffer 4096) from dnsmasq, over IPv4 and IPv6
if want benign-dns-frag; then
    TXT=""
    for i in $(seq 12); do
        TXT="$TXT --txt-record=big.example.test,periscope-benign-fragmented-dns-answer-$i-$(printf '%0200d' $i)"
    done
    timeout 60 ip netns exec "$NS_V" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address=$V4 --listen-address=$V6 --port=53 --pid-file \
        --edns-packet-max=4096 $TXT >"$TMP/dnsmasq.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do [ -n "$(ip netns exec "$NS_V" ss -Hlun 'sport = :53' 2>/dev/null)" ] && break; sleep 0.1; done
    run benign-dns-frag 0 200 "$V4ONLY or $V6ONLY" 15 sh -c \
        "dig +tries=1 +time=3 +bufsize=4096 +ignore -b $A4#42001 @$V4 big.example.test TXT | grep -E 'MSG SIZE|status'; \
         dig +tries=1 +time=3 +bufsize=4096 +ignore -b $A6#42002 @$V6 big.example.test TXT | grep -E 'MSG SIZE|status'"
    cat "$TMP/benign-dns-frag.log" >&2
fi

step "done"
printf '%s\n' "${RESULTS[@]}" >&2
[ ${#FAILED[@]} -eq 0 ] || die "no packets from: ${FAILED[*]}"
exit 0
