#!/usr/bin/python3
"""What `periscope mirror` must have sent, computed independently of its C
code, compared with what arrived at the sensor.

From a tcpdump capture of the source interface and the mirror configuration
(the AWS CLI JSON, or periscope's own rule lines), apply AWS's semantics:
direction relative to the interface (egress = the frame's source MAC is the
interface's), never-mirrored traffic (ARP, DHCP, IMDS, NTP, Windows
activation), the amazon-dns network service, filters (rule number order, first
match decides, port ranges for TCP and UDP only, no rule = not mirrored),
sessions (number order, the first whose filter accepts, once), then the
session's packet length and VNI. Compare that multiset of (VNI, bytes) with:
  --outer PCAP     the sensor's capture of UDP 4789 (decapsulated here; the
                   outer source port must be the same for both directions)
  --kernel VNI=PCAP  a capture on the kernel VXLAN device of that VNI
  --own ADDR:PORT  the agent's own output (UDP to the target): not expected
Prints one line; exit 1 on any difference.

usage: check.py --pcap SRC.pcap --mac MAC (--aws F.json S.json ENI | --conf FILE)
                [--amazon-dns ADDR] --outer PCAP [--kernel VNI=PCAP]...
"""
import argparse
import ipaddress
import json
import struct
import sys
from collections import Counter

from scapy.utils import RawPcapReader

NEVER_ADDRS = {"169.254.169.254", "fd00:ec2::254", "169.254.169.123", "fd00:ec2::123",
               "169.254.169.250", "169.254.169.251"}
