#!/bin/bash
# periscope listen -i: frames captured from an interface with AF_PACKET, as
# on a SPAN port or the link an ERSPAN/GRE feed arrives on. In two network
# namespaces joined by a veth pair: (1) real pings from one to the other give
# their flow; (2) the ERSPAN frames of tests/pcaps/erspan.pcap, sent onto the
# link with a raw socket, give the same flows as reading that capture, with
# the ERSPAN context; (3) -f filters in the kernel; (4) with a filter, the
# TPACKET_V3 ring gives the flows tcpdump's capture of the same traffic
# gives. Where the kernel has an erspan device, (5) its own ERSPAN II feed is
# decoded too.
# Exit 77 (skipped) without root or network namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
[ "$(id -u)" -eq 0 ] || { echo "SKIP e2e/listen-iface: needs root"; exit 77; }
A=psifA$$ B=psifB$$
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL $pid 2>/dev/null
    ip netns del $A 2>/dev/null
    ip netns del $B 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add $A 2>/dev/null && ip netns add $B 2>/dev/null ||
    { echo "SKIP e2e/listen-iface: no network namespaces"; exit 77; }
ip link add a0 netns $A mtu 9000 type veth peer name b0 netns $B mtu 9000
ip -n $A addr add 10.78.0.1/24 dev a0 && ip -n $A link set a0 up
ip -n $B addr add 10.78.0.2/24 dev b0 && ip -n $B link set b0 up
ip -n $A link set lo up && ip -n $B link set lo up
kernel_erspan=0
if ip -n $A link add er0 type erspan local 10.78.0.1 remote 10.78.0.2 seq key 7 \
        erspan_ver 1 erspan 123 2>/dev/null; then
    kernel_erspan=1
    ip -n $A addr add 192.168.78.1/24 dev er0 && ip -n $A link set er0 up
    ip -n $A neigh add 192.168.78.2 lladdr 02:00:00:00:78:02 dev er0
fi
pass=0 fail=0

run_listen() { # extra options...; traffic comes from the function "traffic"
    rm -f "$tmp/eve.json"
    ip netns exec $B "$bin" listen -q -i b0 "$@" --eve "$tmp/eve.json" 2>"$tmp/err" &
    pid=$!
    sleep 1
    traffic
    sleep 0.5
    kill -TERM $pid
    for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    wait $pid
    local rc=$?
    pid=
    [ $rc -eq 0 ] || { cat "$tmp/err"; return 1; }
    python3 tests/lib/check_eve.py "$tmp/eve.json"
}
replay() { # send the frames of a capture out of a0 with a raw socket
    ip netns exec $A python3 - "$1" <<'PY'
import socket, struct, sys
d = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("a0", 0))
off = 24
while off + 16 <= len(d):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    s.send(d[off + 16:off + 16 + incl])
    off += 16 + incl
PY
}
check() { # name, python condition over "flows" (list of flow events)
    if python3 - "$tmp/eve.json" "$2" <<'PY'; then
import json, sys
flows = [e for e in (json.loads(l) for l in open(sys.argv[1])) if e["event_type"] == "flow"]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
        echo "ok   e2e/listen-iface/$1"; pass=$((pass + 1))
    else
        echo "FAIL e2e/listen-iface/$1"; fail=$((fail + 1))
    fi
}

traffic() { ip netns exec $A timeout 10 ping -n -q -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null; }
run_listen && check real-pings \
    'any(f["src_ip"] == "10.78.0.1" and f["proto"] == "ICMP" and f["flow"]["pkts_toserver"] == 3
         and f["flow"]["pkts_toclient"] == 3 for f in flows)'

"$bin" read -q --eve "$tmp/read.json" tests/pcaps/erspan.pcap
traffic() { replay tests/pcaps/erspan.pcap; }
if run_listen -f 'proto gre'; then
    if python3 tests/lib/flows_equal.py "$tmp/read.json" "$tmp/eve.json" >"$tmp/eq"; then
        echo "ok   e2e/listen-iface/erspan-frames ($(cat "$tmp/eq"))"; pass=$((pass + 1))
    else
        echo "FAIL e2e/listen-iface/erspan-frames: $(head -3 "$tmp/eq")"; fail=$((fail + 1))
    fi
else
    fail=$((fail + 1))
fi

# -f in the kernel: with 'icmp' the GRE-carried frames never reach periscope.
traffic() { replay tests/pcaps/erspan.pcap; }
run_listen -f icmp && check bpf-filter 'not any(f["mirror"]["encap"] == "erspan" for f in flows)'

# The ring against tcpdump: both capture the same traffic on b0 with the
# same kernel filter (real VXLAN mirror frames and pings); periscope reading
# tcpdump's file must give the flows listen -i gave.
rm -f "$tmp/tcpdump.pcap"
ip netns exec $B tcpdump -q -n -i b0 -s 0 -U -w "$tmp/tcpdump.pcap" 'udp port 4789 or icmp' \
    2>"$tmp/tcpdump.err" &
tdpid=$!
for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.err" && break; sleep 0.1; done
traffic() {
    replay tests/pcaps/real-vxlan.pcap
    ip netns exec $A timeout 10 ping -n -q -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null
    replay tests/pcaps/vxlan-two-enis.pcap
}
if run_listen -f 'udp port 4789 or icmp'; then
    sleep 0.5
    kill -INT $tdpid
    wait $tdpid
    "$bin" read -q --eve "$tmp/tcpdump.json" "$tmp/tcpdump.pcap"
    if python3 tests/lib/flows_equal.py "$tmp/tcpdump.json" "$tmp/eve.json" >"$tmp/eq" &&
        grep -q '"encap":"vxlan"' "$tmp/eve.json" && grep -q '"proto":"ICMP"' "$tmp/eve.json"; then
        echo "ok   e2e/listen-iface/ring-vs-tcpdump ($(cat "$tmp/eq"))"; pass=$((pass + 1))
    else
        echo "FAIL e2e/listen-iface/ring-vs-tcpdump: $(head -3 "$tmp/eq")"; fail=$((fail + 1))
    fi
else
    kill -INT $tdpid
    wait $tdpid
    fail=$((fail + 1))
fi

if [ $kernel_erspan -eq 1 ]; then
    traffic() { ip netns exec $A timeout 10 ping -n -q -c 3 -i 0.2 -W 1 192.168.78.2 >/dev/null; }
    run_listen -f 'proto gre' && check kernel-erspan \
        'any(f["mirror"].get("erspan_id") == 123 and f["src_ip"] == "192.168.78.1" for f in flows)'
else
    echo "     e2e/listen-iface: this kernel has no erspan device; the kernel-feed case was not run"
fi
echo "listen-iface: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
