#!/usr/bin/env bash
# make-capture.sh [OUT.pcap] [SIZE_MB]
#
# Builds the bench capture: real traffic of real tools (curl -> nginx over HTTP
# and HTTPS, dig/curl -> dnsmasq DNS, ping) between a client and a server network
# namespace, bridged in a "switch" namespace whose bridge floods every frame
# (ageing_time 0) out of a VXLAN port towards a "sensor" namespace, where tcpdump
# captures 'udp port 4789'. So the file is what a mirror target receives:
#   Ethernet / IPv4 / UDP 4789 / VXLAN / Ethernet / IPv4 / TCP|UDP|ICMP ...
#
# By default the whole file is live traffic (about 10 MB/s of capture on 2 cores,
# so ~2 minutes for 1.1 GB). If the live capture stops short of SIZE_MB (BASE_MB
# set lower, or CAPTURE_MAX_SECONDS reached), bench/replicate.c grows it:
# copies of the live capture with shifted timestamps and the client addresses'
# third octet changed per copy (10.77.1.x -> 10.77.2.x -> ...), so every copy's
# flows are distinct flows. It fixes the inner IP/TCP/UDP checksums; nothing else
# changes.
#
# Env: BASE_MB (MB of live traffic, default SIZE_MB), CAPTURE_MAX_SECONDS (600),
# MAX_ROUNDS (2000), KEEP_BASE=1 keeps the live part when replicating, SEED (1).
# All addresses live only inside the namespaces this script creates and deletes.
set -euo pipefail

die() { echo "make-capture.sh: error: $*" >&2; exit 1; }
log() { echo "make-capture.sh: [$(date +%T)] $*" >&2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE/out/bench-vxlan.pcap}
SIZE_MB=${2:-1100}
BASE_MB=${BASE_MB:-$SIZE_MB}
CAPTURE_MAX_SECONDS=${CAPTURE_MAX_SECONDS:-600}
MAX_ROUNDS=${MAX_ROUNDS:-2000}
SEED=${SEED:-1}
KEEP_BASE=${KEEP_BASE:-0}

[[ $SIZE_MB =~ ^[0-9]+$ && $SIZE_MB -gt 0 ]] || die "SIZE_MB must be a positive integer, got '$SIZE_MB'"
[[ $BASE_MB =~ ^[0-9]+$ && $BASE_MB -gt 0 ]] || die "BASE_MB must be a positive integer, got '$BASE_MB'"
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
for t in ip ethtool tcpdump nginx dnsmasq curl dig ping openssl cc awk; do
    command -v "$t" >/dev/null || die "'$t' not found: run bench/deps.sh first"
done

mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
TARGET_BYTES=$((SIZE_MB * 1000000))
BASE_BYTES=$((BASE_MB * 1000000))
[ "$BASE_BYTES" -gt "$TARGET_BYTES" ] && BASE_BYTES=$TARGET_BYTES
CAP_FILE=${OUT%.pcap}.live.pcap

# ---- build the helper (replicate + stats)
REPL=$(dirname "$OUT")/replicate
if [ ! -x "$REPL" ] || [ "$HERE/replicate.c" -nt "$REPL" ]; then
    log "compiling bench/replicate.c"
    cc -O2 -Wall -o "$REPL" "$HERE/replicate.c" || die "cannot compile bench/replicate.c"
fi

# ---- names and addresses (only inside our own namespaces)
TAG=pcap$$
NS_CLI=$TAG-cli NS_SRV=$TAG-srv NS_SW=$TAG-sw NS_SEN=$TAG-sen
NET_PREFIX=10.77                      # client/server LAN 10.77.0.0/16
CLIENT_NET=$NET_PREFIX.1.0            # clients 10.77.1.2-9 (rewritten per copy)
SRV_IP=$NET_PREFIX.200.1
CLIENT_IPS=()
for i in 2 3 4 5 6 7 8 9; do CLIENT_IPS+=("$NET_PREFIX.1.$i"); done
UL_SW=10.99.0.1 UL_SEN=10.99.0.2      # underlay between switch and sensor
TMP=$(mktemp -d /tmp/periscope-capture.XXXXXX)
chmod 755 "$TMP"   # nginx workers run as nobody and must read the web root
PIDS=()
CREATED_NS=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for n in "${CREATED_NS[@]}"; do
        for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null; done
    done
    sleep 0.3
    for n in "${CREATED_NS[@]}"; do
        for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$n" 2>/dev/null
    done
    rm -rf "/etc/netns/$NS_CLI" "$TMP"; rmdir /etc/netns 2>/dev/null
    [ "$rc" -ne 0 ] && rm -f "$CAP_FILE"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

