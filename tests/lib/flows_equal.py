#!/usr/bin/env python3
"""Compare the flows of two EVE files, ignoring time, flow ids and mirror
context: the same traffic captured plainly and as a mirror must give the
same flows with the same per-direction packets and bytes.
Usage: flows_equal.py A.eve B.eve   (exit 0 when equal, else 1 with a diff)"""
import json
import sys

FIELDS = ("src_ip", "src_port", "dest_ip", "dest_port", "proto", "icmp_type")
FLOW = ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "reason")


def flows(path):
    out = []
    with open(path) as f:
        for line in f:
            ev = json.loads(line)
            if ev["event_type"] != "flow":
                continue
            key = tuple(ev.get(k) for k in FIELDS)
            val = tuple(ev["flow"][k] for k in FLOW) + (ev.get("tcp", {}).get("tcp_flags"),)
            out.append((key, val))
    return sorted(out, key=repr)


def main():
    a, b = flows(sys.argv[1]), flows(sys.argv[2])
    if a == b:
        print(f"{len(a)} flows equal")
        return 0
    sa, sb = set(a), set(b)
    for x in sorted(sa - sb, key=repr):
        print("only in", sys.argv[1], x)
    for x in sorted(sb - sa, key=repr):
        print("only in", sys.argv[2], x)
    return 1


if __name__ == "__main__":
    sys.exit(main())
