#!/usr/bin/env python3
"""Make tests/pcaps/vxlan-two-enis.pcap from tests/pcaps/vxlan.pcap: the same
conversation mirrored at both ends, as when both ENIs of a VPC-internal
conversation have a mirror session: every packet arrives once from
172.31.0.10 (the client's ENI) and 20 microseconds later from 172.31.0.11
(the server's ENI), same VNI. Deterministic; stdlib only.
Usage: two_enis.py [IN] [OUT]"""
import struct
import sys


def csum(b):
    s = sum(struct.unpack("!10H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "tests/pcaps/vxlan.pcap"
    out = sys.argv[2] if len(sys.argv) > 2 else "tests/pcaps/vxlan-two-enis.pcap"
    d = open(src, "rb").read()
    res = [d[:24]]
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl, orig = struct.unpack("<IIII", d[off:off + 16])
        pkt = d[off + 16:off + 16 + incl]
        off += 16 + incl
        res.append(d[off - 16 - incl:off])
        # The second copy: outer source .11, IP header checksum redone.
        ip = bytearray(pkt[14:34])
        ip[15] = 11
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        copy = pkt[:14] + bytes(ip) + pkt[34:]
        res.append(struct.pack("<IIII", sec, usec + 20, len(copy), len(copy)) + copy)
    open(out, "wb").write(b"".join(res))


if __name__ == "__main__":
    main()
