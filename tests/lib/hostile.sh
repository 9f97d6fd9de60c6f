#!/bin/bash
# Hostile input: every project capture cut at 13 snap lengths and with bytes
# flipped (seeded), through the sanitizer build: exit 0, no sanitizer report,
# every line valid JSON and UTF-8, packet accounting intact.
# Ends with "hostile: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
seed=${HOSTILE_SEED:-20261130}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/lib/mutate.py "$tmp/in" "$seed" tests/pcaps/*.pcap >/dev/null
check() { # capture -> "ok" or a failure line
    local f=$1 out=$tmp/out.$BASHPID
    if ! timeout 60 "$bin" read --deterministic -q --eve "$out" --flowlog /dev/null "$f" \
            2>"$out.err"; then
        echo "FAIL hostile: $(basename "$f"): exit status $? $(head -c 300 "$out.err")"
    elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$out.err"; then
        echo "FAIL hostile: $(basename "$f"): sanitizer report"
    elif ! python3 tests/lib/check_eve.py "$out" >"$out.chk" 2>&1; then
        echo "FAIL hostile: $(basename "$f"): $(head -1 "$out.chk")"
    else
        echo ok
    fi
}
export -f check
export bin tmp
ls "$tmp"/in/*.pcap | xargs -P 2 -I{} bash -c 'check "$@"' _ {} >"$tmp/results"
grep -v '^ok$' "$tmp/results"
pass=$(grep -c '^ok$' "$tmp/results")
fail=$(grep -vc '^ok$' "$tmp/results")
echo "hostile: $pass passed, $fail failed (seed $seed)"
[ "$fail" -eq 0 ]
