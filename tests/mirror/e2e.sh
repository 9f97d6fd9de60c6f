#!/bin/bash
# periscope mirror end to end, in network namespaces this script creates.
#
# client: a client (ns CLI, c0 10.9.0.1) talks to a server (ns SRV, s0
#   10.9.0.2: nginx, dnsmasq) with curl, dig (UDP and TCP) and ping. The agent
#   runs in CLI on c0 with the AWS CLI JSON of tests/mirror/fixtures (two
#   sessions on the ENI, one of another ENI, a target by its ENI id) and sends
#   to a sensor (ns SEN, 172.31.0.20) over m0/m1.
# bridge: two "containers" (ns A 10.9.1.1, ns B 10.9.1.2: nginx, dnsmasq) on
#   one bridge br0 in ns SW; the agent runs in SW on br0 with periscope's own
#   configuration (fixtures/bridge.conf, dnsmasq counted as Amazon DNS); A
#   also sends NTP and DHCP datagrams, which AWS never mirrors.
#
# name: a target name with an IPv4 and an IPv6 address, re-resolved.
# loop: the agent mirrors the interface its own VXLAN leaves by.
#
# In the sensor: tcpdump of UDP 4789, one kernel VXLAN device per VNI with
# tcpdump on it, and `periscope listen -i m1`. check.py computes, from a
# tcpdump capture of the source interface, the frames the configuration
# selects (AWS's semantics, written again in Python) cut to the packet
# length, and compares them, exactly, with the decapsulated outer capture and
# each kernel device's capture; periscope listen must have decoded as many
# VXLAN datagrams. Prints "mirror-e2e: N passed, N failed"; exit 77 without
# root, namespaces or the tools.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
PY=/usr/bin/python3
skip() { echo "SKIP mirror-e2e: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
timeout 5 ip netns list >/dev/null 2>&1 || skip "'ip netns' is unavailable"
for t in tcpdump nginx dnsmasq dig curl ping ethtool ss timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found (tools/deps.sh)"
done
$PY -c 'import scapy' 2>/dev/null || skip "python3-scapy missing"
[ -x "$bin" ] || skip "$bin not built"

SFX=$$
TMP=$(mktemp -d /tmp/periscope-mirror.XXXXXX)
chmod 755 "$TMP"
NSS=()
PIDS=()
cleanup() {
    local p ns
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for ns in "${NSS[@]}"; do timeout 5 ip netns del "$ns" 2>/dev/null; done
    [ -n "${HOSTS:-}" ] && rm -rf "$HOSTS"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
ok() { echo "ok   mirror-e2e/$1"; pass=$((pass + 1)); }
ko() { echo "FAIL mirror-e2e/$1"; fail=$((fail + 1)); }
nsx() { local ns=$1; shift; timeout 15 ip netns exec "$ns" "$@"; }

mkns() {
    local ns
    for ns in "$@"; do
        timeout 5 ip netns add "$ns" || return 1
        NSS+=("$ns")
        nsx "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6;
                         echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;
                         echo 0 > /proc/sys/net/ipv4/igmp_link_local_mcast_reports' 2>/dev/null
        ip -n "$ns" link set lo up
    done
}
nooffload() { nsx "$1" ethtool -K "$2" tx off sg off tso off gso off gro off >/dev/null 2>&1; }
bg() { # bg NAME NS CMD...: start in the background, log in $TMP/NAME.out
    local name=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" >"$TMP/$name.out" 2>&1 &
    PIDS+=($!)
    eval "PID_${name//-/_}=$!"
}
wait_line() { # wait_line FILE TEXT
    for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
stop() { # stop PID: SIGINT/TERM and wait; returns its status
    kill -"${2:-TERM}" "$1" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    wait "$1"
}
servers() { # servers NS ADDR
    mkdir -p "$TMP/www-$1" "$TMP/ngx-$1"
    yes 'periscope mirror test' | head -c 20000 >"$TMP/www-$1/20k.bin"
    cat >"$TMP/ngx-$1.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $TMP/ngx-$1/nginx.pid;
error_log $TMP/ngx-$1/error.log;
events { worker_connections 16; }
http {
    access_log off;
    client_body_temp_path $TMP/ngx-$1;
    proxy_temp_path $TMP/ngx-$1;
    fastcgi_temp_path $TMP/ngx-$1;
    uwsgi_temp_path $TMP/ngx-$1;
    scgi_temp_path $TMP/ngx-$1;
    server { listen $2:80; root $TMP/www-$1; }
}
EOF
    bg "nginx-$1" "$1" nginx -e "$TMP/ngx-$1/error.log" -p "$TMP/ngx-$1" -c "$TMP/ngx-$1.conf"
    bg "dns-$1" "$1" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address="$2" --port=53 --pid-file \
        --local=/example.test/ --host-record=www.example.test,"$2"
    for _ in $(seq 50); do
        [ -n "$(ip netns exec "$1" ss -Hln '( sport = :80 )' 2>/dev/null)" ] &&
            [ -n "$(ip netns exec "$1" ss -Hln '( sport = :53 )' 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}
sensor() { # sensor NS VNI...: m1 172.31.0.20, kernel VXLAN per VNI, captures, listen
    local ns=$1 v; shift
    for v in "$@"; do
        ip -n "$ns" link add "vx$v" type vxlan id "$v" local 172.31.0.20 dstport 4789 \
            dev m1 nolearning || return 1
        ip -n "$ns" link set "vx$v" up
        nooffload "$ns" "vx$v"
    done
    bg td-outer "$ns" tcpdump --immediate-mode -i m1 -n -s 0 -U -w "$TMP/outer.pcap" udp port 4789
    for v in "$@"; do
        bg "td-vx$v" "$ns" tcpdump --immediate-mode -i "vx$v" -n -s 0 -U -w "$TMP/vx$v.pcap"
    done
    bg listen "$ns" "$bin" listen -q -i m1 -f 'udp port 4789' --vxlan 127.0.0.1:14789 \
        --eve "$TMP/listen.json"
    wait_line "$TMP/td-outer.out" 'listening on' || return 1
    for v in "$@"; do wait_line "$TMP/td-vx$v.out" 'listening on' || return 1; done
}
finish() { # finish NAME AGENT-PID SOURCE-TCPDUMP-PID VNI...: stop all, compare
    local name=$1 apid=$2 tpid=$3; shift 3
    sleep 0.5 # the ring's last block retires after 20 ms
    stop "$apid" TERM || { ko "$name: the agent did not exit 0"; cat "$TMP/agent.out"; }
    stop "$tpid" INT
    sleep 0.3
    stop "$PID_td_outer" INT
    local v kargs=()
    for v in "$@"; do
        eval "stop \$PID_td_vx$v INT"
        kargs+=(--kernel "$v=$TMP/vx$v.pcap")
    done
    stop "$PID_listen" TERM || ko "$name: periscope listen did not exit 0"
    grep 'periscope mirror:' "$TMP/agent.out" | sed 's/^/    /'
}
lines_ok() { # NAME: the check.py result line
    if out=$("$PY" tests/mirror/check.py "${@:2}" 2>&1); then
        ok "$1 ($out)"
    else
        ko "$1: $out"
    fi
}
listen_ok() { # NAME EXPECTED-COUNT: listen decoded that many VXLAN datagrams
    local n
    n=$("$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = [e for e in ev if e["event_type"] == "stats"][-1]["stats"]
vnis = sorted({e["mirror"].get("vni") for e in ev if e["event_type"] == "flow"})
print(st["decoder"]["vxlan"], vnis)' "$TMP/listen.json" 2>&1)
    if [ "${n%% *}" = "$2" ]; then ok "$1: periscope listen decoded $n"; else
        ko "$1: periscope listen decoded '$n', want $2"; fi
}

# ---------------------------------------------------------------- client
# client_net: ns C (c0 10.9.0.1, m0 172.31.0.10 and fd00:31::10), ns S (s0
# 10.9.0.2, nginx and dnsmasq), ns M (m1 172.31.0.20 and fd00:31::20).
MAC_C=02:00:00:09:00:01 MAC_S=02:00:00:09:00:02
client_net() {
    mkns "$C" "$S" "$M" || return 1
    ip -n "$C" link add c0 address $MAC_C type veth peer name s0 netns "$S"
    ip -n "$S" link set s0 address $MAC_S
    ip -n "$C" link add m0 mtu 9001 type veth peer name m1 netns "$M"
    ip -n "$M" link set m1 mtu 9001
    nsx "$C" sysctl -qw net.ipv6.conf.m0.disable_ipv6=0
    nsx "$M" sysctl -qw net.ipv6.conf.m1.disable_ipv6=0
    ip -n "$C" addr add 10.9.0.1/24 dev c0
    ip -n "$S" addr add 10.9.0.2/24 dev s0
    ip -n "$C" addr add 172.31.0.10/24 dev m0
    ip -n "$M" addr add 172.31.0.20/24 dev m1
    ip -n "$C" addr add fd00:31::10/64 dev m0 nodad
    ip -n "$M" addr add fd00:31::20/64 dev m1 nodad
    for d in c0 m0; do ip -n "$C" link set $d up; nooffload "$C" $d; done
    ip -n "$S" link set s0 up; nooffload "$S" s0
    ip -n "$M" link set m1 up; nooffload "$M" m1
    local mm0 mm1
    mm0=$(ip -n "$C" -br link show m0 | awk '{print $3}')
    mm1=$(ip -n "$M" -br link show m1 | awk '{print $3}')
    ip -n "$C" neigh replace 10.9.0.2 lladdr $MAC_S dev c0 nud permanent
    ip -n "$S" neigh replace 10.9.0.1 lladdr $MAC_C dev s0 nud permanent
    ip -n "$C" neigh replace 172.31.0.20 lladdr "$mm1" dev m0 nud permanent
    ip -n "$M" neigh replace 172.31.0.10 lladdr "$mm0" dev m1 nud permanent
    ip -n "$C" neigh replace fd00:31::20 lladdr "$mm1" dev m0 nud permanent
    ip -n "$M" neigh replace fd00:31::10 lladdr "$mm0" dev m1 nud permanent
    sleep 0.3
    servers "$S" 10.9.0.2
}
client_del() {
    for ns in "$C" "$S" "$M"; do timeout 5 ip netns del "$ns"; done
    NSS=()
    PIDS=()
    rm -f "$TMP"/*.pcap "$TMP/listen.json" "$TMP"/*.out
}
outer_count() {
    "$PY" -c 'from scapy.utils import RawPcapReader as R; import sys
print(sum(1 for _ in R(sys.argv[1])))' "$TMP/outer.pcap"
}

C=pm-cli-$SFX S=pm-srv-$SFX M=pm-sen-$SFX
client_net || skip "cannot create namespaces"
if sensor "$M" 4242 4343; then
    F=tests/mirror/fixtures
    bg td-src "$C" tcpdump --immediate-mode -i c0 -n -s 0 -U -w "$TMP/src.pcap"
    wait_line "$TMP/td-src.out" 'listening on'
    bg agent "$C" "$bin" mirror --sessions $F/sessions.json --filter $F/filters.json \
        --targets $F/targets.json --map eni-0a1b2c3d4e5f60c11=c0 \
        --target-addr eni-0a1b2c3d4e5f6sens=172.31.0.20 --stats-interval 0
    wait_line "$TMP/agent.out" 'source interface' || cat "$TMP/agent.out"
    nsx "$C" curl -sS -o /dev/null --local-port 41001 http://10.9.0.2/20k.bin
    nsx "$C" curl -sS -o /dev/null --local-port 41002 http://10.9.0.2/missing
    nsx "$C" dig +tries=1 +time=3 @10.9.0.2 -b 10.9.0.1#42001 www.example.test +short >/dev/null
    nsx "$C" dig +tries=1 +time=3 @10.9.0.2 -b 10.9.0.1#42002 +tcp www.example.test +short >/dev/null
    nsx "$C" ping -n -q -c 3 -i 0.2 -W 2 10.9.0.2 >/dev/null
    finish client "$PID_agent" "$PID_td_src" 4242 4343
    lines_ok client --pcap "$TMP/src.pcap" --mac $MAC_C \
        --aws $F/filters.json $F/sessions.json eni-0a1b2c3d4e5f60c11 \
        --outer "$TMP/outer.pcap" --kernel "4242=$TMP/vx4242.pcap" \
        --kernel "4343=$TMP/vx4343.pcap" --min 20
    listen_ok client "$(outer_count)"
else
    ko "client: setup failed"; tail -3 "$TMP"/*.out
fi
client_del

# ---------------------------------------------------------------- name
# The target is a name (ip netns exec's /etc/netns/NS/hosts) with an IPv4 and
# an IPv6 address: flows are spread over both by the symmetric hash, both
# directions of a flow on one; then the name loses its IPv4 address and,
# after --resolve-interval 1, new flows go over IPv6 only.
C=pm-cli2-$SFX S=pm-srv2-$SFX M=pm-sen2-$SFX
HOSTS=/etc/netns/$C
if client_net && sensor "$M" && mkdir -p "$HOSTS"; then
    printf '172.31.0.20 sensor.test\nfd00:31::20 sensor.test\n' >"$HOSTS/hosts"
    printf 'vni = 99\npacket-length = 200\nrule = ingress 1 accept\nrule = egress 1 accept\n' \
        >"$TMP/name.conf"
    bg td-src "$C" tcpdump --immediate-mode -i c0 -n -s 0 -U -w "$TMP/src.pcap"
    wait_line "$TMP/td-src.out" 'listening on'
    bg agent "$C" "$bin" mirror --config "$TMP/name.conf" -i c0 --target sensor.test \
        --resolve-interval 1 --stats-interval 0
    wait_line "$TMP/agent.out" 'source interface' || cat "$TMP/agent.out"
    for p in 41001 41002 41003 41004 41005 41006; do
        nsx "$C" curl -sS -o /dev/null --local-port $p http://10.9.0.2/20k.bin
    done
    cat >"$HOSTS/hosts" <<<'fd00:31::20 sensor.test' # in place: the bind mount sees it
    sleep 2.5
    nsx "$C" curl -sS -o /dev/null --local-port 41009 http://10.9.0.2/20k.bin
    finish name "$PID_agent" "$PID_td_src"
    lines_ok name --pcap "$TMP/src.pcap" --mac $MAC_C --conf "$TMP/name.conf" \
        --outer "$TMP/outer.pcap" --min 50
    if out=$("$PY" - "$TMP/outer.pcap" <<'PY'
import sys
sys.path.insert(0, "tests/mirror")
import check
fam = {}
for f in check.frames(sys.argv[1]):
    p = check.parse(f)
    ihl = (f[14] & 15) * 4 if p["src"].version == 4 else 40
    q = check.parse(f[14 + ihl + 16:])
    port = q["sport"] if q["sport"] != 80 else q["dport"]
    fam.setdefault(port, set()).add(p["src"].version)
early = {v for p, s in fam.items() if p != 41009 for v in s}
ok = early == {4, 6} and fam.get(41009) == {6} and all(len(s) == 1 for s in fam.values())
print(("" if ok else "FAIL ") + " ".join(f"{p}:{'/'.join(f'IPv{v}' for v in sorted(s))}" for p, s in sorted(fam.items())))
sys.exit(0 if ok else 1)
PY
    ); then
        ok "name: one address family per flow, both used, IPv6 only after re-resolution ($out)"
    else
        ko "name: $out"
    fi
    listen_ok name "$(outer_count)"
else
    ko "name: setup failed"; tail -3 "$TMP"/*.out
fi
rm -rf "$HOSTS"
rmdir /etc/netns 2>/dev/null
client_del

# ---------------------------------------------------------------- loop
# The agent mirrors m0, the very interface its VXLAN leaves by, accepting
# everything: the sensor must get each ping frame once and never a copy of
# the agent's own output (the socket mark, dropped by the capture's BPF).
C=pm-cli3-$SFX S=pm-srv3-$SFX M=pm-sen3-$SFX
if client_net && sensor "$M"; then
    # No IPv6 here: router and neighbour solicitations, MLD reports at random
    # times could fall before the agent starts or after it stops.
    nsx "$C" sysctl -qw net.ipv6.conf.m0.disable_ipv6=1
    nsx "$M" sysctl -qw net.ipv6.conf.m1.disable_ipv6=1
    printf 'vni = 5\nrule = ingress 1 accept\nrule = egress 1 accept\nrule = ingress 2 accept source ::/0\nrule = egress 2 accept source ::/0\n' >"$TMP/loop.conf"
    bg td-src "$C" tcpdump --immediate-mode -i m0 -n -s 0 -U -w "$TMP/src.pcap"
    wait_line "$TMP/td-src.out" 'listening on'
    bg agent "$C" "$bin" mirror --config "$TMP/loop.conf" -i m0 --target 172.31.0.20 \
        --stats-interval 0
    wait_line "$TMP/agent.out" 'source interface' || cat "$TMP/agent.out"
    nsx "$C" ping -n -q -c 5 -i 0.2 -W 2 172.31.0.20 >/dev/null
    finish loop "$PID_agent" "$PID_td_src"
    lines_ok loop --pcap "$TMP/src.pcap" --mac "$(ip -n "$C" -br link show m0 | awk '{print $3}')" \
        --conf "$TMP/loop.conf" --own 172.31.0.20:4789 --outer "$TMP/outer.pcap" --min 10
    if grep -q 'own_output 0' "$TMP/agent.out"; then
        ok "loop: the agent's output never reached its capture (the BPF mark)"
    else
        ko "loop: own output reached the capture"; grep 'seen in' "$TMP/agent.out"
    fi
else
    ko "loop: setup failed"; tail -3 "$TMP"/*.out
fi
client_del

# ---------------------------------------------------------------- bridge
A=pm-a-$SFX B=pm-b-$SFX W=pm-sw-$SFX M=pm-sen2-$SFX
PIDS=()
if mkns "$A" "$B" "$W" "$M"; then
    MAC_A=02:00:00:09:01:01 MAC_B=02:00:00:09:01:02
    ip -n "$W" link add br0 type bridge stp_state 0 mcast_snooping 0
    ip -n "$A" link add a0 address $MAC_A type veth peer name pa netns "$W"
    ip -n "$B" link add b0 address $MAC_B type veth peer name pb netns "$W"
    ip -n "$W" link add m0 mtu 9001 type veth peer name m1 netns "$M"
    ip -n "$M" link set m1 mtu 9001
    ip -n "$A" addr add 10.9.1.1/24 dev a0
    ip -n "$B" addr add 10.9.1.2/24 dev b0
    ip -n "$W" addr add 172.31.0.10/24 dev m0
    ip -n "$M" addr add 172.31.0.20/24 dev m1
    ip -n "$W" link set pa master br0
    ip -n "$W" link set pb master br0
    ip -n "$A" link set a0 up; nooffload "$A" a0
    ip -n "$B" link set b0 up; nooffload "$B" b0
    for d in pa pb m0 br0; do ip -n "$W" link set $d up; nooffload "$W" $d; done
    ip -n "$M" link set m1 up; nooffload "$M" m1
    ip -n "$A" neigh replace 10.9.1.2 lladdr $MAC_B dev a0 nud permanent
    ip -n "$B" neigh replace 10.9.1.1 lladdr $MAC_A dev b0 nud permanent
    ip -n "$W" neigh replace 172.31.0.20 lladdr "$(ip -n "$M" -br link show m1 | awk '{print $3}')" dev m0 nud permanent
    ip -n "$M" neigh replace 172.31.0.10 lladdr "$(ip -n "$W" -br link show m0 | awk '{print $3}')" dev m1 nud permanent
    for _ in $(seq 50); do
        [ "$(ip netns exec "$W" bridge link show | grep -c 'state forwarding')" -ge 2 ] && break
        sleep 0.1
    done
    MAC_BR=$(ip -n "$W" -br link show br0 | awk '{print $3}')
    if servers "$B" 10.9.1.2 && sensor "$M" 77; then
        bg td-src "$W" tcpdump --immediate-mode -i br0 -n -s 0 -U -w "$TMP/src.pcap"
        wait_line "$TMP/td-src.out" 'listening on'
        bg agent "$W" "$bin" mirror --config tests/mirror/fixtures/bridge.conf -i br0 \
            --target 172.31.0.20 --amazon-dns 10.9.1.2 --stats-interval 0 --metrics 19101
        wait_line "$TMP/agent.out" 'source interface' || cat "$TMP/agent.out"
        nsx "$A" curl -sS -o /dev/null --local-port 41001 http://10.9.1.2/20k.bin
        nsx "$A" dig +tries=1 +time=2 @10.9.1.2 -b 10.9.1.1#42001 www.example.test +short >/dev/null
        nsx "$A" ping -n -q -c 3 -i 0.2 -W 2 10.9.1.2 >/dev/null
        nsx "$A" bash -c 'echo ntp >/dev/udp/10.9.1.2/123; echo dhcp >/dev/udp/10.9.1.2/67;
                          echo other >/dev/udp/10.9.1.2/5000'
        sleep 0.5 # the last ring block is read within 20 ms
        nsx "$W" curl -sS http://127.0.0.1:19101/metrics >"$TMP/metrics.txt"
        finish bridge "$PID_agent" "$PID_td_src" 77
        lines_ok bridge --pcap "$TMP/src.pcap" --mac "$MAC_BR" \
            --conf tests/mirror/fixtures/bridge.conf --amazon-dns 10.9.1.2 \
            --outer "$TMP/outer.pcap" --kernel "77=$TMP/vx77.pcap" --min 20
        n=$("$PY" -c 'from scapy.utils import RawPcapReader as R; import sys
print(sum(1 for _ in R(sys.argv[1])))' "$TMP/outer.pcap")
        listen_ok bridge "$n"
        # The agent's own counters: NTP and DHCP never mirrored, DNS to
        # Amazon DNS not eligible, ICMP replies rejected (no_match).
        if grep -q 'never_mirrored [1-9].*amazon_dns [1-9]' "$TMP/agent.out" &&
            grep -q 'mirrored in [1-9]' "$TMP/agent.out"; then
            ok "bridge: skip counters (never_mirrored, amazon_dns) count"
        else
            ko "bridge: skip counters"; cat "$TMP/agent.out"
        fi
        # The metrics served before the end agree with the sensor's capture.
        m=$(sed -n 's/^periscope_mirror_sent_total{interface="br0",direction="in"} //p' "$TMP/metrics.txt")
        nv=$(sed -n 's/^periscope_mirror_never_mirrored_total{interface="br0",kind="ntp"} //p' "$TMP/metrics.txt")
        if [ -n "$m" ] && [ "$m" = "$n" ] && [ "$nv" = 1 ]; then
            ok "bridge: --metrics: sent $m, never mirrored ntp $nv"
        else
            ko "bridge: --metrics: sent '$m' (sensor got $n), ntp '$nv'"; head -20 "$TMP/metrics.txt"
        fi
    else
        ko "bridge: setup failed"; tail -3 "$TMP"/*.out
    fi
fi
echo "mirror-e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
