#!/bin/bash
# Attack detectors against third-party expectations: runs periscope on the
# fragmentation / IPv6 extension-header / IPv4-option captures of
# ../shared/corpus (suricata-verify defrag* and ipv6-evasion tests, the
# netsecuritylab ipv6-fragmentation dataset, tcpdump's malformed IPv4/IPv6
# captures) and applies tests/corpus/attacks-expect.tsv with
# tests/corpus/attacks_check.py. See docs/attacks-corpus.md.
#
# Usage: tests/corpus/attacks.sh [PERISCOPE_BINARY]   (default build-san/periscope)
#        PERISCOPE_CORPUS=/path/to/corpus tests/corpus/attacks.sh
#
# Every run must exit 0 with no sanitizer report; then each row's check must
# hold. Prints "FAIL corpus-attacks: ..." per failing row and ends with
# "corpus-attacks: N passed, N failed". Exit 0 when nothing failed, 1
# otherwise, 77 when the corpus is absent. Rows commented 'BUG:' fail on
# purpose until periscope is fixed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${PERISCOPE_CORPUS:-$root/../shared/corpus}
if [ ! -d "$corpus" ]; then
    echo "SKIP corpus-attacks: corpus not found at $corpus (set PERISCOPE_CORPUS)"
    exit 77
fi
corpus=$(cd "$corpus" && pwd)
bin=${1:-build-san/periscope}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
if [ ! -x "$bin" ]; then
    echo "FAIL corpus-attacks: binary $bin not found (make build-san/periscope)"
    echo "corpus-attacks: 0 passed, 1 failed"
    exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" "$here/attacks_check.py" --bin "$bin" --corpus "$corpus" \
    --expect "$here/attacks-expect.tsv" --jobs "${CORPUS_JOBS:-2}"
