#!/bin/bash
# The ClickHouse sink against a real clickhouse-server (Debian's package,
# 18.16 on Debian 12), started here as an unprivileged process with its own
# configuration in a temporary directory, on 127.0.0.1 at high ports, and
# stopped at the end. The schema comes from 'periscope clickhouse-schema';
# each table must hold exactly the EVE records of its event type, records
# buffered while the server is down (at start or in the middle of a run)
# must all arrive when it comes up (or be counted as dropped, exactly), and
# SIGTERM on listen must leave the same flows in EVE, SQLite and ClickHouse.
# 'periscope flowlogs import --clickhouse' must store what the SQLite
# import of the same files stores, skip files imported before, and redo an
# interrupted import without storing a record twice.
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

# ---- periscope flowlogs import --clickhouse ----------------------------
# The same files into SQLite and ClickHouse give the same rows: every
# column of flowlogs (NULL as \N), flowlog_files and flowlog_malformed
# (bytes compared in hex), keyed by file name and line.
fx=tests/flowlogs/fixtures
fl_files=("$fx/v2-s3.log" "$fx/v5-custom.log.gz" "$fx/cw-events.jsonl" "$fx/cw-filter-log-events.json"
    "$fx/cw-subscription.json" "$fx/cw-s3-export-000000.gz" "$fx/malformed.log" "$fx/all-fields.log"
    "$fx/encryption.log" "$fx/natgw.log" "$fx/reports.log" "$fx/sensor-gap.log" "$fx/s3")
