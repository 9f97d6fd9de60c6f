#!/bin/bash
# periscope listen on loopback: what arrives on its UDP sockets is decoded
# like the same packets in a capture; allowlists drop and count; the health
# check answers; SIGHUP reopens the outputs; SIGTERM flushes every record.
# Ends with "listen: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
port=$((20000 + RANDOM % 20000))
ok() { echo "ok   listen/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL listen/$1: $2"; fail=$((fail + 1)); }

start() { # options...
    rm -rf "$tmp/out"
    "$bin" listen -q -l "$tmp/out" --vxlan "127.0.0.1:$port" "$@" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 50); do
        ss -Huln "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    cat "$tmp/err"
    return 1
}
stop() {
    kill -TERM $pid
    for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    wait $pid
    local rc=$?
    pid=
    return $rc
}
stat() { tail -1 "$tmp/out/eve.json" | python3 -c "import json,sys
s=json.load(sys.stdin)['stats']; g,k='$1'.split('.',1); print(s[g][k])"; }

# Same flows as reading the capture, every packet accounted, exit 0 on SIGTERM.
"$bin" read -q --eve "$tmp/read.json" tests/pcaps/vxlan.pcap
if start; then
    sent=$(python3 tests/lib/send_vxlan.py tests/pcaps/vxlan.pcap 127.0.0.1 $port)
    sleep 0.5
    if stop && python3 tests/lib/check_eve.py "$tmp/out/eve.json" >"$tmp/chk" &&
        python3 tests/lib/flows_equal.py "$tmp/read.json" "$tmp/out/eve.json" >"$tmp/eq" &&
        [ "$(stat pkts.received)" = "$sent" ] &&
        [ "$("$bin" flowlogs query --db "$tmp/out/periscope.db" --csv \
            'SELECT count(*) FROM flows' | tail -1)" = 3 ]; then
        ok same-flows-as-read
    else
        bad same-flows-as-read "$(cat "$tmp/chk" "$tmp/eq" | head -5)"
    fi
else
    bad same-flows-as-read "did not start"
fi

# --workers: one thread, or three fed by the inner-tuple hash, give the same
# flows and application records as reading the capture.
"$bin" read -q --eve "$tmp/read-real.json" tests/pcaps/real-vxlan.pcap
for n in 1 3; do
    if start --workers $n; then
        sent=$(python3 tests/lib/send_vxlan.py tests/pcaps/real-vxlan.pcap 127.0.0.1 $port)
        sleep 0.5
        stop
        app_read=$(grep -cE '"event_type":"(dns|http|tls)"' "$tmp/read-real.json")
        app_live=$(grep -cE '"event_type":"(dns|http|tls)"' "$tmp/out/eve.json")
        if python3 tests/lib/flows_equal.py "$tmp/read-real.json" "$tmp/out/eve.json" >"$tmp/eq" &&
            [ "$(stat pkts.received)" = "$sent" ] && [ "$app_read" -gt 0 ] &&
            [ "$app_read" = "$app_live" ]; then
            ok "workers-$n"
        else
            bad "workers-$n" "app records $app_live of $app_read; $(head -3 "$tmp/eq")"
        fi
    else
        bad "workers-$n" "did not start"
    fi
done

# --allow-source: another source is dropped and counted.
if start --allow-source 10.0.0.0/8; then
    sent=$(python3 tests/lib/send_vxlan.py tests/pcaps/vxlan.pcap 127.0.0.1 $port)
    sleep 0.5
    stop
    if [ "$(stat drop.listen.source_denied)" = "$sent" ] &&
        ! grep -q '"event_type":"flow"' "$tmp/out/eve.json"; then
        ok allow-source
    else
        bad allow-source "source_denied=$(stat drop.listen.source_denied) of $sent"
    fi
else
    bad allow-source "did not start"
fi

# --allow-vni: the capture's VNI 4242 is not 7.
if start --allow-vni 7 --allow-source 127.0.0.0/8; then
    sent=$(python3 tests/lib/send_vxlan.py tests/pcaps/vxlan.pcap 127.0.0.1 $port)
    sleep 0.5
    stop
    [ "$(stat drop.listen.vni_denied)" = "$sent" ] && ok allow-vni ||
        bad allow-vni "vni_denied=$(stat drop.listen.vni_denied) of $sent"
else
    bad allow-vni "did not start"
fi

# Health check: TCP connect and HTTP 200.
hport=$((port + 1))
if start --health-port "127.0.0.1:$hport"; then
    out=$(curl -s -m 3 "http://127.0.0.1:$hport/health")
    stop
    [ "$out" = "ok" ] && ok health-check || bad health-check "got '$out'"
else
    bad health-check "did not start"
fi

# Metrics: Prometheus text with the counters and the mirror session.
mport=$((port + 2))
if start --metrics "$mport"; then
    python3 tests/lib/send_vxlan.py tests/pcaps/vxlan.pcap 127.0.0.1 $port >/dev/null
    # Workers publish their counters every 100 ms: ask until they are in
    # (a bounded wait for a state, not a timed assertion).
    for _ in $(seq 50); do
        sleep 0.2
        curl -s -m 3 "http://127.0.0.1:$mport/metrics" >"$tmp/metrics"
        grep -q '^periscope_flows_active 3$' "$tmp/metrics" &&
            grep -q '^periscope_counter_total{name="pkts.received",kind="count"} 13$' "$tmp/metrics" &&
            break
    done
    stop
    if grep -q '^periscope_counter_total{name="pkts.received",kind="count"} 13$' "$tmp/metrics" &&
        grep -q '^periscope_mirror_packets_total{encap="vxlan",vni="4242",source="127.0.0.1"} 13$' \
            "$tmp/metrics" && grep -q '^periscope_flows_active 3$' "$tmp/metrics"; then
        ok metrics
    else
        bad metrics "$(head -c 300 "$tmp/metrics")"
    fi
else
    bad metrics "did not start"
fi

# SIGHUP reopens: after logrotate moves the file, the rest goes to a new one.
if start; then
    python3 tests/lib/send_vxlan.py tests/pcaps/vxlan.pcap 127.0.0.1 $port >/dev/null
    sleep 0.3
    mv "$tmp/out/eve.json" "$tmp/out/eve.json.1"
    kill -HUP $pid
    sleep 0.5
    stop
    if [ -s "$tmp/out/eve.json" ] && [ "$(grep -c '"event_type":"flow"' "$tmp/out/eve.json")" -eq 3 ]; then
        ok sighup-reopens
    else
        bad sighup-reopens "no new eve.json with the 3 flows"
    fi
else
    bad sighup-reopens "did not start"
fi

# Two mirror sources of one conversation (both ENIs mirrored): one set of
# flows, the second copies counted as duplicated, the totals those of one copy.
if start; then
    python3 tests/lib/send_vxlan.py tests/pcaps/vxlan.pcap 127.0.0.1 $port 127.0.0.1,127.0.0.2 \
        >/dev/null
    sleep 0.5
    stop
    if python3 tests/lib/flows_equal.py "$tmp/read.json" "$tmp/out/eve.json" >"$tmp/eq" &&
        [ "$(stat flow.duplicates)" = 13 ]; then
        ok two-sources-one-flow
    else
        bad two-sources-one-flow "duplicates=$(stat flow.duplicates) $(head -3 "$tmp/eq")"
    fi
else
    bad two-sources-one-flow "did not start"
fi

# Bad usage is a clear error.
"$bin" listen --vxlan nonsense 2>"$tmp/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'nonsense' "$tmp/e" && ok bad-address || bad bad-address "rc $rc"
"$bin" listen -f tcp 2>/dev/null; [ $? -eq 1 ] && ok no-filter || bad no-filter "accepted -f"

echo "listen: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
