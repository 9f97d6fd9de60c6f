#!/usr/bin/env python3
"""Seeds for tests/fuzz/fuzz_quic.c, written by the project: records of
flags (1), length (2), body. Build records (flags bit 7) carry frames that
the harness encrypts into Initials; raw records carry UDP payloads.
The ClientHello names example.com.
Usage: quic_seeds.py OUTDIR"""
import os
import struct
import sys


def u16(v):
    return struct.pack(">H", v)


def ext(t, body):
    return u16(t) + u16(len(body)) + body


def handshake(t, body):
    return bytes([t]) + struct.pack(">I", len(body))[1:] + body


# A small TLS 1.3 ClientHello (RFC 8446 s4.1.2) as a QUIC client sends it:
# SNI, ALPN h3, supported_versions, quic_transport_parameters.
NAME = b"example.com"
CH_EXTS = b"".join([
    ext(0, u16(len(NAME) + 3) + b"\x00" + u16(len(NAME)) + NAME),
    ext(16, u16(3) + b"\x02h3"),
    ext(43, b"\x02\x03\x04"),
    ext(57, b"\x01\x04\x80\x00\x75\x30"),
])
CH = handshake(1, b"\x03\x03" + bytes(range(32)) + b"\x00" + u16(4) + b"\x13\x01\x13\x02"
               + b"\x01\x00" + u16(len(CH_EXTS)) + CH_EXTS)
# The ServerHello (s4.1.3): TLS_AES_128_GCM_SHA256, supported_versions.
SH_EXTS = ext(43, b"\x03\x04")
SH = handshake(2, b"\x03\x03" + bytes(32) + b"\x00\x13\x01\x00" + u16(len(SH_EXTS)) + SH_EXTS)


def rec(flags, body):
    return struct.pack(">BH", flags, len(body)) + body


def crypto(off, data):
    return b"\x06" + struct.pack(">I", 0x80000000 | off) + struct.pack(">H", 0x4000 | len(data)) + data


def build(dir_, data, pn_len=4, ver=0):
    return rec(0x80 | dir_ | ((pn_len - 1) << 1) | (ver << 3), data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    vn = bytes([0xc5, 0, 0, 0, 0, 4, 1, 2, 3, 4, 4, 5, 6, 7, 8]) + bytes.fromhex("000000016b3343cf1a2a3a4a")
    retry = bytes([0xf0, 0, 0, 0, 1, 8]) + b"\x5c" * 8 + b"\x00" + b"token" + b"\x00" * 16
    hs = bytes([0xe0, 0, 0, 0, 1, 0, 0, 0x05, 1, 2, 3, 4, 5])
    ack = b"\x02\x00\x00\x00\x00"
    close = b"\x1c\x0a\x06\x03bye"
    seeds = {
        "whole-v1": build(0, crypto(0, CH)) + build(1, ack + crypto(0, SH)) + rec(1, b"\x40" + b"\x00" * 30),
        "whole-v2": build(0, crypto(0, CH), ver=1) + build(1, crypto(0, SH), ver=1),
        "split-ooo": build(0, crypto(60, CH[60:]), 2) + build(0, crypto(0, CH[:30]), 1)
        + build(0, b"\x01" + crypto(20, CH[20:70]), 3),
        "draft29": build(0, crypto(0, CH), 1, ver=2),
        "draft23": build(0, crypto(0, CH), 1, ver=3),
        "close": build(0, ack + close),
        "vn-retry": rec(1, vn) + rec(1, retry) + build(0, crypto(0, CH)),
        "coalesced": rec(0, hs + hs) + rec(1, hs + b"\x41\x00"),
        "oversize": build(0, crypto(0, b"\x01\x01\x00\x00" + CH[4:])),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
