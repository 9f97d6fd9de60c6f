#!/usr/bin/python3
# Debian packages needed: python3-scapy
#   (run with /usr/bin/python3: the Debian interpreter that sees python3-scapy)
#
# craft.py - build periscope's crafted test captures, deterministically.
#
#   /usr/bin/python3 tests/gen/craft.py [OUTDIR]        (default: tests/pcaps)
#   /usr/bin/python3 tests/gen/craft.py --manifest [OUTDIR]
#        also prints a markdown table of every flow in every capture
#        (packets and bytes per direction), used for tests/pcaps/README.md
#
# Everything is fixed: addresses, ports, TCP sequence numbers, IP ids, payloads,
# and timestamps (each file starts at 1700000000.000000 and every record is
# 1 ms after the previous one).  Running it twice gives byte-identical files.
#
# Scapy is only used to build the standard headers (Ethernet, VLAN, IPv4, IPv6,
# TCP, UDP, ICMP, DNS, ARP, cooked headers) and their checksums/lengths.
# Every tunnel header (VXLAN, GENEVE, GRE, ERSPAN I/II/III), the IPv4 options and
# the file formats (classic pcap, pcapng) are written by hand here with struct,
# so the exact bytes are the ones documented next to each builder below.
# Truncated records (caplen < len) are written with an explicit record header:
# see PcapFile.add(..., caplen=N).

import os
import struct
import sys
import zlib

DEB_PACKAGES = ["python3-scapy"]

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import (ARP, DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, CookedLinux,  # noqa: E402
                       CookedLinuxV2, Dot1AD, Dot1Q, Ether, ICMPv6EchoReply,
                       ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN, Raw, raw)

T0_US = 1700000000 * 1000000      # first timestamp of every file, microseconds
STEP_US = 1000                    # 1 ms between consecutive records

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276


# --------------------------------------------------------------------------
# file writers (by hand, so every byte is under our control)
# --------------------------------------------------------------------------

