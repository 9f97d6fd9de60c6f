#!/usr/bin/python3
# Debian packages needed: python3-scapy   (run with /usr/bin/python3)
#
# pcap-flows.py - list the innermost flows of capture files, as a cross-check
# for the README and for periscope's golden tests (independent of periscope).
#
#   /usr/bin/python3 tests/gen/pcap-flows.py FILE...
#       per file: one line per direction-free flow of the innermost IP header
#       (VXLAN/GENEVE/GRE/IP-in-IP are looked through by scapy's own
#       dissectors), with packets and IP bytes each way, the encapsulation
#       seen, and for VXLAN the outer UDP source ports used by that flow.
#   /usr/bin/python3 tests/gen/pcap-flows.py --compare PLAIN.pcap VXLAN.pcap
#       also checks that the frames inside VXLAN.pcap's VXLAN headers are,
#       in order, byte for byte the frames of PLAIN.pcap (exit 1 if not).

import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import IP, TCP, UDP, VXLAN, Ether, IPv6, PcapReader, raw  # noqa: E402

try:
    from scapy.contrib.geneve import GENEVE  # noqa: F401  (binds UDP 6081)
except Exception:
    pass

PROTO = {1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp"}


def innermost(pkt):
    """Return (innermost IP/IPv6 layer, list of encapsulation names, outer vxlan sport)."""
    encs, last, sport = [], None, None
    layer = pkt
    while layer is not None and layer.name != "NoPayload":
        if isinstance(layer, (IP, IPv6)):
            last = layer
        if isinstance(layer, VXLAN):
            encs.append("vxlan %d" % layer.vni)
            if sport is None:
                sport = layer.underlayer.sport
        elif layer.name in ("GENEVE", "GRE", "ERSPAN"):
            encs.append(layer.name.lower())
        layer = layer.payload if layer.payload is not None else None
    return last, encs, sport


def key_of(ip):
    proto = ip.proto if isinstance(ip, IP) else ip.nh
    if ip.haslayer(TCP):
        l4 = ip[TCP]
        return ("tcp", ip.src, l4.sport, ip.dst, l4.dport)
    if ip.haslayer(UDP):
        l4 = ip[UDP]
        return ("udp", ip.src, l4.sport, ip.dst, l4.dport)
    return (PROTO.get(proto, "proto%d" % proto), ip.src, 0, ip.dst, 0)


def flows(path):
    table, order, other, total = {}, [], 0, 0
    for pkt in PcapReader(path):
        total += 1
        ip, encs, sport = innermost(pkt)
        if ip is None:
            other += 1
            continue
        k = key_of(ip)
        p, s, sp, d, dp = k
        rev = (p, d, dp, s, sp)
        if k in table:
            i = 0
        elif rev in table:
            k, i = rev, 1
        else:
            table[k] = {"n": [0, 0], "b": [0, 0], "enc": set(), "sports": [[], []]}
            order.append(k)
            i = 0
        e = table[k]
        e["n"][i] += 1
        e["b"][i] += ip.len if isinstance(ip, IP) else ip.plen + 40
        e["enc"].add("/".join(encs) or "none")
        if sport is not None and sport not in e["sports"][i]:
            e["sports"][i].append(sport)
    return total, other, order, table


def show(path):
    total, other, order, table = flows(path)
    print("%s: %d packets, %d flows, %d non-IP" % (path, total, len(order), other))
    for k in order:
        p, s, sp, d, dp = k
        e = table[k]
        name = "%s %s:%d -> %s:%d" % (p, s, sp, d, dp) if p in ("tcp", "udp") else "%s %s -> %s" % (p, s, d)
        extra = ""
        if e["sports"][0] or e["sports"][1]:
            extra = " outer-sport a>b %s b>a %s" % (",".join(map(str, e["sports"][0])) or "-",
                                                    ",".join(map(str, e["sports"][1])) or "-")
        print("  %-44s pkts %3d/%-3d ip-bytes %6d/%-6d %s%s" % (
            name, e["n"][0], e["n"][1], e["b"][0], e["b"][1], ",".join(sorted(e["enc"])), extra))
    return order, table


def compare(plain, mirrored):
    """True when the mirror holds exactly the plain frames, each once, and the
    order of the frames of each flow direction is the same (the interleaving of
    the two directions may differ: they take different paths to the mirror)."""
    a = [raw(p) for p in PcapReader(plain)]
    b = []
    for p in PcapReader(mirrored):
        b.append(raw(p[VXLAN].payload) if p.haslayer(VXLAN) else None)

    def per_direction(frames):
        d = {}
        for f in frames:
            if f is None:
                continue
            ip, _, _ = innermost(Ether(f))
            d.setdefault(key_of(ip) if ip is not None else "non-ip", []).append(f)
        return d

    exact = a == b
    same_set = sorted(a) == sorted(x for x in b if x is not None) and None not in b
    dir_order = per_direction(a) == per_direction(b)
    moved = sum(1 for x, y in zip(a, b) if x != y)
    print("compare: %d plain frames, %d mirrored frames; same frames each once: %s; "
          "same order within each flow direction: %s; global order identical: %s%s" % (
              len(a), len(b), same_set, dir_order, exact,
              "" if exact else " (%d positions differ: directions interleave differently)" % moved))
    if not same_set:
        sa, sb = set(a), set(x for x in b if x is not None)
        print("  plain frames missing from mirror: %d; mirror frames not in plain: %d; "
              "duplicate mirror frames: %d; non-VXLAN records in mirror: %d" % (
                  len(sa - sb), len(sb - sa), len(b) - len(set(b)), b.count(None)))
    return same_set and dir_order


def main():
    args = sys.argv[1:]
    if args and args[0] == "--compare":
        if len(args) != 3:
            sys.exit("usage: pcap-flows.py --compare PLAIN.pcap VXLAN.pcap")
        show(args[1])
        show(args[2])
        sys.exit(0 if compare(args[1], args[2]) else 1)
    for path in args:
        show(path)


if __name__ == "__main__":
    main()
