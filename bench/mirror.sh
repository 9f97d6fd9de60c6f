#!/bin/bash
# periscope mirror: frames per second mirrored on one core, and CPU seconds
# per gigabit mirrored. bench/blast (AF_PACKET sendmmsg) pushes UDP frames of
# 1024 flows through a veth pair (ns pmb-s x0 -> ns pmb-a x1) on core 0;
# `periscope mirror -i x1` runs on core BENCH_CPU (default 1) with taskset and
# sends VXLAN to 172.31.0.20 out of y0, whose blackhole qdisc drops every
# datagram after the whole IP output path (as a NIC would take it off the
# CPU; nothing is charged for a receiver). The agent prints its thread's CPU
# time (user and kernel); from it:
#   offered  = frames blast sent per second
#   mirrored = frames the agent sent as VXLAN per second (ring_full = copies
#              the kernel dropped because the agent was behind)
#   per core = mirrored frames / agent CPU seconds (the rate one busy core gives)
#   CPU-s/Gbit = agent CPU seconds per 10^9 inner bits mirrored
# usage: bash bench/mirror.sh [SECONDS]   (as root; default 5 s per row)
# Knobs: PERISCOPE (build/periscope), BENCH_CPU (1), SIZES ("60 590 1514").
me=bench/mirror.sh
# shellcheck source=bench/blast-setup.sh
. "$(dirname "$0")/blast-setup.sh"
S=pmb-s-$$ A=pmb-a-$$ K=pmb-k-$$
cleanup() { for n in "$S" "$A" "$K"; do ip netns del "$n" 2>/dev/null; done; }
trap cleanup EXIT
ip netns add "$S" && ip netns add "$A" && ip netns add "$K" || exit 1
ip -n "$S" link add x0 mtu 9000 type veth peer name x1 mtu 9000 netns "$A"
ip -n "$A" link add y0 mtu 9000 type veth peer name y1 mtu 9000 netns "$K"
ip -n "$K" link set y1 address 02:00:00:1f:00:14
ip -n "$A" addr add 172.31.0.10/24 dev y0
for l in lo x1 y0; do ip -n "$A" link set "$l" up; done
ip -n "$S" link set x0 up
ip -n "$K" link set y1 up
ip -n "$A" neigh replace 172.31.0.20 lladdr 02:00:00:1f:00:14 dev y0 nud permanent
ip netns exec "$A" tc qdisc replace dev y0 root blackhole ||
    { echo "bench/mirror.sh: tc's blackhole qdisc is unavailable"; exit 1; }
for n in "$S:x0" "$A:x1" "$A:y0" "$K:y1"; do
    ip netns exec "${n%%:*}" ethtool -K "${n##*:}" tso off gso off gro off >/dev/null 2>&1
done
sleep 0.5

row() { # row LABEL SIZE [agent options]
    local label=$1 size=$2; shift 2
    local log=bench/out/mirror-agent.log
    ip netns exec "$A" taskset -c "$cpu" "$bin" mirror -i x1 --target 172.31.0.20 \
        --stats-interval 0 --ring-mb 64 "$@" >"$log" 2>&1 &
    local apid=$!
    for _ in $(seq 50); do grep -q 'source interface' "$log" && break; sleep 0.1; done
    local sent
    sent=$(ip netns exec "$S" taskset -c 0 bench/out/blast x0 "$size" "$secs" | awk '{print $2}')
    sleep 0.5
    kill -TERM $apid
    wait $apid
    awk -v label="$label" -v size="$size" -v sent="$sent" -v secs="$secs" '
        /seen in/ { for (i = 1; i <= NF; i++) { if ($i == "mirrored") m = $(i + 2);
                    if ($i == "ring_full") r = $(i + 1); if ($i == "budget") b = $(i + 1) } }
        /CPU s/ { for (i = 1; i <= NF; i++) if ($i == "CPU") c = $(i - 1) }
        END { gbit = m * size * 8 / 1e9;
              printf "| %-22s | %5d | %10.0f | %10.0f | %9d | %5.2f | %10.0f | %6.2f |\n",
                     label, size, sent / secs, m / secs, r + b, c,
                     (c > 0 ? m / c : 0), (gbit > 0 ? c / gbit : 0) }' "$log"
}

echo "periscope mirror on core $cpu, blast on core 0, $secs s per row ($(nproc) cores, $(uname -r))"
echo "| agent                  | frame | offered/s  | mirrored/s | ring drop | CPU s | per core/s | CPU-s/Gbit |"
echo "| ---------------------- | ----- | ---------- | ---------- | --------- | ----- | ---------- | ---------- |"
for size in $sizes; do
    row "all frames" "$size"
done
row "--packet-length 128" 1514 --packet-length 128
row "--cpu-budget 10" 60 --cpu-budget 10
row "--max-pps 10000" 60 --max-pps 10000
