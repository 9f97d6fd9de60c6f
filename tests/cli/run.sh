#!/bin/bash
# Command-line behaviour as a user meets it: help, errors, stdin, several
# files, the default log directory. Ends with "cli: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
t() { # name, then a command that must succeed
    local name=$1; shift
    if "$@" >"$tmp/out" 2>&1; then echo "ok   cli/$name"; pass=$((pass + 1))
    else echo "FAIL cli/$name"; sed 's/^/    /' "$tmp/out" | head -10; fail=$((fail + 1)); fi
}
flows() { grep -c '"event_type":"flow"' "$1"; }

help_is_true() {
    "$bin" --help | grep -q 'read FILE' && "$bin" read --help | grep -q -- '--flowlog' &&
        "$bin" --version | grep -q '^periscope '
}
missing_file() {
    "$bin" read -q --eve /dev/null /nonexistent.pcap 2>"$tmp/e"; local rc=$?
    [ $rc -eq 1 ] && grep -q '/nonexistent.pcap' "$tmp/e" && [ "$(wc -l <"$tmp/e")" -eq 1 ]
}
not_a_capture() {
    echo "hello" >"$tmp/x.pcap"
    "$bin" read -q --eve /dev/null "$tmp/x.pcap" 2>"$tmp/e"; local rc=$?
    [ $rc -eq 1 ] && grep -q 'x.pcap' "$tmp/e"
}
bad_usage() {
    "$bin" read --flow-capacity 0 tests/pcaps/vxlan.pcap 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" read --timeout bogus=1 tests/pcaps/vxlan.pcap 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" read 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" frobnicate 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" read -f 'not a filter (' -q --eve /dev/null tests/pcaps/vxlan.pcap 2>/dev/null
    [ $? -eq 1 ]
}
stdin_same_as_file() {
    "$bin" read --deterministic -q --eve "$tmp/a" tests/pcaps/vxlan.pcap &&
        "$bin" read --deterministic -q --eve "$tmp/b" - <tests/pcaps/vxlan.pcap &&
        cmp -s "$tmp/a" "$tmp/b"
}
several_files_one_capture() {
    # Two files read in order are one capture: flows continue across them.
    "$bin" read --deterministic -q --eve "$tmp/a" tests/pcaps/vxlan.pcap tests/pcaps/gre.pcap &&
        [ "$(flows "$tmp/a")" -eq 6 ] &&
        python3 tests/lib/check_eve.py "$tmp/a"
}
default_log_dir() {
    (cd "$tmp" && "$bin" read -q "$OLDPWD/tests/pcaps/vxlan.pcap") &&
        [ "$(flows "$tmp/periscope-out/eve.json")" -eq 3 ] &&
        head -1 "$tmp/periscope-out/flows.log" | grep -q '^version account-id interface-id' &&
        [ "$(wc -l <"$tmp/periscope-out/flows.log")" -eq 7 ]
}
summary_on_stderr() {
    "$bin" read --eve /dev/null tests/pcaps/vxlan.pcap 2>"$tmp/e" >/dev/null &&
        grep -q '^periscope: 13 packets (13 decoded, 0 dropped)' "$tmp/e" &&
        grep -q 'mirror vxlan vni 4242 from 172.31.0.10: 13 pkts' "$tmp/e" &&
        ! grep -q $'\r' "$tmp/e" # no progress bar when stderr is not a terminal
}
eve_to_stdout() {
    "$bin" read -q --eve - tests/pcaps/vxlan.pcap | python3 -c '
import json,sys
ev=[json.loads(l) for l in sys.stdin]
assert sum(e["event_type"]=="flow" for e in ev)==3 and ev[-1]["event_type"]=="stats"'
}
flow_full_counted() {
    # One flow slot and the drop policy: the other flows are dropped, counted, accounted.
    "$bin" read -q --flow-capacity 1 --full-policy drop --eve "$tmp/a" tests/pcaps/vxlan.pcap &&
        python3 tests/lib/check_eve.py "$tmp/a" &&
        python3 -c '
import json,sys
s=[json.loads(l) for l in open(sys.argv[1])][-1]["stats"]
assert s["drop"]["flow.full"]==4 and s["pkts"]["decoded"]==9, s["drop"]' "$tmp/a"
}
evict_policy() {
    "$bin" read -q --flow-capacity 1 --eve "$tmp/a" tests/pcaps/vxlan.pcap &&
        python3 -c '
import json,sys
ev=[json.loads(l) for l in open(sys.argv[1])]
s=ev[-1]["stats"]
assert s["flow"]["end.evicted"]==2 and s["pkts"]["dropped"]==0
assert sum(e["flow"]["reason"]=="evicted" for e in ev if e["event_type"]=="flow")==2' "$tmp/a"
}
timeouts_apply() {
    # The capture spans 12 ms: a 0 s UDP timeout ends the DNS flow at once,
    # so its reply becomes a second flow; TCP is untouched.
    "$bin" read -q --deterministic --timeout udp=0 --eve "$tmp/a" tests/pcaps/vxlan.pcap &&
        [ "$(grep '"event_type":"flow"' "$tmp/a" | grep -c '"proto":"UDP"')" -eq 2 ]
}
stats_interval() {
    # The second file starts years after the first: one periodic event, then the final one.
    "$bin" read -q --stats-interval 1 --eve "$tmp/a" tests/pcaps/vxlan.pcap \
        tests/pcaps/real-plain.pcap && [ "$(grep -c '"event_type":"stats"' "$tmp/a")" -eq 2 ]
}

