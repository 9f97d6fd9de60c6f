#!/usr/bin/env python3
"""Application-layer agreement: periscope against Suricata 7 and suricata-verify.

For every DNS/TLS/QUIC/HTTP/SSH capture of ../shared/corpus chosen below, run
`periscope read` and Suricata (bench/suricata-app.yaml), pair their dns, tls,
quic, http and ssh records and compare field by field. Where a suricata-verify
test.yaml states the value of one of these fields, compare periscope with it
too (the "truth" rows: ground truth beats Suricata's output).

Usage: tests/corpus/app-agreement.py [--periscope BIN] [--corpus DIR]
           [--counts OUT.json] [--expect EXPECT.json] [--jobs N]
Prints the table (per event type and field: matching, differing,
missing-in-periscope, missing-in-suricata) and every difference with its file.
--counts writes the table as JSON for tests/corpus/app.sh. See
docs/app-agreement.md. Exit 77 when the corpus or suricata is absent.
"""
import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

# suricata-verify tests: directory names or test.yaml event types that concern
# the application layer (tls-ja3s ships no capture and is skipped).
SV_NAME = re.compile(r"dns|tls|ja3|ja4|quic|ssh|http", re.I)
SV_EVENT = re.compile(r"event_type: *(dns|tls|quic|http|ssh)\b")
# nDPI's TLS, QUIC, DNS and SSH captures.
NDPI_NAME = re.compile(r"^(tls|quic|dns|ssh)", re.I)

FIELDS = {
    "dns": ["type", "rrname", "rrtype", "rcode", "answers"],
    "tls": ["sni", "version", "subject", "issuerdn", "serial", "fingerprint",
            "notbefore", "notafter", "ja3.hash", "ja3s.hash", "ja4"],
    "quic": ["sni", "version", "ja3.hash", "ja4"],
    "http": ["hostname", "url", "http_user_agent", "status"],
    "ssh": ["client.software_version", "server.software_version",
            "client.hassh.hash", "server.hassh.hash"],
}
OUTCOMES = ["match", "differ", "miss_p", "miss_s"]
EXTRA = {"suricata_quic_extra": 0}
# Suricata 8's dns v3 layout names the types request/response
DNS_TYPE_V3 = {"request": "query", "response": "answer"}


def captures(corpus):
    out = []
    sv = os.path.join(corpus, "suricata-verify", "tests")
    for d, _, files in sorted(os.walk(sv)):
        if "test.yaml" not in files:
            continue
        with open(os.path.join(d, "test.yaml"), errors="replace") as f:
            yaml = f.read()
        if not (SV_NAME.search(os.path.relpath(d, sv)) or SV_EVENT.search(yaml)):
            continue
        pcaps = sorted(x for x in files if re.search(r"\.(pcap|pcapng|cap)$", x))
        if len(pcaps) == 1:
            out.append((os.path.join(d, pcaps[0]), os.path.join(d, "test.yaml")))
    nd = os.path.join(corpus, "ndpi", "tests", "cfgs", "default", "pcap")
    if os.path.isdir(nd):
        for x in sorted(os.listdir(nd)):
            if NDPI_NAME.search(x):
                out.append((os.path.join(nd, x), None))
    return out


def read_eve(path):
    recs = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("event_type") in FIELDS:
                    recs.append(r)
    except OSError:
        pass
    return recs