DNS = {"169.254.169.253", "fd00:ec2::253"}
PROTO = {"all": None, "tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


def frames(path):
    for data, _meta in RawPcapReader(path):
        yield bytes(data)


def parse(f):
    """dict with ip, src, dst, proto, sport, dport (None without ports), arp."""
    p = {"ip": False, "arp": False}
    if len(f) < 14:
        return p
    et, off = struct.unpack("!H", f[12:14])[0], 14
    while et in (0x8100, 0x88A8) and len(f) >= off + 4:
        et, off = struct.unpack("!H", f[off + 2:off + 4])[0], off + 4
    if et == 0x0806:
        p["arp"] = True
        return p
    later = False
    if et == 0x0800 and len(f) >= off + 20:
        ihl = (f[off] & 15) * 4
        p.update(ip=True, proto=f[off + 9], src=ipaddress.ip_address(f[off + 12:off + 16]),
                 dst=ipaddress.ip_address(f[off + 16:off + 20]))
        later = struct.unpack("!H", f[off + 6:off + 8])[0] & 0x1FFF != 0
        off += ihl
    elif et == 0x86DD and len(f) >= off + 40:
        nh = f[off + 6]
        p.update(ip=True, src=ipaddress.ip_address(f[off + 8:off + 24]),
                 dst=ipaddress.ip_address(f[off + 24:off + 40]))
        off += 40
        while nh in (0, 43, 44, 60) and len(f) >= off + 8:
            if nh == 44:
                later = struct.unpack("!H", f[off + 2:off + 4])[0] & 0xFFF8 != 0
                nh, off = f[off], off + 8
            else:
                nh, off = f[off], off + (f[off + 1] + 1) * 8
        p["proto"] = nh
    else:
        return p
    p["sport"] = p["dport"] = None
    if p["proto"] in (6, 17) and not later and len(f) >= off + 4:
        p["sport"], p["dport"] = struct.unpack("!HH", f[off:off + 4])
    return p


def never(p):
    if p["arp"]:
        return True
    if not p["ip"]:
        return False
    ports = {p["sport"], p["dport"]} if p["sport"] is not None else set()
    if p["proto"] == 17 and ports & {67, 68, 546, 547, 123}:
        return True
    return str(p["src"]) in NEVER_ADDRS or str(p["dst"]) in NEVER_ADDRS


def amazon_dns(p, dns):
    if not p["ip"] or p["proto"] not in (6, 17) or p["sport"] is None:
        return False
    return (p["dport"] == 53 and str(p["dst"]) in dns) or (p["sport"] == 53 and str(p["src"]) in dns)


def rule_match(r, p):
    if r["proto"] is not None and r["proto"] != p["proto"]:
        return False
    if p["src"] not in r["src"] or p["dst"] not in r["dst"]:
        return False  # also a family mismatch
    if (r["sport"] or r["dport"]) and p["proto"] in (6, 17):
        if p["sport"] is None:
            return False
        for key, val in (("sport", p["sport"]), ("dport", p["dport"])):
            if r[key] and not r[key][0] <= val <= r[key][1]:
                return False
    return True


def accepts(flt, d, p, dns):
    if amazon_dns(p, dns):
        return flt["amazon_dns"]
    if not p["ip"]:
        return False
    for r in sorted(flt[d], key=lambda r: r["number"]):
        if rule_match(r, p):
            return r["accept"]
    return False


def aws_config(fpath, spath, eni):
    filters = {}
    for f in json.load(open(fpath))["TrafficMirrorFilters"]:
        flt = {"amazon_dns": "amazon-dns" in f.get("NetworkServices", []), "ingress": [],
               "egress": []}
        for d, key in (("ingress", "IngressFilterRules"), ("egress", "EgressFilterRules")):
            for r in f.get(key, []):
                rng = lambda k: (r[k]["FromPort"], r[k]["ToPort"]) if k in r else None
                flt[d].append({"number": r["RuleNumber"], "accept": r["RuleAction"] == "accept",
                               "proto": r.get("Protocol"),
                               "src": ipaddress.ip_network(r["SourceCidrBlock"], strict=False),
                               "dst": ipaddress.ip_network(r["DestinationCidrBlock"], strict=False),
                               "sport": rng("SourcePortRange"), "dport": rng("DestinationPortRange")})
        filters[f["TrafficMirrorFilterId"]] = flt
    sessions = [s for s in json.load(open(spath))["TrafficMirrorSessions"]
                if s["NetworkInterfaceId"] == eni]
    return [(s["SessionNumber"], filters[s["TrafficMirrorFilterId"]], s.get("PacketLength"),
             s["VirtualNetworkId"]) for s in sessions]


def conf_config(path):
    flt = {"amazon_dns": False, "ingress": [], "egress": []}
    plen, vni = None, None
    for line in open(path):
        line = line.split("#")[0].strip()
        if not line:
            continue
        key, _, val = line.partition("=")
        key, val = key.strip(), val.strip()
        if key == "packet-length":
            plen = int(val)
        elif key == "vni":
            vni = int(val)
        elif key == "amazon-dns-service":
            flt["amazon_dns"] = True
        elif key == "rule":
            w = val.split()
            r = {"number": int(w[1]), "accept": w[2] == "accept", "proto": None, "sport": None,
                 "dport": None}
            kv = dict(zip(w[3::2], w[4::2]))
            if "protocol" in kv:
                r["proto"] = PROTO[kv["protocol"]] if kv["protocol"] in PROTO else int(kv["protocol"])
            six = ":" in kv.get("source", "") + kv.get("destination", "")
            anyn = "::/0" if six else "0.0.0.0/0"
            r["src"] = ipaddress.ip_network(kv.get("source", anyn), strict=False)
            r["dst"] = ipaddress.ip_network(kv.get("destination", anyn), strict=False)
            for k, name in (("sport", "source-port"), ("dport", "destination-port")):
                if name in kv:
                    lo, _, hi = kv[name].partition("-")
                    r[k] = (int(lo), int(hi or lo))
            flt[w[0]].append(r)
    return [(1, flt, plen, vni)]


def expected(args):
    sessions = (aws_config(*args.aws) if args.aws else conf_config(args.conf))
    sessions.sort(key=lambda s: s[0])
    dns = DNS | set(args.amazon_dns)
    mac = bytes.fromhex(args.mac.replace(":", ""))
    out, seen, skipped_never = Counter(), 0, 0
    for f in frames(args.pcap):
        seen += 1
        p = parse(f)
        if never(p):
            skipped_never += 1
            continue
        if p["ip"] and p["proto"] == 17 and f"{p['dst']}:{p['dport']}" in args.own:
            continue
        d = "egress" if f[6:12] == mac else "ingress"
        for _num, flt, plen, vni in sessions:
            if accepts(flt, d, p, dns):
                out[(vni, f[:plen] if plen else f)] += 1
                break
    return out, seen, skipped_never


def outer(path):
    got, ports = Counter(), {}
    for f in frames(path):
        p = parse(f)
        if not p["ip"] or p["proto"] != 17 or p["dport"] != 4789:
            continue
        ihl = (f[14] & 15) * 4 if p["src"].version == 4 else 40
        vx = f[14 + ihl + 8:]
        if vx[0] != 0x08:
            raise SystemExit("FAIL: VXLAN flags byte is not 0x08")
        vni = int.from_bytes(vx[4:7], "big")
        inner = vx[8:]
        got[(vni, inner)] += 1
        q = parse(inner)
        if q["ip"]:
            a, b = (str(q["src"]), q.get("sport")), (str(q["dst"]), q.get("dport"))
            key = (q["proto"],) + tuple(sorted([a, b], key=str))
            ports.setdefault(key, set()).add((p["sport"], str(p["dst"])))
    split = [k for k, v in ports.items() if len(v) != 1]
    return got, split, len(ports)


def diff(a, b):
    missing, extra = a - b, b - a
    return sum(missing.values()), sum(extra.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--aws", nargs=3, metavar=("FILTERS", "SESSIONS", "ENI"))
    ap.add_argument("--conf")
    ap.add_argument("--amazon-dns", action="append", default=[])
    ap.add_argument("--outer", required=True)
    ap.add_argument("--kernel", action="append", default=[])
    ap.add_argument("--own", action="append", default=[],
                    help="ADDR:PORT: UDP to it is the agent's own output, never mirrored")
    ap.add_argument("--min", type=int, default=1, help="at least this many mirrored frames")
    args = ap.parse_args()
    want, seen, nev = expected(args)
    got, split, nflows = outer(args.outer)
    bad = []
    if sum(want.values()) < args.min:
        bad.append(f"only {sum(want.values())} frames selected (want >= {args.min})")
    m, e = diff(want, got)
    if m or e:
        bad.append(f"outer capture: {m} missing, {e} unexpected")
    if split:
        bad.append(f"{len(split)} flows with more than one outer source port or address: {split[:2]}")
    for spec in args.kernel:
        vni, _, path = spec.partition("=")
        kw = Counter({b: n for (v, b), n in want.items() if v == int(vni)})
        kg = Counter(frames(path))
        m, e = diff(kw, kg)
        if m or e:
            bad.append(f"kernel VXLAN {vni}: {m} missing, {e} unexpected")
    vnis = sorted({v for v, _ in want})
    summary = (f"{seen} frames on the source, {nev} never mirrored, {sum(want.values())} "
               f"selected in VNIs {vnis}, {nflows} inner flows")
    if bad:
        print("FAIL: " + "; ".join(bad) + f" ({summary})")
        sys.exit(1)
    print(summary)


if __name__ == "__main__":
    main()
