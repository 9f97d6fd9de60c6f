#!/bin/bash
# Build every libFuzzer harness in tests/fuzz with ASan and UBSan, replay the
# saved regression inputs, then fuzz each for SECONDS (default 60; 0 = only
# replay). New crashers land in tests/fuzz/regress/HARNESS/ to be committed
# as regression tests once fixed.
# Prints "fuzz: N passed, N failed"; exit 77 when clang's libFuzzer is missing.
set -u
cd "$(dirname "$0")/.." || exit 1
secs=${1:-60}
out=build-fuzz
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
flags="-std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
src="$(ls src/core/*.c src/decode/*.c src/defrag/*.c src/detect/*.c src/flow/*.c src/output/*.c src/source/*.c src/store/*.c src/flowlogs/*.c src/app/*.c src/stream/*.c src/cost/*.c src/mirror/*.c 2>/dev/null) src/cli/pipeline.c src/cli/config.c"
if ! echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' |
        $CC -fsanitize=fuzzer -x c - -o "$out/probe" 2>/dev/null; then
    echo "SKIP fuzz: $CC with libFuzzer not available (apt-get install clang libclang-rt-14-dev)"
    exit 77
fi
pass=0 fail=0
for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c)
    if ! $CC $flags -o "$out/$name" "$h" $src -lpcap -lsqlite3 -lz -lcrypto -lcurl -lpthread 2>"$out/$name.log"; then
        echo "FAIL fuzz/$name: build"; head "$out/$name.log"; fail=$((fail + 1)); continue
    fi
    corpus="$out/corpus-$name"
    mkdir -p "$corpus" "tests/fuzz/regress/$name"
    if [ -z "$(ls -A "$corpus")" ]; then
        case $name in
        fuzz_decode) python3 tests/fuzz/seeds.py "$corpus" tests/pcaps/*.pcap >/dev/null ;;
        fuzz_pcap_file) cp tests/pcaps/*.pcap tests/pcaps/*.pcapng "$corpus"/ ;;
        fuzz_flowlog) cp tests/flowlogs/fixtures/*.log tests/flowlogs/fixtures/*.json* "$corpus"/ ;;
        fuzz_jparse) cp tests/golden/sessions.json "$corpus"/golden.json; cp examples/sessions.json "$corpus"/example.json ;;
        *) [ -d "tests/fuzz/seeds/$name" ] && cp "tests/fuzz/seeds/$name"/* "$corpus"/ ;;
        esac
    fi
    # Replay the regression inputs first: each must pass.
    if [ -n "$(ls -A "tests/fuzz/regress/$name")" ] &&
        ! "$out/$name" -runs=0 "tests/fuzz/regress/$name"/* >"$out/$name.replay" 2>&1; then
        echo "FAIL fuzz/$name: a regression input fails again"; tail -20 "$out/$name.replay"
        fail=$((fail + 1)); continue
    fi
    if [ "$secs" -gt 0 ] && ! "$out/$name" -max_total_time="$secs" -max_len=9000 -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="tests/fuzz/regress/$name/" "$corpus" \
            >"$out/$name.run" 2>&1; then
        echo "FAIL fuzz/$name: crash saved in tests/fuzz/regress/$name/"; grep -m5 -E 'ERROR|runtime error|SUMMARY' "$out/$name.run"
        fail=$((fail + 1)); continue
    fi
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out/$name.run" 2>/dev/null | grep -oE '[0-9]+$')
    [ -z "$execs" ] && execs=$(grep -oE '#[0-9]+' "$out/$name.run" 2>/dev/null | tail -1)
    echo "ok   fuzz/$name (${secs}s, ${execs:-0} runs)"
    pass=$((pass + 1))
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
