#!/bin/bash
# Application-layer agreement with Suricata 7 and suricata-verify on the
# corpus's DNS/TLS/QUIC/HTTP/SSH captures (docs/app-agreement.md): fails when
# a field matches fewer records, or differs on more, than
# tests/corpus/app-expect.json records.
#
# Usage: tests/corpus/app.sh [PERISCOPE_BINARY]   (default build-san/periscope)
# Ends with "corpus-app: N passed, N failed" (one per field); exit 77 when
# ../shared/corpus (or $PERISCOPE_CORPUS) or suricata is absent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${PERISCOPE_CORPUS:-$root/../shared/corpus}
if [ ! -d "$corpus" ]; then
    echo "SKIP corpus-app: ../shared/corpus not found"
    exit 77
fi
if ! command -v suricata >/dev/null; then
    echo "SKIP corpus-app: suricata not installed"
    exit 77
fi
bin=${1:-build-san/periscope}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
if [ ! -x "$bin" ]; then
    echo "FAIL corpus-app: binary $bin not found"
    echo "corpus-app: 0 passed, 1 failed"
    exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
out=$(python3 "$here/app-agreement.py" --periscope "$bin" --corpus "$corpus" \
    --jobs "${CORPUS_JOBS:-2}" --expect "$here/app-expect.json")
rc=$?
if [ $rc -eq 77 ]; then
    echo "$out" | tail -1
    exit 77
fi
echo "$out" | grep -E '^(FAIL|corpus-app:)'
exit $rc