class CaptureFile:
    """Collects records; written as classic pcap or pcapng on close()."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, fmt="pcap", snaplen=65535):
        self.path = path
        self.linktype = linktype
        self.fmt = fmt
        self.snaplen = snaplen
        self.records = []     # (ts_us, captured bytes, wirelen, annotation)
        self.t = T0_US

    def add(self, frame, flow=None, ip_len=None, encap="none", caplen=None, wirelen=None):
        """frame: bytes of the whole link-layer frame.
        caplen: keep only the first caplen bytes in the file (record caplen),
                while the record 'len' stays the full frame length (snaplen-style).
        wirelen: override the record 'len' (defaults to len(frame)).
        flow/ip_len/encap: annotations for the manifest only."""
        frame = bytes(frame)
        wl = len(frame) if wirelen is None else wirelen
        data = frame if caplen is None else frame[:caplen]
        self.records.append((self.t, data, wl, (flow, ip_len, encap)))
        self.t += STEP_US

    def close(self):
        with open(self.path, "wb") as f:
            if self.fmt == "pcap":
                # classic pcap, little endian, microsecond resolution, v2.4
                f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0,
                                    self.snaplen, self.linktype))
                for ts, data, wl, _ in self.records:
                    sec, usec = divmod(ts, 1000000)
                    f.write(struct.pack("<IIII", sec, usec, len(data), wl))
                    f.write(data)
            else:
                # pcapng: SHB, one IDB (default if_tsresol = 10^-6), EPBs
                def block(btype, body):
                    body += b"\x00" * (-len(body) % 4)
                    blen = 12 + len(body)
                    return struct.pack("<II", btype, blen) + body + struct.pack("<I", blen)
                f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
                f.write(block(0x00000001, struct.pack("<HHI", self.linktype, 0, self.snaplen)))
                for ts, data, wl, _ in self.records:
                    body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), wl) + data
                    f.write(block(0x00000006, body))


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def mac(n):
    """Locally administered unicast MAC 02:00:00:00:XX:YY from a 16-bit number."""
    return "02:00:00:00:%02x:%02x" % ((n >> 8) & 0xFF, n & 0xFF)


def flow_key(ip):
    """(proto, src, sport, dst, dport) of a scapy IP/IPv6 packet (innermost L3)."""
    if ip.haslayer(TCP):
        l4 = ip[TCP]
        return ("tcp", ip.src, l4.sport, ip.dst, l4.dport)
    if ip.haslayer(UDP):
        l4 = ip[UDP]
        return ("udp", ip.src, l4.sport, ip.dst, l4.dport)
    if ip.haslayer(ICMP):
        return ("icmp", ip.src, 0, ip.dst, 0)
    if ip.haslayer(ICMPv6EchoRequest) or ip.haslayer(ICMPv6EchoReply):
        return ("ipv6-icmp", ip.src, 0, ip.dst, 0)
    return ("ip%d" % (ip.proto if ip.version == 4 else ip.nh), ip.src, 0, ip.dst, 0)


def hash_sport(key, base=49152, span=16384):
    """Outer UDP source port from a symmetric hash of the inner flow (both
    directions of an inner flow get the same port, like a 5-tuple hash)."""
    proto, a, ap, b, bp = key
    ends = sorted([(a, ap), (b, bp)])
    h = zlib.crc32(repr((proto, ends)).encode())
    return base + h % span


class TcpConv:
    """Deterministic TCP conversation generator.

    make(src, dst) returns the L3 header (IP(...) or IPv6(...)) to use.
    Sequence: SYN, SYN/ACK, ACK, then data items [(dir, payload)], where a pure
    ACK follows a data segment unless the next item is from the other side
    (whose segment then carries the ACK), then optionally FIN/ACK, FIN/ACK, ACK.
    Client ISN 1000, server ISN 5000, window 64240, MSS 1460 on SYN and SYN/ACK.
    """

    def __init__(self, make, cli, cport, srv, sport, cisn=1000, sisn=5000):
        self.make, self.cli, self.cport, self.srv, self.sport = make, cli, cport, srv, sport
        self.cisn, self.sisn = cisn, sisn

    def packets(self, data=(), handshake=True, close=True):
        out = []
        seq = {"c": self.cisn, "s": self.sisn}
        ipid = {"c": 0x100, "s": 0x200}

        def seg(d, flags, payload=b"", opts=None):
            if d == "c":
                l3 = self.make(self.cli, self.srv)
                l4 = TCP(sport=self.cport, dport=self.sport)
            else:
                l3 = self.make(self.srv, self.cli)
                l4 = TCP(sport=self.sport, dport=self.cport)
            if isinstance(l3, IP):
                l3.id = ipid[d]
                ipid[d] += 1
            o = "s" if d == "c" else "c"
            l4.seq = seq[d]
            l4.ack = seq[o] if "A" in flags else 0
            l4.flags = flags
            l4.window = 64240
            if opts:
                l4.options = opts
            pkt = l3 / l4
            if payload:
                pkt = pkt / Raw(payload)
            out.append(pkt)

        if handshake:
            seg("c", "S", opts=[("MSS", 1460)])
            seq["c"] += 1
            seg("s", "SA", opts=[("MSS", 1460)])
            seq["s"] += 1
            seg("c", "A")
        data = list(data)
        for i, (d, payload) in enumerate(data):
            seg(d, "PA", payload)
            seq[d] += len(payload)
            nxt = data[i + 1][0] if i + 1 < len(data) else None
            if nxt != ("s" if d == "c" else "c"):
                seg("s" if d == "c" else "c", "A")
        if close:
            seg("c", "FA")
            seq["c"] += 1
            seg("s", "FA")
            seq["s"] += 1
            seg("c", "A")
        return out


def v4(src, dst):
    return IP(src=src, dst=dst, ttl=64)


def v6(src, dst):
    return IPv6(src=src, dst=dst, hlim=64)


HTTP_REQ = (b"GET /index.html HTTP/1.1\r\nHost: www.example.test\r\n"
            b"User-Agent: periscope-craft/1\r\nAccept: */*\r\n\r\n")
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nServer: craft\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 16\r\n\r\nhello, periscope")


def tls_client_hello(sni):
    """Minimal TLS 1.2 ClientHello record with only a server_name extension."""
    name = sni.encode()
    sni_ext_body = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    exts = struct.pack("!HH", 0x0000, len(sni_ext_body)) + sni_ext_body
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00"            # version, random, no session id
            + struct.pack("!H", 4) + b"\x13\x01\xc0\x2f"         # 2 cipher suites
            + b"\x01\x00"                                        # null compression
            + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def ipv4_raw_options(src, dst, proto, options, l4_bytes, ident=1, ttl=64):
    """IPv4 header built by hand with arbitrary option bytes (padded with
    EOL (0x00) to a multiple of 4), correct header checksum."""
    opts = options + b"\x00" * (-len(options) % 4)
    ihl = 5 + len(opts) // 4
    total = ihl * 4 + len(l4_bytes)

    def hdr(csum):
        return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, 0, ttl, proto, csum,
                           bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))) + opts
    h = hdr(0)
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return hdr(~s & 0xFFFF) + l4_bytes


# ---- tunnel headers (hand-built) -----------------------------------------

def vxlan_hdr(vni, flags=0x08, rsvd1=0, rsvd2=0):
    """VXLAN (RFC 7348), 8 bytes:
       byte 0      flags (0x08 = I, VNI valid)
       bytes 1-3   reserved (24 bits, must be zero)
       bytes 4-6   VNI (24 bits)
       byte 7      reserved (8 bits, must be zero)"""
    return struct.pack("!I", (flags << 24) | (rsvd1 & 0xFFFFFF)) + struct.pack("!I", (vni << 8) | rsvd2)


def geneve_opt(cls, typ, data):
    """GENEVE option TLV: class(16) type(8) R(3)=0|length(5, in 4-byte words of data)."""
    assert len(data) % 4 == 0
    return struct.pack("!HBB", cls, typ, len(data) // 4) + data


GWLB_OPTS = (geneve_opt(0x0108, 1, bytes.fromhex("0123456789abcdef"))    # GWLB endpoint id
             + geneve_opt(0x0108, 2, bytes.fromhex("1122334455667788"))  # attachment id
             + geneve_opt(0x0108, 3, bytes.fromhex("deadbeef")))         # flow cookie


def geneve_hdr(proto, vni=0, options=b""):
    """GENEVE (RFC 8926), 8 bytes + options:
       byte 0     Ver(2)=0 | Opt Len(6) (options length in 4-byte words)
       byte 1     O(1)=0 | C(1)=0 | reserved(6)=0
       bytes 2-3  protocol type (0x0800 IPv4, 0x86dd IPv6, 0x6558 Ethernet)
       bytes 4-6  VNI; byte 7 reserved"""
    assert len(options) % 4 == 0
    return struct.pack("!BBH", len(options) // 4, 0, proto) + struct.pack("!I", vni << 8) + options


def gre_hdr(proto, key=None, seq=None):
    """GRE (RFC 2784/2890): flags+version(16) proto(16) [key(32) if K] [seq(32) if S].
       flags: 0x2000 = K (key present), 0x1000 = S (sequence present); version 0."""
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h


def erspan2_hdr(session, index=0, vlan=0, cos=0, en=0, t=0):
    """ERSPAN type II, 8 bytes (after GRE proto 0x88be with S bit + sequence):
       bits  0-3  Ver = 1
       bits  4-15 VLAN
       bits 16-18 COS, 19-20 En, 21 T, 22-31 Session ID (10 bits)
       bits 32-43 Reserved = 0, 44-63 Index (20 bits)"""
    w0 = (1 << 28) | (vlan << 16) | (cos << 13) | (en << 11) | (t << 10) | session
    return struct.pack("!II", w0, index & 0xFFFFF)


def erspan3_hdr(session, timestamp, o=0, vlan=0, cos=0, bso=0, t=0, sgt=0, p=0, ft=0, hw=0, d=0, gra=0):
    """ERSPAN type III, 12 bytes (after GRE proto 0x22eb with S bit + sequence):
       word 0: Ver(4)=2 | VLAN(12) | COS(3) | BSO(2) | T(1) | Session ID(10)
       word 1: Timestamp (32)
       word 2: SGT(16) | P(1) | FT(5) | Hw ID(6) | D(1) | Gra(2) | O(1)
       If O = 1 an 8-byte platform specific subheader follows (see erspan3_platf)."""
    w0 = (2 << 28) | (vlan << 16) | (cos << 13) | (bso << 11) | (t << 10) | session
    w2 = (sgt << 16) | (p << 15) | (ft << 10) | (hw << 4) | (d << 3) | (gra << 1) | o
    return struct.pack("!III", w0, timestamp, w2)


def erspan3_platf(platf_id, info1, info2):
    """ERSPAN III platform specific subheader, 8 bytes:
       Platf ID(6) | Platform specific info (26) | Platform specific info (32)."""
    return struct.pack("!II", (platf_id << 26) | (info1 & 0x3FFFFFF), info2)


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------

OUT = "tests/pcaps"
FILES = []


def new(name, **kw):
    f = CaptureFile(os.path.join(OUT, name), **kw)
    FILES.append(f)
    return f


def add_l3(w, l2, ip, encap="none"):
    """Add a frame made of l2 (scapy L2 layers) over ip (a scapy L3 packet)."""
    w.add(raw(l2 / ip), flow=flow_key(ip), ip_len=len(raw(ip)), encap=encap)


MAC_C, MAC_S = mac(0x0101), mac(0x0102)


def eth_vlan():
    w = new("eth-vlan.pcap")
    w.add(raw(Ether(src=MAC_C, dst="ff:ff:ff:ff:ff:ff") /
              ARP(op=1, hwsrc=MAC_C, psrc="10.1.0.1", hwdst="00:00:00:00:00:00", pdst="10.1.0.2")))
    w.add(raw(Ether(src=MAC_S, dst=MAC_C) /
              ARP(op=2, hwsrc=MAC_S, psrc="10.1.0.2", hwdst=MAC_C, pdst="10.1.0.1")))
    data = [("c", HTTP_REQ), ("s", HTTP_RESP)]
    for ip in TcpConv(v4, "10.1.0.1", 40000, "10.1.0.2", 80).packets(data):
        c2s = ip.src == "10.1.0.1"
        l2 = Ether(src=MAC_C if c2s else MAC_S, dst=MAC_S if c2s else MAC_C) / Dot1Q(vlan=100)
        add_l3(w, l2, ip, encap="vlan 100")
    for ip in TcpConv(v4, "10.1.0.1", 40001, "10.1.0.2", 80).packets(data):
        c2s = ip.src == "10.1.0.1"
        l2 = (Ether(src=MAC_C if c2s else MAC_S, dst=MAC_S if c2s else MAC_C, type=0x88A8) /
              Dot1AD(vlan=200, type=0x8100) / Dot1Q(vlan=300))
        add_l3(w, l2, ip, encap="qinq 200/300")


# ---- VXLAN ---------------------------------------------------------------

VX_OUT_SRC, VX_OUT_DST = "172.31.0.10", "172.31.0.20"
VX_OUT_SMAC, VX_OUT_DMAC = mac(0xAA10), mac(0xAA20)
IN_C, IN_S, IN_DNS = "10.0.1.10", "10.0.2.20", "10.0.2.53"
IN_CMAC, IN_SMAC = mac(0x0110), mac(0x0220)


class OuterIds:
    def __init__(self):
        self.n = 0

    def next(self):
        self.n += 1
        return self.n


def vxlan_frame(inner_frame, vni, sport, ids, src=VX_OUT_SRC, dst=VX_OUT_DST,
                smac=VX_OUT_SMAC, dmac=VX_OUT_DMAC, hdr=None):
    """Ether / IPv4 / UDP(sport -> 4789, checksum 0) / VXLAN / inner frame."""
    h = vxlan_hdr(vni) if hdr is None else hdr
    return raw(Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, ttl=64, id=ids.next()) /
               UDP(sport=sport, dport=4789, chksum=0) / Raw(h + inner_frame))


def inner_eth(ip, cmac=IN_CMAC, smac=IN_SMAC, client=IN_C):
    c2s = ip.src == client
    return raw(Ether(src=cmac if c2s else smac, dst=smac if c2s else cmac) / ip)


def vxlan_inner_packets():
    """The inner traffic of vxlan.pcap / ng-vxlan.pcapng: list of scapy L3 pkts."""
    pk = []
    pk += TcpConv(v4, IN_C, 51000, IN_S, 80).packets([("c", HTTP_REQ), ("s", HTTP_RESP)])
    pk.append(v4(IN_C, IN_DNS) / UDP(sport=53000, dport=53) /
              DNS(id=0x1234, rd=1, qd=DNSQR(qname="www.example.test", qtype="A")))
    pk.append(v4(IN_DNS, IN_C) / UDP(sport=53, dport=53000) /
              DNS(id=0x1234, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname="www.example.test", qtype="A"),
                  an=DNSRR(rrname="www.example.test", type="A", ttl=300, rdata=IN_S)))
    pk.append(v4(IN_C, IN_S) / ICMP(type=8, id=0x1234, seq=1) / Raw(b"periscope-ping-01"))
    pk.append(v4(IN_S, IN_C) / ICMP(type=0, id=0x1234, seq=1) / Raw(b"periscope-ping-01"))
    return pk


def vxlan_into(w):
    ids = OuterIds()
    for ip in vxlan_inner_packets():
        key = flow_key(ip)
        w.add(vxlan_frame(inner_eth(ip), 4242, hash_sport(key), ids),
              flow=key, ip_len=len(raw(ip)), encap="vxlan 4242")


def vxlan():
    vxlan_into(new("vxlan.pcap"))


def ng_vxlan():
    vxlan_into(new("ng-vxlan.pcapng", fmt="pcapng"))


def vxlan_reserved():
    w = new("vxlan-reserved.pcap")
    ip = v4(IN_C, IN_S) / UDP(sport=5000, dport=6000) / Raw(b"reserved-bits")
    hdr = vxlan_hdr(4242, flags=0x08, rsvd1=0xABCDEF, rsvd2=0x5A)   # 08 ab cd ef 00 10 92 5a
    w.add(vxlan_frame(inner_eth(ip), 4242, hash_sport(flow_key(ip)), OuterIds(), hdr=hdr),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="vxlan 4242 (reserved bits set)")


def deep_nest():
    """10 VXLAN headers: level 1 is the outermost (VNI 1), level 10 the innermost
    (VNI 10); level L's outer IPv4 is 172.16.L.1 -> 172.16.L.2, UDP 50000+L -> 4789."""
    w = new("deep-nest.pcap")
    ip = v4("10.7.0.1", "10.7.0.2") / UDP(sport=1111, dport=2222) / Raw(b"deep")
    frame = raw(Ether(src=mac(0x0701), dst=mac(0x0702)) / ip)
    for level in range(10, 0, -1):
        frame = raw(Ether(src=mac(0x1000 + level), dst=mac(0x2000 + level)) /
                    IP(src="172.16.%d.1" % level, dst="172.16.%d.2" % level, ttl=64, id=level) /
                    UDP(sport=50000 + level, dport=4789, chksum=0) / Raw(vxlan_hdr(level) + frame))
    w.add(frame, flow=flow_key(ip), ip_len=len(raw(ip)), encap="vxlan x10 (VNI 1..10)")


