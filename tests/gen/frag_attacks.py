#!/usr/bin/python3
# Debian packages needed: python3-scapy
#   (run with /usr/bin/python3: the Debian interpreter that sees python3-scapy)
#
# frag_attacks.py - crafted captures for periscope's packet-level attack
# detectors: IPv4/IPv6 fragmentation attacks, IPv4 options, IPv6 extension
# header abuse, RA flood and ND spoofing.  Deterministically.
#
#   /usr/bin/python3 tests/gen/frag_attacks.py [OUTDIR]   (default: tests/pcaps/attacks)
#   /usr/bin/python3 tests/gen/frag_attacks.py --list     print one line per file
#
# Every scenario is written once as plain Ethernet frames (NAME.pcap) and a few
# once more as the VXLAN mirror of the same frames (vxlan-NAME.pcap: outer
# Ethernet / IPv4 172.31.0.10 -> 172.31.0.20 / UDP 4789 (checksum 0) / VXLAN VNI
# 4242 / the same inner frame), like netns-capture.sh's real-vxlan.pcap.
#
# Everything is fixed: addresses, MACs, IP ids, fragment ids, payloads, the
# "random" values (random.Random with a fixed seed) and the timestamps (every
# file starts at 1700000000.000000, records 1 ms apart; v6-ra-flood 10 ms apart
# so that its 200 RAs span 1.99 s).  Running it twice gives byte-identical files.
#
# Fragments, IPv4 headers with options and IPv6 extension headers are built by
# hand with struct (so that overlaps, bad lengths and odd chains are exactly the
# bytes documented next to each builder); scapy only builds the upper-layer
# headers (ICMP, TCP, UDP, ICMPv6/ND) with their checksums, and the Ethernet
# header.  The pcap file format is written by hand (classic pcap, LE, us, v2.4).
#
# See tests/pcaps/attacks/README.md for what each file holds and which
# detector should fire.

import os
import random
import struct
import sys
import zlib

DEB_PACKAGES = ["python3-scapy"]

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest,  # noqa: E402
                       ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
                       IPv6, Raw, raw)

T0_US = 1700000000 * 1000000      # first timestamp of every file, microseconds
STEP_US = 1000                    # 1 ms between consecutive records (default)
LINKTYPE_ETHERNET = 1

OUT = "tests/pcaps/attacks"
FILES = []

# VXLAN mirror, as in netns-capture.sh / craft.py
VX_SRC, VX_DST, VX_VNI, VX_PORT = "172.31.0.10", "172.31.0.20", 4242, 4789
VX_SMAC, VX_DMAC = "02:00:00:1f:00:0a", "02:00:00:1f:00:14"

# IP protocol / next-header numbers
P_ICMP, P_TCP, P_UDP = 1, 6, 17
NH_HBH, NH_ROUTING, NH_FRAG, NH_NONE, NH_DSTOPT, NH_ICMP6 = 0, 43, 44, 59, 60, 58


# --------------------------------------------------------------------------
# pcap writer (by hand) and VXLAN wrapping
# --------------------------------------------------------------------------

class CaptureFile:
    def __init__(self, name, step_us=STEP_US, vxlan=False, note=""):
        self.name = name
        self.step = step_us
        self.vxlan = vxlan        # also write vxlan-NAME with every frame mirrored
        self.note = note
        self.frames = []          # (ts_us, frame bytes)
        self.t = T0_US

    def add(self, frame):
        self.frames.append((self.t, bytes(frame)))
        self.t += self.step

    @staticmethod
    def _write(path, frames):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
            for ts, data in frames:
                sec, usec = divmod(ts, 1000000)
                f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
                f.write(data)

    def close(self, outdir):
        paths = [os.path.join(outdir, self.name)]
        self._write(paths[0], self.frames)
        if self.vxlan:
            paths.append(os.path.join(outdir, "vxlan-" + self.name))
            self._write(paths[1], [(ts, vxlan_wrap(fr, i)) for i, (ts, fr) in enumerate(self.frames)])
        return paths


def new(name, **kw):
    f = CaptureFile(name, **kw)
    FILES.append(f)
    return f


