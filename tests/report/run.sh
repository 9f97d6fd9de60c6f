#!/bin/bash
# The visibility report (periscope report) against captures whose truth is
# known (tests/gen/visibility.py builds them; python3-scapy):
#  (a) a mix of real handshakes (openssl TLS 1.2, 1.3, mutual TLS; dropbear
#      SSH; curl/nginx HTTP), DoT, DoH, DNS, WireGuard, OpenVPN, IKE, ESP and
#      random bytes: the report's flows and bytes per class equal the truth;
#  (b) the same capture with 5% of the TCP packets removed and the server side
#      of the HTTP flows removed (three seeds): the report's bytes never
#      mirrored equal the payload bytes removed (plus one per one-sided flow:
#      the server's unseen FIN takes a sequence number), and its one-sided
#      flows equal the flows whose server side was removed;
#  (c) the HTML page in headless Chromium: the SVG charts render (rect
#      elements in the DOM) and the numbers shown equal the store's
#      (skipped when chromium is absent).
# Ends with "report: N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
[ -x "$bin" ] || { echo "report: $bin not built" >&2; exit 77; }
py=/usr/bin/python3
$py -c 'import scapy.all' 2>/dev/null || { echo "report: SKIP: python3-scapy missing"; exit 77; }
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL report/$1"; }
tmp=$(mktemp -d /tmp/periscope-report-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

$py tests/gen/visibility.py mix "$tmp/mix.pcap" "$tmp/mix.json" || { echo "report: cannot build the mix"; exit 1; }
"$bin" read -q -l "$tmp/mix" "$tmp/mix.pcap" || bad read-mix
"$bin" report --db "$tmp/mix/periscope.db" -o "$tmp/mix.html" >"$tmp/mix.txt" || bad report-mix

# (a) per class: flows and bytes in the text report equal the truth
$py - "$tmp/mix.json" "$tmp/mix.txt" >"$tmp/a.out" <<'EOF'
import json, sys
truth = json.load(open(sys.argv[1]))["flows"]
want = {}
for f in truth:
    n, b = want.get(f["class"], (0, 0))
    want[f["class"]] = (n + 1, b + f["bytes"])
got = {}
rows = False
for line in open(sys.argv[2]):
    w = line.split()
    if w[:1] == ["class"]:
        rows = True
        continue
    if rows and not w:
        break
    if rows:
        got[w[0]] = (int(w[1]), int(w[3]))
for c in sorted(set(want) | set(got)):
    print(("ok" if want.get(c) == got.get(c) else "FAIL"), c, "truth", want.get(c), "report", got.get(c))
EOF
while read -r res cls rest; do
    if [ "$res" = ok ]; then ok; else bad "mix-class-$cls: $rest"; fi
done <"$tmp/a.out"
[ "$(wc -l <"$tmp/a.out")" -ge 10 ] && ok || bad "mix: fewer than 10 classes compared"
grep -q '^  one-sided  *0 flows' "$tmp/mix.txt" && grep -q 'never mirrored (TCP sequence gaps): 0$' "$tmp/mix.txt" &&
    ok || bad "mix: losses reported on an undamaged capture"

# (b) damaged copies
for seed in 1 2 3; do
    $py tests/gen/visibility.py damage "$tmp/mix.pcap" "$tmp/d$seed.pcap" "$tmp/d$seed.json" "$seed" ||
        { bad "damage-$seed"; continue; }
    "$bin" report -r "$tmp/d$seed.pcap" >"$tmp/d$seed.txt" || { bad "report-d$seed"; continue; }
    read -r want_missing want_one removed < <($py -c '
import json, sys; t = json.load(open(sys.argv[1]))
print(t["missing_bytes"] + t["one_sided_flows"], t["one_sided_flows"], t["removed_packets"])' "$tmp/d$seed.json")
    got_missing=$(sed -n 's/.*never mirrored (TCP sequence gaps): \([0-9]*\)$/\1/p' "$tmp/d$seed.txt")
    got_one=$(awk '$1 == "one-sided" { print $2; exit }' "$tmp/d$seed.txt")
    echo "report: seed $seed: $removed packets removed; missing bytes truth $want_missing report $got_missing; one-sided truth $want_one report $got_one"
    [ "$got_missing" = "$want_missing" ] && ok || bad "d$seed-missing: $got_missing != $want_missing"
    [ "$got_one" = "$want_one" ] && ok || bad "d$seed-one-sided: $got_one != $want_one"
done

# usage errors, and the cost section from `periscope cost --json`
"$bin" report >/dev/null 2>&1; [ $? -eq 1 ] && ok || bad "usage: no input must exit 1"
"$bin" report --db "$tmp/mix/periscope.db" -r "$tmp/mix.pcap" >/dev/null 2>&1; [ $? -eq 1 ] && ok ||
    bad "usage: --db and -r together must exit 1"
"$bin" report --db "$tmp/nonexistent.db" >/dev/null 2>&1; [ $? -eq 1 ] && ok || bad "missing store must exit 1"
fx=tests/cost/fixtures
if "$bin" cost --json --interfaces $fx/network-interfaces.json --instances $fx/instances.json \
    --sessions $fx/mirror-sessions.json >"$tmp/cost.json" 2>/dev/null; then
    want=$($py -c 'import json, sys; d = json.load(open(sys.argv[1]))
print("%.2f USD a month (%.2f if everything were mirrored), %d coverage gaps" % (d["totals"]["usd_total"], d["totals"]["usd_if_all_mirrored"], len(d["gaps"])))' "$tmp/cost.json")
    "$bin" report --db "$tmp/mix/periscope.db" --cost "$tmp/cost.json" -o "$tmp/cost.html" >"$tmp/cost.txt" &&
        grep -qF "Mirroring cost: $want" "$tmp/cost.txt" && grep -q '<table id="cost">' "$tmp/cost.html" &&
        ok || bad "cost section: want '$want'"
else
    bad "periscope cost --json on tests/cost/fixtures"
fi

# (c) the page in headless Chromium
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
    echo "report: SKIP (c): chromium not installed (tools/deps.sh installs it)"
    skipped=$((skipped + 1))
else
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chrome" \
        --dump-dom "file://$tmp/mix.html" >"$tmp/dom.html" 2>/dev/null
    $py - "$tmp/dom.html" "$tmp/mix/periscope.db" >"$tmp/c.out" <<'EOF'
import re, sqlite3, sys
dom = open(sys.argv[1]).read()
db = sqlite3.connect(sys.argv[2])
def check(name, cond):
    print("ok" if cond else "FAIL", name)
check("svg-class-flows", re.search(r'<svg id="class-flows"[^>]*>(<rect [^>]*>(</rect>)?){10,}</svg>', dom) is not None)
check("svg-class-bytes", re.search(r'<svg id="class-bytes"[^>]*>(<rect [^>]*>(</rect>)?){10,}</svg>', dom) is not None)
n, b = db.execute("SELECT COUNT(*), SUM(bytes + bytes_rev) FROM flows").fetchone()
check("flows-total", f'<span id="flows-total">{n}</span>' in dom)
check("bytes-total", f'<span id="bytes-total">{b}</span>' in dom)
for cls, cn, cb in db.execute("SELECT visibility, COUNT(*), SUM(bytes + bytes_rev) FROM flows GROUP BY 1"):
    m = re.search(r'<tr data-class="%s">.*?<td class="n flows">(\d+)</td>.*?<td class="n bytes">(\d+)</td>' % re.escape(cls), dom)
    check("class-" + cls, m is not None and int(m.group(1)) == cn and int(m.group(2)) == cb)
miss = db.execute("SELECT TOTAL(missing) FROM flows").fetchone()[0]
check("missing", f'<b id="missing">{int(miss)}</b>' in dom)
EOF
    [ -s "$tmp/c.out" ] || bad "chromium: no DOM"
    while read -r res name; do
        if [ "$res" = ok ]; then ok; else bad "html-$name"; fi
    done <"$tmp/c.out"
fi

if [ "$skipped" -gt 0 ]; then
    echo "report: $pass passed, $fail failed, $skipped skipped"
else
    echo "report: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
