#!/bin/bash
# periscope cost on a small estate (tests/cost/fixtures, written by
# gen-fixtures.py from the AWS CLI's documented shapes): 14 interfaces in
# us-east-1a and us-east-1b -
#   eni-...01 web m5.large (1a): one session, PacketLength 100, filter
#             HTTPS in + all out, to the sensor ENI in 1a (same zone)
#   eni-...02 app c5.xlarge (1b): one session, no filter limits, to the
#             sensor ENI in 1a (across zones: charged)
#   eni-...03 m6i.large (excluded Nitro type), eni-...04 t2.micro: cannot
#   eni-...05 m4.large (a Xen family AWS added): mirrorable, no session
#   eni-...06 c5.large (1b): four sessions to an NLB with nodes in both zones
#   eni-...07 Lambda, eni-...08 NAT gateway, eni-...0a/0b the NLB's own
#   eni-...09 the sensor (the ENI target), eni-...0c in an IPv6-only subnet
#   eni-...0d an ALB and eni-...0e a VPC endpoint, both of InterfaceType
#             "interface": known by their description and requester
# and one hour of flow logs (fixtures/flowlogs.log). The expected costs are
# worked out below by hand from the prices in data/aws/prices-us-east-1.json.
# $1 is the binary (default build-san/periscope). Ends with
# "cost: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
fx=$(realpath tests/cost/fixtures)
prices=$(realpath data/aws/prices-us-east-1.json)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v /usr/bin/python3 >/dev/null || { echo "SKIP cost: python3 not installed"; exit 77; }
pass=0 fail=0
t() { # name, then a command that must succeed
    local name=$1; shift
    if "$@" >"$tmp/out" 2>&1; then echo "ok   cost/$name"; pass=$((pass + 1))
    else echo "FAIL cost/$name"; sed 's/^/    /' "$tmp/out" | head -20; fail=$((fail + 1)); fi
}
eq() { [ "$1" = "$2" ] && return 0; echo "expected: $1"; echo "actual:   $2"; return 1; }
inputs=(--interfaces "$fx/network-interfaces.json" --instances "$fx/instances.json"
    --subnets "$fx/subnets.json" --sessions "$fx/mirror-sessions.json"
    --filters "$fx/mirror-filters.json" --targets "$fx/mirror-targets.json")
db=$tmp/fl.db
cost() { "$bin" cost "${inputs[@]}" "$@"; }
# A value of the price file.
price() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['prices'][sys.argv[2]]['usd'])" "$prices" "$1"; }
# jq-like: evaluate a Python expression on the JSON document in $1 (as j).
jv() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
# Compare two numbers to 6 decimals (the JSON's precision).
near() { /usr/bin/python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-b) < 2e-6 else 1)" "$1" "$2" ||
    { echo "expected: $1"; echo "actual:   $2"; return 1; }; }

setup() {
    "$bin" flowlogs import -q --db "$db" "$fx/flowlogs.log" &&
        cost --db "$db" --json >"$tmp/estate.json" &&
        cost --db "$db" >"$tmp/estate.txt"
}

help_is_true() {
    "$bin" --help | grep -q '^  cost ' || return 1
    local o
    for o in --interfaces --instances --subnets --sessions --filters --targets --db --prices \
        --instance-types --hours --target-hourly --json; do
        "$bin" cost --help | grep -q -- "$o" || { echo "no $o in cost --help"; return 1; }
    done
}

