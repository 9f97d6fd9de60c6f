#!/bin/sh
# Static checks: banned functions, .clang-format, and cppcheck with a short
# list of checks (warning, portability, performance). Exit 77 only when
# neither clang-format nor cppcheck is installed.
cd "$(dirname "$0")/.." || exit 1
status=0
tools/check-banned.sh || status=1
tools/check-format.sh || status=1
if command -v cppcheck >/dev/null; then
    cppcheck -q --std=c11 --enable=warning,portability,performance --inline-suppr \
        --error-exitcode=1 -I src src || status=1
else
    echo "cppcheck not installed: skipped"
fi
exit $status
