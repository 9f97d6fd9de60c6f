#!/usr/bin/env python3
"""Write flood captures (classic pcap, Ethernet) with a seeded generator:
  syn N        N TCP SYNs from random sources: N distinct flows
  frag N       N first fragments (1000 bytes) of distinct datagrams from random sources
  ra N         N ICMPv6 router advertisements from random link-local sources
  dnsflood N   N DNS queries for random subdomains from one client
Usage: floodgen.py KIND N OUT.pcap [SEED]"""
import random
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


ETH4 = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"
ETH6 = b"\x33\x33\0\0\0\x01\x02\0\0\0\0\x02\x86\xdd"


def main():
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    dst = bytes([10, 0, 0, 1])
    ts = 1700000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            if kind == "syn":
                src = bytes([rng.randrange(1, 224), rng.randrange(256), rng.randrange(256),
                             rng.randrange(1, 255)])
                tcp = struct.pack("!HHIIBBHHH", rng.randrange(1024, 65535), 80, rng.getrandbits(32),
                                  0, 0x50, 0x02, 64240, 0, 0)
                frame = ETH4 + ipv4(src, dst, 6, tcp)
            elif kind == "frag":
                src = bytes([rng.randrange(1, 224), rng.randrange(256), rng.randrange(256),
                             rng.randrange(1, 255)])
                frame = ETH4 + ipv4(src, dst, 17, bytes(1000), rng.getrandbits(16), 0x2000)
            elif kind == "ra":
                src = b"\xfe\x80" + bytes(6) + bytes(rng.getrandbits(8) for _ in range(8))
                ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
                pio = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + \
                    b"\x20\x01\x0d\xb8" + bytes(rng.getrandbits(8) for _ in range(4)) + bytes(8)
                body = ra + pio
                ip6 = struct.pack("!IHBB", 0x60000000, len(body), 58, 255) + src + \
                    b"\xff\x02" + bytes(13) + b"\x01"
                frame = ETH6 + ip6 + body
            elif kind == "dnsflood":
                label = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))
                qname = b"".join(bytes([len(x)]) + x.encode() for x in (label, "example", "com")) + b"\0"
                dns = struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + qname + b"\0\x01\0\x01"
                udp = struct.pack("!HHHH", 10000 + i % 50000, 53, 8 + len(dns), 0) + dns
                frame = ETH4 + ipv4(bytes([10, 0, 0, 9]), dst, 17, udp)
            else:
                sys.exit("unknown kind " + kind)
            f.write(struct.pack("<IIII", ts + i // 10000, (i % 10000) * 100, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