def vxlan_wrap(inner, n):
    """Outer Ethernet/IPv4/UDP 4789/VXLAN(VNI 4242) around one inner frame.
    Outer IP id = record number + 1, TTL 64, no DF (Linux vxlan default),
    UDP checksum 0, UDP source port = crc32 of the inner L3 address pair (a
    per-flow hash; fragments carry no ports, so only addresses are used)."""
    etype = struct.unpack("!H", inner[12:14])[0]
    if etype == 0x0800:
        key = inner[14 + 12:14 + 20]
    elif etype == 0x86DD:
        key = inner[14 + 8:14 + 40]
    else:
        key = b""
    sport = 49152 + zlib.crc32(key) % 16384
    vx = struct.pack("!II", 0x08 << 24, VX_VNI << 8)
    udp = struct.pack("!HHHH", sport, VX_PORT, 8 + len(vx) + len(inner), 0) + vx + inner
    ip = ip4_header(VX_SRC, VX_DST, P_UDP, len(udp), ident=(n + 1) & 0xFFFF)
    return eth(VX_SMAC, VX_DMAC, 0x0800) + ip + udp


# --------------------------------------------------------------------------
# hand-built headers
# --------------------------------------------------------------------------

def mac(n):
    """Locally administered unicast MAC 02:00:00:00:XX:YY from a 16-bit number."""
    return "02:00:00:00:%02x:%02x" % ((n >> 8) & 0xFF, n & 0xFF)


def macb(m):
    return bytes(int(x, 16) for x in m.split(":"))


def eth(src, dst, etype):
    return macb(dst) + macb(src) + struct.pack("!H", etype)


def a4(s):
    return bytes(map(int, s.split(".")))


