#!/bin/bash
# Floods stay within their memory ceiling: each flood is run at two sizes
# that both overflow the table it fills, and the peak resident memory of the
# larger must not exceed the smaller's by more than 10% + 4 MiB. The counters
# must say what was shed, and packet accounting must hold. Peak RSS per flood
# is printed (GNU time). Ends with "floods: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build/periscope}
[ -x /usr/bin/time ] || { echo "SKIP floods: /usr/bin/time not installed (package time)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# kind, small, large, periscope options, counter that must be > 0 on the large run
run_flood() {
    local kind=$1 small=$2 large=$3 opts=$4 shed=$5 rss=()
    for n in "$small" "$large"; do
        python3 tests/lib/floodgen.py "$kind" "$n" "$tmp/$kind-$n.pcap"
        /usr/bin/time -f %M -o "$tmp/rss" "$bin" read -q $opts --eve "$tmp/eve" \
            "$tmp/$kind-$n.pcap" || { echo "FAIL floods/$kind: exit status $?"; fail=$((fail + 1)); return; }
        rss+=("$(cat "$tmp/rss")")
        python3 tests/lib/check_eve.py "$tmp/eve" >/dev/null || {
            echo "FAIL floods/$kind: $(python3 tests/lib/check_eve.py "$tmp/eve" | head -1)"
            fail=$((fail + 1)); return; }
    done
    local shed_n
    shed_n=$(tail -1 "$tmp/eve" | python3 -c "import json,sys; s=json.load(sys.stdin)['stats']
g,k='$shed'.split('.',1); print(s[g][k])")
    local limit=$(( ${rss[0]} * 11 / 10 + 4096 ))
    echo "     floods/$kind: $small pkts peak RSS ${rss[0]} KiB, $large pkts ${rss[1]} KiB, $shed=$shed_n"
    if [ "${rss[1]}" -le "$limit" ] && [ "$shed_n" -gt 0 ]; then
        echo "ok   floods/$kind"; pass=$((pass + 1))
    else
        echo "FAIL floods/$kind: RSS ${rss[1]} KiB over $limit KiB, or $shed is 0"; fail=$((fail + 1))
    fi
}
# Small flow tables so that both sizes of each flood overflow them.
run_flood syn 200000 1000000 "--flow-capacity 16384" flow.end.evicted
run_flood frag 20000 100000 "--flow-capacity 16384" defrag.evicted
run_flood ra 30000 120000 "--flow-capacity 16384" flow.end.evicted
run_flood dnsflood 100000 300000 "--flow-capacity 16384" flow.end.evicted
echo "floods: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