# ---- GENEVE / GWLB -------------------------------------------------------

GWLB, APPL = "10.0.0.5", "10.0.0.100"
GW_SMAC, GW_DMAC = mac(0x0005), mac(0x0064)


def geneve_frame(payload, sport, ident, proto=0x0800, vni=0, options=GWLB_OPTS):
    """Ether / IPv4 GWLB -> appliance / UDP(sport -> 6081, checksum 0) / GENEVE / payload."""
    return raw(Ether(src=GW_SMAC, dst=GW_DMAC) / IP(src=GWLB, dst=APPL, ttl=64, id=ident) /
               UDP(sport=sport, dport=6081, chksum=0) / Raw(geneve_hdr(proto, vni, options) + payload))


def geneve_gwlb():
    w = new("geneve-gwlb.pcap")
    n = 0
    conv = TcpConv(v4, "192.168.1.10", 50000, "93.184.216.34", 443)
    for ip in conv.packets([("c", tls_client_hello("www.example.com"))], close=False):
        n += 1
        key = flow_key(ip)
        w.add(geneve_frame(raw(ip), hash_sport(key), n), flow=key, ip_len=len(raw(ip)),
              encap="geneve 0x0800 vni 0 +gwlb")
    # proto 0x6558: Ethernet payload, VNI 100, no options
    ip = v4("10.3.0.1", "10.3.0.2") / UDP(sport=8800, dport=8801) / Raw(b"geneve-ethernet")
    n += 1
    w.add(geneve_frame(raw(Ether(src=mac(0x0301), dst=mac(0x0302)) / ip), hash_sport(flow_key(ip)), n,
                       proto=0x6558, vni=100, options=b""),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="geneve 0x6558 vni 100")
    # proto 0x86dd: IPv6 payload, VNI 100, no options
    ip = v6("fd00::1", "fd00::2") / UDP(sport=8800, dport=8801) / Raw(b"geneve-ipv6")
    n += 1
    w.add(geneve_frame(raw(ip), hash_sport(flow_key(ip)), n, proto=0x86DD, vni=100, options=b""),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="geneve 0x86dd vni 100")


