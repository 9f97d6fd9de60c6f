# Sourced by bench/mirror.sh and bench/listen-iface.sh (set me to the script's
# name first): their arguments, knobs and the blast sender, built.
set -u
cd "$(dirname "$0")/.." || exit 1
secs=${1:-5}
bin=${PERISCOPE:-build/periscope}
cpu=${BENCH_CPU:-1}
sizes=${SIZES:-60 590 1514}
[ "$(id -u)" -eq 0 ] || { echo "$me: needs root"; exit 77; }
[ -x "$bin" ] || { echo "$me: build $bin first (make)"; exit 1; }
mkdir -p bench/out
cc -O2 -o bench/out/blast bench/blast.c || exit 1
