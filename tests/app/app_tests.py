#!/usr/bin/python3
"""End-to-end cases of the application layer (protocols by content, TCP
reassembly with reordering, loss and one-sided captures, de-duplication,
--no-app, the store tables, port reuse, resource limits).

Every modified capture is made here with scapy from the project's own
captures (seeded, into a temporary directory). Each case prints "ok NAME" or
"FAIL NAME: why"; the last line is "app: N passed, N failed".
Usage: app_tests.py PERISCOPE_BINARY [CASE...]  (APP_TESTS_KEEP=1 keeps the
temporary captures)"""
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, VXLAN, Ether, Raw, rdpcap, wrpcap  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BIN = sys.argv[1] if len(sys.argv) > 1 else "build-san/periscope"
TMP = tempfile.mkdtemp(prefix="periscope-app-")
TLS = os.path.join(ROOT, "tests/pcaps/tls")
APP = os.path.join(ROOT, "tests/pcaps/app")
APP_TYPES = ("dns", "tls", "quic", "http", "ssh")
RESULTS = []


def pcap(name):
    return os.path.join(ROOT, "tests/pcaps", name)


def run(path, *args):
    """Events of one read, as dicts, in file order."""
    paths = path if isinstance(path, list) else [path]
    out = subprocess.run([BIN, "read", "--deterministic", "-q", "--eve", "-", *args, *paths],
                         capture_output=True, check=True)
    if b"runtime error" in out.stderr or b"Sanitizer" in out.stderr:
        raise AssertionError(out.stderr.decode(errors="replace")[:400])
    return [json.loads(line) for line in out.stdout.splitlines()]


def of_type(evs, *types):
    return [e for e in evs if e["event_type"] in types]


def app_events(evs):
    return of_type(evs, *APP_TYPES)


def stats(evs):
    return of_type(evs, "stats")[-1]["stats"]


def bare(ev):
    """An event without what differs between runs of rewritten captures."""
    return {k: v for k, v in ev.items() if k not in ("timestamp", "flow_id")}


def tcp_flows(evs):
    return [e for e in of_type(evs, "flow") if e["proto"] == "TCP"]


def write(name, pkts):
    path = os.path.join(TMP, name)
    wrpcap(path, pkts)
    return path


def refresh(p):
    """Recompute lengths and checksums after a rewrite."""
    for layer in (IP, TCP, UDP):
        if layer in p:
            del p[layer].chksum
            if layer in (IP, UDP):
                del p[layer].len
    q = p.__class__(bytes(p))
    q.time = p.time
    return q


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def run_case(fn):
    name = fn.__name__.removeprefix("case_")
    try:
        why = fn()
    except Exception as exc:  # a crash of periscope or the case is a failure
        why = f"{type(exc).__name__}: {exc}"
    RESULTS.append(why is None)
    print(f"ok {name}" if why is None else f"FAIL {name}: {why}", flush=True)


def expect_eq(what, got, want):
    if got != want:
        raise AssertionError(f"{what}: want {want!r}, got {got!r}")


