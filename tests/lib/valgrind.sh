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
# The flow-log import (libdeflate and zlib paths, blocks) and queries that
# decode every column of the blocks through the flowlogs table.
db=$(mktemp -d)/fl.db
fx=tests/flowlogs/fixtures
vg() { valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"; }
if vg "$bin" flowlogs import -q --db "$db" "$fx" >/tmp/vg.$$ 2>&1; [ $? -ne 99 ] &&
        ! grep -q 'definitely lost\|Invalid\|uninitialised' /tmp/vg.$$ &&
        vg "$bin" flowlogs query --db "$db" --csv "SELECT * FROM flowlogs ORDER BY id" >/dev/null 2>/tmp/vg.$$ &&
        vg "$bin" flowlogs report --db "$db" --csv top-talkers >/dev/null 2>>/tmp/vg.$$; then
    pass=$((pass + 1))
else
    echo "FAIL valgrind: flowlogs import and query"; head -20 /tmp/vg.$$
    fail=$((fail + 1))
fi
rm -rf "$(dirname "$db")"
rm -f /tmp/vg.$$
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
