#!/bin/sh
# Banned functions stay out of src/ (docs/style.md 13.8).
cd "$(dirname "$0")/.." || exit 1
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets|alloca)\s*\(' src -r)
if [ -n "$hits" ]; then
    echo "banned functions used:"
    echo "$hits"
    exit 1
fi
exit 0