def csum16(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4_header(src, dst, proto, payload_len, ident, offset=0, mf=False, df=False,
               options=b"", ttl=64, total_len=None):
    """IPv4 header (RFC 791) with correct checksum.
    offset: fragment offset in BYTES (must be a multiple of 8);
    options: raw option bytes, padded with EOL (0x00) to a multiple of 4;
    total_len: override the Total Length field (default header + payload_len)."""
    assert offset % 8 == 0
    opts = options + b"\x00" * (-len(options) % 4)
    ihl = 5 + len(opts) // 4
    tl = ihl * 4 + payload_len if total_len is None else total_len
    fl = (offset // 8) | (0x2000 if mf else 0) | (0x4000 if df else 0)

    def h(c):
        return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, ident, fl, ttl, proto, c,
                           a4(src), a4(dst)) + opts
    return h(csum16(h(0)))


def frag4(src, dst, proto, ident, offset, mf, data, options=b"", ttl=64):
    """One IPv4 fragment: header + data (data = bytes offset..offset+len of the datagram)."""
    return ip4_header(src, dst, proto, len(data), ident, offset, mf, options=options, ttl=ttl) + data


def l4_of(pkt):
    """Upper-layer bytes (with checksum) of a scapy IP()/... or IPv6()/... packet."""
    b = raw(pkt)
    return b[20:] if (b[0] >> 4) == 4 else b[40:]


def a6(s):
    return raw(IPv6(src="::", dst=s))[24:40]


def ip6_header(src, dst, nh, payload_len, hlim=64, flow=0):
    """IPv6 header (RFC 8200 3): version 6, traffic class 0, flow label, payload
    length, next header, hop limit, addresses."""
    return struct.pack("!IHBB", (6 << 28) | flow, payload_len, nh, hlim) + a6(src) + a6(dst)


def frag6_hdr(nh, offset, mf, ident):
    """IPv6 Fragment header (RFC 8200 4.5): nh(8) res(8)=0 offset(13)|res(2)|M(1) id(32).
    offset in BYTES (multiple of 8)."""
    assert offset % 8 == 0
    return struct.pack("!BBHI", nh, 0, offset | (1 if mf else 0), ident)


def opts_hdr(nh, options):
    """Hop-by-Hop / Destination Options header (RFC 8200 4.3/4.6): nh(8) hdrlen(8)
    (in 8-byte units, not counting the first 8) + TLV options.  The caller's
    options must make 2 + len(options) a multiple of 8."""
    assert (2 + len(options)) % 8 == 0, len(options)
    return struct.pack("!BB", nh, (2 + len(options)) // 8 - 1) + options


def padn(n, fill=b"\x00"):
    """Pad1 (n=1) or PadN option occupying n bytes in total."""
    if n == 0:
        return b""
    if n == 1:
        return b"\x00"
    return bytes([1, n - 2]) + (fill * (n - 2))[:n - 2]


def routing0(nh, addrs, segleft):
    """Routing header type 0 (RFC 2460, deprecated by RFC 5095):
    nh(8) hdrlen(8)=2*n type(8)=0 segleft(8) reserved(32) addresses."""
    body = b"".join(a6(a) for a in addrs)
    return struct.pack("!BBBBI", nh, 2 * len(addrs), 0, segleft, 0) + body


def v6_frame(smac, dmac, src, dst, nh, payload, hlim=64):
    return eth(smac, dmac, 0x86DD) + ip6_header(src, dst, nh, len(payload), hlim) + payload


def v4_frame(smac, dmac, ipbytes):
    return eth(smac, dmac, 0x0800) + ipbytes


def chunks(data, offs):
    """[(offset, bytes)] pieces of data cut at the given byte offsets."""
    cuts = list(offs) + [len(data)]
    return [(cuts[i], data[cuts[i]:cuts[i + 1]]) for i in range(len(cuts) - 1)]


# --------------------------------------------------------------------------
# IPv4 fragmentation
# --------------------------------------------------------------------------

def icmp_echo(ident, seq, data):
    return raw(ICMP(type=8, code=0, id=ident, seq=seq) / Raw(data))


def overlap(name, conflict):
    """ICMP echo, 48 bytes of ICMP (8 header + 40 data), in 2 fragments:
       F1 offset 0,  bytes 0..31  (MF=1)  data 'X'*24 after the ICMP header
       F2 offset 24, bytes 24..47 (MF=0)  -> bytes 24..31 are covered twice.
    conflict: F2 carries 'Y'*8 there (F1 has 'X'*8), else the same 'X'*8.
    The ICMP checksum is that of F1's version ('first' policy)."""
    w = new(name, vxlan=conflict)
    A, B, EA, EB = "10.66.1.1", "10.66.1.2", mac(0x6601), mac(0x6602)
    if not conflict:
        A, B = "10.66.2.1", "10.66.2.2"
    data = b"X" * 24 + b"Z" * 16
    dg = icmp_echo(0x6601, 1, data)                       # 48 bytes
    f1 = dg[:32]
    f2 = (b"Y" * 8 if conflict else dg[24:32]) + dg[32:]
    w.add(v4_frame(EA, EB, frag4(A, B, P_ICMP, 0x1001, 0, True, f1)))
    w.add(v4_frame(EA, EB, frag4(A, B, P_ICMP, 0x1001, 24, False, f2)))


def dup_fragment():
    """ICMP echo of 1000 bytes of ICMP in 2 fragments (0..503 MF, 504..999),
    the first fragment sent twice, byte-identical (a retransmission / mirror
    duplicate, NOT an overlap)."""
    w = new("v4-dup-fragment.pcap")
    A, B, EA, EB = "10.66.3.1", "10.66.3.2", mac(0x6603), mac(0x6604)
    dg = icmp_echo(0x6603, 1, bytes((i * 13) & 0xFF for i in range(992)))
    f1 = frag4(A, B, P_ICMP, 0x1003, 0, True, dg[:504])
    f2 = frag4(A, B, P_ICMP, 0x1003, 504, False, dg[504:])
    for ip in (f1, f1, f2):
        w.add(v4_frame(EA, EB, ip))


def teardrop():
    """Classic teardrop.c shape: UDP, IP id 0x0242 (teardrop's),
       F1 offset 0, MF=1, 36 bytes: UDP header (len 36) + 28 zero bytes
       F2 offset 24 (fragoff 3), MF=0, 4 zero bytes
    F2 lies entirely inside F1 and claims to be the last fragment, so the
    datagram 'ends' (28) before data already received (36): old stacks computed
    a negative length.  The overlapping bytes are identical (zeros)."""
    w = new("v4-teardrop.pcap", vxlan=True)
    A, B, EA, EB = "10.66.4.1", "10.66.4.2", mac(0x6605), mac(0x6606)
    udp = struct.pack("!HHHH", 53, 53, 36, 0) + b"\x00" * 28
    w.add(v4_frame(EA, EB, frag4(A, B, P_UDP, 0x0242, 0, True, udp)))
    w.add(v4_frame(EA, EB, frag4(A, B, P_UDP, 0x0242, 24, False, b"\x00" * 4)))


def ping_of_death():
    """ICMP echo whose fragments reassemble past 65535: 45 fragments of 1480
    bytes (offsets 0, 1480, ..., 65120), the last (MF=0) ends at byte 66600 of
    the IP payload, i.e. offset*8 + len = 66600 > 65535 (total 66620 with header).
    The ICMP header says echo request; the checksum covers all 66600 bytes."""
    w = new("v4-pod.pcap", vxlan=True)
    A, B, EA, EB = "10.66.5.1", "10.66.5.2", mac(0x6607), mac(0x6608)
    data = bytes((i % 251) for i in range(66600 - 8))
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0x6605, 1)
    c = csum16(hdr + data)
    dg = struct.pack("!BBHHH", 8, 0, c, 0x6605, 1) + data
    for off in range(0, len(dg), 1480):
        piece = dg[off:off + 1480]
        w.add(v4_frame(EA, EB, frag4(A, B, P_ICMP, 0x1005, off, off + 1480 < len(dg), piece)))


def tcp_syn(src, dst, sport, dport, seq=1000, flags="S", ack=0, payload=b""):
    p = IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags,
                                   window=64240, options=[("MSS", 1460)] if flags == "S" and not payload else [])
    if payload:
        p = p / Raw(payload)
    return l4_of(p)


