#!/usr/bin/python3
# Writes the seeds of fuzz_dns_tunnel (tests/fuzz/seeds/fuzz_dns_tunnel/):
# records of flags, qtype index, length, name bytes (see fuzz_dns_tunnel.c).
import os, random, sys

d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "seeds", "fuzz_dns_tunnel")
os.makedirs(d, exist_ok=True)


def rec(flags, qt, name):
    b = name if isinstance(name, bytes) else name.encode("latin1")
    return bytes([flags, qt, len(b)]) + b


random.seed(6)
alphabet = "abcdefghijklmnopqrstuvwxyz012345"
iodine = b"".join(rec(0, 5 | (1 << 3), "".join(random.choice(alphabet) for _ in range(50)) + ".t.tunnel-lab.net")
                  for _ in range(8))
benign = (rec(0, 0, "www.example.com") + rec(4 | (3 << 3), 0, "nx.example.com") + rec(0, 7, "1.2.0.192.in-addr.arpa")
          + rec(1, 2, "_dmarc.example.co.uk") + rec(2, 0, "a.b.foo.ck") + rec(3, 0, "x.www.ck"))
query = (bytes([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3]) + b"www" + bytes([7]) + b"example" + bytes([3]) + b"com"
         + bytes([0, 0, 1, 0, 1]))
for name, data in (("iodine-null", iodine), ("benign", benign), ("wire-query", rec(0, 0, query))):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
