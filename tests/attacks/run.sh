#!/bin/bash
# Packet-level attack detection on the project's attack captures
# (tests/pcaps/attacks, made by tests/gen/frag_attacks.py and attacks.sh):
# each capture raises exactly the alerts listed in expect.tsv (signature id
# and count, after the 60 s per source/destination de-duplication) and no
# other; the benign ones raise none. Ends with "attacks: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
pass=0 fail=0
while IFS=$'\t' read -r pcap want anomalies; do
    case "$pcap" in ''|'#'*) continue ;; esac
    got=$("$bin" read --deterministic -q --eve - "tests/pcaps/attacks/$pcap" | python3 -c '
import collections, json, sys
sids = collections.Counter()
anoms = collections.Counter()
for line in sys.stdin:
    e = json.loads(line)
    if e["event_type"] == "alert":
        sids[e["alert"]["signature_id"]] += 1
    elif e["event_type"] == "anomaly":
        anoms[e["anomaly"]["event"]] += 1
a = ",".join(f"{k}:{v}" for k, v in sorted(sids.items())) or "none"
b = ",".join(f"{k}:{v}" for k, v in sorted(anoms.items())) or "none"
print(a + "\t" + b)')
    if [ "$got" = "$want"$'\t'"${anomalies:-none}" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL attacks/$pcap: want alerts $want anomalies ${anomalies:-none}, got $got"
        fail=$((fail + 1))
    fi
done < tests/attacks/expect.tsv
echo "attacks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
