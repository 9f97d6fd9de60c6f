#!/bin/bash
# periscope flowlogs import/query/report through the command line, on
# fixtures written from the AWS documentation's records (docs/aws-mirroring.md
# s6.9, every example, the doubled-space line included) and the delivery
# shapes of s6.8 (S3 header lines and layout, gzip, CloudWatch Logs).
# Builds nothing: $1 is the binary (default build-san/periscope).
# Ends with "flowlogs: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build-san/periscope}")
fx=$(realpath tests/flowlogs/fixtures)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v sqlite3 >/dev/null || { echo "SKIP flowlogs: sqlite3 not installed"; exit 77; }
pass=0 fail=0
t() { # name, then a command that must succeed
    local name=$1; shift
    if "$@" >"$tmp/out" 2>&1; then echo "ok   flowlogs/$name"; pass=$((pass + 1))
    else echo "FAIL flowlogs/$name"; sed 's/^/    /' "$tmp/out" | head -15; fail=$((fail + 1)); fi
}
# eq EXPECTED ACTUAL: print both when they differ
eq() { [ "$1" = "$2" ] && return 0; echo "expected: $1"; echo "actual:   $2"; return 1; }
# the store as periscope reads it (flowlogs is a virtual table over blocks)
q() { "$bin" flowlogs query --list --db "$db" "$1"; }
imp() { "$bin" flowlogs import --db "$db" "$@"; }
V3FMT='${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status}'

help_is_true() {
    "$bin" flowlogs --help | grep -q 'import FILE|DIR' || return 1
    "$bin" flowlogs import --help | grep -q -- '--format' || return 1
    "$bin" flowlogs query --help | grep -q -- '--csv' || return 1
    local r
    for r in top-talkers rejected unusual-ports exfil cross-az inter-vpc sensor-gap; do
        "$bin" flowlogs report --help | grep -q "^  $r " || { echo "no $r in help"; return 1; }
    done
}

