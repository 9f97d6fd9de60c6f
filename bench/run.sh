#!/usr/bin/env bash
# run.sh [PCAP]
#
# Measures the packet rate of periscope, Suricata 7 and nDPI's ndpiReader on the
# same capture, each pinned to one core, best of BENCH_RUNS runs, and prints
# seconds, packets/s, Mbit/s and the ratio periscope/tool.
#
# Env:
#   PERISCOPE      periscope binary (default build/periscope, relative to the repo root)
#   PERISCOPE_CMD  the periscope invocation; $PERISCOPE and $PCAP are expanded when run
#   BENCH_RUNS     runs per tool, best (shortest wall time) is kept (default 3)
#   BENCH_TOOLS    subset/order of: periscope suricata ndpi ndpi-vxlan
#                  (default "periscope suricata ndpi")
#   BENCH_CPU      the core to pin to with taskset (default 1)
#   BENCH_KEEP_EVE=1  Suricata writes eve.json into its log dir instead of /dev/null
#   BENCH_MODE     app (default: every parser on both sides, bench/suricata-app.yaml)
#                  or flow (flow records only, bench/suricata-flow.yaml, periscope --no-app)
set -euo pipefail

# The one place that says how periscope is invoked (the flag set may evolve).
# BENCH_MODE=app (default): every parser on, Suricata logging the same event
# types (flow, dns, tls, http, quic, ssh); BENCH_MODE=flow: flow records only.
BENCH_MODE=${BENCH_MODE:-app}
case $BENCH_MODE in
app) PERISCOPE_CMD=${PERISCOPE_CMD:-'"$PERISCOPE" read --eve /dev/null "$PCAP"'} ;;
flow) PERISCOPE_CMD=${PERISCOPE_CMD:-'"$PERISCOPE" read --no-app --eve /dev/null "$PCAP"'} ;;
*) echo "run.sh: BENCH_MODE must be app or flow" >&2; exit 1 ;;
esac

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "run.sh: $*" >&2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
PCAP=${1:-$HERE/out/bench-vxlan.pcap}
PERISCOPE=${PERISCOPE:-build/periscope}
case $PERISCOPE in /*) ;; *) PERISCOPE=$REPO/$PERISCOPE ;; esac
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_TOOLS=${BENCH_TOOLS:-periscope suricata ndpi}
BENCH_CPU=${BENCH_CPU:-1}
SURICATA_YAML=${SURICATA_YAML:-$HERE/suricata-$BENCH_MODE.yaml}

[ -f "$PCAP" ] || die "capture '$PCAP' not found: make it with bash bench/make-capture.sh"
PCAP=$(cd "$(dirname "$PCAP")" && pwd)/$(basename "$PCAP")
[[ $BENCH_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: run bench/deps.sh (package 'time')"
command -v taskset >/dev/null || die "taskset not found (package util-linux)"
[ "$BENCH_CPU" -lt "$(nproc --all)" ] || die "BENCH_CPU=$BENCH_CPU but the machine has $(nproc --all) cores"
for t in $BENCH_TOOLS; do
    case $t in periscope|suricata|ndpi|ndpi-vxlan) ;; *) die "unknown tool '$t' in BENCH_TOOLS (periscope suricata ndpi ndpi-vxlan)" ;; esac
done

# ---- capture facts (packet count etc.) via the C helper
REPL=$HERE/out/replicate
if [ ! -x "$REPL" ] || [ "$HERE/replicate.c" -nt "$REPL" ]; then
    mkdir -p "$HERE/out"
    cc -O2 -Wall -o "$REPL" "$HERE/replicate.c" || die "cannot compile bench/replicate.c"
fi
log "reading capture stats of $PCAP"
STATS=$("$REPL" --stats "$PCAP") || die "cannot read $PCAP"
STATLINE=$(grep '^STATS ' <<<"$STATS")
PKTS=$(sed -E 's/.*packets=([0-9]+).*/\1/' <<<"$STATLINE")
WIRE=$(sed -E 's/.* bytes=([0-9]+).*/\1/' <<<"$STATLINE")
FLOWS=$(sed -E 's/.*flows=([0-9]+).*/\1/' <<<"$STATLINE")
[ "$PKTS" -gt 0 ] || die "$PCAP holds no packets"

# ndpiReader 4.2 does not decode VXLAN (it sees one UDP flow per outer tuple,
# protocol Unknown), so "ndpi" reads the same capture with the outer headers
# stripped: same packets, same inner traffic, same timestamps.
INNER=${PCAP%.pcap}.inner.pcap
need_inner() { [[ " $BENCH_TOOLS " == *" ndpi "* ]]; }
if need_inner && { [ ! -f "$INNER" ] || [ "$PCAP" -nt "$INNER" ]; }; then
    log "writing the decapsulated twin for ndpiReader: $INNER"
    "$REPL" --decap "$PCAP" "$INNER" >&2 || die "cannot decapsulate $PCAP"
fi