docs_name_every_counter() {
    # docs/events.md must name every counter the program has.
    local missing=0
    while IFS=$'\t' read -r cname _ _; do
        grep -qF "\`$cname\`" docs/events.md || { echo "not in docs/events.md: $cname"; missing=1; }
    done < <("$bin" --list-counters)
    [ $missing -eq 0 ]
}

file_layouts() {
    # Big-endian and nanosecond files give the same output as the original;
    # damaged files keep the packets before the damage, warn once, exit 0.
    python3 tests/lib/pcap_variants.py tests/pcaps/vxlan.pcap "$tmp/v" &&
        "$bin" read --deterministic -q --eve "$tmp/ref" tests/pcaps/vxlan.pcap || return 1
    for v in be nsec be-nsec; do
        "$bin" read --deterministic -q --eve "$tmp/out" "$tmp/v/$v.pcap" &&
            cmp -s "$tmp/ref" "$tmp/out" || { echo "$v differs"; return 1; }
    done
    for v in cut-header cut-body bad-caplen; do
        "$bin" read -q --eve "$tmp/out" "$tmp/v/$v.pcap" 2>"$tmp/e" || { echo "$v: exit $?"; return 1; }
        grep -q "warning: .*$v.pcap" "$tmp/e" || { echo "$v: no warning"; return 1; }
    done
    python3 -c '
import json,sys
s=[json.loads(l) for l in open(sys.argv[1])][-1]["stats"]
assert s["pkts"]["received"]==1, s["pkts"]' "$tmp/out"
}
bpf_on_both_readers() {
    # The filter applies the same whether we or libpcap read the file (pcapng).
    "$bin" read -q -f 'udp[8:2] = 0x0800' --eve "$tmp/a" tests/pcaps/vxlan.pcap &&
        "$bin" read -q -f 'udp[8:2] = 0x0800' --eve "$tmp/b" tests/pcaps/ng-vxlan.pcapng &&
        [ "$(flows "$tmp/a")" -eq 3 ] && [ "$(flows "$tmp/b")" -eq 3 ] &&
        "$bin" read -q -f 'tcp' --eve "$tmp/a" tests/pcaps/vxlan.pcap && [ "$(flows "$tmp/a")" -eq 0 ]
}

