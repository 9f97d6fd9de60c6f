#!/bin/bash
# periscope mirror's command line, without root: --help, --check of the AWS
# CLI JSON and of periscope's own configuration, and every refusal with its
# message (exit 1). The traffic itself: tests/mirror/e2e.sh.
# Prints "mirror-cli: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:-build-san/periscope}
F=tests/mirror/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   mirror-cli/$1"; pass=$((pass + 1)); }
ko() { echo "FAIL mirror-cli/$1"; fail=$((fail + 1)); }

# expect NAME STATUS TEXT -- ARGS...: exit status and a line of the output
expect() {
    local name=$1 want=$2 text=$3
    shift 4
    "$bin" mirror "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" = "$want" ] && grep -qF -- "$text" "$tmp/out"; then ok "$name"; else
        ko "$name (exit $rc, want $want and '$text'):"; head -3 "$tmp/out"; fi
}

AWS=(--sessions $F/sessions.json --filter $F/filters.json --targets $F/targets.json)
expect help 0 "--include-never-mirrored" -- --help
"$bin" --help | grep -q '^  mirror ' && ok "periscope --help names mirror" || ko "periscope --help names mirror"
expect "check: AWS JSON, sessions in number order" 0 \
    "session tms-0a1b2c3d4e5f60001 number 1 vni 4242 packet-length 100" -- "${AWS[@]}" \
    --map eni-0a1b2c3d4e5f60c11=eth0 --target-addr eni-0a1b2c3d4e5f6sens=192.0.2.7 --check
"$bin" mirror "${AWS[@]}" --map eni-0a1b2c3d4e5f60c11=eth0 \
    --target-addr tmt-0a1b2c3d4e5f60001=[2001:db8::7]:4790 --check >"$tmp/out" 2>&1
if grep -q 'session tms-0a1b2c3d4e5f60002 number 2 vni 4343 packet-length 0' "$tmp/out" &&
    grep -q '1 session(s) skipped' "$tmp/out" && grep -q 'ingress 100 accept protocol 6 source-port 80-80' "$tmp/out" &&
    [ "$(grep -c '^  session' "$tmp/out")" = 2 ]; then
    ok "check: second session, unmapped ENI skipped, rules"
else
    ko "check: second session"; cat "$tmp/out"
fi
expect "check: own configuration file" 0 "session periscope-eth0 number 1 vni 77 packet-length 128" \
    -- --config $F/bridge.conf -i eth0 --target sensor.example --check
expect "check: default rules accept all" 0 "egress 2 accept protocol -1 (IPv6 /0 -> /0)" \
    -- -i eth0,eth1 --target 192.0.2.1 --check
expect "dist/mirror.conf checks" 0 "session periscope-eth0 number 1 vni 42" -- --config dist/mirror.conf --check
expect "two interfaces in one -i" 0 "source eth1 interface eth1" -- -i eth0,eth1 --target 192.0.2.1 --check

expect "no target" 1 "give -i IFACE and --target" -- -i eth0
expect "mixed modes" 1 "use one set" -- -i eth0 --target 192.0.2.1 --sessions $F/sessions.json
expect "sessions without filter" 1 "--sessions and --filter are both needed" -- --sessions $F/sessions.json
expect "target without address" 1 "no address for target" -- "${AWS[@]}" --map eni-0a1b2c3d4e5f60c11=eth0
expect "bad packet length" 1 "--packet-length must be 1..8500" -- -i eth0 --target x --packet-length 8501
expect "bad VNI" 1 "--vni must be 0..16777215" -- -i eth0 --target x --vni 16777216
expect "bad rule" 1 "unknown field 'port'" -- -i eth0 --target x --rule "ingress 1 accept port 80"
expect "missing file" 1 "nope.json: cannot open" -- --sessions nope.json --filter $F/filters.json
echo '{"TrafficMirrorFilters": [' >"$tmp/bad.json"
expect "truncated JSON" 1 "bad.json:" -- --sessions $F/sessions.json --filter "$tmp/bad.json"
python3 - "$F/sessions.json" "$tmp/four.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
base = s["TrafficMirrorSessions"][0]
s["TrafficMirrorSessions"] = [dict(base, TrafficMirrorSessionId=f"tms-{n}", SessionNumber=n) for n in range(1, 5)]
json.dump(s, open(sys.argv[2], "w"))
PY
expect "four sessions on one ENI" 1 "more than 3 sessions" -- --sessions "$tmp/four.json" \
    --filter $F/filters.json --map eni-0a1b2c3d4e5f60c11=eth0 --target-addr tmt-0a1b2c3d4e5f60001=x
expect "map twice" 1 "mapped twice" -- "${AWS[@]}" --map eni-0a1b2c3d4e5f60c11=eth0 --map eni-2=eth0
expect "bad amazon-dns" 1 "--amazon-dns 10.0.0.0/16" -- -i eth0 --target x --amazon-dns 10.0.0.0/16
expect "bad cpu budget" 1 "--cpu-budget must be 1..100" -- -i eth0 --target x --cpu-budget 0
if [ "$(id -u)" != 0 ]; then
    expect "needs root" 1 "CAP_NET_RAW" -- -i lo --target 127.0.0.1
fi
expect "unknown interface" 1 "nosuchif0: no such interface" -- -i nosuchif0 --target 127.0.0.1
expect "unresolvable target" 1 "target target: no-such-host.invalid" -- -i lo --target no-such-host.invalid

echo "mirror-cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
