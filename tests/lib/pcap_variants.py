#!/usr/bin/env python3
"""Rewrite a little-endian microsecond classic pcap in the other layouts the
reader must accept, and damage it the ways files get damaged.
Usage: pcap_variants.py IN OUTDIR -> OUTDIR/{be,nsec,be-nsec,cut-header,
cut-body,bad-caplen}.pcap"""
import os
import struct
import sys


def records(data):
    off = 24
    while off + 16 <= len(data):
        s, u, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        yield s, u, orig, data[off + 16:off + 16 + incl]
        off += 16 + incl


def write(path, data, endian, nsec):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    v1, v2, zone, sig, snap, lt = struct.unpack("<HHiIII", data[4:24])
    out = [struct.pack(endian + "IHHiIII", magic, v1, v2, zone, sig, snap, lt)]
    for s, u, orig, body in records(data):
        out.append(struct.pack(endian + "IIII", s, u * 1000 if nsec else u, len(body), orig))
        out.append(body)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "be.pcap"), data, ">", False)
    write(os.path.join(out, "nsec.pcap"), data, "<", True)
    write(os.path.join(out, "be-nsec.pcap"), data, ">", True)
    with open(os.path.join(out, "cut-header.pcap"), "wb") as f:
        f.write(data[:24 + 10])  # 10 bytes of the first record header
    recs = list(records(data))
    first = 24 + 16 + len(recs[0][3])
    with open(os.path.join(out, "cut-body.pcap"), "wb") as f:
        f.write(data[:first + 16 + 5])  # second record: header and 5 bytes
    bad = bytearray(data)
    struct.pack_into("<I", bad, first + 8, 0x7FFFFFFF)  # second record caplen
    with open(os.path.join(out, "bad-caplen.pcap"), "wb") as f:
        f.write(bytes(bad))


if __name__ == "__main__":
    main()
