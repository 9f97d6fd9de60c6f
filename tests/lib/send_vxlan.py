#!/usr/bin/env python3
"""Send the tunnel payloads (VXLAN or GENEVE header onward) of a capture's
outer IPv4/UDP packets to a UDP address, as a mirror source would.
Usage: send_vxlan.py PCAP HOST PORT [SRC_IP[,SRC_IP...]]  (prints the count sent)
With several sources each packet is sent from each in turn, as when both
ends of a conversation are mirrored."""
import socket
import struct
import sys


def main():
    path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    socks = []
    for src in (sys.argv[4].split(",") if len(sys.argv) > 4 else [None]):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if src:
            s.bind((src, 0))
        socks.append(s)
    d = open(path, "rb").read()
    off, n = 24, 0
    while off + 16 <= len(d):
        incl = struct.unpack("<I", d[off + 8:off + 12])[0]
        pkt = d[off + 16:off + 16 + incl]
        off += 16 + incl
        if pkt[12:14] != b"\x08\x00" or pkt[23] != 17:
            continue
        ihl = (pkt[14] & 15) * 4
        for s in socks:
            s.sendto(pkt[14 + ihl + 8:], (host, port))
            n += 1
    print(n)


if __name__ == "__main__":
    main()
