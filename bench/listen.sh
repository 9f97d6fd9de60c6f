#!/usr/bin/env bash
# listen.sh [--workers N] [PCAP]: replay the bench capture's VXLAN datagrams into
# `periscope listen` over loopback at rising rates (bench/replay.c, sendmmsg),
# and report per rate: sent, received, lost (sent - received, which includes
# the kernel's socket drops), and the CPU periscope used. The highest rate
# with no loss is the figure. --workers N (default 1) is passed to listen;
# the sender runs on core 0, periscope on core 1 with one worker, on both
# cores with more (PCPUS overrides the taskset list).
# Env: RATES (default "100000 200000 400000 800000 1600000 0"; 0 = unpaced),
#      COUNT (datagrams per rate, default 1000000).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
WORKERS=1
if [ "${1:-}" = --workers ]; then
    WORKERS=$2
    shift 2
fi
PCAP=${1:-$HERE/out/bench-vxlan.pcap}
if [ "$WORKERS" -gt 1 ]; then PCPUS=${PCPUS:-0,1}; else PCPUS=${PCPUS:-1}; fi
BIN=${PERISCOPE:-$REPO/build/periscope}
RATES=${RATES:-100000 200000 400000 800000 1600000 0}
COUNT=${COUNT:-1000000}
[ -f "$PCAP" ] || { echo "listen.sh: $PCAP not found (bash bench/make-capture.sh)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "listen.sh: $BIN not found (make)" >&2; exit 1; }
mkdir -p "$HERE/out"
cc -O2 -Wall -o "$HERE/out/replay" "$HERE/replay.c"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
port=$((30000 + RANDOM % 10000))
echo "workers $WORKERS, periscope on cpus $PCPUS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %10s %10s %10s %8s %8s %8s\n' rate sent received lost loss% cpu_s kpps
for rate in $RATES; do
    taskset -c "$PCPUS" "$BIN" listen -q --workers "$WORKERS" --no-db --eve "$tmp/eve.json" --vxlan "127.0.0.1:$port" &
    pid=$!
    for _ in $(seq 50); do ss -Huln "sport = :$port" | grep -q . && break; sleep 0.1; done
    read -r sent secs < <(timeout 120 taskset -c 0 "$HERE/out/replay" "$PCAP" 127.0.0.1 "$port" \
        "$rate" "$COUNT")
    sleep 1
    # CPU: utime + stime from /proc (fields 14 and 15, in clock ticks).
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat")
    kill -TERM $pid
    for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    wait $pid || true
    received=$(tail -1 "$tmp/eve.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["pkts"]["received"])')
    lost=$((sent - received))
    printf '%-10s %10s %10s %10s %8.3f %8.2f %8.0f\n' "${rate/#0/max}" "$sent" "$received" "$lost" \
        "$(echo "$lost * 100 / $sent" | bc -l)" "$cpu" "$(echo "$sent / $secs / 1000" | bc -l)"
    rm -f "$tmp/eve.json"
done
