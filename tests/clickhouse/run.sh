#!/bin/bash
# The ClickHouse sink against a real clickhouse-server (Debian's package,
# 18.16 on Debian 12), started here as an unprivileged process with its own
# configuration in a temporary directory, on 127.0.0.1 at high ports, and
# stopped at the end. The schema comes from 'periscope clickhouse-schema';
# each table must hold exactly the EVE records of its event type, records
# buffered while the server is down (at start or in the middle of a run)
# must all arrive when it comes up (or be counted as dropped, exactly), and
# SIGTERM on listen must leave the same flows in EVE, SQLite and ClickHouse.
# Ends with "clickhouse: N passed, N failed"; exit 77 when clickhouse-server
# or clickhouse-client is not installed (tools/deps.sh installs them).
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
. tests/lib/ch_server.sh
if ! ch_available; then
    echo "SKIP clickhouse: clickhouse-server and clickhouse-client are not installed (tools/deps.sh)"
    exit 77
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"
spid= ppid_=
cleanup() {
    [ -n "$ppid_" ] && kill -KILL "$ppid_" 2>/dev/null
    [ -n "$spid" ] && kill -KILL "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok   clickhouse/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL clickhouse/$1: $2"; fail=$((fail + 1)); }
# Run one case: ok with the last line it wrote to stderr as a note, or FAIL
# with what it said. The server is started again when a case left it down.
check() { # name, command...
    local name=$1 note
    shift
    if "$@" >"$tmp/e" 2>"$tmp/e2"; then
        note=$(tail -1 "$tmp/e2")
        ok "$name${note:+ ($note)}"
    else
        bad "$name" "$(cat "$tmp/e" "$tmp/e2" | head -5)"
    fi
    [ -n "$spid" ] || start_server
}

# The server: tests/lib/ch_server.sh (HTTP and native ports, config, data).
ch_setup "$tmp/server"
url=$ch_url
start_server() {
    ch_start
    local rc=$?
    spid=$ch_spid
    return $rc
}
stop_server() { ch_stop "$@"; spid=; }

# Records per event type in an EVE file, as "type count" lines, sorted.
eve_types() {
    python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["event_type"] for l in open(sys.argv[1]))
for k in sorted(c): print(k, c[k])' "$1"
}
# The same from the database: each table's rows by event_type.
ch_types() { # database
    local t
    for t in flows alerts anomalies stats dns tls quic http ssh events; do
        chq -q "SELECT event_type, count() FROM $1.$t GROUP BY event_type FORMAT TSV"
    done | awk '$2 > 0 {print $1, $2}' | sort
}
# Event type -> table, as the sink maps them.
table_of() {
    case $1 in
    flow) echo flows ;; alert) echo alerts ;; anomaly) echo anomalies ;; stats) echo stats ;;
    dns | tls | quic | http | ssh) echo "$1" ;; *) echo events ;;
    esac
}
summary_field() { # stderr-file, word after a number: "records sent", "dropped", "retries"
    sed -n "s/^  clickhouse:.*[ ,]\([0-9][0-9]*\) $2.*/\1/p" "$1" | head -1
}

if ! start_server; then
    bad server "clickhouse-server does not start"
    echo "clickhouse: $pass passed, $fail failed"
    exit 1
fi
echo "# clickhouse-server $(curl -s "${url}?query=SELECT%20version()")"

# The schema: statements the server takes, again (IF NOT EXISTS), one table
# per event type and the three flow-log tables in the database named.
schema() {
    "$bin" clickhouse-schema --database t_schema >"$tmp/schema.sql" &&
        chq --multiquery <"$tmp/schema.sql" && chq --multiquery <"$tmp/schema.sql" &&
        [ "$(chq -q "SELECT count() FROM system.tables WHERE database = 't_schema'")" = 13 ] &&
        ! "$bin" clickhouse-schema --database 'x;DROP' >/dev/null 2>&1
}
check schema schema