def gwlb_double():
    w = new("gwlb-double.pcap")
    conv = TcpConv(v4, "10.2.0.1", 33000, "10.2.0.2", 22)
    data = [("s", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
            ("c", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")]
    ids = OuterIds()
    for i, ip in enumerate(conv.packets(data, close=False)):
        key = flow_key(ip)
        inner = inner_eth(ip, cmac=mac(0x0201), smac=mac(0x0202), client="10.2.0.1")
        vx_ip = raw(IP(src=VX_OUT_SRC, dst=VX_OUT_DST, ttl=64, id=ids.next()) /
                    UDP(sport=hash_sport(key), dport=4789, chksum=0) / Raw(vxlan_hdr(77) + inner))
        w.add(geneve_frame(vx_ip, hash_sport(("udp", VX_OUT_SRC, 0, VX_OUT_DST, 4789)), i + 1),
              flow=key, ip_len=len(raw(ip)), encap="geneve+gwlb / vxlan 77")


# ---- ERSPAN / GRE --------------------------------------------------------

def gre_frame(gre_payload, src, dst, ident, smac=mac(0x4701), dmac=mac(0x4702)):
    return raw(Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, ttl=64, id=ident, proto=47) /
               Raw(gre_payload))


def erspan():
    w = new("erspan.pcap")
    S, D = "10.10.0.1", "10.10.0.2"
    seqn = 0
    # type II: GRE(S, proto 0x88be, seq) + 8-byte ERSPAN II (session 5) + Ethernet/IPv4/ICMP
    for ip in (v4("10.11.0.1", "10.11.0.2") / ICMP(type=8, id=0x0505, seq=1) / Raw(b"erspan-ii"),
               v4("10.11.0.2", "10.11.0.1") / ICMP(type=0, id=0x0505, seq=1) / Raw(b"erspan-ii")):
        seqn += 1
        fr = inner_eth(ip, cmac=mac(0x1101), smac=mac(0x1102), client="10.11.0.1")
        w.add(gre_frame(gre_hdr(0x88BE, seq=seqn) + erspan2_hdr(5, index=seqn) + fr, S, D, seqn),
              flow=flow_key(ip), ip_len=len(raw(ip)), encap="erspan II session 5")
    # type III: GRE(S, proto 0x22eb, seq) + 12-byte ERSPAN III (session 6) + Ethernet/IPv4/UDP
    ip = v4("10.12.0.1", "10.12.0.2") / UDP(sport=3000, dport=3001) / Raw(b"erspan-iii")
    fr = raw(Ether(src=mac(0x1201), dst=mac(0x1202)) / ip)
    seqn += 1
    w.add(gre_frame(gre_hdr(0x22EB, seq=seqn) + erspan3_hdr(6, 0x00010000, o=0, p=1) + fr, S, D, seqn),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="erspan III session 6")
    #  ... and the same with O=1 + 8-byte platform specific subheader (platf id 3)
    ip = v4("10.12.0.1", "10.12.0.2") / UDP(sport=3000, dport=3001) / Raw(b"erspan-iii-o")
    fr = raw(Ether(src=mac(0x1201), dst=mac(0x1202)) / ip)
    seqn += 1
    w.add(gre_frame(gre_hdr(0x22EB, seq=seqn) + erspan3_hdr(6, 0x00010001, o=1, p=1, ft=0, hw=1) +
                    erspan3_platf(3, 0x000007, 0x00000001) + fr, S, D, seqn),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="erspan III session 6 +platf")
    # type I: GRE(no S bit, proto 0x88be), the Ethernet frame follows the 4-byte GRE header
    ip = v4("10.13.0.1", "10.13.0.2") / UDP(sport=4000, dport=4001) / Raw(b"erspan-i")
    fr = raw(Ether(src=mac(0x1301), dst=mac(0x1302)) / ip)
    seqn += 1
    w.add(gre_frame(gre_hdr(0x88BE) + fr, S, D, seqn),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="erspan I")


def gre():
    w = new("gre.pcap")
    S, D = "10.20.0.1", "10.20.0.2"
    # plain GRE, proto 0x0800, carrying an ICMP echo request and its reply
    for i, ip in enumerate((v4("10.21.0.1", "10.21.0.2") / ICMP(type=8, id=0x2121, seq=1) / Raw(b"gre"),
                            v4("10.21.0.2", "10.21.0.1") / ICMP(type=0, id=0x2121, seq=1) / Raw(b"gre"))):
        src, dst = (S, D) if i == 0 else (D, S)
        w.add(gre_frame(gre_hdr(0x0800) + raw(ip), src, dst, i + 1,
                        *((mac(0x4701), mac(0x4702)) if i == 0 else (mac(0x4702), mac(0x4701)))),
              flow=flow_key(ip), ip_len=len(raw(ip)), encap="gre")
    # GRE with key 100 and sequence 1, proto 0x0800, carrying IPv4/UDP
    ip = v4("10.22.0.1", "10.22.0.2") / UDP(sport=5000, dport=5001) / Raw(b"gre-key-seq")
    w.add(gre_frame(gre_hdr(0x0800, key=100, seq=1) + raw(ip), S, D, 3),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="gre key 100")
    # GRE proto 0x6558 (transparent Ethernet bridging) carrying Ethernet/IPv4/TCP SYN
    ip = TcpConv(v4, "10.23.0.1", 45000, "10.23.0.2", 443).packets(close=False)[0]
    w.add(gre_frame(gre_hdr(0x6558) + raw(Ether(src=mac(0x2301), dst=mac(0x2302)) / ip), S, D, 4),
          flow=flow_key(ip), ip_len=len(raw(ip)), encap="gre teb")


def ipip():
    w = new("ipip.pcap")
    O1, O2 = "198.51.100.1", "198.51.100.2"
    E1, E2 = mac(0x5101), mac(0x5102)
    # IPv4-in-IPv4 (proto 4), ICMP echo pair
    for i, ip in enumerate((v4("10.4.0.1", "10.4.0.2") / ICMP(type=8, id=0x0404, seq=1) / Raw(b"ipip"),
                            v4("10.4.0.2", "10.4.0.1") / ICMP(type=0, id=0x0404, seq=1) / Raw(b"ipip"))):
        o = IP(src=O1, dst=O2, ttl=64, id=i + 1, proto=4) if i == 0 else \
            IP(src=O2, dst=O1, ttl=64, id=i + 1, proto=4)
        add_l3(w, Ether(src=E1 if i == 0 else E2, dst=E2 if i == 0 else E1) / o, ip, encap="ipip")
    # IPv6-in-IPv4 (proto 41), ICMPv6 echo pair
    for i, ip in enumerate((v6("2001:db8:1::1", "2001:db8:2::1") / ICMPv6EchoRequest(id=0x0606, seq=1, data=b"6in4"),
                            v6("2001:db8:2::1", "2001:db8:1::1") / ICMPv6EchoReply(id=0x0606, seq=1, data=b"6in4"))):
        o = IP(src=O1, dst=O2, ttl=64, id=i + 3, proto=41) if i == 0 else \
            IP(src=O2, dst=O1, ttl=64, id=i + 3, proto=41)
        add_l3(w, Ether(src=E1 if i == 0 else E2, dst=E2 if i == 0 else E1) / o, ip, encap="6in4")
    # IPv4-in-IPv6 (next header 4), UDP request and response
    for i, ip in enumerate((v4("10.4.1.1", "10.4.1.2") / UDP(sport=9000, dport=9001) / Raw(b"4in6-req"),
                            v4("10.4.1.2", "10.4.1.1") / UDP(sport=9001, dport=9000) / Raw(b"4in6-resp"))):
        o = IPv6(src="2001:db8:ff::1", dst="2001:db8:ff::2", hlim=64, nh=4) if i == 0 else \
            IPv6(src="2001:db8:ff::2", dst="2001:db8:ff::1", hlim=64, nh=4)
        add_l3(w, Ether(src=E1 if i == 0 else E2, dst=E2 if i == 0 else E1, type=0x86DD) / o, ip,
               encap="4in6")


def ipv6_ext():
    w = new("ipv6-ext.pcap")
    A, B = "2001:db8::1", "2001:db8::2"
    EA, EB = mac(0x6001), mac(0x6002)

    def with_ext(src, dst):
        # HBH (PadN 4) -> Destination Options (PadN 4) -> Routing type 2 (segleft 0,
        # one address = the destination itself) -> TCP
        return (IPv6(src=src, dst=dst, hlim=64) /
                IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)]) /
                IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)]) /
                IPv6ExtHdrRouting(type=2, segleft=0, addresses=[dst]))
    syn, synack = TcpConv(with_ext, A, 46000, B, 80).packets(close=False)[:2]
    add_l3(w, Ether(src=EA, dst=EB), syn, encap="ipv6 hbh+dst+rh2")
    add_l3(w, Ether(src=EB, dst=EA), synack, encap="ipv6 hbh+dst+rh2")
    add_l3(w, Ether(src=EA, dst=EB), v6(A, B) / ICMPv6EchoRequest(id=0x6666, seq=1, data=b"v6-echo"))
    add_l3(w, Ether(src=EB, dst=EA), v6(B, A) / ICMPv6EchoReply(id=0x6666, seq=1, data=b"v6-echo"))