def tiny_first():
    """TCP SYN (24-byte TCP header: 20 + MSS option) to port 80, split like
    `nmap -f`: F1 offset 0 carries only 8 bytes of TCP header (ports + seq),
    MF=1; F2 offset 8 carries the other 16 (ack, data offset, FLAGS, window,
    checksum, urgent, MSS), MF=0.  A filter looking at F1 cannot see the flags."""
    w = new("v4-tiny-first.pcap", vxlan=True)
    A, B, EA, EB = "10.66.6.1", "10.66.6.2", mac(0x6609), mac(0x660a)
    seg = tcp_syn(A, B, 40066, 80)
    assert len(seg) == 24
    w.add(v4_frame(EA, EB, frag4(A, B, P_TCP, 0x1006, 0, True, seg[:8])))
    w.add(v4_frame(EA, EB, frag4(A, B, P_TCP, 0x1006, 8, False, seg[8:])))


def tcp_offset1():
    """RFC 1858 3.2 overlapping-fragment attack, 36-byte TCP segment (20-byte
    header + 16 bytes 'OVERLAP-ATTACK!!') to port 22:
       F1 offset 0, 24 bytes, MF=1: header with flags ACK (ack=1) - passes a
          filter that only admits established traffic
       F2 offset 8 (fragment offset 1), 28 bytes, MF=0: bytes 8..35 with ack=0
          and flags SYN: a stack that favours new data turns it into a SYN.
    Bytes 8..19 differ (ack number, flags, checksum).  Each version's TCP
    checksum is right for its own reading (F1: the ACK segment, F2: the SYN)."""
    w = new("v4-tcp-offset1.pcap", vxlan=True)
    A, B, EA, EB = "10.66.7.1", "10.66.7.2", mac(0x660b), mac(0x660c)
    pl = b"OVERLAP-ATTACK!!"
    ackv = tcp_syn(A, B, 40067, 22, seq=1000, flags="A", ack=1, payload=pl)
    synv = tcp_syn(A, B, 40067, 22, seq=1000, flags="S", ack=0, payload=pl)
    assert len(ackv) == len(synv) == 36 and ackv[:8] == synv[:8]
    w.add(v4_frame(EA, EB, frag4(A, B, P_TCP, 0x1007, 0, True, ackv[:24])))
    w.add(v4_frame(EA, EB, frag4(A, B, P_TCP, 0x1007, 8, False, synv[8:])))


def frag_flood():
    """300 incomplete datagrams from 10.66.8.1 to 10.66.8.2: only the first
    fragment (offset 0, MF=1) of UDP datagrams that claim 1008 bytes (UDP
    length 1008), IP ids 0x2000..0x212b, 128 bytes each, 1 ms apart (0.3 s)."""
    w = new("v4-frag-flood.pcap")
    A, B, EA, EB = "10.66.8.1", "10.66.8.2", mac(0x660d), mac(0x660e)
    for i in range(300):
        udp = struct.pack("!HHHH", 50000 + i, 9999, 1008, 0) + bytes([i & 0xFF]) * 120
        w.add(v4_frame(EA, EB, frag4(A, B, P_UDP, 0x2000 + i, 0, True, udp)))


# Novak/Sturges target-based reassembly vector (detection.md 4.4): (letter, length, byte offset)
NOVAK = [("A", 24, 0), ("B", 16, 32), ("C", 24, 48), ("D", 8, 80), ("E", 16, 104),
         ("F", 24, 120), ("G", 16, 144), ("H", 16, 160), ("I", 8, 176),
         ("J", 32, 8), ("K", 24, 48), ("L", 24, 72), ("M", 24, 96), ("N", 8, 128),
         ("O", 8, 152), ("P", 8, 160), ("Q", 16, 176)]


