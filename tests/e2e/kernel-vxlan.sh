#!/bin/bash
# End to end with real tools: curl/nginx, dig/dnsmasq and ping in network
# namespaces, captured on the client and, at the same time, as mirrored by the
# Linux kernel's VXLAN device (tests/gen/netns-capture.sh). periscope must give
# the same 10 flows, with the same packets and bytes per direction, from both,
# and put every mirrored flow in mirror session VNI 4242.
# Exit 77 (skipped) without root or network namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tests/gen/netns-capture.sh "$tmp" >"$tmp/log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
    echo "SKIP e2e/kernel-vxlan: $(tail -1 "$tmp/log")"
    exit 77
fi
if [ $rc -ne 0 ]; then
    echo "FAIL e2e/kernel-vxlan: capture script failed ($rc):"; tail -5 "$tmp/log"
    exit 1
fi
"$bin" read -q --eve "$tmp/plain.json" "$tmp/real-plain.pcap" &&
    "$bin" read -q --eve "$tmp/vxlan.json" "$tmp/real-vxlan.pcap" || {
    echo "FAIL e2e/kernel-vxlan: periscope failed"; exit 1; }
out=$(python3 tests/lib/flows_equal.py "$tmp/plain.json" "$tmp/vxlan.json") || {
    echo "FAIL e2e/kernel-vxlan: flows differ:"; echo "$out" | head; exit 1; }
python3 - "$tmp/vxlan.json" <<'PY' || exit 1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in ev if e["event_type"] == "flow"]
bad = [f for f in flows if f["mirror"].get("encap") != "vxlan" or f["mirror"].get("vni") != 4242]
if len(flows) != 10 or bad:
    print(f"FAIL e2e/kernel-vxlan: {len(flows)} flows, {len(bad)} without VNI 4242")
    sys.exit(1)
s = ev[-1]["stats"]
if s["flow"]["created"] != 10 or s["decoder"]["vxlan"] != s["pkts"]["received"]:
    print("FAIL e2e/kernel-vxlan: outer VXLAN datagrams became flows or were missed")
    sys.exit(1)
PY
echo "ok   e2e/kernel-vxlan ($out)"
