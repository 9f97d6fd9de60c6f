#!/usr/bin/env python3
"""Seeds for fuzz_http and fuzz_ssh from the captures in tests/pcaps/app:
each TCP connection becomes one seed in the harnesses' segment format
(tests/fuzz/app_segments.h): `flags len_hi len_lo data`, flags bit 0 the
direction (0 client), in capture order.
Usage: /usr/bin/python3 tests/gen/app-fuzz-seeds.py [PCAPDIR] [SEEDDIR]"""
import os
import struct
import sys

from scapy.all import IP, TCP, IPv6, rdpcap


def seeds(path):
    conns = {}
    for p in rdpcap(path):
        if TCP not in p or (IP not in p and IPv6 not in p):
            continue
        t = p[TCP]
        ip = p[IP] if IP in p else p[IPv6]
        key = tuple(sorted(((ip.src, t.sport), (ip.dst, t.dport))))
        c = conns.setdefault(key, {"cli": None, "seen": set(), "out": b""})
        if t.flags & 0x12 == 0x02:
            c["cli"] = (ip.src, t.sport)
        if IP in p:
            n = ip.len - ip.ihl * 4 - t.dataofs * 4
        else:
            n = len(bytes(t)) - t.dataofs * 4  # IPv6: no padding on these captures
        if c["cli"] is None and n > 0:
            c["cli"] = (ip.dst, t.dport) if t.sport < t.dport else (ip.src, t.sport)
        if n <= 0 or c["cli"] is None:
            continue
        d = 0 if (ip.src, t.sport) == c["cli"] else 1
        if (d, t.seq) in c["seen"]:
            continue  # retransmission
        c["seen"].add((d, t.seq))
        data = bytes(t.payload)[:n]
        c["out"] += struct.pack(">BH", d, len(data)) + data
    return [c["out"] for c in conns.values() if c["out"]]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "tests/pcaps/app"
    dst = sys.argv[2] if len(sys.argv) > 2 else "tests/fuzz/seeds"
    for f in sorted(os.listdir(src)):
        if not f.endswith(".pcap"):
            continue
        harness = "fuzz_http" if f.startswith("http") else "fuzz_ssh"
        os.makedirs(os.path.join(dst, harness), exist_ok=True)
        for i, s in enumerate(seeds(os.path.join(src, f))):
            name = os.path.join(dst, harness, "%s-%d" % (f[:-5], i))
            with open(name, "wb") as out:
                out.write(s)
            print(name, len(s))


if __name__ == "__main__":
    main()