def novak_v4():
    """17 fragments of one ICMP (protocol 1) datagram, in the order listed in
    NOVAK; each fragment's payload is its letter repeated (so the reassembled
    192 bytes, including what would be the ICMP header, are letters: type 0x41).
    Only Q has MF=0.  Expected results per policy: detection.md 4.4."""
    w = new("v4-novak.pcap", vxlan=True)
    A, B, EA, EB = "10.66.9.1", "10.66.9.2", mac(0x660f), mac(0x6610)
    for i, (ch, ln, off) in enumerate(NOVAK):
        last = i == len(NOVAK) - 1
        w.add(v4_frame(EA, EB, frag4(A, B, P_ICMP, 0x1009, off, not last, ch.encode() * ln)))


def novak_v6():
    """Same 17 fragments over IPv6: IPv6 / Fragment(nh 58, id 0x6609, offsets
    and M as in the IPv4 vector) / letters."""
    w = new("v6-novak.pcap", vxlan=True)
    A, B, EA, EB = "2001:db8:66:9::1", "2001:db8:66:9::2", mac(0x6611), mac(0x6612)
    for i, (ch, ln, off) in enumerate(NOVAK):
        last = i == len(NOVAK) - 1
        w.add(v6_frame(EA, EB, A, B, NH_FRAG, frag6_hdr(NH_ICMP6, off, not last, 0x6609) + ch.encode() * ln))


def options_change():
    """UDP datagram (8 + 40 bytes) in 2 fragments whose IPv4 options differ:
       F1 offset 0  (MF=1, 24 bytes): Record Route (7, len 11, ptr 4, 2 slots) + EOL
       F2 offset 24 (MF=0, 24 bytes): Timestamp (0x44, len 12, ptr 5, flag 0, 2 slots)
    (RFC 791: neither RR nor TS is copied into later fragments, so a later
    fragment carrying any option - and a different one - is inconsistent.)"""
    w = new("v4-options-change.pcap")
    A, B, EA, EB = "10.66.10.1", "10.66.10.2", mac(0x6613), mac(0x6614)
    dg = l4_of(IP(src=A, dst=B) / UDP(sport=40010, dport=7000) / Raw(b"options-change-test-" * 2))
    assert len(dg) == 48
    rr = bytes([7, 11, 4]) + b"\x00" * 8
    ts = bytes([0x44, 12, 5, 0x00]) + b"\x00" * 8
    w.add(v4_frame(EA, EB, frag4(A, B, P_UDP, 0x100a, 0, True, dg[:24], options=rr)))
    w.add(v4_frame(EA, EB, frag4(A, B, P_UDP, 0x100a, 24, False, dg[24:], options=ts)))


def benign_v4():
    """Two ordinary 4000-byte UDP datagrams (4008 bytes of UDP), fragmented as a
    1500-MTU host does: 1480 + 1480 + 1048 bytes.  Datagram 1 (id 0x3001) in
    order; datagram 2 (id 0x3002, other source port) delivered out of order:
    last, first, middle (as NLB/GWLB targets may see them).  Plus the 64-byte UDP
    reply to each (unfragmented)."""
    w = new("v4-benign-frag.pcap", vxlan=True)
    A, B, EA, EB = "10.66.11.1", "10.66.11.2", mac(0x6615), mac(0x6616)
    for ident, sport, order in ((0x3001, 40011, (0, 1, 2)), (0x3002, 40012, (2, 0, 1))):
        dg = l4_of(IP(src=A, dst=B) / UDP(sport=sport, dport=7001) /
                   Raw(bytes(((i * 7) + ident) & 0xFF for i in range(4000))))
        pieces = chunks(dg, (0, 1480, 2960))
        for k in order:
            off, data = pieces[k]
            w.add(v4_frame(EA, EB, frag4(A, B, P_UDP, ident, off, k < 2, data)))
        rep = l4_of(IP(src=B, dst=A) / UDP(sport=7001, dport=sport) / Raw(b"r" * 56))
        w.add(v4_frame(EB, EA, ip4_header(B, A, P_UDP, len(rep), ident + 0x100) + rep))


def benign_v6():
    """Same for IPv6: 4000-byte UDP payload (4008 bytes of UDP) fragmented for a
    1500-byte MTU: 1448 + 1448 + 1112 bytes after the Fragment header.
    Datagram 1 (id 0x3001) in order; datagram 2 (id 0x3002) last, first, middle.
    Plus an unfragmented 64-byte reply each."""
    w = new("v6-benign-frag.pcap", vxlan=True)
    A, B, EA, EB = "2001:db8:66:11::1", "2001:db8:66:11::2", mac(0x6617), mac(0x6618)
    for ident, sport, order in ((0x3001, 40011, (0, 1, 2)), (0x3002, 40012, (2, 0, 1))):
        dg = l4_of(IPv6(src=A, dst=B) / UDP(sport=sport, dport=7001) /
                   Raw(bytes(((i * 7) + ident) & 0xFF for i in range(4000))))
        pieces = chunks(dg, (0, 1448, 2896))
        for k in order:
            off, data = pieces[k]
            w.add(v6_frame(EA, EB, A, B, NH_FRAG, frag6_hdr(P_UDP, off, k < 2, ident) + data))
        rep = l4_of(IPv6(src=B, dst=A) / UDP(sport=7001, dport=sport) / Raw(b"r" * 56))
        w.add(v6_frame(EB, EA, B, A, P_UDP, rep))


