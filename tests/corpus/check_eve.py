#!/usr/bin/env python3
"""Checks for the third-party corpus run (tests/corpus/run.sh). Standard library only.

1. Validate EVE output as a downstream consumer would:
   every line is a JSON object (no NaN/Infinity), the bytes are UTF-8 and
   every string (keys included) is valid Unicode text that encodes to UTF-8
   (a lone surrogate escape such as "\\ud800" is rejected); flow_id values
   are unique; the one stats event is the last line and satisfies the
   accounting invariant: pkts.received == pkts.decoded + pkts.dropped and
   pkts.dropped == sum(stats.drop.*); stats.flow.created equals the number
   of flow events (every flow is reported when it ends).

       check_eve.py EVE...                   problems on stdout, exit 1 if any
       check_eve.py --list LIST [--failed-out F]
           LIST has lines "label<TAB>eve-path"; prints
           "FAIL corpus: <label>: <reason>" and writes failing labels to F.

2. Apply tests/corpus/expect.tsv (format described at its top):

       check_eve.py --expect expect.tsv --corpus DIR --bin PERISCOPE \
                    --eve-map MAP --tmp DIR [--counts-out F]
           MAP has lines "capture<TAB>eve-path" (output of the plain run).
           Rows with extra arguments are run here (timeout 60 s, sanitizer
           report and exit status checked). Prints one FAIL line per row that
           does not hold and writes "passed failed" to F.
"""
import json
import math
import os
import re
import shlex
import subprocess
import sys