def expected_certs():
    want = {}
    with open(os.path.join(TLS, "expected.txt")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                want[k] = v
    return want


# ---- recognition by content ------------------------------------------------


def tls_event(evs):
    t = of_type(evs, "tls")
    expect_eq("tls events", len(t), 1)
    return t[0]


@case
def case_tls_4433():
    want = expected_certs()
    for name, status in (("tls12", "none"), ("tls12-mtls", "sent"), ("tls12-mtls-empty", "empty"),
                         ("tls13", "not_visible"), ("tls13-mtls", "not_visible")):
        evs = run(os.path.join(TLS, name + ".pcap"))
        e = tls_event(evs)
        expect_eq(name + " port", e["dest_port"], 4433)
        expect_eq(name + " app_proto", e["app_proto"], "tls")
        t = e["tls"]
        expect_eq(name + " sni", t["sni"], "www.example.test")
        expect_eq(name + " client_cert_status", t["client_cert_status"], status)
        if name.startswith("tls12"):
            for f in ("subject", "issuerdn", "serial", "fingerprint", "notbefore", "notafter"):
                expect_eq(f"{name} {f}", t[f], want["server." + f])
                if status == "sent":
                    expect_eq(f"{name} client {f}", t["client_cert"][f], want["client." + f])
                else:
                    expect_eq(f"{name} client_cert", t.get("client_cert"), None)
            expect_eq(name + " client_cert_requested", t["client_cert_requested"], status != "none")
        else:  # the certificates are encrypted in 1.3
            expect_eq(name + " subject", t.get("subject"), None)
        expect_eq(name + " flow app_proto", tcp_flows(evs)[0]["app_proto"], "tls")


def reported(evs):
    return [bare(e) for e in app_events(evs)]


@case
def case_tls_8443():
    src = os.path.join(TLS, "tls12.pcap")
    pkts = rdpcap(src)
    for p in pkts:
        for f in ("sport", "dport"):
            if getattr(p[TCP], f) == 4433:
                setattr(p[TCP], f, 8443)
    evs = run(write("tls-8443.pcap", [refresh(p) for p in pkts]))
    e = tls_event(evs)
    expect_eq("port", e["dest_port"], 8443)
    orig = tls_event(run(src))
    orig["dest_port"] = 8443
    expect_eq("tls event", bare(e), bare(orig))


@case
def case_http_8080():
    evs = run(os.path.join(APP, "http-8080.pcap"))
    h = of_type(evs, "http")
    expect_eq("http events", len(h), 1)
    expect_eq("port", h[0]["dest_port"], 8080)
    expect_eq("method", h[0]["http"]["http_method"], "GET")
    expect_eq("status", h[0]["http"]["status"], 200)
    expect_eq("flow app_proto", tcp_flows(evs)[0]["app_proto"], "http")


@case
def case_ssh_2222():
    evs = run(os.path.join(APP, "ssh-dropbear.pcap"))
    s = of_type(evs, "ssh")
    expect_eq("ssh events", len(s), 1)
    expect_eq("port", s[0]["dest_port"], 2222)
    with open(os.path.join(APP, "ssh-dropbear.hassh")) as f:
        want = dict(line.split(" ", 1)[0:2] for line in f.read().splitlines() if line)
    want = {k: v.split(" ")[0] for k, v in want.items()}
    expect_eq("client hassh", s[0]["ssh"]["client"]["hassh"]["hash"], want["client"])
    expect_eq("server hassh", s[0]["ssh"]["server"]["hassh"]["hash"], want["server"])


def inner_dns():
    """The DNS packets of real-vxlan.pcap, unwrapped from VXLAN."""
    out = []
    for p in rdpcap(pcap("real-vxlan.pcap")):
        if VXLAN in p and UDP in p[VXLAN] and 53 in (p[VXLAN][UDP].sport, p[VXLAN][UDP].dport):
            q = p[VXLAN].payload.copy()
            q.time = p.time
            out.append(q)
    return out


@case
def case_dns_other_port():
    pkts = inner_dns()
    orig = of_type(run(write("dns-53.pcap", pkts)), "dns")
    if not orig:
        return "no DNS in real-vxlan.pcap"
    for p in pkts:
        for f in ("sport", "dport"):
            if getattr(p[UDP], f) == 53:
                setattr(p[UDP], f, 5300)
    evs = run(write("dns-5300.pcap", [refresh(p) for p in pkts]))
    got = of_type(evs, "dns")
    expect_eq("dns events", len(got), len(orig))
    for a, b in zip(got, orig):
        for e in (a, b):
            e.pop("src_port" if e["src_port"] in (53, 5300) else "dest_port")
        expect_eq("dns event", bare(a), bare(b))
    expect_eq("flow app_proto", of_type(evs, "flow")[0]["app_proto"], "dns")


def tcp_session(cli, srv, messages, t0=1_700_000_000.0, sport=40000, dport=53, mss=None):
    """A whole TCP connection: handshake, each (direction, bytes) message
    acknowledged by the peer, FIN both ways."""
    seq = [1000, 5000]
    ends = [(cli, sport), (srv, dport)]
    pkts = []
    t = [t0]

    def pkt(d, flags, data=b""):
        (s, sp), (dd, dp) = ends[d], ends[1 - d]
        p = Ether() / IP(src=s, dst=dd) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[d],
                                             ack=seq[1 - d] if "A" in flags else 0)
        if data:
            p = p / Raw(data)
        p.time = t[0]
        t[0] += 0.001
        pkts.append(p)
        seq[d] += len(data) + (1 if ("S" in flags or "F" in flags) else 0)

    pkt(0, "S")
    pkt(1, "SA")
    pkt(0, "A")
    for d, data in messages:
        pkt(d, "PA", data)
        pkt(1 - d, "A")
    pkt(0, "FA")
    pkt(1, "FA")
    pkt(0, "A")
    return [refresh(p) for p in pkts]