def run_one(cap, periscope, tmp):
    base = os.path.join(tmp, re.sub(r"[^A-Za-z0-9]", "_", cap[-80:]))
    os.makedirs(base + ".s", exist_ok=True)
    subprocess.run([periscope, "read", "-q", "--eve", base + ".p.json", cap],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120, check=False)
    # -k none: several captures were taken with checksum offload; periscope
    # counts bad checksums but still parses, so Suricata must too; midstream:
    # periscope takes TCP flows whose handshake was not captured (nDPI strips
    # it from several captures), Suricata 7 only with stream.midstream.
    subprocess.run(["suricata", "--runmode", "single", "-k", "none",
                    "--set", "stream.midstream=true", "-c",
                    os.path.join(ROOT, "bench", "suricata-app.yaml"), "-S",
                    "/dev/null", "-r", cap, "-l", base + ".s"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120, check=False)
    return read_eve(base + ".p.json"), read_eve(base + ".s/eve.json")


def ip(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return str(a)


def flow_key(r):
    a = (ip(r.get("src_ip")), r.get("src_port", 0))
    b = (ip(r.get("dest_ip")), r.get("dest_port", 0))
    return (r.get("proto"),) + tuple(sorted([a, b]))


def get(obj, path):
    for p in path.split("."):
        m = re.match(r"(.*)\[(\d+)\]$", p)
        if m:
            p = m.group(1)
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
        if m:
            i = int(m.group(2))
            if not isinstance(obj, list) or i >= len(obj):
                return None
            obj = obj[i]
    return obj


def field(r, ev, name):
    body = r.get(ev) or {}
    if ev == "dns" and name == "answers":
        ans = body.get("answers")
        if not ans:
            return None
        return sorted("%s %s %s" % (a.get("rrname"), a.get("rrtype"),
                                    a.get("rdata", json.dumps(
                                        {k: v for k, v in a.items()
                                         if k not in ("rrname", "rrtype", "ttl")},
                                        sort_keys=True)))
                      for a in ans)
    v = get(body, name)
    if isinstance(v, (dict, list)) or v == "":
        return None if not v else v
    return v


def rec_key(r, ev):
    k = flow_key(r)
    if ev == "dns":
        d = r.get("dns") or {}
        k = k + (d.get("id"), d.get("type"))
    return k


def pair(prs, srs, ev):
    """Pair records of one event type by key, in order within a key."""
    groups = {}
    for side, recs in ((0, prs), (1, srs)):
        for r in recs:
            if r.get("event_type") == ev:
                groups.setdefault(rec_key(r, ev), ([], []))[side].append(r)
    pairs = []
    for k in groups:
        p, s = groups[k]
        if ev == "quic":
            # Suricata 7 writes one quic event per packet it parses (server
            # packets too, with only the version); periscope one per flow,
            # from the client's Initial: pair with Suricata's ClientHello
            # events, the others are counted in `suricata_quic_extra`.
            hello = [r for r in s if field(r, ev, "sni") or field(r, ev, "ja3.hash")]
            kept = (hello or s)[:max(len(p), 1)]
            EXTRA["suricata_quic_extra"] += len(s) - len(kept)
            s = kept
        n = max(len(p), len(s))
        for i in range(n):
            pairs.append((p[i] if i < len(p) else None,
                          s[i] if i < len(s) else None))
    return pairs


def parse_checks(path):
    """The `filter` checks of a suricata-verify test.yaml: a list of
    (count or None, {dotted field: value}). A small reader for the subset
    of YAML those files use (no package needed)."""
    checks = []
    cur = None
    in_match = False
    match_indent = 0
    last = None
    with open(path, errors="replace") as f:
        for line in f:
            s = line.rstrip("\n")
            if not s.strip() or s.strip().startswith("#"):
                continue
            ind = len(s) - len(s.lstrip())
            t = s.strip()
            if t.startswith("- "):
                cur = None
                in_match = False
                t2 = t[2:].strip()
                if t2.startswith("filter:"):
                    cur = [None, {}]
                    checks.append(cur)
                continue
            if cur is None:
                continue
            if in_match and ind <= match_indent:
                in_match = False
            if t.startswith("match:"):
                in_match = True
                match_indent = ind
                continue
            m = re.match(r"([A-Za-z0-9_.\-\[\]]+): *(.*)$", t)
            if not m:
                if in_match and last:  # a plain scalar folded over lines
                    cur[1][last] += " " + t
                continue
            k, v = m.group(1), m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            if k == "min-version" and not in_match and v.split(".")[0] > "7":
                checks.remove(cur)  # Suricata 8 layout (dns v3, ...)
                cur = None
                continue
            # Suricata 8's dns v3 layout: the question in queries[0]
            k = k.replace("dns.queries[0].", "dns.")
            if in_match:
                cur[1][k] = v
                last = k
            elif k == "count" and ind > 0:
                try:
                    cur[0] = int(v)
                except ValueError:
                    pass
    return checks


def truth_rows(checks, prs):
    """(event, field, expected value, periscope values) for every stated
    value of a compared field."""
    rows = []
    for count, m in checks:
        ev = m.get("event_type")
        if ev not in FIELDS:
            continue
        for k, v in m.items():
            if not k.startswith(ev + "."):
                continue
            name = k[len(ev) + 1:]
            if ev == "dns" and name == "type":
                v = DNS_TYPE_V3.get(v, v)
            if name not in FIELDS[ev]:
                continue
            # the records that satisfy the check's other fields
            # (tx_id is left out: Suricata numbers the transactions of a
            # flow by its own rules, periscope by the messages it parsed)
            others = {kk: vv for kk, vv in m.items()
                      if kk.startswith(ev + ".") and kk != k and kk != ev + ".tx_id"}
            cand = [r for r in prs if r.get("event_type") == ev and all(
                str(get(r, kk)) == DNS_TYPE_V3.get(vv, vv) or
                (str(get(r, kk)).lower() == vv.lower() and vv in ("true", "false"))
                for kk, vv in others.items())]
            rows.append((ev, name, v, count,
                         [str(field(r, ev, name)) for r in cand
                          if field(r, ev, name) is not None]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--periscope", default=os.path.join(ROOT, "build", "periscope"))
    ap.add_argument("--corpus", default=os.environ.get(
        "PERISCOPE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus")))
    ap.add_argument("--counts")
    ap.add_argument("--expect", help="fail when a field matches fewer records, or "
                    "differs on more, than this file (tests/corpus/app-expect.json) says")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        print("SKIP app-agreement: corpus %s not found" % a.corpus)
        return 77
    if not shutil.which("suricata"):
        print("SKIP app-agreement: suricata not installed")
        return 77
    corpus = os.path.realpath(a.corpus)
    caps = captures(corpus)
    table = {(ev, f): dict.fromkeys(OUTCOMES, 0) for ev in FIELDS for f in FIELDS[ev]}
    truth = {}
    diffs = []
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda c: run_one(c[0], a.periscope, tmp), caps))
    for (cap, yaml), (prs, srs) in zip(caps, results):
        rel = os.path.relpath(cap, corpus)
        for ev in FIELDS:
            for p, s in pair(prs, srs, ev):
                for f in FIELDS[ev]:
                    pv = field(p, ev, f) if p else None
                    sv = field(s, ev, f) if s else None
                    if pv is None and sv is None:
                        continue
                    if pv == sv:
                        o = "match"
                    elif pv is None:
                        o = "miss_p"
                    elif sv is None:
                        o = "miss_s"
                    else:
                        o = "differ"
                    table[(ev, f)][o] += 1
                    if o != "match":
                        r = p or s
                        diffs.append("%s %s.%s %s %s:%s-%s:%s periscope=%s suricata=%s" % (
                            o, ev, f, rel, r.get("src_ip"), r.get("src_port"),
                            r.get("dest_ip"), r.get("dest_port"),
                            json.dumps(pv), json.dumps(sv)))
        if yaml:
            for ev, f, want, count, got in truth_rows(parse_checks(yaml), prs):
                t = truth.setdefault((ev, f), dict.fromkeys(["match", "differ", "miss_p"], 0))
                if count == 0:
                    t["match" if want not in got else "differ"] += 1
                    if want in got:
                        diffs.append("truth %s.%s %s expected no %s, periscope has it" % (
                            ev, f, rel, want))
                    continue
                if want in got:
                    t["match"] += 1
                elif got:
                    t["differ"] += 1
                else:
                    t["miss_p"] += 1
                n = got.count(want)
                if want not in got or (count is not None and n != count):
                    diffs.append("truth %s.%s %s expected=%s (count %s) periscope=%s" % (
                        ev, f, rel, want, count, json.dumps(sorted(set(got)))))
    print("captures: %d" % len(caps))
    print("%-30s %7s %7s %9s %9s" % ("field (vs Suricata 7)", "match", "differ",
                                     "miss-per", "miss-sur"))
    for (ev, f), c in table.items():
        print("%-30s %7d %7d %9d %9d" % (ev + "." + f, c["match"], c["differ"],
                                         c["miss_p"], c["miss_s"]))
    print("%-30s %7s %7s %9s" % ("field (vs suricata-verify)", "match", "differ",
                                 "miss-per"))
    for (ev, f), c in sorted(truth.items()):
        print("%-30s %7d %7d %9d" % (ev + "." + f, c["match"], c["differ"], c["miss_p"]))
    print("suricata quic events without a ClientHello (per packet, not paired): %d"
          % EXTRA["suricata_quic_extra"])
    print("differences: %d" % len(diffs))
    for d in diffs:
        print("  " + d)
    out = {"suricata": {ev + "." + f: c for (ev, f), c in table.items()},
           "truth": {ev + "." + f: c for (ev, f), c in sorted(truth.items())}}
    if a.counts:
        with open(a.counts, "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
    if a.expect:
        return check(out, a.expect)
    return 0


def check(out, path):
    with open(path) as f:
        want = json.load(f)
    ok = bad = 0
    for side in ("suricata", "truth"):
        for name, w in sorted(want.get(side, {}).items()):
            got = out[side].get(name, {"match": 0, "differ": 0})
            if got["match"] < w["match"] or got["differ"] > w["differ"]:
                print("FAIL corpus-app: %s %s: match %d (expected >= %d), differ %d "
                      "(expected <= %d)" % (side, name, got["match"], w["match"],
                                            got["differ"], w["differ"]))
                bad += 1
            else:
                ok += 1
    print("corpus-app: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