# --------------------------------------------------------------------------
# IPv4 options (one packet each: an ICMP echo request, 56 bytes of data)
# --------------------------------------------------------------------------

def opt_file(name, sub, options, note, vxlan=False, dst=None):
    w = new(name, vxlan=vxlan, note=note)
    A, B = "10.66.%d.1" % sub, dst or "10.66.%d.2" % sub
    EA, EB = mac(0x6600 | (2 * sub)), mac(0x6600 | (2 * sub + 1))
    icmp = icmp_echo(0x6600 + sub, 1, bytes(range(0x10, 0x48)))
    w.add(v4_frame(EA, EB, ip4_header(A, B, P_ICMP, len(icmp), 0x4000 + sub, options=options) + icmp))


def ipv4_options():
    # Loose Source Route (131): NOP, then type 131 len 11 ptr 4, route list
    # 10.66.21.254, 10.66.22.2 (next hop after the header's destination, then the
    # final destination).  Header destination = first hop 10.66.20.254.
    lsrr = b"\x01" + bytes([131, 11, 4]) + a4("10.66.21.254") + a4("10.66.22.2")
    opt_file("v4-lsrr.pcap", 20, lsrr, "LSRR", vxlan=True, dst="10.66.20.254")
    # Strict Source Route (137), same layout.
    ssrr = b"\x01" + bytes([137, 11, 4]) + a4("10.66.24.254") + a4("10.66.25.2")
    opt_file("v4-ssrr.pcap", 23, ssrr, "SSRR", dst="10.66.23.254")
    # Record Route (7): len 39, ptr 4, 9 empty slots (what `ping -R` sends)
    rr = bytes([7, 39, 4]) + b"\x00" * 36
    opt_file("v4-rr.pcap", 26, rr, "RR")
    # Timestamp (68): len 36, ptr 5, overflow 0 / flag 0 (timestamps only), 8 empty slots
    ts = bytes([0x44, 36, 5, 0x00]) + b"\x00" * 32
    opt_file("v4-ts.pcap", 27, ts, "TS")
    # Unknown option 0x99 (copied=1, class 0, number 25; not assigned): len 4, 2 data bytes
    unk = bytes([0x99, 4, 0xAB, 0xCD])
    opt_file("v4-unknown-opt.pcap", 28, unk, "unknown 0x99")
    # Malformed: an 8-byte options area (IHL 7) holding RR with length 39, which
    # runs 31 bytes past the end of the header (into the ICMP header).
    bad = bytes([7, 39, 4]) + b"\x00" * 5
    opt_file("v4-malformed-opt.pcap", 29, bad, "RR len 39 in 8-byte area")


# --------------------------------------------------------------------------
# IPv6 extension headers
# --------------------------------------------------------------------------

def echo6(src, dst, ident, data=b"periscope-v6-attack-test"):
    return l4_of(IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=ident, seq=1, data=data))


def rh0():
    """IPv6 / Routing header type 0, segments left 2, addresses
    2001:db8:66:31::fe and 2001:db8:66:32::2 / ICMPv6 echo request.  The header
    destination is the first waypoint 2001:db8:66:30::fe.  (The ICMPv6
    checksum uses the final destination, 2001:db8:66:32::2, as RFC 8200 8.1 says.)"""
    w = new("v6-rh0.pcap", vxlan=True)
    A, FIRST, FINAL = "2001:db8:66:30::1", "2001:db8:66:30::fe", "2001:db8:66:32::2"
    icmp = echo6(A, FINAL, 0x6630)
    rh = routing0(NH_ICMP6, ["2001:db8:66:31::fe", FINAL], 2)
    w.add(v6_frame(mac(0x6630), mac(0x6631), A, FIRST, NH_ROUTING, rh + icmp))