V3FMT='${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status}'
fl_import() { # database|sqlite-path, options and files...
    local to=$1
    shift
    case $to in
    *.db) "$bin" flowlogs import --db "$to" "$@" ;;
    *) "$bin" flowlogs import --clickhouse "$url?database=$to" "$@" ;;
    esac
}
# Every record as "file<TAB>line<TAB>column...", sorted: the flowlogs
# columns are ClickHouse's (all of them but file_id, line and seq).
fl_rows() { # database|sqlite-path
    local cols c sel=
    cols=$(chq -q "SELECT name FROM system.columns WHERE database = 't_fl' AND table = 'flowlogs'
                   AND name NOT IN ('file_id', 'line', 'seq')" | tr '\n' ' ')
    [ -n "$cols" ] || return 1
    case $1 in
    *.db)
        # flowlogs is periscope's virtual table: read through periscope,
        # one tab-joined column
        for c in $cols; do sel+=" || char(9) || ifnull(f.\"$c\", '\\N')"; done
        "$bin" flowlogs query --list --db "$1" "SELECT n.name || char(9) || f.line $sel FROM flowlogs f JOIN flowlog_files n ON n.id = f.file_id" ;;
    *)
        for c in $cols; do sel+=", ifNull(toString(\`$c\`), '\\\\N')"; done
        chq -q "SELECT name, line $sel FROM $1.flowlogs ANY LEFT JOIN
                (SELECT file_id, name FROM $1.flowlog_files FINAL) USING file_id FORMAT TSVRaw" ;;
    esac | LC_ALL=C sort
}
fl_files_rows() { # database|sqlite-path: name, size, key, lines, records, malformed, complete
    case $1 in
    *.db) sqlite3 -separator $'\t' "$1" "SELECT name, size, content_key, lines, records, malformed, complete FROM flowlog_files" ;;
    *) chq -q "SELECT name, size, content_key, lines, records, malformed, complete FROM $1.flowlog_files FINAL FORMAT TSVRaw" ;;
    esac | LC_ALL=C sort
}
fl_bad_rows() { # database|sqlite-path: file name, line, reason and text in hex
    case $1 in
    *.db) sqlite3 -separator $'\t' "$1" "SELECT n.name, m.line, hex(m.reason), hex(m.text) FROM flowlog_malformed m JOIN flowlog_files n ON n.id = m.file_id" ;;
    *) chq -q "SELECT name, line, hex(reason), hex(text) FROM $1.flowlog_malformed ANY LEFT JOIN
               (SELECT file_id, name FROM $1.flowlog_files FINAL) USING file_id FORMAT TSVRaw" ;;
    esac | LC_ALL=C sort
}
# Both stores hold the same: records (as fl_rows or the function named
# third shows them), files, malformed lines.
fl_same() { # database sqlite-path [rows-function]
    local rows=${3:-fl_rows}
    "$rows" "$2" >"$tmp/fl.want" && "$rows" "$1" >"$tmp/fl.got" &&
        [ -s "$tmp/fl.want" ] && diff "$tmp/fl.want" "$tmp/fl.got" >"$tmp/fl.diff" ||
        { echo "flowlogs rows differ:"; head -4 "$tmp/fl.diff"; return 1; }
    fl_files_rows "$2" >"$tmp/ff.want" && fl_files_rows "$1" >"$tmp/ff.got" &&
        diff "$tmp/ff.want" "$tmp/ff.got" >"$tmp/fl.diff" ||
        { echo "flowlog_files rows differ:"; head -4 "$tmp/fl.diff"; return 1; }
    fl_bad_rows "$2" >"$tmp/fm.want" && fl_bad_rows "$1" >"$tmp/fm.got" &&
        diff "$tmp/fm.want" "$tmp/fm.got" >"$tmp/fl.diff" ||
        { echo "flowlog_malformed rows differ:"; head -4 "$tmp/fl.diff"; return 1; }
}
fl_same_as_sqlite() {
    command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed"; return 1; }
    fl_import "$tmp/fl.db" -q "${fl_files[@]}" 2>/dev/null &&
        fl_import "$tmp/fl.db" -q --format "$V3FMT" "$fx/v3-custom.log" || return 1
    fl_import t_fl "${fl_files[@]}" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
    # The summary keeps its shape and names the server (not a password).
    grep -Eq "^periscope: [0-9]+ records from 14 files, 7 malformed lines, in [0-9.]+ s \([0-9]+ records/s\) into ${url//./\\.} \(ClickHouse database t_fl\)$" "$tmp/err" ||
        { grep -v malformed "$tmp/err"; return 1; }
    fl_import t_fl -q --format "$V3FMT" "$fx/v3-custom.log" || return 1
    fl_same t_fl "$tmp/fl.db" || return 1
    local n
    n=$(wc -l <"$tmp/fl.got")
    # Every field of versions 2 to 8 has its column, and seq numbers records
    # in line order within each file.
    [ "$(chq -q "SELECT count() FROM system.columns WHERE database = 't_fl' AND table = 'flowlogs'")" = 46 ] &&
        [ "$(chq -q "SELECT count() FROM (SELECT file_id, groupArray(line) AS l, groupArray(seq) AS s
              FROM (SELECT * FROM t_fl.flowlogs ORDER BY file_id, seq) GROUP BY file_id
              HAVING arraySort(l) != l OR s != arraySort(s) OR length(arrayDistinct(s)) != length(s))")" = 0 ] ||
        { echo "columns or seq wrong"; return 1; }
    echo "$n records from 15 files, $(wc -l <"$tmp/fm.got") malformed lines, as in SQLite" >&2
}
check flowlogs-same-as-sqlite fl_same_as_sqlite

# A record per INSERT (almost): many chunks, layouts changing between
# them, malformed lines at chunk edges; the same rows again.
fl_small_batches() {
    fl_import t_fl2 -q --batch 2 "${fl_files[@]}" 2>/dev/null &&
        fl_import t_fl2 -q --batch 2 --format "$V3FMT" "$fx/v3-custom.log" || return 1
    fl_same t_fl2 "$tmp/fl.db"
}
check flowlogs-small-batches fl_small_batches

