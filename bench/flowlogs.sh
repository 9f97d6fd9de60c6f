#!/bin/bash
# periscope flowlogs import vs sqlite3's own .import, on one core, from a
# generated gzip file of VPC Flow Log records (default format, S3 header).
#   bash bench/flowlogs.sh [RECORDS]      (default 1000000)
# Knobs: PERISCOPE (default build/periscope), BENCH_RUNS (3), BENCH_CPU (1),
# BENCH_CH_CPU (the ClickHouse server's CPU; default the other of 0 and 1),
# BENCH_SQLITE (1; 0 skips the SQLite and gzip rows).
# Prints, with records/s of wall time and of CPU time (user + sys):
# periscope into an empty store from one file, from the same records as ten
# files in an S3 directory (AWS writes one file per interval), and a second
# file into a store that holds the first; sqlite3's own .import of the same
# records (decompressed by gzip in a pipe) into a table with the same 14
# columns, with and without the three indexes a row store needs; gzip -dc
# alone. When clickhouse-server is installed, also periscope into ClickHouse
# (a private server on loopback, started as tests/clickhouse/run.sh does, on
# its own CPU): wall time, periscope's CPU time (user + sys, every thread)
# and the server's CPU time during the import, with the load average before
# and after.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}
bin=${PERISCOPE:-build/periscope}
runs=${BENCH_RUNS:-3}
cpu=${BENCH_CPU:-1}
out=bench/out
mkdir -p "$out"
sqlite=${BENCH_SQLITE:-1}
[ "$sqlite" = 0 ] || command -v sqlite3 >/dev/null ||
    { echo "sqlite3 not installed (apt-get install sqlite3)"; exit 1; }
"$bin" flowlogs --help >/dev/null 2>&1 || { echo "$bin has no 'flowlogs' command (run make)"; exit 1; }

