#!/usr/bin/env python3
"""Apply tests/corpus/attacks-expect.tsv: run periscope on third-party corpus
captures and check its alerts, anomaly events and final stats (stdlib only).

Called by tests/corpus/attacks.sh; see the header of attacks-expect.tsv for
the row grammar. Prints "FAIL corpus-attacks: ..." per failing row and ends
with "corpus-attacks: N passed, N failed"; exit status 0 or 1.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys

SAN = re.compile(r"runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer")
TERM = re.compile(r"^(sid|detector|anomaly):([^<>=!]+)(>=|<=|=)(\d+)$")
STAT = re.compile(r"^(stats\.[^<>=!]+)(>=|<=|=)(\d+)$")
ALERTS = re.compile(r"^alerts=(none|\d+:\d+(,\d+:\d+)*)$")


def run(binary, corpus, capture, args):
    """Run periscope once; return (error or None, result dict)."""
    cmd = [binary, "read", "--deterministic", "-q", "--eve", "-"] + args + [
        os.path.join(corpus, capture)]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "timeout after 60 s", None
    err = p.stderr.decode("utf-8", "replace")
    m = SAN.search(err)
    if m:
        line = next(l for l in err.splitlines() if SAN.search(l))
        return "sanitizer report: " + line[:200], None
    if p.returncode != 0:
        return "exit status %d: %s" % (p.returncode, err.strip()[:200]), None
    res = {"sid": collections.Counter(), "detector": collections.Counter(),
           "anomaly": collections.Counter(), "stats": None}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            return "output line is not JSON: " + line[:120], None
        t = e.get("event_type")
        if t == "alert":
            res["sid"][str(e["alert"]["signature_id"])] += 1
            res["detector"][e["alert"].get("detector", "")] += 1
        elif t == "anomaly":
            res["anomaly"][e["anomaly"]["event"]] += 1
        elif t == "stats":
            res["stats"] = e
    if res["stats"] is None:
        return "no final stats event", None
    return None, res


def stat_value(obj, path):
    """Dotted path; a key may itself contain dots (defrag.dropped.overlap):
    the longest matching key wins at each level. None when absent."""
    parts = path.split(".")
    i = 0
    while i < len(parts):
        if not isinstance(obj, dict):
            return None
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in obj:
                obj = obj[key]
                i = j
                break
        else:
            return None
    return obj if isinstance(obj, (int, float)) and not isinstance(obj, bool) else None


def compare(got, op, want):
    return got == want if op == "=" else got >= want if op == ">=" else got <= want


def check(res, terms):
    """Return a list of failure strings (empty when every term holds)."""
    bad = []
    for t in terms:
        m = ALERTS.match(t)
        if m:
            want = {} if m.group(1) == "none" else dict(
                (k, int(v)) for k, v in (x.split(":") for x in m.group(1).split(",")))
            got = dict(res["sid"])
            if got != want:
                bad.append("%s, got alerts=%s" % (t, ",".join(
                    "%s:%d" % (k, v) for k, v in sorted(got.items())) or "none"))
            continue
        m = TERM.match(t)
        if m:
            kind, name, op, n = m.groups()
            got = res[kind].get(name, 0)
            if not compare(got, op, int(n)):
                bad.append("%s, got %d" % (t, got))
            continue
        m = STAT.match(t)
        if m:
            path, op, n = m.groups()
            got = stat_value(res["stats"], path)
            if got is None:
                bad.append("%s: no such numeric stats field" % t)
            elif not compare(got, op, int(n)):
                bad.append("%s, got %s" % (t, got))
            continue
        bad.append("%s: unknown term" % t)
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()

    rows = []
    with open(a.expect, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 3:
                rows.append((n, None, None, None, "", "malformed row (need capture, args, check)"))
                continue
            capture, args, chk = cols[0], cols[1], cols[2]
            comment = cols[3] if len(cols) > 3 else ""
            argv = [] if args in ("", "-") else shlex.split(args)
            rows.append((n, capture, argv, chk.split(), comment, None))

    runs = {}
    keys = sorted({(r[1], tuple(r[2])) for r in rows if r[5] is None})
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {k: ex.submit(run, a.bin, a.corpus, k[0], list(k[1])) for k in keys}
        for k, fu in futs.items():
            runs[k] = fu.result()

    passed = failed = 0
    for n, capture, argv, terms, comment, err in rows:
        tag = comment.split(":", 1)[0] if comment.startswith(("BUG:", "DIFFERS:")) else ""
        where = "line %d %s%s" % (n, capture, (" [" + " ".join(argv) + "]") if argv else "")
        if err is None:
            if not os.path.exists(os.path.join(a.corpus, capture)):
                err = "capture not found in the corpus"
            else:
                rerr, res = runs[(capture, tuple(argv))]
                err = rerr or "; ".join(check(res, terms))
        if err:
            failed += 1
            print("FAIL corpus-attacks: %s: %s%s" % (where, err, (" (" + tag + " row)") if tag else ""))
        else:
            passed += 1
    print("corpus-attacks: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
