#!/bin/bash
# periscope listen -i: frames per second read from an interface through the
# TPACKET_V3 ring on one core. bench/blast (AF_PACKET sendmmsg) pushes UDP
# frames of 1024 flows through a veth pair (ns S x0 -> ns A x1) on core 0;
# `periscope listen -i x1 --workers 1` runs on core BENCH_CPU (default 1).
# Columns: frames offered per second, frames periscope received (final stats
# event), frames the kernel dropped because the ring was full
# (capture.kernel_drops), periscope's CPU seconds (user + system, /proc), and
# frames received per CPU second (what one busy core reads and decodes).
# usage: bash bench/listen-iface.sh [SECONDS]   (as root; default 5 s per row)
# Knobs: PERISCOPE (build/periscope), BENCH_CPU (1), SIZES ("60 590 1514").
me=bench/listen-iface.sh
# shellcheck source=bench/blast-setup.sh
. "$(dirname "$0")/blast-setup.sh"
S=plb-s-$$ A=plb-a-$$
tmp=$(mktemp -d)
cleanup() { for n in "$S" "$A"; do ip netns del "$n" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$S" && ip netns add "$A" || exit 1
ip -n "$S" link add x0 mtu 9000 type veth peer name x1 mtu 9000 netns "$A"
ip -n "$S" link set x0 up
ip -n "$A" link set x1 up
for n in "$S:x0" "$A:x1"; do
    ip netns exec "${n%%:*}" ethtool -K "${n##*:}" tso off gso off gro off >/dev/null 2>&1
done
sleep 0.5

echo "periscope listen -i on core $cpu, blast on core 0, $secs s per row, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores, $(uname -r))"
echo "| frame | offered/s  | received   | ring drop | CPU s | per core/s |"
echo "| ----- | ---------- | ---------- | --------- | ----- | ---------- |"
for size in $sizes; do
    ip netns exec "$A" taskset -c "$cpu" "$bin" listen -q --workers 1 --no-db -i x1 \
        --eve "$tmp/eve.json" 2>"$tmp/err" &
    pid=$!
    sleep 1
    sent=$(ip netns exec "$S" taskset -c 0 bench/out/blast x0 "$size" "$secs" | awk '{print $2}')
    sleep 0.5
    c=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat")
    kill -TERM $pid
    wait $pid
    tail -1 "$tmp/eve.json" | python3 -c '
import json, sys
s = json.load(sys.stdin)["stats"]
size, sent, secs, c = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
r, d = s["pkts"]["received"], s["capture"]["kernel_drops"]
print("| %5d | %10.0f | %10d | %9d | %5.2f | %10.0f |" % (size, sent / secs, r, d, c, r / c if c else 0))
' "$size" "$sent" "$secs" "$c"
    rm -f "$tmp/eve.json"
done