def ipv4_options():
    w = new("ipv4-options.pcap")
    A, B = "10.5.0.1", "10.5.0.2"
    EA, EB = mac(0x5001), mac(0x5002)

    def icmp(t, seq, data):
        return raw(ICMP(type=t, id=0x0505, seq=seq) / Raw(data))

    def add(src, dst, proto, opts, l4, ident, e1, e2, note):
        ipb = ipv4_raw_options(src, dst, proto, opts, l4, ident)
        ip = IP(ipb)
        w.add(raw(Ether(src=e1, dst=e2, type=0x0800)) + ipb, flow=flow_key(ip), ip_len=len(ipb), encap=note)

    # Record Route (type 7, len 39, 9 slots): request with pointer 4 (empty),
    # reply with pointer 8 (one address recorded: 10.5.0.254)
    rr_req = bytes([7, 39, 4]) + b"\x00" * 36
    rr_rep = bytes([7, 39, 8]) + bytes([10, 5, 0, 254]) + b"\x00" * 32
    add(A, B, 1, rr_req, icmp(8, 1, b"record-route"), 1, EA, EB, "ipv4 opt RR")
    add(B, A, 1, rr_rep, icmp(0, 1, b"record-route"), 2, EB, EA, "ipv4 opt RR")
    # Timestamp (type 0x44, len 12, pointer 9, oflw 0 / flg 0 = timestamps only,
    # first slot filled with 0x01020304, second empty), on an ICMP echo request
    ts = bytes([0x44, 12, 9, 0x00]) + struct.pack("!II", 0x01020304, 0)
    add(A, B, 1, ts, icmp(8, 2, b"timestamp"), 3, EA, EB, "ipv4 opt TS")
    # Malformed: option type 7 (RR) with length 1 (< 2, illegal), then EOL padding,
    # header length 24 (IHL 6); payload UDP 10.5.0.1:1234 -> 10.5.0.2:5678
    l4 = raw(IP(src=A, dst=B) / UDP(sport=1234, dport=5678) / Raw(b"bad-option"))[20:]
    add(A, B, 17, bytes([7, 1]), l4, 4, EA, EB, "ipv4 opt len=1 (malformed)")


