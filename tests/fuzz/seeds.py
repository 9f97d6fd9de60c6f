#!/usr/bin/env python3
"""Split the project's classic pcap files into libFuzzer seeds for
fuzz_decode: one file per packet, first byte = index of the link type in the
harness's table. Usage: seeds.py OUTDIR PCAP..."""
import os
import struct
import sys

DLT_INDEX = {1: 0, 12: 1, 113: 2, 276: 3, 228: 4, 229: 5, 0: 6, 101: 7}


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return  # pcapng: left to the corpus
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        yield linktype, data[off:off + incl]
        off += incl


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in sys.argv[2:]:
        for lt, pkt in packets(path):
            if lt not in DLT_INDEX:
                continue
            name = os.path.join(out, "%s-%d" % (os.path.basename(path), n))
            with open(name, "wb") as f:
                f.write(bytes([DLT_INDEX[lt]]) + pkt)
            n += 1
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()
