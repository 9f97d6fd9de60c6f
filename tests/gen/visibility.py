#!/usr/bin/python3
# Debian packages needed: python3-scapy
#
# visibility.py - a capture with a known mix of visibility classes for
# tests/report/run.sh, and its damaged copy.
#
#   visibility.py mix OUT.pcap TRUTH.json
#       Real handshakes the project captured with real tools (tests/pcaps/tls:
#       openssl s_server/s_client TLS 1.2, 1.3, mutual TLS; tests/pcaps/app:
#       dropbear SSH, curl/nginx HTTP), each one flow, some replayed with new
#       addresses or ports (TLS 1.2 to TCP 853: dot; TLS 1.3 to 1.1.1.1: doh),
#       plus flows crafted here from the protocols' wire formats: DNS query and
#       answer, WireGuard handshake and transport (fixed sizes), OpenVPN
#       P_CONTROL_HARD_RESET_CLIENT_V2 on UDP, ESP (IP protocol 50), IKE on UDP
#       500, and a TCP flow of random bytes (encrypted-unknown). TRUTH.json has
#       the class of every flow and its IP bytes.
#
#   visibility.py damage IN.pcap OUT.pcap TRUTH.json SEED
#       Removes 5% of the TCP packets that carry payload (seeded; never the
#       first or last data packet of a direction, whose absence the sequence
#       numbers cannot show) and every server-to-client packet of the flows
#       on server port 80. TRUTH.json: the payload bytes removed (what the
#       report must call never mirrored, the client's ACKs reveal the server's
#       bytes of the one-sided flows) and the flows left one-sided.
import json
import os
import random
import sys

from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, Ether, Raw, rdpcap, wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "pcaps")


def retarget(pkts, t0, cli=None, srv=None, sport=None, dport=None):
    """Copy a one-flow capture at time t0 with new client/server address or
    server port; the first packet's source is the client."""
    out = []
    first = pkts[0]
    c0 = (first[IP].src, (first[TCP] if TCP in first else first[UDP]).sport)
    base = float(pkts[0].time)
    for p in pkts:
        q = p.copy()
        ip = q[IP]
        l4 = q[TCP] if TCP in q else q[UDP]
        # by address and port: the originals were captured on loopback
        fromcli = (ip.src, l4.sport) == c0
        if cli:
            if fromcli:
                ip.src = cli
            else:
                ip.dst = cli
        if srv:
            if fromcli:
                ip.dst = srv
            else:
                ip.src = srv
        if sport:
            if fromcli:
                l4.sport = sport
            else:
                l4.dport = sport
        if dport:
            if fromcli:
                l4.dport = dport
            else:
                l4.sport = dport
        del ip.chksum
        del l4.chksum
        q.time = t0 + (float(p.time) - base)
        out.append(q)
    return out


def eth(ip):
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip


def udp_flow(t0, cli, srv, sport, dport, payloads):
    """payloads: (from_client, bytes) in order."""
    out = []
    for i, (fc, data) in enumerate(payloads):
        if fc:
            p = eth(IP(src=cli, dst=srv) / UDP(sport=sport, dport=dport) / Raw(data))
        else:
            p = eth(IP(src=srv, dst=cli) / UDP(sport=dport, dport=sport) / Raw(data))
        p.time = t0 + i * 0.001
        out.append(p)
    return out


def tcp_flow(t0, cli, srv, sport, dport, payloads, rnd):
    """A complete TCP connection: handshake, the payloads, FIN both ways."""
    out = []
    seq = {True: rnd.randrange(1 << 31), False: rnd.randrange(1 << 31)}
    t = [t0]

    def send(fc, flags, data=b""):
        s, d = (cli, srv) if fc else (srv, cli)
        sp, dp = (sport, dport) if fc else (dport, sport)
        ack = seq[not fc] if "A" in flags else 0
        p = eth(IP(src=s, dst=d) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[fc], ack=ack))
        if data:
            p = p / Raw(data)
        p.time = t[0]
        t[0] += 0.001
        seq[fc] = (seq[fc] + len(data) + (1 if ("S" in flags or "F" in flags) else 0)) % (1 << 32)
        out.append(p)

    send(True, "S")
    send(False, "SA")
    send(True, "A")
    for fc, data in payloads:
        send(fc, "PA", data)
        send(not fc, "A")
    send(True, "FA")
    send(False, "FA")
    send(True, "A")
    return out


def ipbytes(pkts):
    return sum(p[IP].len if p[IP].len else len(p[IP]) for p in pkts)