store_has_flows_and_alerts() {
    # -l DIR also writes DIR/periscope.db: the flows and alerts, queryable.
    "$bin" read -q -l "$tmp/st" tests/pcaps/vxlan.pcap tests/pcaps/attacks/v4-lsrr.pcap &&
        [ "$("$bin" flowlogs query --db "$tmp/st/periscope.db" --csv \
            "SELECT count(*) FROM flows WHERE vni = 4242" | tail -1)" = 3 ] &&
        [ "$("$bin" flowlogs query --db "$tmp/st/periscope.db" --csv \
            "SELECT detector FROM alerts" | tail -1)" = ip_source_route ] &&
        "$bin" read -q -l "$tmp/st2" --no-db tests/pcaps/vxlan.pcap && [ ! -e "$tmp/st2/periscope.db" ]
}

config_file() {
    # Settings come from the file; the command line overrides them; a bad
    # line is an error naming the line; dist/periscope.conf names every option.
    printf 'flow-capacity = 1\nfull-policy drop   # one flow only\n\nquiet\n' >"$tmp/c.conf"
    "$bin" read --config "$tmp/c.conf" --eve "$tmp/a" tests/pcaps/vxlan.pcap 2>"$tmp/e" &&
        [ ! -s "$tmp/e" ] && [ "$(flows "$tmp/a")" -eq 1 ] || { echo "config not applied"; return 1; }
    "$bin" read --config "$tmp/c.conf" --flow-capacity 100 --eve "$tmp/a" tests/pcaps/vxlan.pcap &&
        [ "$(flows "$tmp/a")" -eq 3 ] || { echo "command line did not override"; return 1; }
    printf 'flow-capacity = 1\n!bad line\n' >"$tmp/bad.conf"
    "$bin" read --config "$tmp/bad.conf" tests/pcaps/vxlan.pcap 2>"$tmp/e"
    [ $? -eq 1 ] && grep -q 'bad.conf: line 2' "$tmp/e" || { echo "bad line accepted"; return 1; }
    for opt in $(sed -n 's/^ *{"\([a-z0-9-]*\)", [a-z_]*argument.*/\1/p' src/cli/main.c); do
        case $opt in help|config) continue ;; esac
        grep -qE "^# $opt( |$)" dist/periscope.conf || { echo "dist/periscope.conf lacks $opt"; return 1; }
    done
}

reassembled_datagrams_join_flows() {
    # Fragmented UDP, in order and reordered: each datagram reassembles and
    # is one packet of its flow with its whole IP length; the summary says so.
    "$bin" read --eve "$tmp/a" tests/pcaps/attacks/v4-benign-frag.pcap 2>"$tmp/e" &&
        grep -q '^  fragments: 6, 2 datagrams reassembled, 0 with overlaps' "$tmp/e" &&
        python3 -c '
import json,sys
f=[e for e in map(json.loads,open(sys.argv[1])) if e["event_type"]=="flow"]
assert len(f)==2 and all(x["proto"]=="UDP" and x["flow"]["pkts_toserver"]==1 and x["flow"]["bytes_toserver"]>4000 for x in f), f' "$tmp/a"
}

t help-is-true help_is_true
t reassembled-datagrams-join-flows reassembled_datagrams_join_flows
t config-file config_file
t store-has-flows-and-alerts store_has_flows_and_alerts
t file-layouts file_layouts
t bpf-on-both-readers bpf_on_both_readers
t docs-name-every-counter docs_name_every_counter
t missing-file missing_file
t not-a-capture not_a_capture
t bad-usage bad_usage
t stdin-same-as-file stdin_same_as_file
t several-files-one-capture several_files_one_capture
t default-log-dir default_log_dir
t summary-on-stderr summary_on_stderr
t eve-to-stdout eve_to_stdout
t flow-full-counted flow_full_counted
t evict-policy evict_policy
t timeouts-apply timeouts_apply
t stats-interval stats_interval
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