# s6.9 default format: accepted SSH, rejected RDP, NODATA, SKIPDATA, IPv6
v2_s3_header() {
    db=$tmp/v2.db
    imp "$fx/v2-s3.log" 2>"$tmp/e" || return 1
    grep -q '1 NODATA records.*1 SKIPDATA' "$tmp/e" || { cat "$tmp/e"; return 1; }
    eq 5 "$(q 'SELECT count(*) FROM flowlogs')" &&
    eq '2|123456789010|eni-1235b8ca123456789|172.31.16.139|172.31.16.21|20641|22|6|20|4249|1418530010|1418530070|ACCEPT|OK' \
        "$(q "SELECT version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, \"end\", action, log_status FROM flowlogs WHERE line = 2")" &&
    eq 'REJECT|3389' "$(q 'SELECT action, dstport FROM flowlogs WHERE srcaddr = "172.31.9.69"')" &&
    eq '2001:db8:1234:a100:8d6e:3477:df66:f105|34892|8855' \
        "$(q 'SELECT srcaddr, srcport, bytes FROM flowlogs WHERE dstaddr LIKE "2001:%"')"
}
nodata_skipdata_null() {
    db=$tmp/v2.db
    eq 'NODATA|eni-1235b8ca123456789|1|1|1|1|1|1|1|1|1431280876|1431280934
SKIPDATA|eni-11111111aaaaaaaaa|1|1|1|1|1|1|1|1|1431280876|1431280934' \
        "$(q 'SELECT log_status, interface_id, srcaddr IS NULL, dstaddr IS NULL, srcport IS NULL, dstport IS NULL, protocol IS NULL, packets IS NULL, bytes IS NULL, action IS NULL, start, "end" FROM flowlogs WHERE log_status <> "OK" ORDER BY log_status')"
}
# Without a header line the default (v2) format applies: same rows.
v2_no_header() {
    db=$tmp/v2n.db
    imp -q "$fx/v2-noheader.log" || return 1
    local cols='version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, log_status'
    eq "$("$bin" flowlogs query --list --db "$tmp/v2.db" "SELECT $cols FROM flowlogs ORDER BY id")" \
        "$(q "SELECT $cols FROM flowlogs ORDER BY id")"
}
# s6.9 custom v3 (no header: --format in ${} syntax), doubled space kept apart
v3_format_option() {
    db=$tmp/v3.db
    imp -q --format "$V3FMT" "$fx/v3-custom.log" || return 1
    eq '3|vpc-abcdefab012345678|subnet-aaaaaaaa012345678|i-01234567890123456|IPv4|52.213.180.42|10.0.0.62|43638|5001|52.213.180.42|10.0.0.62|6|1260|17|3|OK
3|vpc-abcdefab012345678|subnet-aaaaaaaa012345678|i-01234567890123456|IPv4|10.0.0.62|52.213.180.42|5001|43638|10.0.0.62|52.213.180.42|6|967|14|19|OK' \
        "$(q 'SELECT version, vpc_id, subnet_id, instance_id, type, srcaddr, dstaddr, srcport, dstport, pkt_srcaddr, pkt_dstaddr, protocol, bytes, packets, tcp_flags, log_status FROM flowlogs ORDER BY line')"
}
format_plain_names() {
    db=$tmp/v3b.db
    imp -q --format "$(echo "$V3FMT" | tr -d '${}')" "$fx/v3-custom.log" &&
        eq "$("$bin" flowlogs query --list --db "$tmp/v3.db" 'SELECT * FROM flowlogs ORDER BY line' | cut -d'|' -f2-)" \
            "$(q 'SELECT * FROM flowlogs ORDER BY line' | cut -d'|' -f2-)"
}
# s6.9 custom v5 (S3 call through the internet gateway), gzip with header
v5_gzip_header() {
    db=$tmp/v5.db
    imp -q "$fx/v5-custom.log.gz" || return 1
    eq '52.95.128.179|10.0.0.71|ap-southeast-2|apse2-az3|||S3||ingress||19
10.0.0.71|52.95.128.179|ap-southeast-2|apse2-az3||||S3|egress|8|3' \
        "$(q 'SELECT srcaddr, dstaddr, region, az_id, sublocation_type, sublocation_id, pkt_src_aws_service, pkt_dst_aws_service, flow_direction, traffic_path, tcp_flags FROM flowlogs ORDER BY line')"
}
# s6.9 NAT gateway: instance-id '-', pkt-* differ from the ENI's addresses
natgw() {
    db=$tmp/nat.db
    imp -q "$fx/natgw.log" || return 1
    eq '1|eni-1235b8ca123456789|10.0.1.5|10.0.0.220|10.0.1.5|203.0.113.5|1
1|eni-1235b8ca123456789|10.0.0.220|10.0.1.5|203.0.113.5|10.0.1.5|1' \
        "$(q 'SELECT instance_id IS NULL, interface_id, srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr, version IS NULL FROM flowlogs ORDER BY line')"
}
# s6.9 encryption status (a field of unconfirmed version)
encryption_status() {
    db=$tmp/enc.db
    imp -q "$fx/encryption.log" || return 1
    eq 'ingress||10.0.133.8|10.0.128.55|43236|80|1
egress|1|10.0.128.55|10.0.133.8|80|43236|1' \
        "$(q 'SELECT flow_direction, traffic_path, srcaddr, dstaddr, srcport, dstport, encryption_status FROM flowlogs ORDER BY line')"
}
# Every field of versions 2 to 8 (and the two newer ones), plus two unknown
# names kept as text in `extra`.
all_fields() {
    db=$tmp/all.db
    imp -q "$fx/all-fields.log" || return 1
    local row
    row=$("$bin" flowlogs query --db "$db" --csv 'SELECT * FROM flowlogs WHERE line = 2' | tail -1)
    eq '4294967297,1,2,8,123456789012,eni-0a1b2c3d4e5f60718,10.0.1.23,203.0.113.50,41234,443,6,12,3456,1716000000,1716000060,REJECT,OK,vpc-0a1b2c3d4e5f60718,subnet-0a1b2c3d4e5f60718,i-0a1b2c3d4e5f60718,2,IPv4,10.0.1.23,203.0.113.50,us-east-1,use1-az4,,,,AMAZON,egress,8,arn:aws:ecs:us-east-1:123456789012:cluster/web,web,arn:aws:ecs:us-east-1:123456789012:container-instance/web/0123456789abcdef0123456789abcdef,0123456789abcdef0123456789abcdef,1a2b3c4d5e6f,7f6e5d4c3b2a,web-svc,arn:aws:ecs:us-east-1:123456789012:task-definition/web:7,arn:aws:ecs:us-east-1:123456789012:task/web/fedcba9876543210fedcba9876543210,fedcba9876543210fedcba9876543210,BPA,eni-0a1b2c3d4e5f60718,0,"{""interface-type"":""interface"",""next-hop-type"":""igw""}"' "$row" || return 1
    eq 'interface|igw|1' "$(q "SELECT json_extract(extra, '\$.interface-type'), json_extract(extra, '\$.next-hop-type'), (SELECT extra IS NULL FROM flowlogs WHERE line = 3) FROM flowlogs WHERE line = 2")"
}
# A malformed line is counted and reported as FILE:LINE; the import goes on.
malformed_lines() {
    db=$tmp/bad.db
    imp "$fx/malformed.log" 2>"$tmp/e"; local rc=$?
    eq 0 $rc || return 1
    eq 7 "$(grep -c 'malformed.log:[0-9]*: malformed record' "$tmp/e")" || return 1
    local l
    for l in 3 4 5 6 8 9 10; do grep -q "malformed.log:$l: " "$tmp/e" || { echo "line $l not reported"; return 1; }; done
    grep -q '7 malformed lines' "$tmp/e" || return 1
    eq '2|7|12' "$(q 'SELECT group_concat(line, "|") FROM (SELECT line FROM flowlogs ORDER BY line)')" &&
    eq '3|4|5|6|8|9|10' "$(q 'SELECT group_concat(line, "|") FROM (SELECT line FROM flowlog_malformed ORDER BY line)')" &&
    eq '3|7|1' "$(q 'SELECT records, malformed, complete FROM flowlog_files')"
}
max_errors() {
    db=$tmp/bad2.db
    imp --max-errors 2 "$fx/malformed.log" 2>"$tmp/e" || return 1
    eq 2 "$(grep -c 'malformed record:' "$tmp/e")" && grep -q 'malformed.log: 5 more malformed records' "$tmp/e"
}
# Re-importing adds no rows: the same files, a copy under another name, and
# a file whose import was cut short (read again, what it stored replaced).
reimport() {
    db=$tmp/re.db
    imp -q "$fx/v2-s3.log" "$fx/v5-custom.log.gz" || return 1
    local before; before=$(q 'SELECT * FROM flowlogs ORDER BY id')
    cp "$fx/v2-s3.log" "$tmp/renamed.log"
    imp "$fx/v2-s3.log" "$fx/v5-custom.log.gz" "$tmp/renamed.log" 2>"$tmp/e" || return 1
    eq 3 "$(grep -c 'already imported (same content' "$tmp/e")" || return 1
    eq "$before" "$(q 'SELECT * FROM flowlogs ORDER BY id')" || return 1
    # An import cut short: its records stored, the file not marked complete.
    sqlite3 "$db" 'UPDATE flowlog_files SET complete = 0 WHERE name = "v2-s3.log"'
    imp "$fx/v2-s3.log" 2>"$tmp/e" || return 1
    grep -q '5 records from 1 files, 0 malformed' "$tmp/e" || { cat "$tmp/e"; return 1; }
    eq "$before" "$(q 'SELECT * FROM flowlogs ORDER BY id')" &&
    eq 1 "$(q 'SELECT complete FROM flowlog_files WHERE name = "v2-s3.log"')"
}
# S3 layout: recursive, name order, Parquet ignored, every file's header
s3_directory() {
    db=$tmp/s3.db
    imp "$fx/s3" 2>"$tmp/e" || return 1
    grep -q '1 ignored' "$tmp/e" || return 1
    eq 7 "$(q 'SELECT count(*) FROM flowlogs')" &&
    eq '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240501T1620Z_fe123456.log.gz|5
123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240502T1620Z_ab123456.log.gz|2' \
        "$(q 'SELECT name, records FROM flowlog_files ORDER BY id')" &&
    eq 2 "$(q 'SELECT count(*) FROM flowlogs WHERE start = 1714666800')"
}
# CloudWatch Logs: exported events as JSON lines, a pretty-printed
# filter-log-events answer, a subscription payload (\u escapes), and the
# S3 export whose lines start with a timestamp.
cloudwatch() {
    db=$tmp/cw.db
    imp -q "$fx/cw-events.jsonl" "$fx/cw-filter-log-events.json" "$fx/cw-subscription.json" \
        "$fx/cw-s3-export-000000.gz" || return 1
    eq 'cw-events.jsonl|3|0
cw-filter-log-events.json|2|0
cw-subscription.json|2|0
cw-s3-export-000000.gz|2|0' "$(q 'SELECT name, records, malformed FROM flowlog_files ORDER BY id')" || return 1
    eq 'ACCEPT|1418530010|4249
REJECT|1418530010|4249' "$(q 'SELECT action, start, bytes FROM flowlogs f JOIN flowlog_files n ON n.id = f.file_id WHERE n.name = "cw-subscription.json" ORDER BY f.id')" &&
    eq 'SKIPDATA|1|1' "$(q 'SELECT log_status, srcaddr IS NULL, line FROM flowlogs WHERE log_status = "SKIPDATA"' | sed 's/|[0-9]*$/|1/')" &&
    eq '172.31.16.139|172.31.9.69' "$(q 'SELECT group_concat(srcaddr, "|") FROM flowlogs f JOIN flowlog_files n ON n.id = f.file_id WHERE n.name LIKE "cw-s3%"')"
}
default_db_path() {
    (cd "$tmp" && mkdir -p dflt && cd dflt && "$bin" flowlogs import -q "$fx/natgw.log") &&
        [ -f "$tmp/dflt/periscope-out/periscope.db" ] &&
        eq 2 "$(cd "$tmp/dflt" && "$bin" flowlogs query --csv 'SELECT count(*) AS n FROM flowlogs' | tail -1)"
}
query_formats() {
    db=$tmp/v2.db
    eq 'action,n
ACCEPT,2
REJECT,1' "$("$bin" flowlogs query --db "$db" --csv "SELECT action, count(*) AS n FROM flowlogs WHERE action IS NOT NULL GROUP BY 1 ORDER BY 1")" || return 1
    eq '{"action":"ACCEPT","n":2,"x":null}
{"action":"REJECT","n":1,"x":null}' "$("$bin" flowlogs query --db "$db" --json "SELECT action, count(*) AS n, NULL AS x FROM flowlogs WHERE action IS NOT NULL GROUP BY 1 ORDER BY 1")" || return 1
    "$bin" flowlogs query --db "$db" "SELECT action, count(*) AS n FROM flowlogs GROUP BY 1 ORDER BY 1" >"$tmp/t" || return 1
    grep -q '^action  *n$' "$tmp/t" && grep -q '^ACCEPT  *2$' "$tmp/t" &&
        eq '1|0' "$("$bin" flowlogs query --db "$db" --csv "SELECT in_cidr('10.1.2.3', '10.0.0.0/8') AS a, in_cidr('2001:db8::1', '2001:db9::/32') AS b" | tail -1 | tr , '|')"
}
query_is_read_only() {
    db=$tmp/v2.db
    ! "$bin" flowlogs query --db "$db" "DELETE FROM flowlog_blocks" 2>"$tmp/e" && grep -q 'readonly' "$tmp/e" &&
        ! "$bin" flowlogs query --db "$db" "DELETE FROM flowlogs" 2>"$tmp/e" &&
        grep -q 'may not be modified' "$tmp/e" && eq 5 "$(q 'SELECT count(*) FROM flowlogs')"
}