SAN_RE = re.compile(r"runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer")
MAX_PROBLEMS = 5


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _bad_strings(obj, path="$"):
    """Yield paths of strings (values or keys) that are not valid UTF-8 text."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            yield path
    elif isinstance(obj, dict):
        for k, v in obj.items():
            try:
                k.encode("utf-8")
            except UnicodeEncodeError:
                yield f"{path} (key)"
            yield from _bad_strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _bad_strings(v, f"{path}[{i}]")
    elif isinstance(obj, float) and not math.isfinite(obj):
        yield f"{path} (non-finite number)"


def load_eve(path):
    """Return (events, problems)."""
    events, problems = [], []
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        problems.append("output does not end with a newline (truncated line?)")
    for n, raw in enumerate(data.splitlines(), 1):
        try:
            text = raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            problems.append(f"line {n}: invalid UTF-8 bytes: {e}")
            continue
        try:
            ev = json.loads(text, parse_constant=_reject_constant)
        except ValueError as e:
            problems.append(f"line {n}: invalid JSON: {e}: {text[:120]!r}")
            continue
        bad = list(_bad_strings(ev))
        if bad:
            problems.append(f"line {n}: string not valid UTF-8 text at {bad[0]}")
        if not isinstance(ev, dict) or "event_type" not in ev:
            problems.append(f"line {n}: not an EVE object with event_type")
            continue
        events.append(ev)
    return events, problems


def check_events(events):
    problems = []
    ids = set()
    nflow = 0
    stats_idx = [i for i, e in enumerate(events) if e.get("event_type") == "stats"]
    for i, e in enumerate(events):
        if e["event_type"] != "flow":
            continue
        nflow += 1
        fid = e.get("flow_id")
        if not isinstance(fid, int):
            problems.append(f"flow event {i + 1}: flow_id missing or not an integer: {fid!r}")
        elif fid in ids:
            problems.append(f"flow_id {fid} is not unique")
        ids.add(fid)
        for k in ("src_ip", "dest_ip", "proto", "mirror", "flow"):
            if k not in e:
                problems.append(f"flow_id {fid}: no {k}")
        fl = e.get("flow", {})
        if isinstance(fl, dict) and fl.get("pkts_toserver", 1) < 1:
            problems.append(f"flow_id {fid}: pkts_toserver < 1 (initiator sent nothing)")
    if len(stats_idx) != 1:
        problems.append(f"{len(stats_idx)} stats events (want exactly 1)")
    if not stats_idx:
        return problems
    if stats_idx[-1] != len(events) - 1:
        problems.append("stats event is not the last line")
    st = events[stats_idx[-1]].get("stats", {})
    try:
        p = st["pkts"]
        drops = sum(st["drop"].values())
        if p["received"] != p["decoded"] + p["dropped"]:
            problems.append(f"accounting: pkts.received {p['received']} != decoded "
                            f"{p['decoded']} + dropped {p['dropped']}")
        if p["dropped"] != drops:
            problems.append(f"accounting: pkts.dropped {p['dropped']} != sum(drop.*) {drops} "
                            f"({ {k: v for k, v in st['drop'].items() if v} })")
        for g in ("decoder", "anomaly", "flow", "mirror"):
            if not isinstance(st.get(g), dict):
                problems.append(f"stats.{g} missing")
        if not isinstance(st.get("mirror_sessions"), list):
            problems.append("stats.mirror_sessions missing")
        created = st.get("flow", {}).get("created")
        if created is not None and created != nflow:
            problems.append(f"stats.flow.created {created} != {nflow} flow events")
    except (KeyError, TypeError, AttributeError) as e:
        problems.append(f"stats event malformed: {e!r}")
    return problems


def check_file(path):
    events, problems = load_eve(path)
    problems += check_events(events)
    return events, problems


# ---------------------------------------------------------------- selectors

def lookup(obj, dotted):
    """Follow a dotted key; numeric parts index lists. Key names that contain
    dots themselves (stats "tcp.bad_checksum", "end.shutdown") are matched by
    trying the longest run of parts first. Returns (found, value)."""
    parts = dotted.split(".")

    def walk(cur, i):
        if i == len(parts):
            return True, cur
        if isinstance(cur, dict):
            for j in range(len(parts), i, -1):
                k = ".".join(parts[i:j])
                if k in cur:
                    found, v = walk(cur[k], j)
                    if found:
                        return True, v
            return False, None
        if isinstance(cur, list) and parts[i].isdigit() and int(parts[i]) < len(cur):
            return walk(cur[int(parts[i])], i + 1)
        return False, None

    return walk(obj, 0)


def render(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def parse_selector(spec):
    """'@kind term term...' -> (kind, [(op, key, value)]).
    kinds: @flow (default), @stats, @session (elements of stats.mirror_sessions).
    terms: key=value  key!=value  key? (present)  !key (absent)."""
    toks = spec.split()
    kind = "flow"
    if toks and toks[0].startswith("@"):
        kind = toks.pop(0)[1:]
        if kind not in ("flow", "stats", "session"):
            raise ValueError(f"unknown record kind @{kind}")
    terms = []
    for t in toks:
        if t.startswith("!"):
            terms.append(("absent", t[1:], None))
        elif t.endswith("?"):
            terms.append(("present", t[:-1], None))
        elif "!=" in t:
            k, v = t.split("!=", 1)
            terms.append(("ne", k, v))
        elif "=" in t:
            k, v = t.split("=", 1)
            terms.append(("eq", k, v))
        else:
            raise ValueError(f"bad term {t!r}")
    return kind, terms


def records(events, kind):
    if kind == "flow":
        return [e for e in events if e.get("event_type") == "flow"]
    stats = [e for e in events if e.get("event_type") == "stats"]
    if kind == "stats":
        return stats[-1:]
    return list(stats[-1].get("stats", {}).get("mirror_sessions", [])) if stats else []


def matches(rec, terms):
    for op, k, v in terms:
        found, val = lookup(rec, k)
        if op == "absent":
            if found:
                return False
        elif op == "present":
            if not found:
                return False
        elif op == "eq":
            if not found or render(val) != v:
                return False
        elif op == "ne":
            if found and render(val) == v:
                return False
    return True


def count_ok(got, want):
    if want.startswith(">="):
        return got >= int(want[2:])
    if want.startswith("<="):
        return got <= int(want[2:])
    return got == int(want)


# ------------------------------------------------------------- expectations

def read_expect(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 4:
                raise SystemExit(f"{path}:{n}: want capture<TAB>args<TAB>selector<TAB>count"
                                 f"[<TAB>comment], got {line!r}")
            cap, args, sel, cnt = (c.strip() for c in cols[:4])
            comment = cols[4].strip() if len(cols) > 4 else ""
            parse_selector(sel)  # fail early on syntax errors
            if not re.fullmatch(r"(>=|<=)?\d+", cnt):
                raise SystemExit(f"{path}:{n}: bad count {cnt!r}")
            rows.append((n, cap, "" if args == "-" else args, sel, cnt, comment))
    return rows


def run_variant(binary, corpus, cap, args, tmpdir, idx):
    """Run periscope with extra args; return (events, problems)."""
    out = os.path.join(tmpdir, f"variant{idx}.json")
    cmd = ["timeout", "60", binary, "read", "--deterministic", "-q", "--eve", out,
           "--flowlog", "/dev/null"] + shlex.split(args) + [os.path.join(corpus, cap)]
    try:
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=90)
    except subprocess.TimeoutExpired:
        return [], ["timeout"]
    err = r.stderr.decode("utf-8", "replace")
    probs = []
    m = SAN_RE.search(err)
    if m:
        line = next((ln for ln in err.splitlines() if SAN_RE.search(ln)), m.group(0))
        probs.append(f"sanitizer report with {args}: {line.strip()[:200]}")
    if r.returncode == 124:
        probs.append(f"timeout (>60 s) with {args}")
    elif r.returncode != 0:
        probs.append(f"exit status {r.returncode} with {args}: {err.strip()[:200]}")
    if probs or not os.path.exists(out):
        return [], probs or ["no output"]
    events, p2 = check_file(out)
    return events, [f"with {args}: {p}" for p in p2]


def main_expect(a):
    rows = read_expect(a["--expect"])
    evemap = {}
    with open(a["--eve-map"], encoding="utf-8") as f:
        for line in f:
            cap, _, path = line.rstrip("\n").partition("\t")
            evemap[cap] = path
    cache = {}
    passed = failed = 0
    for n, cap, args, sel, want, comment in rows:
        key = (cap, args)
        if key not in cache:
            if not os.path.exists(os.path.join(a["--corpus"], cap)):
                cache[key] = (None, ["capture not in corpus"])
            elif not args:
                path = evemap.get(cap)
                if path is None or not os.path.exists(path):
                    cache[key] = (None, ["no usable output from the plain run (see above)"])
                else:
                    cache[key] = (load_eve(path)[0], [])
            else:
                ev, probs = run_variant(a["--bin"], a["--corpus"], cap, args, a["--tmp"],
                                        len(cache))
                for p in probs:
                    print(f"FAIL corpus: {cap}: {p}")
                cache[key] = (ev, probs)
        events, probs = cache[key]
        label = f"{cap}: expect.tsv:{n}"
        bug = " [known BUG]" if "BUG:" in comment else ""
        if events is None or (probs and not events):
            print(f"FAIL corpus: {label}: cannot evaluate: {probs[0] if probs else '?'}{bug}")
            failed += 1
            continue
        kind, terms = parse_selector(sel)
        got = sum(1 for r in records(events, kind) if matches(r, terms))
        if count_ok(got, want):
            passed += 1
        else:
            extra = f" [{args}]" if args else ""
            print(f"FAIL corpus: {label}{extra}: '{sel or '(all flows)'}' matched {got}, want {want}{bug}"
                  + (f" -- {comment}" if comment else ""))
            failed += 1
    if a.get("--counts-out"):
        with open(a["--counts-out"], "w") as f:
            f.write(f"{passed} {failed}\n")
    return 1 if failed else 0


def main_list(a):
    failed = []
    with open(a["--list"], encoding="utf-8") as f:
        items = [ln.rstrip("\n").split("\t", 1) for ln in f if ln.strip()]
    for label, path in items:
        try:
            _, probs = check_file(path)
        except OSError as e:
            probs = [f"cannot read output: {e}"]
        if probs:
            failed.append(label)
            for p in probs[:MAX_PROBLEMS]:
                print(f"FAIL corpus: {label}: {p}")
            if len(probs) > MAX_PROBLEMS:
                print(f"FAIL corpus: {label}: ... {len(probs) - MAX_PROBLEMS} more problems")
    if a.get("--failed-out"):
        with open(a["--failed-out"], "w", encoding="utf-8") as f:
            f.writelines(l + "\n" for l in failed)
    return 1 if failed else 0


def main(argv):
    opts = {"--list", "--failed-out", "--expect", "--corpus", "--bin", "--eve-map", "--tmp",
            "--counts-out"}
    a, files = {}, []
    it = iter(argv)
    for x in it:
        if x in opts:
            a[x] = next(it)
        elif x in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            files.append(x)
    if "--expect" in a:
        return main_expect(a)
    if "--list" in a:
        return main_list(a)
    rc = 0
    for path in files:
        _, probs = check_file(path)
        for p in probs[:MAX_PROBLEMS * 4]:
            print(f"{path}: {p}")
        rc |= bool(probs)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
