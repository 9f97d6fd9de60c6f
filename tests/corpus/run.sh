#!/bin/bash
# Third-party corpus run: every capture under ../shared/corpus (next to the
# repository, or $PERISCOPE_CORPUS) through periscope, then the tunnel
# expectations of tests/corpus/expect.tsv. See docs/corpus.md.
#
# Usage: tests/corpus/run.sh [PERISCOPE_BINARY]   (default build-san/periscope)
#
# Per capture (.pcap/.pcapng/.cap): `timeout 60 periscope read --deterministic -q`;
# exit status 0, or 1 with a one-line message naming the file (libpcap cannot
# open it); no sanitizer report on stderr; EVE output checked by check_eve.py
# (JSON, UTF-8, unique flow ids, packet accounting invariant).
# Prints "FAIL corpus: <file>: <reason>" per failure and ends with
# "corpus: N passed, N failed" (captures + expect.tsv rows). Exit 0 when
# nothing failed, 1 otherwise, 77 when the corpus is absent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${PERISCOPE_CORPUS:-$here/../../../shared/corpus}
if [ ! -d "$corpus" ]; then
    echo "SKIP corpus: ../shared/corpus not found"
    exit 77
fi
corpus=$(cd "$corpus" && pwd)
bin=${1:-build-san/periscope}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
if [ ! -x "$bin" ]; then
    echo "FAIL corpus: binary $bin not found (make build-san/periscope)"
    echo "corpus: 0 passed, 1 failed"
    exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=${CORPUS_JOBS:-2}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

(cd "$corpus" && find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) |
    sed 's|^\./||' | LC_ALL=C sort) > "$tmp/files"
nfiles=$(wc -l < "$tmp/files")
if [ "$nfiles" -eq 0 ]; then
    echo "FAIL corpus: no capture files under $corpus"
    echo "corpus: 0 passed, 1 failed"
    exit 1
fi

# One capture: run it and write "<status>\t<reason>" to out/N.res, where
# status is CHECK (exit 0, EVE to be checked), UNREADABLE (exit 1, one-line
# message naming the file) or FAIL.
worker() {
    local n=$1 rel=$2 bin=$3 corpus=$4 tmp=$5
    local o=$tmp/out/$n rc first
    timeout 60 "$bin" read --deterministic -q --eve "$o.json" --flowlog /dev/null \
        "$corpus/$rel" >"$o.stdout" 2>"$o.err" </dev/null
    rc=$?
    first=$(grep -m1 -E 'runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer' "$o.err")
    if [ -n "$first" ]; then
        printf 'FAIL\tsanitizer report (exit %s): %s\n' "$rc" "${first:0:200}" >"$o.res"
    elif [ "$rc" -eq 124 ]; then
        printf 'FAIL\ttimeout: still running after 60 s\n' >"$o.res"
    elif [ "$rc" -eq 0 ]; then
        printf 'CHECK\t\n' >"$o.res"
    elif [ "$rc" -eq 1 ] && [ "$(wc -l <"$o.err")" -eq 1 ] && grep -qF "$rel" "$o.err"; then
        printf 'UNREADABLE\t%s\n' "$(head -c 200 "$o.err")" >"$o.res"
    elif [ "$rc" -gt 128 ]; then
        printf 'FAIL\tkilled by signal %s: %s\n' "$((rc - 128))" "$(head -c 200 "$o.err" | tr '\n' ' ')" >"$o.res"
    else
        printf 'FAIL\texit status %s: %s\n' "$rc" "$(head -c 200 "$o.err" | tr '\n' ' ')" >"$o.res"
    fi
}
export -f worker

awk '{printf "%d\t%s\n", NR, $0}' "$tmp/files" |
    tr '\n' '\0' |
    xargs -0 -P "$jobs" -I{} bash -c 'IFS=$(printf "\t") read -r n rel <<<"$1"; worker "$n" "$rel" "$2" "$3" "$4"' _ {} "$bin" "$corpus" "$tmp"

# Collect: worker failures, then EVE checks for the runs that exited 0.
: >"$tmp/list"; : >"$tmp/evemap"; : >"$tmp/failed"; : >"$tmp/unreadable"
n=0
while IFS= read -r rel; do
    n=$((n + 1))
    res=$tmp/out/$n.res
    if [ ! -f "$res" ]; then
        echo "FAIL corpus: $rel: not run"
        echo "$rel" >>"$tmp/failed"
        continue
    fi
    IFS=$'\t' read -r status reason <"$res"
    case "$status" in
    CHECK)
        printf '%s\t%s\n' "$rel" "$tmp/out/$n.json" >>"$tmp/list"
        printf '%s\t%s\n' "$rel" "$tmp/out/$n.json" >>"$tmp/evemap" ;;
    UNREADABLE)
        echo "$rel: $reason" >>"$tmp/unreadable" ;;
    *)
        echo "FAIL corpus: $rel: $reason"
        echo "$rel" >>"$tmp/failed" ;;
    esac
done <"$tmp/files"

python3 "$here/check_eve.py" --list "$tmp/list" --failed-out "$tmp/failed_eve"
cat "$tmp/failed_eve" >>"$tmp/failed"
ffail=$(sort -u "$tmp/failed" | wc -l)
fpass=$((nfiles - ffail))
nunread=$(wc -l <"$tmp/unreadable")
if [ "$nunread" -gt 0 ]; then
    echo "# libpcap cannot open $nunread capture(s) (exit 1, accepted):"
    sed 's/^/#   /' "$tmp/unreadable"
fi

# Expectations for the VXLAN / GENEVE / ERSPAN / GRE captures.
python3 "$here/check_eve.py" --expect "$here/expect.tsv" --corpus "$corpus" --bin "$bin" \
    --eve-map "$tmp/evemap" --tmp "$tmp" --counts-out "$tmp/counts"
if [ -s "$tmp/counts" ]; then
    read -r epass efail <"$tmp/counts"
else
    echo "FAIL corpus: tests/corpus/expect.tsv could not be applied"
    epass=0 efail=1
fi

echo "# captures: $nfiles run, $ffail failing; expect.tsv rows: $((epass + efail)) checked, $efail failing"
pass=$((fpass + epass))
fail=$((ffail + efail))
echo "corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