gen() { # records seed file
    [ -s "$3" ] && return 0
    echo "generating $1 records into $3"
    python3 - "$1" "$2" <<'PY' | gzip -6 >"$3"
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
random.seed(seed)
w = sys.stdout.write
w("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
enis = ["eni-%017x" % random.getrandbits(68) for _ in range(200)]
priv = ["10.%d.%d.%d" % (random.randrange(4), random.randrange(256), random.randrange(1, 255)) for _ in range(5000)]
pub = ["%d.%d.%d.%d" % (random.randrange(1, 223), random.randrange(256), random.randrange(256), random.randrange(1, 255)) for _ in range(20000)]
ports = [22, 53, 80, 443, 3306, 5432, 6379, 8080, 123, 3389]
t, buf = 1700000000 + seed * 86400, []
for i in range(n):
    if i % 1000 == 0:
        t += 1
    a = random.choice(priv)
    b = random.choice(pub) if random.random() < .4 else random.choice(priv)
    p, e = random.choice(ports), random.randrange(32768, 61000)
    s, d, sp, dp = (a, b, e, p) if random.random() < .5 else (b, a, p, e)
    pk = random.randrange(1, 2000)
    buf.append("2 123456789012 %s %s %s %d %d %d %d %d %d %d %s OK\n" % (
        random.choice(enis), s, d, sp, dp, 17 if p in (53, 123) else 6, pk,
        pk * random.randrange(60, 1500), t, t + 60, "ACCEPT" if random.random() < .93 else "REJECT"))
    if len(buf) >= 10000:
        w("".join(buf)); buf = []
w("".join(buf))
PY
}
a=$out/flowlogs-$n-a.log.gz
b=$out/flowlogs-$n-b.log.gz
gen "$n" 1 "$a"
gen "$n" 2 "$b"
# The records of a as ten gzip files, each with the header line.
s3=$out/flowlogs-$n-s3
if [ ! -s "$s3/part9.log.gz" ]; then
    rm -rf "$s3" && mkdir -p "$s3"
    gzip -dc "$a" | tail -n +2 >"$s3/all"
    split -n l/10 -a 1 -d "$s3/all" "$s3/part" && rm "$s3/all"
    for f in "$s3"/part?; do
        { gzip -dc "$a" | head -1; cat "$f"; } | gzip -6 >"$f.log.gz" && rm "$f"
    done
fi
cat "$a" "$b" "$s3"/* >/dev/null # page cache

best() { sort -n | head -1; }
# timed command... -> "wall cpu" in seconds (cpu: user + sys of the command)
timed() {
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1)
    set -- $t
    echo "$1 $(echo "$2 + $3" | bc -l)"
}
wall() { timed "$@" | cut -d' ' -f1; }
db=$out/flowlogs-bench.db
fresh() { rm -f "$db" "$db-wal" "$db-shm"; }

p_one() { fresh; timed taskset -c "$cpu" "$bin" flowlogs import -q --db "$db" "$1"; }
p_more() { # time only the second file, into a store that already has n records
    fresh; "$bin" flowlogs import -q --db "$db" "$a"
    timed taskset -c "$cpu" "$bin" flowlogs import -q --db "$db" "$b"
}
cols='version INTEGER, account_id TEXT, interface_id TEXT, srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER, packets INTEGER, bytes INTEGER, start INTEGER, "end" INTEGER, action TEXT, log_status TEXT'
s_import() { # with_indexes
    fresh
    local idx=""
    [ "$1" = yes ] && idx="CREATE INDEX i1 ON flowlogs(start); CREATE INDEX i2 ON flowlogs(srcaddr); CREATE INDEX i3 ON flowlogs(dstaddr);"
    sqlite3 "$db" "PRAGMA journal_mode=WAL" "CREATE TABLE flowlogs($cols)" >/dev/null
    taskset -c "$cpu" sqlite3 "$db" "PRAGMA synchronous=NORMAL" "PRAGMA cache_size=-262144" \
        ".mode csv" ".separator ' '" ".import --skip 1 '|gzip -dc $a' flowlogs" "$idx"
}
row() { # name seconds
    printf '%-48s %8.2f s %12.0f records/s\n' "$1" "$2" "$(echo "$n / $2" | bc -l)"
}
rows2() { # name "wall cpu" lines: the best of each
    local w c
    w=$(cut -d' ' -f1 <<<"$2" | best)
    c=$(cut -d' ' -f2 <<<"$2" | best)
    printf '%-48s %8.2f s %12.0f records/s  %8.2f CPU-s %12.0f records/CPU-s\n' "$1" "$w" \
        "$(echo "$n / $w" | bc -l)" "$c" "$(echo "$n / $c" | bc -l)"
}
echo "records: $n per file; gzip $(du -h "$a" | cut -f1); best of $runs runs on CPU $cpu;" \
    "load average before:$(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/ /')"
if [ "$sqlite" != 0 ]; then
    rows2 "periscope import, one file" "$(for i in $(seq "$runs"); do p_one "$a"; done)"
    pe=$(du -k "$db" | cut -f1)
    rows2 "periscope import, 10 files (S3 directory)" "$(for i in $(seq "$runs"); do p_one "$s3"; done)"
    rows2 "periscope import, 2nd file into a store of $n" "$(for i in $(seq "$runs"); do p_more; done)"
    fresh
    t=$(for i in $(seq "$runs"); do wall s_import no; done | best)
    row "sqlite3 .import (no indexes)" "$t"
    t=$(for i in $(seq "$runs"); do wall s_import yes; done | best)
    row "sqlite3 .import + the same 3 indexes" "$t"
    printf 'store size: periscope %s MB, sqlite3 .import + indexes %s MB\n' "$((pe / 1024))" \
        "$(($(du -k "$db" | cut -f1) / 1024))"
    t=$(for i in $(seq "$runs"); do wall taskset -c "$cpu" gzip -dc "$a"; done | best)
    row "gzip -dc alone" "$t"
    echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
    fresh
fi

# ---- into ClickHouse ----
. tests/lib/ch_server.sh
ch_available || { echo "clickhouse-server not installed: no ClickHouse row (tools/deps.sh)"; exit 0; }
ch_cpu=${BENCH_CH_CPU:-$((cpu == 0 ? 1 : 0))}
chdir=$(mktemp -d)
chmod 755 "$chdir"
trap 'ch_stop KILL; rm -rf "$chdir"' EXIT
ch_setup "$chdir/server"
ch_start taskset -c "$ch_cpu" || exit 1
tck=$(getconf CLK_TCK)
server_ticks() { awk '{print $14 + $15}' "/proc/$ch_spid/stat"; }
# One import into an empty database: "wall periscope-cpu server-cpu" (s).
ch_run() {
    chq -q "DROP DATABASE IF EXISTS bench" || return 1
    local s0 s1 t
    s0=$(server_ticks)
    t=$( { TIMEFORMAT='%R %U %S'; time taskset -c "$cpu" "$bin" flowlogs import -q \
        --clickhouse "${ch_url}?database=bench" "$a" >/dev/null; } 2>&1) || { echo "$t" >&2; return 1; }
    s1=$(server_ticks)
    [ "$(chq -q "SELECT count() FROM bench.flowlogs")" = "$n" ] || { echo "rows missing" >&2; return 1; }
    set -- $t
    echo "$1 $(echo "$2 + $3" | bc -l) $(echo "($s1 - $s0) / $tck" | bc -l)"
}
echo "clickhouse-server $(curl -s "${ch_url}?query=SELECT%20version()") on CPU $ch_cpu; load average before:$(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/ /')"
for i in $(seq "$runs"); do ch_run || exit 1; done >"$chdir/runs"
w=$(cut -d' ' -f1 "$chdir/runs" | best)
c=$(cut -d' ' -f2 "$chdir/runs" | best)
sv=$(cut -d' ' -f3 "$chdir/runs" | best)
row "periscope import into ClickHouse (wall)" "$w"
printf '%-48s %8.2f s %12.0f records/CPU-s\n' "  periscope CPU time (user+sys, all threads)" "$c" "$(echo "$n / $c" | bc -l)"
printf '%-48s %8.2f s %12.0f records/CPU-s\n' "  clickhouse-server CPU time during the import" "$sv" "$(echo "$n / $sv" | bc -l)"
echo "(best of $runs for each figure; load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
