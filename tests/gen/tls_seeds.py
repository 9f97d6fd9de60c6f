#!/usr/bin/python3
# tls_seeds.py - fuzz seeds for tests/fuzz/fuzz_tls.c from the project's own
# TLS captures (tests/pcaps/tls/*.pcap): each TCP payload becomes a segment
# (direction byte, 16-bit length, bytes), cut at 1400 bytes. Needs python3-scapy.
# usage: /usr/bin/python3 tests/gen/tls_seeds.py [OUTDIR]   (default tests/fuzz/seeds/fuzz_tls)
import glob
import os
import sys

from scapy.all import TCP, rdpcap

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/seeds/fuzz_tls"
os.makedirs(out, exist_ok=True)
for path in sorted(glob.glob("tests/pcaps/tls/*.pcap")):
    seed = bytearray()
    server = None
    for pkt in rdpcap(path):
        if TCP not in pkt:
            continue
        if server is None and pkt[TCP].flags & 0x12 == 0x02:
            server = pkt[TCP].dport
        data = bytes(pkt[TCP].payload)
        for i in range(0, len(data), 1400):
            part = data[i:i + 1400]
            seed += bytes([1 if pkt[TCP].sport == server else 0, len(part) >> 8, len(part) & 255])
            seed += part
    name = os.path.join(out, os.path.basename(path)[:-5] + ".bin")
    with open(name, "wb") as f:
        f.write(seed)
    print(name, len(seed))
    if os.path.basename(path) == "tls13.pcap":
        # the first client segment without its 5-byte record header: a bare
        # ClientHello for the ps_tls_client_hello() path
        n = (seed[1] << 8) | seed[2]
        with open(os.path.join(out, "client-hello.bin"), "wb") as f:
            f.write(bytes(seed[3 + 5:3 + n]))