# The hand calculation. The flow logs span 1700000000..1700003600: one
# hour, scaled to H = 730 hours. Per packet AWS sends 36 bytes of outer
# IPv4 (20), UDP (8) and VXLAN (8), then the frame: 14 bytes of Ethernet +
# the IP packet, cut to PacketLength when the session has one.
H=730
GB=1000000000
estate_cost() {
    local eni nlcu nlb xaz_out xaz_in
    eni=$(price mirror_eni_hour) nlcu=$(price nlcu_hour) nlb=$(price nlb_hour)
    xaz_out=$(price cross_az_out_gb) xaz_in=$(price cross_az_in_gb)
    # web (PacketLength 100, same zone as its ENI target):
    #   1000 pkts of 1000 B in to 443: accepted; 1014-byte frames cut to 100
    #   100 pkts in to 22: the reject rule; 2000 pkts of 1500 B out: egress
    #   accept (direction from the address: the record has '-')
    local web_obs=$((1000 * (36 + 100) + 2000 * (36 + 100)))
    # app (whole packets, across zones): 10000 x 1000 B out, 5000 x 100 B in
    local app_obs=$((10000 * (36 + 14 + 1000) + 5000 * (36 + 14 + 100)))
    # busy: its first session (number 1) accepts all: 4000 x 500 B
    local busy_obs=$((4000 * (36 + 14 + 500)))
    local expect
    expect=$(/usr/bin/python3 -c "
H, GB = $H, $GB
web, app, busy = $web_obs * H / GB, $app_obs * H / GB, $busy_obs * H / GB
eni_hours = 3 * H * $eni                  # three interfaces with sessions
transfer = app * ($xaz_out + $xaz_in)     # only app crosses zones
lb_gb = busy * $nlcu                      # 1 NLCU-hour per GB processed
lb_hourly = H * $nlb                      # the NLB; the ENI target is free
total = eni_hours + transfer + lb_gb + lb_hourly
print(web, app, busy, eni_hours, transfer, lb_gb, lb_hourly, total, total + H * $eni)")
    read -r web app busy e_eni e_xfer e_lbgb e_lbh e_total e_all <<<"$expect"
    local j=$tmp/estate.json
    near "$web" "$(jv "$j" '[s for s in j["sessions"] if s["session_id"]=="tms-0a000000000000001"][0]["mirrored_gb"]')" &&
    near "$app" "$(jv "$j" '[s for s in j["sessions"] if s["session_id"]=="tms-0b000000000000002"][0]["mirrored_gb"]')" &&
    near "$busy" "$(jv "$j" '[s for s in j["sessions"] if s["session_id"]=="tms-0b000000000000003"][0]["mirrored_gb"]')" &&
    near "$e_eni" "$(jv "$j" 'j["totals"]["usd_session_eni_hours"]')" &&
    near "$e_xfer" "$(jv "$j" 'j["totals"]["usd_data_transfer"]')" &&
    near "$e_lbgb" "$(jv "$j" 'j["totals"]["usd_load_balancer_per_gb"]')" &&
    near "$e_lbh" "$(jv "$j" 'j["totals"]["usd_target_hourly"]')" &&
    near "$e_total" "$(jv "$j" 'j["totals"]["usd_total"]')" &&
    near "$e_all" "$(jv "$j" 'j["totals"]["usd_if_all_mirrored"]')" || return 1
    # The same numbers written out, for a reader: 32.85 + 0.16425 +
    # 0.009636 + 16.425 = 49.448886 a month.
    near 49.448886 "$(jv "$j" 'j["totals"]["usd_total"]')" &&
        grep -q '^Total a month: 49.45 USD' "$tmp/estate.txt"
}

# Later sessions of busy mirror nothing: the first session that accepts a
# packet mirrors it. The paths: same zone, across zones, NLB node in zone.
sessions_paths() {
    eq 'same-az cross-az same-az same-az same-az same-az
0.0 0.0 0.0' "$(jv "$tmp/estate.json" '" ".join(s["path"] for s in j["sessions"]) + "\n" + " ".join(str(round(s["mirrored_gb"], 6)) for s in j["sessions"][3:])')"
}

eligibility() {
    eq 'eni-0a000000000000001 instance yes
eni-0b000000000000002 instance yes
eni-0a000000000000003 instance no
eni-0b000000000000004 instance no
eni-0a000000000000005 instance yes
eni-0b000000000000006 instance yes
eni-0a000000000000007 lambda no
eni-0b000000000000008 nat-gateway no
eni-0a000000000000009 instance no
eni-0a00000000000000a load-balancer no
eni-0b00000000000000b load-balancer no
eni-0c00000000000000c instance no
eni-0a00000000000000d load-balancer no
eni-0b00000000000000e vpc-endpoint no' \
        "$(jv "$tmp/estate.json" '"\n".join(" ".join((i["interface_id"], i["kind"], i["mirrorable"])) for i in j["interfaces"])')" || return 1
    grep -q 'eni-0a000000000000003  no: m6i.large: family m6i is on AWS' "$tmp/estate.txt" &&
        grep -q 'IPv6-only subnet subnet-0cccc3333dddd4444' "$tmp/estate.txt" &&
        grep -q 'm4.large: a Xen family' "$tmp/estate.txt" &&
        eq 'run the software mirror agent on the host (periscope mirror, issue 9), or move it to a supported type' \
            "$(jv "$tmp/estate.json" 'j["interfaces"][3]["alternative"]')"
}

gaps() {
    eq 'rejected-traffic eni-0a000000000000001
cannot-mirror eni-0a000000000000003
cannot-mirror eni-0b000000000000004
no-session eni-0a000000000000005
sessions-per-interface eni-0b000000000000006
cannot-mirror eni-0a000000000000007
cannot-mirror eni-0b000000000000008
cannot-mirror eni-0a00000000000000a
cannot-mirror eni-0b00000000000000b
cannot-mirror eni-0c00000000000000c
cannot-mirror eni-0a00000000000000d
cannot-mirror eni-0b00000000000000e
amazon-dns tmf-0a0000000000000a1
rules-per-filter tmf-0a0000000000000a3
never-mirrored all' "$(jv "$tmp/estate.json" '"\n".join(g["kind"] + " " + g["subject"] for g in j["gaps"])')"
}

# The recommendation: app's cross-zone bytes cost more than a target in
# its zone when that target's instance is cheap enough.
recommendation() {
    local xaz app saving
    xaz=$(/usr/bin/python3 -c "print($(price cross_az_out_gb) + $(price cross_az_in_gb))")
    app=$(/usr/bin/python3 -c "print((10000 * 1050 + 5000 * 150) * $H / $GB * $xaz)")
    eq 'us-east-1b 1' "$(jv "$tmp/estate.json" 'j["recommendations"][0]["availability_zone"] + " " + str(j["recommendations"][0]["interfaces"])')" &&
        near "$app" "$(jv "$tmp/estate.json" 'j["recommendations"][0]["usd_saving"]')" || return 1
    cost --db "$db" --json --target-hourly 0.0001 >"$tmp/r.json" || return 1
    saving=$(/usr/bin/python3 -c "print($app - $H * 0.0001)")
    near "$saving" "$(jv "$tmp/r.json" 'j["recommendations"][0]["usd_saving"]')" &&
        near "$(/usr/bin/python3 -c "print($H * 0.0001)")" "$(jv "$tmp/r.json" 'j["targets"][0]["usd_hourly_charges"]')" || return 1
    cost --db "$db" --json --target-hourly 0.01 >"$tmp/r.json" || return 1
    eq 0 "$(jv "$tmp/r.json" 'len(j["recommendations"])')"
}

# Without flow logs: no volumes, only the hourly charges, and a gap saying so.
no_flowlogs() {
    cost --json >"$tmp/n.json" || return 1
    near "$(/usr/bin/python3 -c "print(3 * $H * $(price mirror_eni_hour) + $H * $(price nlb_hour))")" \
        "$(jv "$tmp/n.json" 'j["totals"]["usd_total"]')" &&
        eq 'False no-volumes' "$(jv "$tmp/n.json" 'str(j["flowlogs"]["present"]) + " " + j["gaps"][-1]["kind"]')"
}

# --hours changes the month; the ENI-hours scale with it.
hours_option() {
    cost --json --hours 24 >"$tmp/h.json" || return 1
    near "$(/usr/bin/python3 -c "print(3 * 24 * $(price mirror_eni_hour))")" \
        "$(jv "$tmp/h.json" 'j["totals"]["usd_session_eni_hours"]')"
}

# The data files: the output names the version used; --prices and
# --instance-types override them.
data_versions() {
    grep -q "^prices: .*data/aws/prices-us-east-1.json (version 2026-11-30.1, 2026-09-20; source: " "$tmp/estate.txt" &&
        grep -q "^instance types: .*data/aws/mirror-instance-types.json (version 2026-11-30.1" "$tmp/estate.txt" &&
        eq '2026-11-30.1 2026-11-30.1' "$(jv "$tmp/estate.json" 'j["prices"]["version"] + " " + j["instance_types"]["version"]')" &&
        grep -q 'not confirmed: nlb_hour' "$tmp/estate.txt"
}
prices_override() {
    /usr/bin/python3 -c "
import json; d = json.load(open('$prices')); d['version'] = 'test-9'; d['prices']['mirror_eni_hour']['usd'] = 0.02
json.dump(d, open('$tmp/p.json', 'w'))"
    cost --json --prices "$tmp/p.json" >"$tmp/p.out" || return 1
    eq test-9 "$(jv "$tmp/p.out" 'j["prices"]["version"]')" &&
        near "$(/usr/bin/python3 -c "print(3 * $H * 0.02)")" "$(jv "$tmp/p.out" 'j["totals"]["usd_session_eni_hours"]')"
}
# An instance-type file where an interface target takes one source (the
# sensor has two), and c5 is in no list (its interfaces become unknown).
types_override() {
    /usr/bin/python3 -c "
import json; d = json.load(open('data/aws/mirror-instance-types.json')); d['version'] = 'test-7'
d['eni_target_sources'] = 1; d['nitro'].remove('c5')
json.dump(d, open('$tmp/t.json', 'w'))"
    cost --json --instance-types "$tmp/t.json" >"$tmp/t.out" || return 1
    eq 'test-7 sources-per-target 2 1' "$(jv "$tmp/t.out" 'j["instance_types"]["version"] + " " + [g["kind"] for g in j["gaps"] if g["subject"]=="tmt-0a0000000000000e1"][0] + " " + str(j["targets"][0]["sources"]) + " " + str(j["targets"][0]["max_sources"])')" &&
        eq unknown "$(jv "$tmp/t.out" 'j["interfaces"][5]["mirrorable"]')"
}
# Run from elsewhere: the compiled-in data directory, else data/ next to
# the binary's directory, else ./data; the error lists where it looked.
data_lookup() {
    mkdir -p "$tmp/elsewhere/bin" && cp "$bin" "$tmp/elsewhere/bin/periscope" || return 1
    if [ -e /usr/local/share/periscope/aws/prices-us-east-1.json ]; then
        echo "(an installed data directory exists: lookup failure not tested)"
    else
        (cd "$tmp/elsewhere" && ./bin/periscope cost --interfaces "$fx/network-interfaces.json") 2>"$tmp/e"
        [ $? -eq 1 ] && grep -q 'aws/prices-us-east-1.json not found (tried .*share/periscope/aws/prices-us-east-1.json, ' "$tmp/e" || { cat "$tmp/e"; return 1; }
    fi
    mkdir -p "$tmp/elsewhere/data" && cp -r data/aws "$tmp/elsewhere/data/" &&
        (cd "$tmp/elsewhere" && ./bin/periscope cost --interfaces "$fx/network-interfaces.json" | grep -q '^prices: ')
}
# make install puts the data files where the binary looks.
install_rule() {
    make -s --no-print-directory install DESTDIR="$tmp/root" PREFIX=/opt/ps B=build >/dev/null 2>&1 || { echo "make install failed"; return 1; }
    [ -x "$tmp/root/opt/ps/bin/periscope" ] && [ -f "$tmp/root/opt/ps/share/periscope/aws/prices-us-east-1.json" ] &&
        [ -f "$tmp/root/opt/ps/share/periscope/aws/mirror-instance-types.json" ]
}

# A second estate, written here: a GWLB endpoint target (us-east-1b, VPC
# vpc-app) and an interface target in another VPC (vpc-sec, us-east-1a,
# reached over peering in the same zone). No --filters: sessions mirror
# everything.
#   g1 (1a) -> endpoint: across zones   1000 pkts x 1000 B
#   g2 (1b) -> endpoint: same zone      2000 pkts x 500 B
#   g3 (1a) -> sensor in vpc-sec        100 pkts x 1000 B
gwlb_endpoint() {
    local d=$tmp/gw
    mkdir -p "$d" || return 1
    cat >"$d/enis.json" <<'JSON'
{"NetworkInterfaces": [
 {"NetworkInterfaceId": "eni-g1", "AvailabilityZone": "us-east-1a", "VpcId": "vpc-app", "PrivateIpAddress": "10.1.1.10", "InterfaceType": "interface", "Attachment": {"InstanceId": "i-g1"}},
 {"NetworkInterfaceId": "eni-g2", "AvailabilityZone": "us-east-1b", "VpcId": "vpc-app", "PrivateIpAddress": "10.1.2.10", "InterfaceType": "interface", "Attachment": {"InstanceId": "i-g2"}},
 {"NetworkInterfaceId": "eni-g3", "AvailabilityZone": "us-east-1a", "VpcId": "vpc-app", "PrivateIpAddress": "10.1.1.30", "InterfaceType": "interface", "Attachment": {"InstanceId": "i-g3"}},
 {"NetworkInterfaceId": "eni-ge", "AvailabilityZone": "us-east-1b", "VpcId": "vpc-app", "PrivateIpAddress": "10.1.2.99", "InterfaceType": "gateway_load_balancer_endpoint", "Description": "VPC Endpoint Interface vpce-0123456789abcdef0", "RequesterManaged": true},
 {"NetworkInterfaceId": "eni-gs", "AvailabilityZone": "us-east-1a", "VpcId": "vpc-sec", "PrivateIpAddress": "10.2.1.10", "InterfaceType": "interface", "Attachment": {"InstanceId": "i-gs"}}]}
JSON
    cat >"$d/inst.json" <<'JSON'
{"Reservations": [{"Instances": [{"InstanceId": "i-g1", "InstanceType": "c5.large"}, {"InstanceId": "i-g2", "InstanceType": "c5.large"},
  {"InstanceId": "i-g3", "InstanceType": "m5.large"}, {"InstanceId": "i-gs", "InstanceType": "c5.18xlarge"}]}]}
JSON
    cat >"$d/ses.json" <<'JSON'
{"TrafficMirrorSessions": [
 {"TrafficMirrorSessionId": "tms-g1", "NetworkInterfaceId": "eni-g1", "TrafficMirrorTargetId": "tmt-ge", "TrafficMirrorFilterId": "tmf-x", "SessionNumber": 1},
 {"TrafficMirrorSessionId": "tms-g2", "NetworkInterfaceId": "eni-g2", "TrafficMirrorTargetId": "tmt-ge", "TrafficMirrorFilterId": "tmf-x", "SessionNumber": 1},
 {"TrafficMirrorSessionId": "tms-g3", "NetworkInterfaceId": "eni-g3", "TrafficMirrorTargetId": "tmt-gs", "TrafficMirrorFilterId": "tmf-x", "SessionNumber": 1}]}
JSON
    cat >"$d/tgt.json" <<'JSON'
{"TrafficMirrorTargets": [
 {"TrafficMirrorTargetId": "tmt-ge", "Type": "gateway-load-balancer-endpoint", "GatewayLoadBalancerEndpointId": "vpce-0123456789abcdef0"},
 {"TrafficMirrorTargetId": "tmt-gs", "Type": "network-interface", "NetworkInterfaceId": "eni-gs"}]}
JSON
    cat >"$d/fl.log" <<'LOG'
version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 eni-g1 198.51.100.1 10.1.1.10 1000 80 6 1000 1000000 1700000000 1700000060 ACCEPT OK
2 eni-g2 10.1.2.10 198.51.100.2 2000 443 6 2000 1000000 1700001000 1700001060 ACCEPT OK
2 eni-g3 10.1.1.30 198.51.100.3 3000 443 6 100 100000 1700003540 1700003600 ACCEPT OK
LOG
    "$bin" flowlogs import -q --db "$d/fl.db" "$d/fl.log" &&
        "$bin" cost --interfaces "$d/enis.json" --instances "$d/inst.json" --sessions "$d/ses.json" \
            --targets "$d/tgt.json" --db "$d/fl.db" --json >"$d/out.json" || return 1
    local expect
    expect=$(/usr/bin/python3 -c "
H, GB = $H, $GB
g1, g2, g3 = 1000 * (50 + 1000) * H / GB, 2000 * (50 + 500) * H / GB, 100 * (50 + 1000) * H / GB
eni_hours = 3 * H * $(price mirror_eni_hour)
transfer = g1 * ($(price cross_az_out_gb) + $(price cross_az_in_gb)) + g3 * $(price peering_same_az_gb)
per_gb = (g1 + g2) * ($(price gwlbe_gb) + $(price glcu_hour))  # endpoint GB + 1 GLCU-hour a GB
hourly = H * ($(price gwlbe_hour) + $(price gwlb_hour))         # the endpoint, its GWLB in one zone
print(eni_hours, transfer, per_gb, hourly, eni_hours + transfer + per_gb + hourly)")
    read -r e_eni e_xfer e_gb e_h e_total <<<"$expect"
    near "$e_eni" "$(jv "$d/out.json" 'j["totals"]["usd_session_eni_hours"]')" &&
        near "$e_xfer" "$(jv "$d/out.json" 'j["totals"]["usd_data_transfer"]')" &&
        near "$e_gb" "$(jv "$d/out.json" 'j["totals"]["usd_load_balancer_per_gb"]')" &&
        near "$e_h" "$(jv "$d/out.json" 'j["totals"]["usd_target_hourly"]')" &&
        near "$e_total" "$(jv "$d/out.json" 'j["totals"]["usd_total"]')" || return 1
    # 32.85 + 0.01533 + 0.01177125 + 16.425, written out
    near 49.30210125 "$(jv "$d/out.json" 'j["totals"]["usd_total"]')" &&
        eq 'cross-az same-az peering-same-az' "$(jv "$d/out.json" '" ".join(s["path"] for s in j["sessions"])')" &&
        eq 'vpc-endpoint no 1/100' "$(jv "$d/out.json" '[i["kind"] + " " + i["mirrorable"] for i in j["interfaces"] if i["interface_id"] == "eni-ge"][0] + " %d/%d" % (j["targets"][1]["sources"], j["targets"][1]["max_sources"])')"
}

bad_usage() {
    "$bin" cost 2>"$tmp/e"; [ $? -eq 1 ] && grep -q -- '--interfaces FILE is required' "$tmp/e" || return 1
    "$bin" cost --interfaces "$fx/mirror-sessions.json" 2>"$tmp/e"; [ $? -eq 1 ] &&
        grep -q "mirror-sessions.json: no \"NetworkInterfaces\" array: not the output of 'aws ec2 describe-network-interfaces'" "$tmp/e" || { cat "$tmp/e"; return 1; }
    "$bin" cost --interfaces /nonexistent.json 2>"$tmp/e"; [ $? -eq 1 ] && grep -q '/nonexistent.json' "$tmp/e" || return 1
    echo '{"NetworkInterfaces": [' >"$tmp/cut.json"
    "$bin" cost --interfaces "$tmp/cut.json" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q 'cut.json: line' "$tmp/e" || { cat "$tmp/e"; return 1; }
    echo '{"version": "x", "source": "y"}' >"$tmp/badp.json"
    "$bin" cost --interfaces "$fx/network-interfaces.json" --prices "$tmp/badp.json" 2>"$tmp/e"; [ $? -eq 1 ] &&
        grep -q 'badp.json: no "date" string' "$tmp/e" || { cat "$tmp/e"; return 1; }
    "$bin" cost --interfaces "$fx/network-interfaces.json" --hours 0 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" cost --interfaces "$fx/network-interfaces.json" --db "$tmp/none.db" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q none.db "$tmp/e"
}

t setup setup
t help help_is_true
t estate-cost estate_cost
t sessions-paths sessions_paths
t eligibility eligibility
t gaps gaps
t recommendation recommendation
t no-flowlogs no_flowlogs
t hours-option hours_option
t data-versions data_versions
t prices-override prices_override
t types-override types_override
t data-lookup data_lookup
t install-rule install_rule
t gwlb-endpoint gwlb_endpoint
t bad-usage bad_usage
echo "cost: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