TMP=$(mktemp -d /tmp/periscope-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

log "warming the page cache"
cat "$PCAP" >/dev/null
need_inner && cat "$INNER" >/dev/null

# ---- tool commands (as arrays, run under taskset)
tool_cmd() { # tool_cmd TOOL LOGDIR -> sets CMD=()
    case $1 in
    periscope)
        eval "CMD=($PERISCOPE_CMD)" ;;
    suricata)
        local eve=/dev/null
        [ "${BENCH_KEEP_EVE:-0}" = 1 ] && eve=eve.json
        CMD=(suricata --runmode single -c "$SURICATA_YAML" -S /dev/null
             --set "outputs.0.eve-log.filename=$eve" -r "$PCAP" -l "$2") ;;
    ndpi)
        CMD=(ndpiReader -i "$INNER" -q) ;;
    ndpi-vxlan)
        CMD=(ndpiReader -i "$PCAP" -q) ;;
    esac
}
tool_version() {
    case $1 in
    periscope) "$PERISCOPE" --version 2>/dev/null | head -1 || echo "periscope (version unknown)" ;;
    suricata) suricata -V 2>/dev/null | head -1 ;;
    ndpi*) echo "ndpiReader $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null || echo '?')" ;;
    esac
}
tool_available() {
    case $1 in
    periscope)
        if [ ! -x "$PERISCOPE" ]; then
            log "periscope: $PERISCOPE does not exist yet (not built?) - skipped"; return 1
        fi ;;
    suricata) command -v suricata >/dev/null || { log "suricata not installed (bench/deps.sh) - skipped"; return 1; } ;;
    ndpi*) command -v ndpiReader >/dev/null || { log "ndpiReader not installed (bench/deps.sh) - skipped"; return 1; } ;;
    esac
}

declare -A WALL USR SYS RSS
RAN=()
for tool in $BENCH_TOOLS; do
    tool_available "$tool" || continue
    log "$tool: $(tool_version "$tool")"
    best=""
    for run in $(seq "$BENCH_RUNS"); do
        logdir=$TMP/$tool.$run
        mkdir -p "$logdir"
        tool_cmd "$tool" "$logdir"
        [ "$run" = 1 ] && log "$tool: taskset -c $BENCH_CPU ${CMD[*]}"
        t0=$(date +%s%N)
        if ! /usr/bin/time -f '%U %S %M' -o "$logdir/time" taskset -c "$BENCH_CPU" "${CMD[@]}" \
                >"$logdir/stdout" 2>"$logdir/stderr" </dev/null; then
            log "$tool: run $run failed; last lines of its output:"
            tail -n 15 "$logdir/stderr" "$logdir/stdout" >&2
            continue 2
        fi
        t1=$(date +%s%N)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        read -r u s m < <(tail -n 1 "$logdir/time")
        log "$tool: run $run: ${wall}s wall, ${u}s user, ${s}s sys, max RSS $((m / 1024)) MB"
        if [ "$tool" = suricata ]; then
            # sanity: Suricata says how many packets it read
            got=$(grep -oE 'read 1 file, [0-9]+ packets' "$logdir/stderr" "$logdir/stdout" | grep -oE '[0-9]+ packets' | head -1 || true)
            [ -n "$got" ] && [ "${got% packets}" != "$PKTS" ] && log "warning: suricata read $got, the capture has $PKTS"
            if [ "${BENCH_KEEP_EVE:-0}" = 1 ] && [ -f "$logdir/eve.json" ]; then
                cp "$logdir/eve.json" "$HERE/out/suricata-eve.json"
                log "suricata: $(grep -c '"event_type":"flow"' "$logdir/eve.json") flow events (kept in bench/out/suricata-eve.json)"
            fi
        fi
        if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            WALL[$tool]=$wall USR[$tool]=$u SYS[$tool]=$s RSS[$tool]=$m
        fi
        rm -rf "$logdir"
    done
    RAN+=("$tool")
done

[ ${#RAN[@]} -gt 0 ] || die "no tool could be run"

# ---- table
pps() { awk -v p="$PKTS" -v w="$1" 'BEGIN { printf "%.0f", p / w }'; }
echo
echo "capture:  $PCAP"
echo "          $PKTS packets, $WIRE bytes on the wire (mean $(awk -v b="$WIRE" -v p="$PKTS" 'BEGIN { printf "%.0f", b / p }') B), ~$FLOWS flows"
echo "setup:    one core (taskset -c $BENCH_CPU), page cache warm, best wall time of $BENCH_RUNS run(s)"
echo "          packets/s = capture packets / wall seconds; Mbit/s = capture wire bytes / wall seconds"
[[ " ${RAN[*]} " == *" ndpi "* ]] && echo "          ndpi reads the same packets with the outer VXLAN headers stripped ($(basename "$INNER"))"
echo
PER_PPS=""
[ -n "${WALL[periscope]:-}" ] && PER_PPS=$(pps "${WALL[periscope]}")
printf '%-12s %9s %8s %8s %8s %12s %9s %15s\n' tool wall_s user_s sys_s rss_MB packets/s Mbit/s periscope/tool
for tool in "${RAN[@]}"; do
    w=${WALL[$tool]}
    p=$(pps "$w")
    mb=$(awk -v b="$WIRE" -v w="$w" 'BEGIN { printf "%.0f", b * 8 / w / 1e6 }')
    ratio=n/a
    [ -n "$PER_PPS" ] && ratio=$(awk -v a="$PER_PPS" -v b="$p" 'BEGIN { printf "%.2fx", a / b }')
    printf '%-12s %9s %8s %8s %8s %12s %9s %15s\n' "$tool" "$w" "${USR[$tool]}" "${SYS[$tool]}" \
        "$((RSS[$tool] / 1024))" "$p" "$mb" "$ratio"
done
[ -z "$PER_PPS" ] && echo "(periscope was not run: no ratio)"
exit 0
