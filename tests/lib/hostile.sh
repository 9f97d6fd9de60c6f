#!/bin/bash
# Hostile input: every project capture cut at 13 snap lengths and with bytes
# flipped (seeded), and every corpus capture cut at 4 and flipped twice,
# through the sanitizer build: exit 0, no sanitizer report, every line valid
# JSON and UTF-8, packet accounting intact.
# Ends with "hostile: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
seed=${HOSTILE_SEED:-20261130}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/lib/mutate.py "$tmp/in" "$seed" tests/pcaps/*.pcap >/dev/null
check() { # captures -> "ok" or a failure line
    local f=$1 out=$tmp/out.$BASHPID
    if ! timeout 300 "$bin" read --deterministic -q --eve "$out" --flowlog /dev/null "$@" \
            2>"$out.err"; then
        echo "FAIL hostile: $(basename "$f") (+$(($# - 1)) more): exit status $? $(head -c 300 "$out.err")"
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

# The corpus (when present): every classic pcap cut at 4 snap lengths and
# with 2 seeded flips, 60 files per run (a run reads them as one capture).
corpus=${PERISCOPE_CORPUS:-$(cd .. && pwd)/shared/corpus}
if [ -d "$corpus" ]; then
    find "$corpus" -type f \( -name '*.pcap' -o -name '*.cap' \) -size -3M | sort |
        xargs python3 tests/lib/mutate.py --light "$tmp/corpus" "$seed" >/dev/null
    ls "$tmp"/corpus/*.pcap | xargs -n 60 -P 2 bash -c 'check "$@"' _ >>"$tmp/results"
else
    echo "hostile: corpus not found, only the project's captures were mutated"
fi
grep -v '^ok$' "$tmp/results"
pass=$(grep -c '^ok$' "$tmp/results")
fail=$(grep -vc '^ok$' "$tmp/results")
echo "hostile: $pass passed, $fail failed (seed $seed)"
[ "$fail" -eq 0 ]