def exthdr_order():
    """Two ICMPv6 echo requests:
       1) IPv6 / Destination Options (PadN 6) / Hop-by-Hop (PadN 6) / ICMPv6
          (Hop-by-Hop not immediately after the IPv6 header: RFC 8200 4.3)
       2) IPv6 / Hop-by-Hop (PadN 6) / Hop-by-Hop (PadN 6) / ICMPv6 (duplicate)"""
    w = new("v6-exthdr-order.pcap")
    A, B, EA, EB = "2001:db8:66:33::1", "2001:db8:66:33::2", mac(0x6632), mac(0x6633)
    icmp = echo6(A, B, 0x6633)
    p1 = opts_hdr(NH_HBH, padn(6)) + opts_hdr(NH_ICMP6, padn(6)) + icmp
    w.add(v6_frame(EA, EB, A, B, NH_DSTOPT, p1))
    icmp = echo6(A, B, 0x6634)
    p2 = opts_hdr(NH_HBH, padn(6)) + opts_hdr(NH_ICMP6, padn(6)) + icmp
    w.add(v6_frame(EA, EB, A, B, NH_HBH, p2))


def too_many_exthdr():
    """IPv6 / 10 x Destination Options (each 8 bytes: PadN 6) / ICMPv6 echo request."""
    w = new("v6-too-many-exthdr.pcap")
    A, B = "2001:db8:66:34::1", "2001:db8:66:34::2"
    icmp = echo6(A, B, 0x6635)
    chain = b"".join(opts_hdr(NH_DSTOPT if i < 9 else NH_ICMP6, padn(6)) for i in range(10))
    w.add(v6_frame(mac(0x6634), mac(0x6635), A, B, NH_DSTOPT, chain + icmp))


def chain_not_in_first():
    """RFC 7112: the first fragment ends inside the extension header chain.
    Fragmentable part = Destination Options of 1440 bytes (hdrlen 179; six
    experimental options type 0x1e (RFC 4727, action 00 = skip), 238 data bytes
    each, the last 236) + UDP (8 + 32 bytes) to port 7002.
       F1 offset 0,    M=1: 1232 bytes -> packet 1280 bytes (IPv6 minimum MTU),
                            all inside the Destination Options header
       F2 offset 1232, M=0: last 208 bytes of the Destination Options + UDP
    Fragment id 0x7112."""
    w = new("v6-chain-not-in-first-frag.pcap", vxlan=True)
    A, B, EA, EB = "2001:db8:66:35::1", "2001:db8:66:35::2", mac(0x6636), mac(0x6637)
    # 2 + 5 * (2 + 238) + (2 + 236) = 1440 = 8 * (179 + 1)
    lens = (238, 238, 238, 238, 238, 236)
    opts = b"".join(bytes([0x1E, n]) + bytes([0x30 + k]) * n for k, n in enumerate(lens))
    do = opts_hdr(P_UDP, opts)
    assert len(do) == 1440
    udp = l4_of(IPv6(src=A, dst=B) / UDP(sport=40035, dport=7002) / Raw(b"u" * 32))
    frag_part = do + udp
    w.add(v6_frame(EA, EB, A, B, NH_FRAG, frag6_hdr(NH_DSTOPT, 0, True, 0x7112) + frag_part[:1232]))
    w.add(v6_frame(EA, EB, A, B, NH_FRAG, frag6_hdr(NH_DSTOPT, 1232, False, 0x7112) + frag_part[1232:]))


def atomic_frag():
    """Atomic fragment (RFC 6946): IPv6 / Fragment (offset 0, M=0, id 0x6946) /
    ICMPv6 echo request."""
    w = new("v6-atomic-frag.pcap")
    A, B = "2001:db8:66:36::1", "2001:db8:66:36::2"
    icmp = echo6(A, B, 0x6636)
    w.add(v6_frame(mac(0x6638), mac(0x6639), A, B, NH_FRAG, frag6_hdr(NH_ICMP6, 0, False, 0x6946) + icmp))


def padding():
    """IPv6 / Destination Options with a PadN of 255 data bytes that are NOT
    zero (the text 'covert channel in PadN / ' repeated: RFC 8200 says padding
    is zeros; suricata-verify ipv6-covert-dstopts) followed by a PadN 3 (zeros)
    to fill the header to 264 bytes (hdrlen 32) / UDP to port 7003."""
    w = new("v6-padding.pcap")
    A, B = "2001:db8:66:37::1", "2001:db8:66:37::2"
    fill = (b"covert channel in PadN / " * 11)[:255]
    opts = bytes([1, 255]) + fill + padn(5)
    udp = l4_of(IPv6(src=A, dst=B) / UDP(sport=40037, dport=7003) / Raw(b"padding-test"))
    w.add(v6_frame(mac(0x663a), mac(0x663b), A, B, NH_DSTOPT, opts_hdr(P_UDP, opts) + udp))