# Round trip: every table holds exactly the EVE records of its types, and
# each row's record is the EVE line itself.
round_trip() { # name, database, files...
    local name=$1 db=$2
    shift 2
    "$bin" clickhouse-schema --database "$db" | chq --multiquery || return 1
    rm -rf "$tmp/out"
    "$bin" read -l "$tmp/out" --clickhouse "$url?database=$db" "$@" 2>"$tmp/err" ||
        { cat "$tmp/err"; return 1; }
    eve_types "$tmp/out/eve.json" >"$tmp/want"
    ch_types "$db" >"$tmp/got"
    diff "$tmp/want" "$tmp/got" || return 1
    local n
    n=$(wc -l <"$tmp/out/eve.json")
    [ "$(summary_field "$tmp/err" "records sent")" = "$n" ] || { echo "summary: $(grep clickhouse: "$tmp/err")"; return 1; }
    for t in $(cut -d' ' -f1 "$tmp/want"); do
        grep "\"event_type\":\"$t\"" "$tmp/out/eve.json" | sort >"$tmp/want.rec"
        chq -q "SELECT record FROM $db.$(table_of "$t") WHERE event_type = '$t' FORMAT TSVRaw" |
            sort >"$tmp/got.rec"
        cmp -s "$tmp/want.rec" "$tmp/got.rec" || { echo "$t: records differ"; return 1; }
    done
    # A few extracted columns against the records.
    python3 - "$tmp/out/eve.json" >"$tmp/want.cols" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event_type"] == "flow":
        print(r["flow_id"], r["src_ip"], r.get("src_port", 0), r["dest_ip"], r.get("dest_port", 0),
              r["proto"], r["mirror"].get("vni", "\\N"), r["flow"]["pkts_toserver"],
              r["flow"]["bytes_toclient"], r["flow"]["state"])
PY
    sort "$tmp/want.cols" -o "$tmp/want.cols"
    chq -q "SELECT flow_id, src_ip, src_port, dest_ip, dest_port, proto, vni, pkts_toserver,
            bytes_toclient, state FROM $db.flows FORMAT TSV" | tr '\t' ' ' | sort >"$tmp/got.cols"
    diff "$tmp/want.cols" "$tmp/got.cols" || return 1
    echo "$name: $(tr '\n' ' ' <"$tmp/want")" >&2
}
check round-trip round_trip real-vxlan t_rt tests/pcaps/real-vxlan.pcap
# Alerts and anomalies too: the attack captures, read as one.
round_trip_alerts() {
    round_trip attacks t_attacks tests/pcaps/attacks/*.pcap 2>&1 | tail -1 >"$tmp/rt"
    grep -q '^attacks: alert .*anomaly ' "$tmp/rt" || { cat "$tmp/rt"; return 1; }
    cat "$tmp/rt" >&2
}
check round-trip-alerts round_trip_alerts

# Wait (bounded) for a line in a file.
wait_for() { # file, regex
    for _ in $(seq 600); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# The server is down when periscope starts: the records stay buffered, are
# retried, and all arrive once it is up.
server_down() {
    "$bin" clickhouse-schema --database t_retry | chq --multiquery || return 1
    stop_server
    rm -rf "$tmp/out"
    "$bin" read -l "$tmp/out" --clickhouse "$url?database=t_retry" --clickhouse-wait 120 \
        tests/pcaps/real-vxlan.pcap 2>"$tmp/err" &
    ppid_=$!
    wait_for "$tmp/err" 'clickhouse: cannot reach the server.*retrying' || { echo "no retry message"; return 1; }
    start_server || return 1
    wait "$ppid_" || { cat "$tmp/err"; ppid_=; return 1; }
    ppid_=
    grep -q 'the server takes records again' "$tmp/err" || { echo "no recovery message"; return 1; }
    [ "$(summary_field "$tmp/err" retries)" -gt 0 ] && [ "$(summary_field "$tmp/err" dropped)" = 0 ] ||
        { grep clickhouse "$tmp/err"; return 1; }
    eve_types "$tmp/out/eve.json" >"$tmp/want"
    ch_types t_retry >"$tmp/got"
    diff "$tmp/want" "$tmp/got"
}
check server-down-then-up server_down

# A buffer too small for the outage: what arrives plus what was counted as
# dropped is every record, exactly; read exits 1 as it lost records.
tiny_buffer() {
    "$bin" clickhouse-schema --database t_tiny | chq --multiquery || return 1
    stop_server
    rm -rf "$tmp/out"
    "$bin" read -l "$tmp/out" --clickhouse "$url?database=t_tiny" --clickhouse-buffer 8K \
        --clickhouse-wait 120 tests/pcaps/real-vxlan.pcap 2>"$tmp/err" &
    ppid_=$!
    wait_for "$tmp/err" 'clickhouse: cannot reach the server.*retrying' || { echo "no retry message"; return 1; }
    start_server || return 1
    wait "$ppid_"
    local rc=$?
    ppid_=
    [ "$rc" = 1 ] || { echo "exit $rc, not 1"; cat "$tmp/err"; return 1; }
    local n sent dropped rows
    n=$(wc -l <"$tmp/out/eve.json")
    sent=$(summary_field "$tmp/err" "records sent")
    dropped=$(summary_field "$tmp/err" dropped)
    rows=$(ch_types t_tiny | awk '{s += $2} END {print s + 0}')
    echo "tiny: $n records, $rows in ClickHouse, $dropped dropped" >&2
    [ "$dropped" -gt 0 ] && [ "$rows" = "$sent" ] && [ $((rows + dropped)) = "$n" ] ||
        { grep clickhouse "$tmp/err"; return 1; }
}
check tiny-buffer-counts-drops tiny_buffer

# SIGTERM on listen: the datagrams received become the same flows in EVE,
# SQLite and ClickHouse, and periscope exits 0.
sigterm_flush() {
    "$bin" clickhouse-schema --database t_listen | chq --multiquery || return 1
    local port mport
    port=$(free_port)
    mport=$(free_port)
    rm -rf "$tmp/out"
    "$bin" listen -q -l "$tmp/out" --vxlan "127.0.0.1:$port" --clickhouse "$url?database=t_listen" \
        --metrics "$mport" 2>"$tmp/err" &
    ppid_=$!
    for _ in $(seq 100); do
        ss -Huln "sport = :$port" | grep -q . && ss -Htln "sport = :$mport" | grep -q . && break
        sleep 0.1
    done
    local sent
    sent=$(python3 tests/lib/send_vxlan.py tests/pcaps/real-vxlan.pcap 127.0.0.1 "$port")
    # The metrics show the sink: its counters and its backlog.
    curl -s -m 5 "http://127.0.0.1:$mport/metrics" >"$tmp/metrics"
    grep -q '^periscope_clickhouse_backlog_rows [0-9]' "$tmp/metrics" &&
        grep -q '^periscope_clickhouse_dropped_total 0$' "$tmp/metrics" &&
        grep -q '^periscope_counter_total{name="clickhouse.rows_sent",kind="count"} [0-9]' \
            "$tmp/metrics" || { echo "metrics lack the sink"; head -3 "$tmp/metrics"; return 1; }
    # SIGTERM reads what is still queued on the socket, then flushes.
    kill -TERM "$ppid_"
    wait "$ppid_" || { echo "listen exited $?"; cat "$tmp/err"; ppid_=; return 1; }
    ppid_=
    local eve db ch rx
    eve=$(grep -c '"event_type":"flow"' "$tmp/out/eve.json")
    db=$("$bin" flowlogs query --db "$tmp/out/periscope.db" --csv 'SELECT count(*) FROM flows' | tail -1)
    ch=$(chq -q "SELECT count() FROM t_listen.flows")
    rx=$(tail -1 "$tmp/out/eve.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["pkts"]["received"])')
    echo "listen: $sent sent, $rx received, flows: eve $eve, sqlite $db, clickhouse $ch" >&2
    [ "$rx" = "$sent" ] && [ "$eve" = 10 ] && [ "$db" = "$eve" ] && [ "$ch" = "$eve" ] &&
        [ "$(ch_types t_listen)" = "$(eve_types "$tmp/out/eve.json")" ]
}
check sigterm-flushes-every-sink sigterm_flush

# The server stops in the middle of a listen run and comes back: nothing
# written while it was away is lost (stats events every second mark time).
server_mid_run() {
    "$bin" clickhouse-schema --database t_mid | chq --multiquery || return 1
    local port
    port=$(free_port)
    rm -rf "$tmp/out"
    "$bin" listen -q -l "$tmp/out" --vxlan "127.0.0.1:$port" --stats-interval 1 \
        --clickhouse "$url?database=t_mid" 2>"$tmp/err" &
    ppid_=$!
    local n=0
    for _ in $(seq 600); do
        n=$(chq -q "SELECT count() FROM t_mid.stats")
        [ "$n" -gt 0 ] && break
        sleep 0.1
    done
    [ "$n" -gt 0 ] || { echo "no stats row while running"; return 1; }
    stop_server
    wait_for "$tmp/err" 'clickhouse: cannot reach the server.*retrying' || { echo "no retry message"; return 1; }
    python3 tests/lib/send_vxlan.py tests/pcaps/real-vxlan.pcap 127.0.0.1 "$port" >/dev/null
    start_server || return 1
    wait_for "$tmp/err" 'the server takes records again' || { echo "no recovery message"; return 1; }
    kill -TERM "$ppid_"
    wait "$ppid_" || { echo "listen exited $?"; ppid_=; return 1; }
    ppid_=
    eve_types "$tmp/out/eve.json" >"$tmp/want"
    ch_types t_mid >"$tmp/got"
    echo "mid-run: $(tr '\n' ' ' <"$tmp/got")" >&2
    diff "$tmp/want" "$tmp/got" && grep -q '^flow 10$' "$tmp/got"
}
check server-stops-mid-run server_mid_run

# A server that refuses the rows (no such table): retried, then dropped
# and counted, with the server's error in the summary.
refused() {
    rm -rf "$tmp/out"
    "$bin" read -l "$tmp/out" --clickhouse "$url?database=t_missing" tests/pcaps/vxlan.pcap \
        2>"$tmp/err"
    [ $? = 1 ] && [ "$(summary_field "$tmp/err" dropped)" = "$(wc -l <"$tmp/out/eve.json")" ] &&
        grep -q 'first error: insert into .*: HTTP [0-9]*: .*t_missing' "$tmp/err" ||
        { grep clickhouse "$tmp/err"; return 1; }
}
check refused-rows-counted refused

stop_server
echo "clickhouse: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