def mix(out, truth_path):
    rnd = random.Random(6)
    t = 1700000000.0
    flows = []  # (class, packets)

    def add(cls, pkts):
        nonlocal t
        flows.append((cls, pkts))
        t += 1.0

    def load(rel):
        return rdpcap(os.path.join(PCAPS, rel))

    add("tls", retarget(load("tls/tls12.pcap"), t, cli="10.1.0.10", srv="10.2.0.20"))
    add("tls", retarget(load("tls/tls13.pcap"), t, cli="10.1.0.11", srv="10.2.0.20"))
    add("tls-mutual", retarget(load("tls/tls12-mtls.pcap"), t, cli="10.1.0.12", srv="10.2.0.21"))
    add("dot", retarget(load("tls/tls12.pcap"), t, cli="10.1.0.13", srv="10.2.0.53", dport=853))
    add("doh", retarget(load("tls/tls13.pcap"), t, cli="10.1.0.14", srv="1.1.1.1", dport=443))
    add("ssh", retarget(load("app/ssh-dropbear.pcap"), t, cli="10.1.0.15", srv="10.2.0.22"))
    add("cleartext", retarget(load("app/http-get.pcap"), t, cli="10.1.0.16", srv="10.2.0.80"))
    add("cleartext", retarget(load("app/http-keepalive.pcap"), t, cli="10.1.0.17", srv="10.2.0.80"))
    q = DNS(id=0x1234, rd=1, qd=DNSQR(qname="www.example.com", qtype="A"))
    a = DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.com", qtype="A"),
            an=DNSRR(rrname="www.example.com", type="A", rdata="93.184.215.14", ttl=300))
    add("cleartext", udp_flow(t, "10.1.0.18", "10.2.0.53", 40000, 53, [(True, bytes(q)), (False, bytes(a))]))
    # WireGuard: initiation (148), response (92), transport data (32 + 16n)
    wg = [(True, b"\x01\x00\x00\x00" + rnd.randbytes(144)),
          (False, b"\x02\x00\x00\x00" + rnd.randbytes(88)),
          (True, b"\x04\x00\x00\x00" + rnd.randbytes(12 + 16 * 6)),
          (False, b"\x04\x00\x00\x00" + rnd.randbytes(12 + 16 * 3))]
    add("wireguard", udp_flow(t, "10.1.0.19", "10.2.0.90", 41000, 51820, wg))
    # OpenVPN: P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7, key 0), session id,
    # empty ack array, packet id 0; the server's HARD_RESET_SERVER_V2 (8).
    ov = [(True, bytes([7 << 3]) + rnd.randbytes(8) + b"\x00" + b"\x00\x00\x00\x00"),
          (False, bytes([8 << 3]) + rnd.randbytes(8) + b"\x01" + b"\x00\x00\x00\x00" + rnd.randbytes(8) + b"\x00\x00\x00\x00"),
          (True, bytes([9 << 3 | 0]) + rnd.randbytes(100))]
    add("openvpn", udp_flow(t, "10.1.0.20", "10.2.0.91", 42000, 1194, ov))
    # IKEv2 IKE_SA_INIT on UDP 500 (header: SPIs, next payload, version 0x20)
    ike = rnd.randbytes(8) + b"\x00" * 8 + bytes([33, 0x20, 34, 0x08]) + b"\x00" * 4 + (28).to_bytes(4, "big")
    add("ipsec", udp_flow(t, "10.1.0.21", "10.2.0.92", 500, 500, [(True, ike), (False, ike)]))
    # ESP (protocol 50): SPI, sequence, ciphertext
    esp = []
    for i in range(4):
        fc = i % 2 == 0
        s, d = ("10.1.0.22", "10.2.0.93") if fc else ("10.2.0.93", "10.1.0.22")
        p = eth(IP(src=s, dst=d, proto=50) / Raw((0x1000 + fc).to_bytes(4, "big") + (i + 1).to_bytes(4, "big") + rnd.randbytes(64)))
        p.time = t + i * 0.001
        esp.append(p)
    add("ipsec", esp)
    # A TCP flow of random bytes on an unassigned port
    add("encrypted-unknown", tcp_flow(t, "10.1.0.23", "10.2.0.94", 43000, 9999,
                                      [(True, rnd.randbytes(300)), (False, rnd.randbytes(700))], rnd))
    pkts = sorted((p for _, f in flows for p in f), key=lambda p: float(p.time))
    wrpcap(out, pkts)
    truth = {"flows": [{"class": c, "bytes": ipbytes(f)} for c, f in flows]}
    with open(truth_path, "w") as fh:
        json.dump(truth, fh, indent=1)


def damage(inp, out, truth_path, seed):
    rnd = random.Random(int(seed))
    pkts = rdpcap(inp)

    def key(p):
        l4 = p[TCP]
        return (p[IP].src, l4.sport, p[IP].dst, l4.dport)

    # data packets per direction, in order
    data = {}
    for i, p in enumerate(pkts):
        if TCP in p and len(p[TCP].payload) > 0:
            data.setdefault(key(p), []).append(i)
    candidates = [i for idx in data.values() for i in idx[1:-1]]
    ntcp = sum(1 for p in pkts if TCP in p)
    want = round(0.05 * ntcp)
    removed = set(rnd.sample(candidates, min(want, len(candidates))))
    oneside = set()
    for i, p in enumerate(pkts):
        if TCP in p and p[TCP].sport == 80:
            oneside.add((p[IP].dst, p[TCP].dport))
    gone = removed | {i for i, p in enumerate(pkts) if TCP in p and p[TCP].sport == 80}
    # Every payload byte removed: the sampled packets, and the server's side
    # of the one-sided flows (the client's ACKs still show how much it sent).
    missing = sum(len(pkts[i][TCP].payload) for i in gone)
    keep = [p for i, p in enumerate(pkts) if i not in gone]
    wrpcap(out, keep)
    with open(truth_path, "w") as fh:
        json.dump({"removed_packets": len(removed), "tcp_packets": ntcp, "missing_bytes": missing,
                   "one_sided_flows": len(oneside),
                   "dropped_server_packets": sum(1 for p in pkts if TCP in p and p[TCP].sport == 80)}, fh)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "mix":
        mix(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 6 and sys.argv[1] == "damage":
        damage(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit("usage: visibility.py mix OUT.pcap TRUTH.json | damage IN OUT TRUTH.json SEED")