# Malformed lines: in flowlog_malformed with their file and line.
fl_malformed() {
    local got
    got=$(chq -q "SELECT groupArray(line) FROM (SELECT line FROM t_fl.flowlog_malformed
                  WHERE file_id = (SELECT any(file_id) FROM t_fl.flowlog_files WHERE name = 'malformed.log')
                  ORDER BY line)")
    [ "$got" = "[3,4,5,6,8,9,10]" ] || { echo "lines $got"; return 1; }
    got=$(chq -q "SELECT reason FROM t_fl.flowlog_malformed WHERE line = 4 AND file_id =
                  (SELECT any(file_id) FROM t_fl.flowlog_files WHERE name = 'malformed.log')")
    [ "$got" = "srcport: not a number in 0..65535: \\'70000\\'" ] || { echo "reason $got"; return 1; }
}
check flowlogs-malformed-lines fl_malformed

# Importing again adds nothing: each file (and a copy under another name)
# is skipped, naming the file it was first imported as.
fl_reimport() {
    local before
    before=$(fl_rows t_fl | md5sum)
    cp "$fx/v2-s3.log" "$tmp/renamed.log"
    fl_import t_fl "${fl_files[@]}" "$tmp/renamed.log" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
    [ "$(grep -c 'already imported (same content as' "$tmp/err")" = 15 ] &&
        grep -q 'renamed.log: already imported (same content as v2-s3.log)' "$tmp/err" &&
        grep -q '^periscope: 0 records from 0 files' "$tmp/err" || { cat "$tmp/err"; return 1; }
    [ "$(fl_rows t_fl | md5sum)" = "$before" ] || { echo "rows changed"; return 1; }
    [ "$(chq -q "SELECT count() FROM t_fl.flowlog_files")" = 15 ]
}
check flowlogs-reimport-skipped fl_reimport

mutations_done() { # database
    for _ in $(seq 600); do
        [ "$(chq -q "SELECT count() FROM system.mutations WHERE database = '$1' AND is_done = 0")" = 0 ] && return 0
        sleep 0.1
    done
    return 1
}
# An import cut short (the file's row says incomplete, two of its records
# and its malformed lines missing, a stray one there): read again, what it
# stored dropped first, every record once.
fl_interrupted() {
    local id
    id=$(chq -q "SELECT any(file_id) FROM t_fl.flowlog_files WHERE name = 'malformed.log'")
    chq -q "INSERT INTO t_fl.flowlog_files SELECT file_id, name, path, size, content_key, 0, 0, 0, 0,
            imported_at FROM t_fl.flowlog_files FINAL WHERE file_id = $id" &&
        chq -q "OPTIMIZE TABLE t_fl.flowlog_files FINAL" &&
        chq -q "ALTER TABLE t_fl.flowlogs DELETE WHERE file_id = $id AND line IN (2, 12)" &&
        chq -q "ALTER TABLE t_fl.flowlog_malformed DELETE WHERE file_id = $id AND line > 5" &&
        mutations_done t_fl || return 1
    [ "$(chq -q "SELECT count() FROM t_fl.flowlogs WHERE file_id = $id")" = 1 ] || { echo "setup"; return 1; }
    fl_import t_fl "$fx/malformed.log" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
    grep -q '^periscope: 3 records from 1 files, 7 malformed lines' "$tmp/err" || { cat "$tmp/err"; return 1; }
    fl_same t_fl "$tmp/fl.db" &&
        [ "$(chq -q "SELECT count(), sum(complete) FROM t_fl.flowlog_files WHERE file_id = $id")" = "1	1" ]
}
check flowlogs-interrupted-redone fl_interrupted

# Hostile bytes in records and malformed lines (backslash, quotes, tabs,
# control bytes, NUL, bytes >= 0x80): the same bytes as in SQLite.
fl_hostile() {
    printf 'version srcaddr dstaddr action log-status account-id\n' >"$tmp/hostile.log"
    {
        printf '2 10.0.0.1 10.0.0.2 ACC\\EPT OK \x27quoted"acct\x27\n'
        printf '2 10.0.0.1 10.0.0.2 \xff\xfe\x80 OK \\N\n'
        printf '2 10.0.0.1 10.0.0.2 \\t\\n OK -\n'
        printf '2 10.0.0.1 10.0.0.2 bad\x01byte OK x\n'
        printf '2 10.0.0.1 10.0.0.2 nul\x00byte OK x\n'
        printf '2 10.0.0.1 \\\\evil\\ OK x y\n'
        printf 'not\ta\trecord\t\\\x7f\xc3\xa9\n'
    } >>"$tmp/hostile.log"
    fl_import "$tmp/hostile.db" -q "$tmp/hostile.log" 2>/dev/null
    fl_import t_hostile -q "$tmp/hostile.log" 2>/dev/null
    [ "$(chq -q "SELECT count() FROM t_hostile.flowlogs")" = 3 ] &&
        [ "$(chq -q "SELECT count() FROM t_hostile.flowlog_malformed")" = 4 ] || { echo "counts"; return 1; }
    [ "$(chq -q "SELECT account_id FROM t_hostile.flowlogs WHERE line = 2 FORMAT TSVRaw")" = "'quoted\"acct'" ] || return 1
    fl_same t_hostile "$tmp/hostile.db" fl_hostile_rows
}
fl_hostile_rows() { # the hostile file's text columns, in hex
    case $1 in
    *.db) "$bin" flowlogs query --list --db "$1" "SELECT line || char(9) || hex(action) || char(9) || ifnull(hex(account_id), '') || char(9) || (account_id IS NULL) FROM flowlogs" ;;
    *) chq -q "SELECT line, hex(action), ifNull(hex(account_id), ''), isNull(account_id) FROM $1.flowlogs FORMAT TSVRaw" ;;
    esac | LC_ALL=C sort
}
check flowlogs-hostile-bytes fl_hostile