# Reports on a v5 fixture with two AZs, two VPCs and outside addresses.
rep() { "$bin" flowlogs report --db "$tmp/rep.db" --csv "$@" | tail -n +2; }
report_setup() { db=$tmp/rep.db; imp -q "$fx/reports.log"; }
report_top_talkers() {
    eq '10.0.1.10,198.51.100.7,250060,201,2,1
10.0.1.10,8.8.8.8,100000,80,1,1' "$(rep --limit 2 top-talkers)"
}
report_rejected() {
    eq '203.0.113.9,22,6,3,3,1,,2023-11-14 22:13:20,2023-11-14 22:15:20
10.0.1.10,4444,6,1,1,1,,2023-11-14 22:13:20,2023-11-14 22:14:20
203.0.113.9,3389,6,1,1,1,,2023-11-14 22:13:20,2023-11-14 22:14:20' "$(rep rejected)"
}
report_unusual_ports() {
    eq '4444,6,2,250060,1,1,1,1' "$(rep unusual-ports)"
}
report_exfil() {
    eq 'eni-a,10.0.1.10,350000,280,2,2,2023-11-14 22:13:20,2023-11-14 22:14:20' "$(rep exfil)" || return 1
    eq 'eni-a,10.0.1.10,357000,289,3,3,2023-11-14 22:13:20,2023-11-14 22:14:20
eni-d,10.0.3.30,3000,3,1,1,2023-11-14 22:13:20,2023-11-14 22:14:20' "$(rep --vpc-cidr 10.0.0.0/16 exfil)"
}
report_cross_az() {
    eq 'use1-az1,use1-az2,1,5000,1' "$(rep cross-az)"
}
report_inter_vpc() {
    eq 'vpc-1,vpc-2,1,7000,1
vpc-1,peering (inter-Region),1,3000,1' "$(rep inter-vpc)"
}
report_needs_fields() {
    "$bin" flowlogs report --db "$tmp/v2.db" cross-az 2>"$tmp/e" >"$tmp/o" || return 1
    grep -q 'az-id and flow-direction' "$tmp/e" && grep -q '(no rows)' "$tmp/o"
}
# sensor-gap: the sensor's flows of tests/pcaps/real-vxlan.pcap (VNI 4242,
# eni-0a471a5cf3c0ffee1 by examples/sessions.json; 10 flows at 1796044612)
# and of vxlan.pcap (no interface, at 1700000000: no flow logs then), with
# flow logs (fixtures/sensor-gap.log) that saw part of it: 41001 both
# ways, 41002 only server->client, UDP 42001, the ICMP flow (ports 0), and
# that the sensor did not: port 8080, a REJECT, 41001 on another ENI, port
# 443 an hour before the capture (no sensor flows then), a NODATA record.
report_sensor_gap() {
    db=$tmp/gap.db
    "$bin" read -q --db "$db" --eve /dev/null --sessions examples/sessions.json tests/pcaps/real-vxlan.pcap &&
        "$bin" read -q --db "$db" --eve /dev/null tests/pcaps/vxlan.pcap || return 1
    "$bin" flowlogs report --db "$db" sensor-gap 2>"$tmp/e" >/dev/null &&
        grep -q 'needs both sensor flows' "$tmp/e" || return 1
    imp -q "$fx/sensor-gap.log" || return 1
    eq 'sensor only,eni-0a471a5cf3c0ffee1,10.9.0.1,41003,10.9.0.2,80,6,12,2779,
sensor only,eni-0a471a5cf3c0ffee1,10.9.0.1,41004,10.9.0.2,80,6,10,914,
sensor only,eni-0a471a5cf3c0ffee1,10.9.0.1,42005,10.9.0.2,53,6,10,658,DNS: not logged when sent to the Amazon DNS server
sensor only,eni-0a471a5cf3c0ffee1,10.9.0.1,42003,10.9.0.2,53,17,2,190,DNS: not logged when sent to the Amazon DNS server
sensor only,eni-0a471a5cf3c0ffee1,10.9.0.1,42002,10.9.0.2,53,17,2,186,DNS: not logged when sent to the Amazon DNS server
sensor only,eni-0a471a5cf3c0ffee1,10.9.0.1,42004,10.9.0.2,53,17,2,156,DNS: not logged when sent to the Amazon DNS server
flow logs only,eni-0a471a5cf3c0ffee1,10.9.0.1,43000,10.9.0.2,8080,6,10,600,
flow logs only,eni-0ffffffffffffffff,10.9.0.1,41001,10.9.0.2,80,6,6,398,the sensor has no flows of this interface
flow logs only,eni-0a471a5cf3c0ffee1,203.0.113.9,40000,10.9.0.2,22,6,2,120,rejected at the source: never mirrored' \
        "$("$bin" flowlogs report --db "$db" --csv sensor-gap | tail -n +2 | cut -d, -f1-9,12)" || return 1
    # Every sensor flow matched or listed: 10 + 3 flows, 4 matched, 6 listed,
    # the 3 of vxlan.pcap outside any flow-log time.
    eq 13 "$(q 'SELECT count(*) FROM flows')"
}
report_sql() {
    "$bin" flowlogs report --sql exfil | grep -q 'in_vpc'
}