# ---- topology
log "creating namespaces $NS_CLI $NS_SRV $NS_SW $NS_SEN"
for n in "$NS_CLI" "$NS_SRV" "$NS_SW" "$NS_SEN"; do
    ip netns add "$n" || die "cannot create netns $n"
    CREATED_NS+=("$n")
    ip -n "$n" link set lo up
    nsx "$n" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_SW" link add br0 type bridge ageing_time 0 stp_state 0 mcast_snooping 0
ip -n "$NS_SW" link add p-cli type veth peer name eth0 netns "$NS_CLI"
ip -n "$NS_SW" link add p-srv type veth peer name eth0 netns "$NS_SRV"
ip -n "$NS_SW" link add ul0 mtu 1600 type veth peer name eth0 mtu 1600 netns "$NS_SEN"
ip -n "$NS_SW" addr add $UL_SW/30 dev ul0
# The sensor's capture port has no IP address (like a real mirror target): the
# switch knows its MAC statically, so nothing answers or ICMPs the VXLAN stream.
SEN_MAC=$(ip -n "$NS_SEN" -br link show eth0 | awk '{print $3}')
ip -n "$NS_SW" link set ul0 up
ip -n "$NS_SW" neigh replace $UL_SEN lladdr "$SEN_MAC" dev ul0 nud permanent
ip -n "$NS_SW" link add vx0 type vxlan id 4242 remote $UL_SEN local $UL_SW dstport 4789 dev ul0
ip -n "$NS_SW" link set vx0 mtu 1500
for l in p-cli p-srv vx0; do ip -n "$NS_SW" link set "$l" master br0; done
for l in br0 p-cli p-srv vx0; do ip -n "$NS_SW" link set "$l" up; done
for ip_ in "${CLIENT_IPS[@]}"; do ip -n "$NS_CLI" addr add "$ip_/16" dev eth0; done
ip -n "$NS_SRV" addr add $SRV_IP/16 dev eth0
for n in "$NS_CLI" "$NS_SRV" "$NS_SEN"; do ip -n "$n" link set eth0 up; done
# No offloads anywhere: the capture must hold real wire-size frames (no 64 KB GSO
# super-packets) with real checksums.
for pair in "$NS_SW:p-cli" "$NS_SW:p-srv" "$NS_SW:ul0" "$NS_SW:vx0" "$NS_CLI:eth0" "$NS_SRV:eth0" "$NS_SEN:eth0"; do
    nsx "${pair%%:*}" ethtool -K "${pair#*:}" tso off gso off gro off tx off rx off >/dev/null 2>&1 \
        || nsx "${pair%%:*}" ethtool -K "${pair#*:}" tso off gso off gro off >/dev/null 2>&1 || true
done
nsx "$NS_CLI" ping -q -c 1 -W 2 $SRV_IP >/dev/null || die "client cannot reach server through the bridge"

# ---- server: nginx (HTTP + HTTPS) and dnsmasq
log "preparing web root and certificates"
WWW=$TMP/www
mkdir -p "$WWW/img" "$WWW/api" "$WWW/static" "$WWW/big" "$TMP/nginx-tmp"
rnd_text() { head -c $(($2 * 3 / 4 + 3)) /dev/urandom | base64 -w 76 > "$1"; truncate -s "$2" "$1"; }
rnd_bin() { head -c "$2" /dev/urandom > "$1"; }
rnd_text "$WWW/index.html" 2400
rnd_text "$WWW/about.html" 9000
rnd_text "$WWW/static/style.css" 14000
rnd_text "$WWW/static/app.js" 62000
rnd_text "$WWW/static/vendor.js" 180000
rnd_text "$WWW/api/user.json" 350
rnd_text "$WWW/api/feed.json" 4200
rnd_text "$WWW/robots.txt" 120
for i in 0 1 2 3 4 5 6 7 8 9; do
    rnd_bin "$WWW/img/icon$i.png" $((600 + i * 300))
    rnd_bin "$WWW/img/photo$i.jpg" $((18000 + i * 9000))
