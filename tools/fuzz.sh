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
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
flags="-std=c11 -D_GNU_SOURCE -pthread -g -O1 -Isrc"
libs="-lpcap -lsqlite3 -ldeflate -lz -lcrypto -lcurl -lpthread"
src="$(ls src/core/*.c src/decode/*.c src/defrag/*.c src/detect/*.c src/flow/*.c src/output/*.c src/source/*.c src/store/*.c src/flowlogs/*.c src/app/*.c src/stream/*.c src/cost/*.c src/mirror/*.c 2>/dev/null) src/cli/pipeline.c src/cli/config.c"
if ! echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' |
        $CC -fsanitize=fuzzer -x c - -o "$out/probe" 2>/dev/null; then
    echo "SKIP fuzz: $CC with libFuzzer not available (apt-get install clang libclang-rt-14-dev)"
    exit 77
fi
pass=0 fail=0
# The program's sources are compiled once (instrumented for the fuzzer, not
# linked with its main), each harness is then only linked: 18 harnesses
# would otherwise compile the whole tree 18 times.
mkdir -p "$out/obj"
objs=""
for f in $src; do
    o="$out/obj/$(echo "$f" | tr / _).o"
    if [ ! -e "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find src -name '*.h' -newer "$o" -print -quit)" ]; then
        $CC $flags $san -fsanitize=fuzzer-no-link -c -o "$o" "$f" 2>"$out/obj.log" ||
            { echo "FAIL fuzz: build $f"; head "$out/obj.log"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
    fi
    objs="$objs $o"
done
for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c)
    if ! $CC $flags $san -fsanitize=fuzzer -o "$out/$name" "$h" $objs $libs 2>"$out/$name.log"; then
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