def truncated():
    w = new("truncated.pcap")
    ip = (v4(IN_C, IN_S) / TCP(sport=51000, dport=80, seq=1000, ack=5000, flags="PA", window=64240) /
          Raw(bytes((i * 7) & 0xFF for i in range(1460))))
    assert len(raw(ip)) == 1500
    key = flow_key(ip)
    inner = inner_eth(ip)
    # 1) snaplen-style: full 1564-byte VXLAN frame on the wire (record len 1564),
    #    only 200 bytes captured (record caplen 200) -> cut at inner TCP payload byte 96
    full = vxlan_frame(inner, 4242, hash_sport(key), OuterIds())
    w.add(full, flow=key, ip_len=1500, encap="vxlan 4242, caplen 200 of %d" % len(full), caplen=200)
    # 2) AWS-style packet-length 200: the mirrored inner frame itself is cut to
    #    200 bytes after the VXLAN header; outer IPv4/UDP lengths match the cut
    #    packet (caplen == len == 250) but the inner IPv4 total length still says 1500.
    ids = OuterIds()
    ids.n = 1
    cut = vxlan_frame(inner[:200], 4242, hash_sport(key), ids)
    w.add(cut, flow=key, ip_len=1500, encap="vxlan 4242, inner frame cut to 200")
    # 3) plain Ethernet/IPv4/TCP, caplen 44 = 14 + 20 + 10 (cut inside the TCP header)
    ip2 = v4("10.8.0.1", "10.8.0.2") / TCP(sport=40100, dport=80, seq=1, ack=1, flags="PA",
                                           window=64240) / Raw(b"x" * 100)
    fr = raw(Ether(src=mac(0x0801), dst=mac(0x0802)) / ip2)
    w.add(fr, flow=flow_key(ip2), ip_len=len(raw(ip2)), encap="none, caplen 44 of %d" % len(fr),
          caplen=44)


