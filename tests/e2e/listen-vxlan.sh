#!/bin/bash
# periscope listen as the mirror target of the Linux kernel's VXLAN device:
# real curl/nginx, dig/dnsmasq and ping traffic in namespaces is mirrored to
# a sensor namespace where periscope listens on UDP 4789; the same traffic is
# captured on the client with tcpdump. `periscope listen` must report the
# same flows as `periscope read` of the capture, each with VNI 4242 and the
# mirror's source address, and exit 0 on SIGTERM.
# Exit 77 (skipped) without root or network namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
LISTEN_CMD="$bin listen -q --vxlan 4789 --eve $tmp/listen.json" \
    tests/gen/netns-capture.sh "$tmp" >"$tmp/log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
    echo "SKIP e2e/listen-vxlan: $(tail -1 "$tmp/log")"
    exit 77
fi
if [ $rc -ne 0 ]; then
    echo "FAIL e2e/listen-vxlan: capture script failed ($rc):"; tail -5 "$tmp/log"
    exit 1
fi
"$bin" read -q --eve "$tmp/plain.json" "$tmp/real-plain.pcap" || {
    echo "FAIL e2e/listen-vxlan: read failed"; exit 1; }
python3 tests/lib/check_eve.py "$tmp/listen.json" >"$tmp/chk" || {
    echo "FAIL e2e/listen-vxlan: $(head -2 "$tmp/chk")"; exit 1; }
out=$(python3 tests/lib/flows_equal.py "$tmp/plain.json" "$tmp/listen.json") || {
    echo "FAIL e2e/listen-vxlan: flows differ:"; echo "$out" | head; exit 1; }
python3 - "$tmp/listen.json" <<'PY' || exit 1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in ev if e["event_type"] == "flow"]
bad = [f for f in flows if f["mirror"].get("vni") != 4242 or f["mirror"].get("source") != "172.31.0.10"]
if len(flows) != 10 or bad:
    print(f"FAIL e2e/listen-vxlan: {len(flows)} flows, {len(bad)} without VNI 4242 from 172.31.0.10")
    sys.exit(1)
PY
echo "ok   e2e/listen-vxlan ($out)"