@case
def case_dns_tcp():
    q = bytes(DNS(id=7, rd=1, qd=DNSQR(qname="tcp.example.test", qtype="A")))
    r = bytes(DNS(id=7, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname="tcp.example.test", qtype="A"),
                  an=DNSRR(rrname="tcp.example.test", type="A", ttl=60, rdata="10.1.2.3")))
    lp = lambda m: len(m).to_bytes(2, "big") + m  # noqa: E731
    pkts = tcp_session("10.0.0.1", "10.0.0.2", [(0, lp(q)), (1, lp(r))], dport=5353)
    evs = run(write("dns-tcp.pcap", pkts))
    d = of_type(evs, "dns")
    expect_eq("dns events", [(e["dns"]["type"], e["dns"]["rrname"]) for e in d],
              [("query", "tcp.example.test"), ("answer", "tcp.example.test")])
    expect_eq("answer", d[1]["dns"]["answers"][0]["rdata"], "10.1.2.3")
    expect_eq("flow app_proto", tcp_flows(evs)[0]["app_proto"], "dns")


@case
def case_not_tls_on_443():
    rng = random.Random(443)
    junk = bytes(rng.randrange(256) for _ in range(300))
    junk = b"\x00" + junk[1:]  # not a TLS record type
    pkts = tcp_session("10.0.0.1", "10.0.0.2", [(0, junk), (1, junk[::-1])], dport=443)
    evs = run(write("junk-443.pcap", pkts))
    expect_eq("app events", app_events(evs), [])
    expect_eq("app.unknown", stats(evs)["app"]["unknown"], 1)
    expect_eq("app.tls", stats(evs)["app"]["tls"], 0)
    expect_eq("flow app_proto", tcp_flows(evs)[0].get("app_proto"), None)


# ---- reordering ------------------------------------------------------------


def answers(p, q):
    """Whether data packet p acknowledges the data of q (the other way)."""
    end = (q[TCP].seq + len(q[TCP].payload)) % (1 << 32)
    return (p[TCP].ack - end) % (1 << 32) < (1 << 31)


def causal(pkts):
    """No data packet comes before data of the other direction it answers."""
    for i, p in enumerate(pkts):
        if not len(p[TCP].payload):
            continue
        for q in pkts[i + 1:]:
            if len(q[TCP].payload) and q[TCP].sport == p[TCP].dport and answers(p, q):
                return False
    return True


def shuffled(pkts, seed, window=3):
    """The packets of each direction of each connection shuffled within
    windows of `window` (the SYNs, the places of the directions and the
    capture times kept): segments of a direction arrive out of order, as
    behind a load balancer, and acknowledgments come before the data they
    acknowledge; data never comes before the data it answers (a response
    before its request is another matter)."""
    rng = random.Random(seed)
    out = list(pkts)
    times = [p.time for p in pkts]
    classes = {}
    for i, p in enumerate(pkts):
        if not p[TCP].flags.S:
            classes.setdefault((p[TCP].sport, p[TCP].dport), []).append(i)
    for places in classes.values():
        for k in range(0, len(places), window):
            w = places[k:k + window]
            orig = [out[i] for i in w]
            for _ in range(20):
                perm = orig[:]
                rng.shuffle(perm)
                for i, p in zip(w, perm):
                    out[i] = p
                if causal(out):
                    break
            else:
                for i, p in zip(w, orig):
                    out[i] = p
    for p, t in zip(out, times):
        p.time = t
    return out


REORDER = [os.path.join(TLS, n + ".pcap") for n in ("tls12", "tls12-mtls", "tls13")] + \
    [os.path.join(APP, n + ".pcap") for n in ("http-keepalive", "http-pipeline", "http-post",
                                              "ssh-dropbear", "http-chunked")]


