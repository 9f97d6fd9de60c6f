#!/usr/bin/env python3
"""Write hostile variants of classic pcap files: every packet cut at several
snap lengths, and copies with bytes flipped by a seeded generator (the same
seed gives the same files). Usage: mutate.py OUTDIR SEED PCAP..."""
import os
import random
import struct
import sys

SNAPLENS = (1, 14, 18, 34, 38, 42, 50, 54, 62, 70, 78, 96, 128)
FLIPS_PER_FILE = 8
# --light: fewer variants, for large sets of captures (the corpus)
LIGHT_SNAPLENS = (14, 34, 54, 96)
LIGHT_FLIPS = 2


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return None, []
    hdr, pkts, off = data[:24], [], 24
    while off + 16 <= len(data):
        ts1, ts2, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        pkts.append((ts1, ts2, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return hdr, pkts


def write(path, hdr, pkts):
    with open(path, "wb") as f:
        f.write(hdr)
        for ts1, ts2, orig, body in pkts:
            f.write(struct.pack("<IIII", ts1, ts2, len(body), max(orig, len(body))))
            f.write(body)


def main():
    global SNAPLENS, FLIPS_PER_FILE
    args = sys.argv[1:]
    if args and args[0] == "--light":
        SNAPLENS, FLIPS_PER_FILE = LIGHT_SNAPLENS, LIGHT_FLIPS
        args = args[1:]
    sys.argv = [sys.argv[0]] + args
    out, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in sys.argv[3:]:
        try:
            hdr, pkts = read(path)
        except (OSError, struct.error):
            continue
        if hdr is None:
            continue
        base = path.replace("/", "_")[-80:]
        for snap in SNAPLENS:
            write(os.path.join(out, f"{base}.snap{snap}.pcap"), hdr,
                  [(a, b, o, body[:snap]) for a, b, o, body in pkts])
            n += 1
        for k in range(FLIPS_PER_FILE):
            mutated = []
            for a, b, o, body in pkts:
                body = bytearray(body)
                for _ in range(rng.randint(1, 4)):
                    if body:
                        body[rng.randrange(len(body))] = rng.randrange(256)
                mutated.append((a, b, o, bytes(body)))
            write(os.path.join(out, f"{base}.flip{k}.pcap"), hdr, mutated)
            n += 1
    print(f"{n} hostile captures in {out}")


if __name__ == "__main__":
    main()