def badcsum():
    w = new("badcsum.pcap")
    EA, EB = mac(0x0901), mac(0x0902)

    def build(ip, bad_ip, bad_l4, note):
        good = IP(raw(ip))                 # checksums computed by scapy
        if bad_l4:
            l4 = good[TCP] if good.haslayer(TCP) else good[UDP]
            l4.chksum = l4.chksum ^ 0x5A5A
        if bad_ip:
            good.chksum = good.chksum ^ 0x5A5A
        b = raw(good)
        w.add(raw(Ether(src=EA, dst=EB, type=0x0800)) + b, flow=flow_key(good), ip_len=len(b), encap=note)

    tcp = v4("10.9.9.1", "10.9.9.2") / TCP(sport=41000, dport=80, seq=1, ack=1, flags="PA",
                                           window=64240) / Raw(b"bad checksum test")
    udp = v4("10.9.9.1", "10.9.9.2") / UDP(sport=41001, dport=5555) / Raw(b"bad checksum test")
    build(tcp, True, False, "bad IPv4 csum, good TCP csum")
    build(tcp, False, True, "good IPv4 csum, bad TCP csum")
    build(udp, True, False, "bad IPv4 csum, good UDP csum")
    build(udp, False, True, "good IPv4 csum, bad UDP csum")
    build(tcp, True, True, "bad IPv4 csum, bad TCP csum")
    build(udp, True, True, "bad IPv4 csum, bad UDP csum")