@case
def case_reordered():
    late = 0
    for i, src in enumerate(REORDER):
        pkts = rdpcap(src)
        re = shuffled(pkts, seed=i + 1)
        if [bytes(p) for p in re] == [bytes(p) for p in pkts]:
            return f"{src}: the shuffle changed nothing"
        evs = run(write(f"reorder-{i}.pcap", re))
        late += stats(evs)["stream"]["out_of_order"]
        expect_eq(os.path.basename(src) + " app events", reported(evs), reported(run(src)))
        for f in tcp_flows(evs):
            expect_eq(os.path.basename(src) + " missing bytes",
                      (f["tcp"]["missing_bytes_toserver"], f["tcp"]["missing_bytes_toclient"]), (0, 0))
    if late < len(REORDER):
        return f"only {late} segments out of order: the shuffle tests little"


# ---- loss ------------------------------------------------------------------


def drop_middle(pkts, index, start, length):
    """Split the payload of packet `index` into three segments and drop the
    middle one (bytes start..start+length of its payload)."""
    p = pkts[index]
    data = bytes(p[TCP].payload)
    parts = [(0, data[:start]), (start + length, data[start + length:])]
    out = list(pkts[:index])
    for off, chunk in parts:
        q = p.copy()
        q[TCP].remove_payload()
        q[TCP].seq = (p[TCP].seq + off) % (1 << 32)
        q = q / Raw(chunk)
        q.time = p.time
        out.append(refresh(q))
    return out + list(pkts[index + 1:])


def server_payload_index(pkts, marker):
    for i, p in enumerate(pkts):
        if bytes(p[TCP].payload).startswith(marker):
            return i
    raise AssertionError(f"no packet starting with {marker!r}")


@case
def case_loss_http_body():
    src = os.path.join(APP, "http-keepalive.pcap")
    pkts = rdpcap(src)
    i = server_payload_index(pkts, b"HTTP/1.1 200")
    data = bytes(pkts[i][TCP].payload)
    body = data.index(b"\r\n\r\n") + 4
    evs = run(write("loss-http.pcap", drop_middle(pkts, i, body + 100, 150)))
    f = tcp_flows(evs)
    expect_eq("flows", len(f), 1)
    expect_eq("missing bytes", (f[0]["tcp"]["missing_bytes_toserver"], f[0]["tcp"]["missing_bytes_toclient"]),
              (0, 150))
    got = [bare(e) for e in of_type(evs, "http")]
    want = [bare(e) for e in of_type(run(src), "http")]
    expect_eq("http transactions after the gap", got[-3:], want[-3:])
    expect_eq("http events", len(got), len(want))
    expect_eq("stream.gaps", stats(evs)["stream"]["gaps"], 1)


@case
def case_loss_tls_certificate():
    src = os.path.join(TLS, "tls12.pcap")
    pkts = rdpcap(src)
    i = next(n for n, p in enumerate(pkts) if len(p[TCP].payload) > 1000)
    evs = run(write("loss-tls.pcap", drop_middle(pkts, i, 300, 200)))
    f = tcp_flows(evs)
    expect_eq("missing bytes", (f[0]["tcp"]["missing_bytes_toserver"], f[0]["tcp"]["missing_bytes_toclient"]),
              (0, 200))
    t = tls_event(evs)["tls"]
    o = tls_event(run(src))["tls"]
    for k in ("sni", "ja3", "ja4", "client_alpns"):
        expect_eq(k, t.get(k), o[k])


# ---- one-sided -------------------------------------------------------------


@case
def case_one_sided():
    for name in ("app/http-keepalive", "tls/tls12", "app/http-post"):
        pkts = rdpcap(pcap(name + ".pcap"))
        cport = pkts[0][TCP].sport
        pkts = [p for p in pkts if cport in (p[TCP].sport, p[TCP].dport)]  # the first connection
        cli = [p for p in pkts if p[TCP].sport == cport]
        srv = [p for p in pkts if p[TCP].sport != cport]
        # What the client acknowledged of the server: its highest ack minus
        # the server's first sequence number after the SYN. The server's FIN,
        # never seen, cannot be told from a data byte: it counts as one.
        isn1 = min(p[TCP].ack for p in cli if p[TCP].flags.A)
        top = max(p[TCP].ack for p in cli if p[TCP].flags.A)
        fin_acked = any(p[TCP].flags.F and (p[TCP].seq + len(p[TCP].payload) + 1) % (1 << 32) == top for p in srv)
        acked = (top - isn1) % (1 << 32)
        expect_eq(name + " server payload", acked - fin_acked, sum(len(p[TCP].payload) for p in srv))
        evs = run(write("onesided.pcap", cli))
        f = tcp_flows(evs)
        expect_eq(name + " flows", len(f), 1)
        expect_eq(name + " missing bytes",
                  (f[0]["tcp"]["missing_bytes_toserver"], f[0]["tcp"]["missing_bytes_toclient"]), (0, acked))


