#!/bin/sh
# The C sources follow .clang-format (clang-format --dry-run --Werror).
# Exit 77 (skipped) when clang-format is not installed.
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null || { echo "SKIP format: clang-format not installed"; exit 77; }
clang-format --dry-run --Werror src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c
