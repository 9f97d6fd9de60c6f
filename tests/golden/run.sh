#!/bin/bash
# Golden tests: capture in, expected EVE and flow log out (deterministic mode).
# Usage: tests/golden/run.sh [PERISCOPE]   (default build-san/periscope)
# Prints "ok"/"FAIL" per test and ends with "golden: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
while read -r name input opts; do
    case "$name" in ''|'#'*) continue ;; esac
    eval "set -- $opts"
    exp=tests/golden/expected/$name
    if ! "$bin" read --deterministic -q --eve "$tmp/eve" --flowlog "$tmp/fl" "$@" \
            "tests/pcaps/$input" 2>"$tmp/err"; then
        echo "FAIL golden/$name: exit status $?: $(head -3 "$tmp/err")"
        fail=$((fail + 1)); continue
    fi
    if [ -s "$tmp/err" ]; then
        echo "FAIL golden/$name: stderr not empty:"; head -5 "$tmp/err"
        fail=$((fail + 1)); continue
    fi
    if [ ! -f "$exp.eve.json" ] || [ ! -f "$exp.flows.log" ]; then
        echo "FAIL golden/$name: no expected output (tools/update-golden $name, then review)"
        fail=$((fail + 1)); continue
    fi
    if ! python3 tests/lib/check_eve.py "$tmp/eve" >"$tmp/chk" 2>&1; then
        echo "FAIL golden/$name: $(head -3 "$tmp/chk")"
        fail=$((fail + 1)); continue
    fi
    if ! diff -u "$exp.eve.json" "$tmp/eve" >"$tmp/diff" ||
       ! diff -u "$exp.flows.log" "$tmp/fl" >>"$tmp/diff"; then
        echo "FAIL golden/$name: output differs:"; head -20 "$tmp/diff"
        fail=$((fail + 1)); continue
    fi
    echo "ok   golden/$name"
    pass=$((pass + 1))
done < tests/golden/TESTLIST
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