# ---- duplicates, --no-app --------------------------------------------------


@case
def case_two_enis_once():
    evs = run(pcap("vxlan-two-enis.pcap"))
    got = sorted((e["event_type"], e["src_port"], e["dest_port"]) for e in app_events(evs))
    expect_eq("app events", got, [("dns", 53, 53000), ("dns", 53000, 53), ("http", 51000, 80)])
    for f in of_type(evs, "flow"):
        if f["proto"] != "ICMP":
            if f["flow"]["pkts_duplicated"] == 0:
                return "the capture has no duplicated packets: nothing tested"


@case
def case_no_app():
    flows_equal = os.path.join(ROOT, "tests/lib/flows_equal.py")
    for src in [os.path.join(TLS, "tls12.pcap"), os.path.join(APP, "http-keepalive.pcap"),
                os.path.join(APP, "ssh-dropbear.pcap"), pcap("real-vxlan.pcap"), pcap("vxlan-two-enis.pcap")]:
        a, b = os.path.join(TMP, "a.eve"), os.path.join(TMP, "b.eve")
        with_app, without = run(src), run(src, "--no-app")
        for path, evs in ((a, with_app), (b, without)):
            with open(path, "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in evs)
        r = subprocess.run([sys.executable, flows_equal, a, b], capture_output=True, text=True)
        if r.returncode != 0:
            return f"{src}: {r.stdout}"
        expect_eq(src + " app events", app_events(without), [])
        expect_eq(src + " app_proto", [f.get("app_proto") for f in of_type(without, "flow")],
                  [None] * len(of_type(without, "flow")))
        if not app_events(with_app):
            return f"{src}: no app events even with the application layer"
        for x, y in zip(tcp_flows(with_app), tcp_flows(without)):
            expect_eq(src + " missing bytes", y["tcp"]["missing_bytes_toclient"], x["tcp"]["missing_bytes_toclient"])


# ---- store -----------------------------------------------------------------

KEYS = {"dns": ("rrname", lambda e: e["dns"]["rrname"]),
        "tls": ("sni", lambda e: e["tls"].get("sni")),
        "http": ("hostname", lambda e: e["http"].get("hostname")),
        "ssh": ("hassh", lambda e: e["ssh"]["client"]["hassh"]["hash"]),
        "quic": ("sni", lambda e: e["quic"].get("sni"))}


@case
def case_store():
    seen = set()
    for n, src in enumerate([os.path.join(TLS, "tls12.pcap"), os.path.join(TLS, "tls13.pcap"),
                             os.path.join(APP, "http-keepalive.pcap"), os.path.join(APP, "ssh-dropbear.pcap"),
                             pcap("real-vxlan.pcap")]):
        d = os.path.join(TMP, f"store{n}")
        subprocess.run([BIN, "read", "--deterministic", "-q", "-l", d, src], check=True, capture_output=True)
        with open(os.path.join(d, "eve.json")) as f:
            evs = [json.loads(line) for line in f]
        db = sqlite3.connect(os.path.join(d, "periscope.db"))
        for t, (col, key) in KEYS.items():
            want = sorted(map(str, (key(e) for e in of_type(evs, t))))
            got = sorted(str(r[0]) for r in db.execute(f"SELECT {col} FROM {t}"))
            expect_eq(f"{os.path.basename(src)} {t}.{col}", got, want)
            if want:
                seen.add(t)
        tls = of_type(evs, "tls")
        got = sorted(r[0] for r in db.execute("SELECT ja4 FROM tls"))
        expect_eq("tls.ja4", got, sorted(e["tls"]["ja4"] for e in tls))
        db.close()
    expect_eq("tables with rows", sorted(seen), ["dns", "http", "ssh", "tls"])


# ---- port reuse, resource limits -------------------------------------------


@case
def case_port_reuse():
    src = os.path.join(APP, "http-get.pcap")
    pkts = rdpcap(src)
    for isn_shift in (0, 100000):  # the very same connection again, and with new ISNs
        again = rdpcap(src)
        shift = pkts[-1].time - pkts[0].time + 2
        for p in again:
            p.time += shift
            p[TCP].seq = (p[TCP].seq + isn_shift) % (1 << 32)
            if p[TCP].flags.A:
                p[TCP].ack = (p[TCP].ack + isn_shift) % (1 << 32)
        evs = run(write("reuse.pcap", list(pkts) + [refresh(p) for p in again]))
        f = tcp_flows(evs)
        expect_eq(f"{isn_shift} flows", len(f), 2)
        expect_eq(f"{isn_shift} flow ids", len({x["flow_id"] for x in f}), 2)
        expect_eq(f"{isn_shift} missing bytes", [x["tcp"]["missing_bytes_toclient"] for x in f], [0, 0])
        h = of_type(evs, "http")
        expect_eq(f"{isn_shift} http events", len(h), 2)
        expect_eq(f"{isn_shift} http per flow", sorted(e["flow_id"] for e in h), sorted(x["flow_id"] for x in f))
        expect_eq(f"{isn_shift} same transaction", bare(h[0]), bare(h[1]))


def two_concurrent_tls():
    a = rdpcap(os.path.join(TLS, "tls12.pcap"))
    b = rdpcap(os.path.join(TLS, "tls13.pcap"))
    shift = a[0].time - b[0].time + 0.0005
    for p in b:
        p.time += shift
    return write("two-tls.pcap", sorted(list(a) + list(b), key=lambda p: p.time))


@case
def case_app_slots_1():
    path = two_concurrent_tls()
    evs = run(path, "--app-slots", "1")
    expect_eq("app.slots_full", stats(evs)["app"]["slots_full"], 1)
    expect_eq("tls events", len(of_type(evs, "tls")), 1)
    expect_eq("flows", len(tcp_flows(evs)), 2)
    evs = run(path)
    expect_eq("tls events with slots", len(of_type(evs, "tls")), 2)
    expect_eq("app.slots_full with slots", stats(evs)["app"]["slots_full"], 0)


@case
def case_stream_buffers_0():
    # In-order data goes to the parser straight from the packet: no buffer.
    evs = run(os.path.join(APP, "http-keepalive.pcap"), "--stream-buffers", "0")
    expect_eq("http events in order", len(of_type(evs, "http")), 4)
    expect_eq("stream.no_buffer in order", stats(evs)["stream"]["no_buffer"], 0)
    # Data ahead of a hole needs a buffer: without one the direction is given up.
    pkts = rdpcap(os.path.join(APP, "http-keepalive.pcap"))
    i = server_payload_index(pkts, b"HTTP/1.1 200")
    body = bytes(pkts[i][TCP].payload).index(b"\r\n\r\n") + 4
    held = drop_middle(pkts, i, body, 0)  # split: header, body
    held[i], held[i + 1] = held[i + 1], held[i]
    evs = run(write("nobuf.pcap", held), "--stream-buffers", "0")
    expect_eq("stream.no_buffer", stats(evs)["stream"]["no_buffer"], 1)
    expect_eq("http events without a buffer", of_type(evs, "http"), [])
    f = tcp_flows(evs)
    expect_eq("flow still recorded", (len(f), f[0]["tcp"]["missing_bytes_toclient"]), (1, 0))
    evs = run(write("nobuf.pcap", held))
    expect_eq("with buffers: http events", len(of_type(evs, "http")), 4)


for fn in CASES:
    if len(sys.argv) < 3 or fn.__name__.removeprefix("case_") in sys.argv[2:]:
        run_case(fn)
print(f"app: {sum(RESULTS)} passed, {len(RESULTS) - sum(RESULTS)} failed")
if not os.environ.get("APP_TESTS_KEEP"):
    subprocess.run(["rm", "-rf", TMP], check=False)
else:
    print("kept", TMP)
sys.exit(0 if all(RESULTS) else 1)
