#!/bin/bash
# valgrind memcheck on the golden inputs: zero errors and no leaks.
# Exit 77 (skipped) when valgrind is not installed.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build/periscope}
command -v valgrind >/dev/null || { echo "SKIP valgrind: not installed"; exit 77; }
pass=0 fail=0
for p in tests/pcaps/*.pcap tests/pcaps/*.pcapng; do
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            "$bin" read --deterministic -q --eve /dev/null --flowlog /dev/null "$p" \
            >/tmp/vg.$$ 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL valgrind: $p"; head -20 /tmp/vg.$$
        fail=$((fail + 1))
    fi
done
rm -f /tmp/vg.$$
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