# Errors: one line naming the file, exit 1.
missing_file() {
    db=$tmp/err.db
    imp /nonexistent.log.gz 2>"$tmp/e"; local rc=$?
    eq 1 $rc && grep -q '/nonexistent.log.gz' "$tmp/e" && eq 1 "$(grep -c nonexistent "$tmp/e")"
}
truncated_gzip() {
    db=$tmp/err.db
    imp -q "$fx/truncated.log.gz" 2>"$tmp/e"; local rc=$?
    eq 1 $rc && grep -q 'truncated.log.gz: after line [0-9]*: unexpected end of file' "$tmp/e" &&
        eq 0 "$(q 'SELECT complete FROM flowlog_files WHERE name = "truncated.log.gz"')" || return 1
    # read again (it is not complete), and the summary counts it
    imp "$fx/truncated.log.gz" 2>"$tmp/e"
    grep -q '1 files could not be read to the end' "$tmp/e"
}
# gzip members one after another (cat a.gz b.gz) are one file: every
# member's records, in the whole-file (libdeflate) path and, when the last
# member is damaged, in the streaming path up to the damage.
gzip_members() {
    db=$tmp/members.db
    { gzip -c "$fx/v2-s3.log"; gzip -c "$fx/natgw.log"; } >"$tmp/two.log.gz"
    local want; want=$(( $(grep -c '^2 ' "$fx/v2-s3.log") + $(grep -vc '^[a-z$]' "$fx/natgw.log") ))
    imp -q "$tmp/two.log.gz" || return 1
    eq "$want" "$(q 'SELECT count(*) FROM flowlogs')" || return 1
    { gzip -c "$fx/v2-s3.log"; gzip -c "$fx/natgw.log" | head -c 40; } >"$tmp/cut.log.gz"
    imp -q "$tmp/cut.log.gz" 2>"$tmp/e"; [ $? -eq 1 ] || return 1
    eq "$(grep -c '^2 ' "$fx/v2-s3.log")|0" "$(q 'SELECT records, complete FROM flowlog_files WHERE name = "cut.log.gz"')"
}
bad_usage() {
    db=$tmp/err.db
    imp --format 'version ${bad name}' "$fx/natgw.log" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q 'invalid --format' "$tmp/e" || return 1
    imp --format 'srcaddr srcaddr' "$fx/natgw.log" 2>/dev/null; [ $? -eq 1 ] || return 1
    imp 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" flowlogs frobnicate 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" flowlogs 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" flowlogs report --db "$tmp/v2.db" nosuchreport 2>"$tmp/e"; [ $? -eq 1 ] && grep -q nosuchreport "$tmp/e" || return 1
    "$bin" flowlogs report --db "$tmp/v2.db" --vpc-cidr 10.0.0.0/33 exfil 2>/dev/null; [ $? -eq 1 ] || return 1
    "$bin" flowlogs query --db "$tmp/v2.db" "SELEC 1" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q 'syntax error' "$tmp/e" || return 1
    "$bin" flowlogs query --db "$tmp/none.db" "SELECT 1" 2>"$tmp/e"; [ $? -eq 1 ] && grep -q 'none.db' "$tmp/e" &&
        [ ! -e "$tmp/none.db" ]
}
not_flowlogs() {
    db=$tmp/junk.db
    head -c 3000 /dev/urandom >"$tmp/junk.bin"
    imp -q "$tmp/junk.bin" 2>/dev/null; local rc=$?
    eq 0 $rc && eq 0 "$(q 'SELECT count(*) FROM flowlogs')"
}
schema_ready() {
    db=$tmp/v2.db
    eq 'alerts anomalies dns flowlog_blocks flowlog_files flowlog_malformed flows http quic ssh tls' \
        "$(q "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)")" &&
        eq wal "$(q 'PRAGMA journal_mode')" &&
        eq 'flowlog_blocks_file' "$(q "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'flowlog_blocks' ORDER BY name)")"
}
# Records by column in blocks of 4,096: 10,000 records with times spread
# over a day, a NULL-only column in some records, a header change inside
# the file; what SQL reads equals what awk reads from the text, and time
# conditions and id lookups pick the same rows with or without pruning.
blocks() {
    db=$tmp/blocks.db
    awk 'BEGIN { srand(7); print "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
        for (i = 0; i < 10000; i++) {
            if (i == 6000) print "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags"
            t = 1700000000 + int(rand() * 86400); p = 1 + int(rand() * 50)
            printf "2 %s eni-%05d 10.0.%d.%d 172.16.%d.%d %d %d 6 %d %d %d %d %s OK%s\n", (i < 6000 ? "123456789012" : ""), i % 37, i % 7, i % 250, i % 3, i % 200, 1024 + i % 5000, (i % 3 ? 443 : 22), p, p * 100 + i, t, t + 60, (i % 11 ? "ACCEPT" : "REJECT"), (i < 6000 ? "" : " " (i % 64))
        } }' >"$tmp/blocks.log"
    imp -q "$tmp/blocks.log" || return 1
    eq 3 "$(q 'SELECT count(*) FROM flowlog_blocks')" || return 1
    local a b
    # without the account (second half) the fields move one to the left
    a=$(awk '$1 == 2 { n++; s += ($2 ~ /^eni/ ? $9 : $10) } END { printf "%d|%d", n, s }' "$tmp/blocks.log")
    eq "$a|6000|4000|$(awk '$1 == 2 && $NF != "OK" && $NF % 64 == 5 { n++ } END { print n }' "$tmp/blocks.log")" \
        "$(q 'SELECT count(*), sum(bytes), count(account_id), count(tcp_flags), sum(tcp_flags = 5) FROM flowlogs')" || return 1
    a=$(awk '$1 == 2 { s = ($2 ~ /^eni/ ? $10 : $11); if (s >= 1700030000 && s < 1700040000) n++ } END { print n }' "$tmp/blocks.log")
    b=$(q 'SELECT count(*) FROM flowlogs WHERE start >= 1700030000 AND start < 1700040000')
    eq "$a" "$b" && eq "$a" "$(q 'SELECT count(*) FROM flowlogs WHERE +start >= 1700030000 AND +start < 1700040000')" || return 1
    eq "$(q 'SELECT count(*) FROM flowlogs WHERE "end" > 1700080000')" "$(q 'SELECT count(*) FROM flowlogs WHERE +"end" > 1700080000')" || return 1
    eq 'eni-00005|5002' "$(q 'SELECT interface_id, line FROM flowlogs WHERE id = (SELECT id FROM flowlogs WHERE line = 5002)')" &&
        eq '10.0.5.0|22|9002' "$(q "SELECT srcaddr, dstport, line - 1 FROM flowlogs WHERE id = (SELECT file_id FROM flowlogs LIMIT 1) * 4294967296 + 9001")"
}
# A store made before blocks (a row per record in a table flowlogs) is
# moved into blocks when it is next opened for writing.
old_store() {
    db=$tmp/old.db
    sqlite3 "$db" "CREATE TABLE flowlog_files(id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT, size INTEGER, content_key TEXT NOT NULL UNIQUE, lines INTEGER, records INTEGER, malformed INTEGER, complete INTEGER NOT NULL DEFAULT 0, imported_at INTEGER);
        CREATE TABLE flowlogs(id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, line INTEGER NOT NULL, version INTEGER, srcaddr TEXT, dstaddr TEXT, bytes INTEGER, start INTEGER, \"end\" INTEGER, action TEXT, extra TEXT);
        CREATE INDEX flowlogs_start ON flowlogs(start);
        INSERT INTO flowlog_files VALUES(1, 'old.log', 'old.log', 10, 'k1', 3, 2, 0, 1, 0);
        INSERT INTO flowlogs VALUES(4294967297, 1, 2, 2, '10.0.0.1', '10.0.0.2', 100, 1600000000, 1600000060, 'ACCEPT', NULL);
        INSERT INTO flowlogs VALUES(4294967298, 1, 3, 2, '10.0.0.3', NULL, 200, 1600000100, 1600000160, 'REJECT', '{\"x\":\"y\"}');
        PRAGMA user_version = 2;" || return 1
    imp -q "$fx/v2-s3.log" || return 1
    eq '' "$(sqlite3 "$db" "SELECT name FROM sqlite_schema WHERE name LIKE 'flowlogs%'")" &&
        eq '4294967297|1|2|2|10.0.0.1|10.0.0.2|100|1600000000|ACCEPT|
4294967298|1|3|2|10.0.0.3||200|1600000100|REJECT|{"x":"y"}' "$(q 'SELECT id, file_id, line, version, srcaddr, dstaddr, bytes, start, action, extra FROM flowlogs WHERE file_id = 1 ORDER BY id')" &&
        eq 7 "$(q 'SELECT count(*) FROM flowlogs')"
}

t help help_is_true
t v2-s3-header v2_s3_header
t nodata-skipdata-null nodata_skipdata_null
t v2-no-header v2_no_header
t v3-format-option v3_format_option
t format-plain-names format_plain_names
t v5-gzip-header v5_gzip_header
t natgw natgw
t encryption-status encryption_status
t all-fields all_fields
t malformed-lines malformed_lines
t max-errors max_errors
t reimport reimport
t s3-directory s3_directory
t cloudwatch cloudwatch
t default-db-path default_db_path
t query-formats query_formats
t query-read-only query_is_read_only
t blocks blocks
t old-store old_store
t report-setup report_setup
t report-top-talkers report_top_talkers
t report-rejected report_rejected
t report-unusual-ports report_unusual_ports
t report-exfil report_exfil
t report-cross-az report_cross_az
t report-inter-vpc report_inter_vpc
t report-needs-fields report_needs_fields
t report-sensor-gap report_sensor_gap
t report-sql report_sql
t missing-file missing_file
t gzip-members gzip_members
t truncated-gzip truncated_gzip
t bad-usage bad_usage
t not-flowlogs not_flowlogs
t schema-ready schema_ready
echo "flowlogs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