done
rnd_bin "$WWW/big/update.bin" 2000000
rnd_bin "$WWW/big/video.mp4" 8000000
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=www.bench.test \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || die "openssl cannot make a certificate"

cat > "$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx-tmp/body;
    proxy_temp_path $TMP/nginx-tmp/proxy;
    fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx-tmp/uwsgi;
    scgi_temp_path $TMP/nginx-tmp/scgi;
    types { text/html html; text/css css; application/javascript js; application/json json;
            image/png png; image/jpeg jpg; video/mp4 mp4; text/plain txt; }
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 100000;
    keepalive_timeout 30s;
    server {
        listen $SRV_IP:80;
        listen $SRV_IP:443 ssl;
        server_name www.bench.test;
        ssl_certificate $TMP/cert.pem;
        ssl_certificate_key $TMP/key.pem;
        root $WWW;
        location = /login { return 302 /index.html; }
        location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
    }
}
EOF
ip netns exec "$NS_SRV" nginx -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" &
PIDS+=($!)
LONGTXT=$(head -c 600 /dev/urandom | base64 -w 0)
ip netns exec "$NS_SRV" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address=$SRV_IP --port=53 --cache-size=1000 --dns-forward-max=1000 \
    --local=/test/ --address=/bench.test/$SRV_IP --address=/cdn.test/$SRV_IP \
    --mx-host=bench.test,mail.bench.test,10 --srv-host=_sip._udp.bench.test,sip.bench.test,5060 \
    --txt-record=_dmarc.bench.test,"v=DMARC1; p=none; rua=mailto:dmarc@bench.test" \
    --txt-record=big.bench.test,"${LONGTXT:0:240}","${LONGTXT:240:240}","${LONGTXT:480:200}" \
    --ptr-record=2.1.77.10.in-addr.arpa,client.bench.test \
    --pid-file="$TMP/dnsmasq.pid" 2>"$TMP/dnsmasq.log" &
PIDS+=($!)
mkdir -p "/etc/netns/$NS_CLI"
echo "nameserver $SRV_IP" > "/etc/netns/$NS_CLI/resolv.conf"

for _ in $(seq 50); do
    nsx "$NS_CLI" curl -s -o /dev/null --max-time 2 "http://$SRV_IP/robots.txt" \
        && nsx "$NS_CLI" dig +short +time=1 +tries=1 @$SRV_IP www.bench.test >/dev/null && break
    sleep 0.2
done
nsx "$NS_CLI" curl -s -o /dev/null --max-time 2 http://www.bench.test/robots.txt \
    || die "nginx/dnsmasq not answering in the server namespace (see $TMP/nginx-error.log, $TMP/dnsmasq.log)"

# ---- sensor: capture the VXLAN stream
log "starting tcpdump in $NS_SEN -> $CAP_FILE"
rm -f "$CAP_FILE"
ip netns exec "$NS_SEN" tcpdump -i eth0 -n -s 0 -B 262144 -Z root -w "$CAP_FILE" 'udp port 4789' 2>"$TMP/tcpdump.err" &
TCPDUMP_PID=$!
PIDS+=("$TCPDUMP_PID")
for _ in $(seq 50); do grep -q listening "$TMP/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$TMP/tcpdump.err" || die "tcpdump did not start: $(cat "$TMP/tcpdump.err")"