# The server goes away in the middle of an import: exit 1 with one line
# naming the server; the next import completes it, every record once.
fl_mid_import() {
    python3 - "$tmp/big.log.gz" <<'PY'
import gzip, sys
with gzip.open(sys.argv[1], "wt", compresslevel=1) as f:
    f.write("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
    for i in range(300000):
        f.write("2 123456789012 eni-%017x 10.0.%d.%d 10.1.%d.%d %d 443 6 %d %d %d %d ACCEPT OK\n" % (
            i % 977, i % 250, i % 200 + 1, i % 13, i % 7 + 1, 1024 + i % 60000, i % 90 + 1, i * 7 % 100000,
            1700000000 + i // 1000, 1700000060 + i // 1000))
PY
    fl_import t_big -q --batch 10000 "$tmp/big.log.gz" 2>"$tmp/err" &
    ppid_=$!
    local n=0
    for _ in $(seq 600); do
        n=$(curl -s "$url" --data-binary "SELECT count() FROM t_big.flowlogs" 2>/dev/null)
        [ "${n:-0}" -gt 0 ] 2>/dev/null && break
        sleep 0.02
    done
    kill -STOP "$spid"
    kill -0 "$ppid_" 2>/dev/null || { echo "the import ended before the server stopped"; ppid_=; return 1; }
    stop_server KILL
    wait "$ppid_"
    local rc=$?
    ppid_=
    [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
        grep -q "^periscope: clickhouse ${url//./\\.}: insert into flowlog.*: cannot reach the server" "$tmp/err" ||
        { echo "exit $rc:"; cat "$tmp/err"; return 1; }
    echo "stopped after $n of 300000 records: $(cat "$tmp/err")" >&2
    start_server || return 1
    fl_import t_big -q "$tmp/big.log.gz" || return 1
    [ "$(chq -q "SELECT count(), uniqExact(file_id, seq), min(seq), max(seq) FROM t_big.flowlogs")" = "300000	300000	1	300000" ] &&
        [ "$(chq -q "SELECT count(), any(records), any(complete) FROM t_big.flowlog_files FINAL")" = "1	300000	1" ]
}
check flowlogs-server-stops-mid-import fl_mid_import

# No server: exit 1, one line naming it; usage errors.
fl_errors() {
    local port
    port=$(free_port)
    "$bin" flowlogs import --clickhouse "http://user:secret@127.0.0.1:$port/" "$fx/natgw.log" 2>"$tmp/err"
    [ $? = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
        grep -q "^periscope: clickhouse http://127\.0\.0\.1:$port/: create the database: cannot reach the server" "$tmp/err" &&
        ! grep -q secret "$tmp/err" || { cat "$tmp/err"; return 1; }
    "$bin" flowlogs import --db "$tmp/x.db" --clickhouse "$url" "$fx/natgw.log" 2>"$tmp/err"
    [ $? = 1 ] && grep -q -- '--db and --clickhouse' "$tmp/err" || { cat "$tmp/err"; return 1; }
    "$bin" flowlogs import --clickhouse "ftp://127.0.0.1/" "$fx/natgw.log" 2>"$tmp/err"
    [ $? = 1 ] && grep -q 'http://' "$tmp/err" || { cat "$tmp/err"; return 1; }
    "$bin" flowlogs import --help | grep -q -- '--clickhouse URL'
}
check flowlogs-server-down-and-usage fl_errors

stop_server
echo "clickhouse: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