# --------------------------------------------------------------------------
# RA flood and ND spoofing (ICMPv6 ND messages built by scapy; Hop Limit 255)
# --------------------------------------------------------------------------

def ra_flood():
    """200 Router Advertisements within 1.99 s (10 ms apart), each from a
    different random link-local source fe80::xxxx:xxxx:xxxx:xxxx and random
    locally administered MAC (seeded), to ff02::1 / 33:33:00:00:00:01, router
    lifetime 1800, with Source LL address, MTU 1500 and one Prefix Information
    option for a random 2001:db8:xxxx:xxxx::/64 (L=1 A=1) - the shape of
    THC-IPv6 flood_router26 (which puts ~17 prefixes/routes in each)."""
    w = new("v6-ra-flood.pcap", step_us=10000, vxlan=True)
    rnd = random.Random(0x6A6A)
    for _ in range(200):
        m = [0x02] + [rnd.randrange(256) for _ in range(5)]
        smac = ":".join("%02x" % x for x in m)
        src = "fe80::%x:%x:%x:%x" % tuple(rnd.randrange(1, 0x10000) for _ in range(4))
        pfx = "2001:db8:%x:%x::" % (rnd.randrange(0x10000), rnd.randrange(0x10000))
        ra = (IPv6(src=src, dst="ff02::1", hlim=255) /
              ICMPv6ND_RA(chlim=64, routerlifetime=1800, reachabletime=0, retranstimer=0) /
              ICMPv6NDOptSrcLLAddr(lladdr=smac) / ICMPv6NDOptMTU(mtu=1500) /
              ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=2592000,
                                    preferredlifetime=604800, prefix=pfx))
        w.add(raw(Ether(src=smac, dst="33:33:00:00:00:01") / ra))


def na(smac, src, target, dst="ff02::1", dmac="33:33:00:00:00:01", R=0, S=0, O=1):
    p = (IPv6(src=src, dst=dst, hlim=255) / ICMPv6ND_NA(R=R, S=S, O=O, tgt=target) /
         ICMPv6NDOptDstLLAddr(lladdr=smac))
    return raw(Ether(src=smac, dst=dmac) / p)


def nd_spoof():
    """Part 1: binding flip-flop.  21 unsolicited Neighbour Advertisements
    (R=0 S=0 O=1, to ff02::1, Target LL address option = sender MAC) for the same
    target 2001:db8:66:40::1, alternating between MAC 02:00:00:00:66:40 (the real
    owner) and 02:00:00:00:66:41 (the spoofer): 20 changes of the binding.
    Part 2: 50 unsolicited NAs with Override from ONE MAC (02:00:00:00:66:42)
    claiming 50 different targets 2001:db8:66:40::100 .. ::131 (a cache
    poisoning sweep, like THC-IPv6 parasite6/fake_advertise6)."""
    w = new("v6-nd-spoof.pcap")
    T = "2001:db8:66:40::1"
    macs = ("02:00:00:00:66:40", "02:00:00:00:66:41")
    for i in range(21):
        w.add(na(macs[i % 2], T, T))
    m3 = "02:00:00:00:66:42"
    for i in range(50):
        t = "2001:db8:66:40::%x" % (0x100 + i)
        w.add(na(m3, t, t))


# --------------------------------------------------------------------------

SCENARIOS = (lambda: overlap("v4-overlap-conflict.pcap", True),
             lambda: overlap("v4-overlap-same.pcap", False),
             dup_fragment, teardrop, ping_of_death, tiny_first, tcp_offset1, frag_flood,
             novak_v4, novak_v6, options_change, benign_v4, benign_v6,
             ipv4_options,
             rh0, exthdr_order, too_many_exthdr, chain_not_in_first, atomic_frag, padding,
             ra_flood, nd_spoof)


def main():
    global OUT
    args = sys.argv[1:]
    listing = "--list" in args
    args = [a for a in args if a != "--list"]
    if args:
        OUT = args[0]
    os.makedirs(OUT, exist_ok=True)
    for s in SCENARIOS:
        s()
    total = 0
    for f in FILES:
        for p in f.close(OUT):
            sz = os.path.getsize(p)
            total += sz
            assert sz < 300 * 1024, p
            if listing:
                print("%-36s %4d records %7d bytes" % (os.path.basename(p), len(f.frames), sz))
    assert total < 3 * 1024 * 1024
    print("frag_attacks.py: %d files, %d bytes in %s" %
          (sum(2 if f.vxlan else 1 for f in FILES), total, OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