# ---- traffic: rounds of a fixed mix, until the base is big enough (bounded)
# URL lists: weighted choice of objects, distinct query strings per request.
urls() { # urls SCHEME COUNT ROUND KIND -> curl config lines
    awk -v scheme="$1" -v n="$2" -v seed="$((SEED * 100003 + $3))" -v kind="$4" 'BEGIN {
        srand(seed)
        split("index.html about.html static/style.css static/app.js api/user.json api/feed.json robots.txt health login missing.html img/icon0.png img/icon3.png img/icon7.png img/photo1.jpg img/photo5.jpg img/photo9.jpg static/vendor.js", o, " ")
        # weights: many small objects, some mid-size, few large
        split("14 4 6 3 16 10 5 8 3 4 8 7 6 3 2 1 1", w, " ")
        tot = 0; for (i in w) tot += w[i]
        for (j = 0; j < n; j++) {
            r = rand() * tot; acc = 0
            for (i = 1; i <= 17; i++) { acc += w[i]; if (r < acc) break }
            if (i > 17) i = 17
            host = (rand() < 0.8) ? "www.bench.test" : "cdn.test"
            printf "url = \"%s://%s/%s?v=%d&k=%s\"\noutput = \"/dev/null\"\n", scheme, host, o[i], int(rand() * 1e6), kind
        }
    }'
}
dnsq() { # dnsq COUNT ROUND -> dig batch lines
    awk -v n="$1" -v seed="$((SEED * 7919 + $2))" 'BEGIN {
        srand(seed)
        for (j = 0; j < n; j++) {
            r = rand(); id = int(rand() * 1e6)
            if (r < 0.45)      printf "h%d.bench.test A\n", id
            else if (r < 0.60) printf "www.bench.test A\n"
            else if (r < 0.70) printf "img%d.cdn.test AAAA\n", id % 500
            else if (r < 0.80) printf "x%d.nosuch.test A\n", id
            else if (r < 0.85) printf "bench.test MX\n"
            else if (r < 0.90) printf "_dmarc.bench.test TXT\n"
            else if (r < 0.94) printf "big.bench.test TXT\n"
            else if (r < 0.97) printf "_sip._udp.bench.test SRV\n"
            else               printf "2.1.77.10.in-addr.arpa PTR\n"
        }
    }'
}

CURL=(curl -s --no-progress-meter --max-time 30 --connect-timeout 3)
run_round() { # run_round N : one round of the mix, all jobs in parallel, inside the client ns
    local r=$1 d=$TMP/round ip1 ip2 ip3 ip4
    mkdir -p "$d"
    ip1=${CLIENT_IPS[$((r % 8))]} ip2=${CLIENT_IPS[$(((r + 3) % 8))]}
    ip3=${CLIENT_IPS[$(((r + 5) % 8))]} ip4=${CLIENT_IPS[$(((r + 6) % 8))]}
    urls http 400 "$r" c > "$d/a.cfg"
    urls http 120 "$((r + 500000))" k > "$d/b.cfg"
    urls https 50 "$((r + 900000))" c > "$d/c.cfg"
    urls https 60 "$((r + 1300000))" k > "$d/e.cfg"
    dnsq 1750 "$r" > "$d/dns.txt"
    dnsq 1750 "$((r + 700000))" > "$d/dns2.txt"
    local jobs=()
    # short HTTP transactions, a new connection for each (Connection: close)
    ip netns exec "$NS_CLI" "${CURL[@]}" -Z --parallel-max 6 -H 'Connection: close' --interface "$ip1" -K "$d/a.cfg" >/dev/null 2>&1 & jobs+=($!)
    # keep-alive browsing: many requests on a few connections
    ip netns exec "$NS_CLI" "${CURL[@]}" -Z --parallel-max 3 --interface "$ip2" -K "$d/b.cfg" >/dev/null 2>&1 & jobs+=($!)
    # HTTPS, new connection per request and keep-alive
    ip netns exec "$NS_CLI" "${CURL[@]}" -k -Z --parallel-max 4 -H 'Connection: close' --interface "$ip3" -K "$d/c.cfg" >/dev/null 2>&1 & jobs+=($!)
    ip netns exec "$NS_CLI" "${CURL[@]}" -k -Z --parallel-max 2 --interface "$ip4" -K "$d/e.cfg" >/dev/null 2>&1 & jobs+=($!)
    # DNS: a tight loop of queries, each from a fresh source port
    ip netns exec "$NS_CLI" dig @$SRV_IP -b "$ip2" +tries=1 +time=1 -f "$d/dns.txt" >/dev/null & jobs+=($!)
    ip netns exec "$NS_CLI" dig @$SRV_IP -b "$ip1" +tries=1 +time=1 -f "$d/dns2.txt" >/dev/null & jobs+=($!)
    # ping with a few sizes
    ip netns exec "$NS_CLI" ping -q -c 20 -i 0.01 -s $(((r * 37) % 1400 + 16)) -I "$ip3" $SRV_IP >/dev/null & jobs+=($!)
    # single-shot clients: resolver lookup (dnsmasq) then one request
    ( for i in 1 2 3 4; do
          nsx "$NS_CLI" "${CURL[@]}" -o /dev/null --interface "${CLIENT_IPS[$(((r + i) % 8))]}" \
              "http://www.bench.test/api/user.json?s=$r$i" || true
      done ) & jobs+=($!)
    # now and then a larger download
    if [ $((r % 3)) -eq 0 ]; then
        local obj=big/update.bin
        [ $((r % 9)) -eq 0 ] && obj=big/video.mp4
        ip netns exec "$NS_CLI" "${CURL[@]}" -o /dev/null --limit-rate 40M --interface "$ip4" "http://www.bench.test/$obj?r=$r" >/dev/null 2>&1 & jobs+=($!)
    fi
    local rc=0
    for j in "${jobs[@]}"; do wait "$j" || rc=1; done
    return $rc
}

