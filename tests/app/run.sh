#!/bin/bash
# End-to-end tests of the application layer (see app_tests.py): protocols by
# content on any port, the TLS fields of tests/pcaps/tls/expected.txt,
# reordering, loss, one-sided captures, duplicates, --no-app, the store
# tables, port reuse and the resource limits. The modified captures are made
# with scapy at test time, seeded. Ends with "app: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
if ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
    echo "app: skipped (no python3-scapy)"
    exit 77
fi
exec /usr/bin/python3 tests/app/app_tests.py "$bin"
