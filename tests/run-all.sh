#!/bin/bash
# Runs every suite and ends with one line "N passed, N failed, N skipped".
# Suites print their own "NAME: N passed, N failed" lines; a suite that exits
# 77 is skipped (something it needs is missing), never counted as passed.
set -u
cd "$(dirname "$0")/.." || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
san=build-san/periscope
total_pass=0 total_fail=0 total_skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() { # name, command...
    local name=$1; shift
    echo "== $name"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 77 ]; then
        total_skip=$((total_skip + 1))
        return
    fi
    local line
    line=$(grep -E '^[a-z0-9/ -]*: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -n "$line" ]; then
        local p f
        p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f))
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
    elif [ "$rc" -eq 0 ]; then
        total_pass=$((total_pass + 1))
    else
        total_fail=$((total_fail + 1))
    fi
}

suite static-checks tools/check-static.sh
suite clang-build make -s --no-print-directory CC=clang B=build-clang CI=true build-clang/periscope
suite unit build/unit
suite golden tests/golden/run.sh "$san"
suite cli tests/cli/run.sh "$san"
suite attacks tests/attacks/run.sh "$san"
suite app tests/app/run.sh "$san"
suite tunnels tests/tunnels/run.sh "$san"
suite flowlogs tests/flowlogs/run.sh "$san"
suite cost tests/cost/run.sh "$san"
suite report tests/report/run.sh "$san"
suite e2e tests/e2e/kernel-vxlan.sh "$san"
suite listen tests/cli/listen.sh "$san"
suite e2e-listen tests/e2e/listen-vxlan.sh "$san"
suite e2e-listen-iface tests/e2e/listen-iface.sh "$san"
suite mirror-cli tests/mirror/run.sh "$san"
suite mirror-e2e tests/mirror/e2e.sh "$san"
suite clickhouse tests/clickhouse/run.sh "$san"
suite valgrind tests/lib/valgrind.sh build/periscope
suite hostile tests/lib/hostile.sh "$san"
suite floods tests/lib/floods.sh build/periscope
suite corpus-attacks tests/corpus/attacks.sh "$san"
suite corpus tests/corpus/run.sh "$san"
suite corpus-app tests/corpus/app.sh "$san"
suite fuzz tools/fuzz.sh "${FUZZ_SECONDS:-8}"

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
