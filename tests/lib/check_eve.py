#!/usr/bin/env python3
"""Check an EVE JSON file as a downstream parser would.

Every line is a JSON object that parses, in valid UTF-8, with the common
keys; flow ids are unique; the last stats event satisfies the packet
accounting invariant: received = decoded + dropped, dropped = sum of drops.
Exit 0 when all holds, else 1 with one line per problem (at most 20).
Usage: check_eve.py EVE_FILE [--expect-stats]
"""
import json
import sys


def main():
    path = sys.argv[1]
    problems = []
    flow_ids = set()
    stats = None
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append(f"line {n}: invalid UTF-8: {e}")
                continue
            try:
                ev = json.loads(text)
            except ValueError as e:
                problems.append(f"line {n}: invalid JSON: {e}")
                continue
            if not isinstance(ev, dict) or "event_type" not in ev or "timestamp" not in ev:
                problems.append(f"line {n}: not an EVE record")
                continue
            if ev["event_type"] == "flow":
                fid = ev.get("flow_id")
                if fid in flow_ids:
                    problems.append(f"line {n}: flow_id {fid} repeated")
                flow_ids.add(fid)
                for k in ("src_ip", "dest_ip", "proto", "mirror", "flow"):
                    if k not in ev:
                        problems.append(f"line {n}: flow without {k}")
            elif ev["event_type"] == "stats":
                stats = ev["stats"]
    if stats is None:
        problems.append("no stats event")
    else:
        p = stats["pkts"]
        drops = sum(stats["drop"].values())
        if p["received"] != p["decoded"] + p["dropped"]:
            problems.append(f"accounting: received {p['received']} != decoded "
                            f"{p['decoded']} + dropped {p['dropped']}")
        if p["dropped"] != drops:
            problems.append(f"accounting: dropped {p['dropped']} != sum of drop.* {drops}")
    for line in problems[:20]:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
