#!/bin/bash
# Debian packages needed: suricata (7.x, bookworm-backports: bench/deps.sh)
#                         python3 (standard library only, for the summary)
#
# suricata-decoder-events.sh - what does Suricata 7 say about a capture at the
# packet level?  Runs Suricata once per capture with ONLY its shipped
# decoder-events.rules (decode-event: keywords: IPv4/IPv6/ICMP/TCP/UDP decoder
# anomalies, defrag overlap / too-large events, ...) and EVE output of the
# 'alert' and 'anomaly' (decode layer) event types, and prints per capture:
#
#   the alert signatures that fired   (count, sid, msg)
#   the decoder anomaly events        (count, event)   - these include events
#                                      that have no enabled rule
#   Suricata's defrag counters        (fragments, reassembled, ...)
#
# usage: bench/suricata-decoder-events.sh PCAP...
#        bench/suricata-decoder-events.sh tests/pcaps/attacks/*.pcap
#        SURICATA_RULES=/path/decoder-events.rules bench/...   (other rules file)
#        TSV=1 bench/...      one line per capture instead: file, sids, anomalies
#
# The configuration is written to a temporary directory together with the logs
# (removed on exit): Suricata's defaults (defrag, host-os-policy default bsd,
# VXLAN decoder on UDP 4789, GENEVE on 6081, Teredo) plus EVE alert+anomaly.
# Checksum validation is off (-k none) so crafted packets are judged on their
# shape only.  Used to fill the "detected by Suricata?" column of
# tests/pcaps/attacks/README.md.

set -u
command -v suricata >/dev/null 2>&1 || { echo "suricata not installed (see bench/deps.sh)" >&2; exit 77; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
[ $# -gt 0 ] || { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }

RULES=${SURICATA_RULES:-}
if [ -z "$RULES" ]; then
    for d in /usr/share/suricata/rules /etc/suricata/rules /var/lib/suricata/rules; do
        [ -f "$d/decoder-events.rules" ] && { RULES=$d/decoder-events.rules; break; }
    done
fi
[ -n "$RULES" ] && [ -f "$RULES" ] || { echo "decoder-events.rules not found" >&2; exit 77; }
CLASS=/etc/suricata/classification.config
[ -f "$CLASS" ] || CLASS=/usr/share/suricata/classification.config

TMP=$(mktemp -d /tmp/suricata-decoder-events.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

cat > "$TMP/suricata.yaml" <<EOF
%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12,fd00::/8,2001:db8::/32]"
    EXTERNAL_NET: "!\$HOME_NET"
  port-groups:
    HTTP_PORTS: "80"
    VXLAN_PORTS: 4789
    GENEVE_PORTS: 6081
default-log-dir: $TMP
classification-file: $CLASS
stats:
  enabled: yes
  interval: 3600
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - alert:
            tagged-packets: no
        - anomaly:
            enabled: yes
            types:
              decode: yes
              stream: no
              applayer: no
            packethdr: no
        - stats:
            totals: yes
            threads: no
            deltas: no
  - fast:
      enabled: no
logging:
  default-log-level: warning
  outputs:
    - console:
        enabled: yes
unix-command:
  enabled: no
decoder:
  teredo:
    enabled: true
  vxlan:
    enabled: true
    ports: \$VXLAN_PORTS
  geneve:
    enabled: true
    ports: \$GENEVE_PORTS
EOF

summarise() {   # summarise EVE NAME
    "$PY" - "$1" "$2" "${TSV:-}" <<'EOF'
import collections, json, sys
eve, name, tsv = sys.argv[1], sys.argv[2], sys.argv[3]
alerts, anoms, stats = collections.Counter(), collections.Counter(), {}
with open(eve) as f:
    for line in f:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        t = e.get("event_type")
        if t == "alert":
            a = e["alert"]
            alerts[(a["signature_id"], a["signature"])] += 1
        elif t == "anomaly":
            a = e["anomaly"]
            anoms[a.get("event") or a.get("code") or str(a)] += 1
        elif t == "stats":
            stats = e["stats"]
d = stats.get("defrag", {})
dec = stats.get("decoder", {})
frag = "v4 frags %s reassembled %s, v6 frags %s reassembled %s, max_frag_hits %s, pkts %s" % (
    d.get("ipv4", {}).get("fragments", 0), d.get("ipv4", {}).get("reassembled", 0),
    d.get("ipv6", {}).get("fragments", 0), d.get("ipv6", {}).get("reassembled", 0),
    d.get("max_frag_hits", 0), dec.get("pkts", 0))
if tsv:
    print("%s\t%s\t%s" % (name,
          ",".join("%d(x%d)" % (sid, n) for (sid, _), n in sorted(alerts.items())) or "-",
          ",".join("%s(x%d)" % (k, n) for k, n in sorted(anoms.items())) or "-"))
    sys.exit(0)
print("== %s" % name)
print("   alerts:%s" % ("    none" if not alerts else ""))
for (sid, msg), n in sorted(alerts.items()):
    print("     %5d  %d  %s" % (n, sid, msg))
print("   anomalies:%s" % (" none" if not anoms else ""))
for ev, n in sorted(anoms.items()):
    print("     %5d  %s" % (n, ev))
print("   defrag:    %s" % frag)
EOF
}

rc=0
for pcap in "$@"; do
    name=$(basename "$pcap")
    [ -r "$pcap" ] || { echo "== $name: cannot read" >&2; rc=1; continue; }
    out=$TMP/run
    rm -rf "$out"; mkdir -p "$out"
    if ! timeout 120 suricata --runmode single -k none -c "$TMP/suricata.yaml" -S "$RULES" \
            -r "$pcap" -l "$out" >"$out/console.txt" 2>&1; then
        echo "== $name: suricata failed:" >&2; tail -5 "$out/console.txt" >&2; rc=1; continue
    fi
    summarise "$out/eve.json" "$name"
done
exit $rc