def cooked_and_raw():
    A, B = "10.6.0.1", "10.6.0.2"
    req = v4(A, B) / UDP(sport=40000, dport=7777) / Raw(b"ping")
    rsp = v4(B, A) / UDP(sport=7777, dport=40000) / Raw(b"pong")
    a_mac = bytes.fromhex("020000000601") + b"\x00\x00"
    b_mac = bytes.fromhex("020000000602") + b"\x00\x00"
    # SLL: request captured as outgoing (pkttype 4), response incoming to us (0)
    w = new("sll.pcap", linktype=LINKTYPE_LINUX_SLL)
    add_l3(w, CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=a_mac, proto=0x0800), req)
    add_l3(w, CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b_mac, proto=0x0800), rsp)
    w = new("sll2.pcap", linktype=LINKTYPE_LINUX_SLL2)
    add_l3(w, CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=4, lladdrlen=6, src=a_mac), req)
    add_l3(w, CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6, src=b_mac), rsp)
    w = new("rawip.pcap", linktype=LINKTYPE_RAW)
    for ip in (req, rsp,
               v6("fd00:6::1", "fd00:6::2") / UDP(sport=40000, dport=7777) / Raw(b"ping6"),
               v6("fd00:6::2", "fd00:6::1") / UDP(sport=7777, dport=40000) / Raw(b"pong6")):
        w.add(raw(ip), flow=flow_key(ip), ip_len=len(raw(ip)))


# --------------------------------------------------------------------------

def manifest():
    """Markdown: per file, per flow (first packet's sender = 'a'), packets and
    bytes a->b / b->a; 'ip' = inner IP total length as built (for truncated
    records: the length the IP header claims), 'wire' = record len of the frame."""
    lines = []
    for f in FILES:
        name = os.path.basename(f.path)
        lines.append("#### %s (%d records, linktype %d, %s)\n" % (name, len(f.records), f.linktype, f.fmt))
        lines.append("| flow a -> b | encap | pkts a>b | pkts b>a | ip bytes a>b | ip bytes b>a | wire bytes a>b | wire bytes b>a |")
        lines.append("|---|---|---|---|---|---|---|---|")
        flows = {}
        order = []
        nonip = 0
        for _, data, wl, (key, iplen, encap) in f.records:
            if key is None:
                nonip += 1
                continue
            proto, s, sp, d, dp = key
            fwd = (proto, s, sp, d, dp)
            rev = (proto, d, dp, s, sp)
            k = fwd if fwd in flows else rev if rev in flows else None
            if k is None:
                k = fwd
                flows[k] = {"encap": encap, "n": [0, 0], "ip": [0, 0], "wire": [0, 0]}
                order.append(k)
            i = 0 if k == fwd else 1
            e = flows[k]
            e["n"][i] += 1
            e["ip"][i] += iplen
            e["wire"][i] += wl
            if encap not in e["encap"].split("; "):
                e["encap"] += "; " + encap
        for k in order:
            proto, s, sp, d, dp = k
            e = flows[k]
            fmt = "%s %s -> %s" % (proto, s, d) if proto.endswith("icmp") else \
                "%s %s:%d -> %s:%d" % (proto, s, sp, d, dp)
            lines.append("| %s | %s | %d | %d | %d | %d | %d | %d |" % (
                fmt, e["encap"], e["n"][0], e["n"][1], e["ip"][0], e["ip"][1], e["wire"][0], e["wire"][1]))
        if nonip:
            lines.append("| (non-IP, e.g. ARP) | | %d | | | | | |" % nonip)
        lines.append("")
    return "\n".join(lines)


def main():
    global OUT
    args = sys.argv[1:]
    want_manifest = "--manifest" in args
    args = [a for a in args if a != "--manifest"]
    if args:
        OUT = args[0]
    os.makedirs(OUT, exist_ok=True)
    for scenario in (eth_vlan, vxlan, vxlan_reserved, geneve_gwlb, gwlb_double, erspan, gre, ipip,
                     ipv6_ext, ipv4_options, truncated, badcsum, cooked_and_raw, ng_vxlan, deep_nest):
        scenario()
    for f in FILES:
        f.close()
        print("%-22s %3d records %7d bytes" % (os.path.basename(f.path), len(f.records),
                                               os.path.getsize(f.path)), file=sys.stderr)
    if want_manifest:
        print(manifest())


if __name__ == "__main__":
    main()