log "generating traffic until the capture reaches $((BASE_BYTES / 1000000)) MB (at most ${CAPTURE_MAX_SECONDS}s, $MAX_ROUNDS rounds)"
START=$SECONDS
round=0 failed=0
while :; do
    size=$(stat -c %s "$CAP_FILE" 2>/dev/null || echo 0)
    [ "$size" -ge "$BASE_BYTES" ] && break
    if [ $((SECONDS - START)) -ge "$CAPTURE_MAX_SECONDS" ]; then
        log "time limit reached at $((size / 1000000)) MB"; break
    fi
    if [ "$round" -ge "$MAX_ROUNDS" ]; then log "round limit reached"; break; fi
    kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump died: $(cat "$TMP/tcpdump.err")"
    run_round "$round" || failed=$((failed + 1))
    round=$((round + 1))
    if [ $((round % 5)) -eq 0 ]; then
        log "round $round: $((size / 1000000)) MB captured, $((SECONDS - START)) s"
    fi
done
[ "$failed" -gt $((round / 2 + 1)) ] && die "$failed of $round traffic rounds had failing clients"
[ "$failed" -gt 0 ] && log "note: $failed of $round rounds had a client error (timeouts happen under load)"
sleep 1
kill -TERM "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
LIVE_SECONDS=$((SECONDS - START))
DROPS=$(awk '/dropped by kernel/ {print $1}' "$TMP/tcpdump.err")
log "live capture: $round rounds in ${LIVE_SECONDS}s; tcpdump: $(grep -E 'captured|dropped' "$TMP/tcpdump.err" | tr '\n' ' ')"

# ---- grow to SIZE_MB if the live capture is smaller (BASE_MB < SIZE_MB, or time limit)
LIVE_SIZE=$(stat -c %s "$CAP_FILE")
[ "$LIVE_SIZE" -gt 24 ] || die "nothing was captured"
if [ "$LIVE_SIZE" -ge "$TARGET_BYTES" ]; then
    mv -f "$CAP_FILE" "$OUT"
    MODE="all live traffic"
else
    log "replicating the $((LIVE_SIZE / 1000000)) MB live capture to $SIZE_MB MB with bench/replicate.c"
    "$REPL" "$CAP_FILE" "$OUT" "$TARGET_BYTES" "$CLIENT_NET" || die "replication failed"
    MODE="$((LIVE_SIZE / 1000000)) MB of live traffic, replicated (client 10.77.1.x -> 10.77.k+1.x per copy k, timestamps shifted)"
    if [ "$KEEP_BASE" = 1 ]; then log "live capture kept: $CAP_FILE"; else rm -f "$CAP_FILE"; fi
fi

echo
echo "=== capture: $OUT"
echo "content: $MODE"
echo "live traffic: ${LIVE_SECONDS}s, $round rounds, tcpdump drops: ${DROPS:-?}"
"$REPL" --stats "$OUT" | grep -v '^STATS'
SZ=$(stat -c %s "$OUT")
[ "$SZ" -ge "$TARGET_BYTES" ] || log "warning: capture is $SZ bytes, less than the $TARGET_BYTES asked for"
