#!/bin/bash
# Tunnel detection on the project's tunnel captures (tests/pcaps/tunnels, made
# by tests/gen/tunnels.sh with iodine, dns2tcp, ptunnel-ng and ping -p, and
# benign DNS and pings) and on the corpus's tunnel captures when present:
# every tunnel capture raises an alert from its detector (expect.tsv) within
# 100 queries or echo packets; the benign captures raise no alert at all.
#
# usage: tests/tunnels/run.sh [BINARY]            the suite
#        tests/tunnels/run.sh BINARY --table      also a Markdown table of the
#                                                 results with ndpiReader's risks
# Ends with "tunnels: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
table=${2:-}
corpus=${PERISCOPE_CORPUS:-/work/shared/corpus}
[ -x "$bin" ] || { echo "tunnels: $bin not built" >&2; exit 77; }
pass=0 fail=0 skipped=0
rows=()

# ndpiReader's risk names for a capture (the "Risk stats" block), or "-"
ndpi_risks() {
    command -v ndpiReader >/dev/null || { echo "n/a"; return; }
    timeout 120 ndpiReader -i "$1" -v 1 2>/dev/null | awk '
        /Risk stats/ { f = 1; next }
        /NOTE/ { f = 0 }
        f && NF { sub(/^[ \t]+/, ""); sub(/[ \t]+[0-9]+ \[.*$/, ""); r = r (r ? "; " : "") $0 }
        END { print (r ? r : "none") }'
}

while IFS=$'\t' read -r cap tool want; do
    case "$cap" in ''|'#'*) continue ;; esac
    case "$cap" in
    corpus:*) f=$corpus/${cap#corpus:}; name=${cap#corpus:} ;;
    *) f=tests/pcaps/tunnels/$cap; name=$cap ;;
    esac
    if [ ! -f "$f" ]; then
        skipped=$((skipped + 1))
        continue
    fi
    # alerts: "detector<TAB>queries-or-packets until the alert" per line
    got=$("$bin" read --deterministic -q --eve - "$f" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["event_type"] != "alert":
        continue
    a = e["alert"]; ev = a.get("evidence", {})
    n = ev.get("queries_until_alert", ev.get("packets_until_alert", 0))
    print(a["detector"], a["signature_id"], n, sep="\t")')
    if [ "$want" = none ]; then
        n=$(printf '%s' "$got" | grep -c .)
        if [ "$n" -eq 0 ]; then
            pass=$((pass + 1)); verdict="no alert"
        else
            fail=$((fail + 1)); verdict="$n false alerts"
            echo "FAIL tunnels/$name: benign, but alerted:"; printf '%s\n' "$got" | sed 's/^/    /'
        fi
        until_alert="-"
    else
        first=$(printf '%s\n' "$got" | awk -F'\t' -v d="$want" '$1 == d { print; exit }')
        until_alert=$(printf '%s' "$first" | cut -f3)
        sids=$(printf '%s\n' "$got" | awk -F'\t' -v d="$want" '$1 == d { print $2 }' | sort -u | paste -sd, -)
        if [ -n "$first" ] && [ "$until_alert" -le 100 ]; then
            pass=$((pass + 1)); verdict="alerted ($sids)"
        else
            fail=$((fail + 1)); verdict="missed"
            echo "FAIL tunnels/$name: want a $want alert within 100, got: ${got:-nothing}"
        fi
        other=$(printf '%s\n' "$got" | awk -F'\t' -v d="$want" 'NF && $1 != d' | grep -c .)
        if [ "$other" -ne 0 ]; then
            fail=$((fail + 1))
            echo "FAIL tunnels/$name: alerts from another detector:"; printf '%s\n' "$got" | sed 's/^/    /'
        fi
    fi
    [ -n "$table" ] && rows+=("| \`$name\` | $tool | $verdict | $until_alert | $(ndpi_risks "$f") |")
done < tests/tunnels/expect.tsv

if [ -n "$table" ]; then
    echo "| capture | tool | periscope | queries/packets until the alert | ndpiReader risks |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
fi
[ "$skipped" -gt 0 ] && echo "tunnels: $skipped captures absent (corpus or not generated), not counted"
echo "tunnels: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
