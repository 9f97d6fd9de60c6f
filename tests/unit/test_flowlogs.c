/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow-log parser: every example record of the AWS documentation
 * (docs/aws-mirroring.md s6.9), header lines, --format strings, bounds,
 * the CloudWatch Logs "message" extractor, and the column blocks: a
 * round trip of every kind of value, and every damaged blob refused. */
#include <string.h>

#include <stdlib.h>

#include "flowlogs/block.h"
#include "flowlogs/flowlogs.h"
#include "store/store.h"
#include "unit.h"

/* Also declared in unit.h once registered there. */
void test_flowlogs(void);

static struct ps_fl_format fmt;
static struct ps_fl_rec rec;
static char why[160];

static void use_format(const char *s)
{
    char err[160];
    CHECK_EQ(ps_fl_format_parse(&fmt, s, strlen(s), err, sizeof(err)), 0);
}

static int parse(const char *line)
{
    return ps_fl_parse_line(&fmt, line, strlen(line), &rec, why, sizeof(why));
}

/* The value of field id as text ("-" when NULL, "" when absent). */
static const char *val(int id)
{
    static char out[128];
    int c = fmt.col_of[id];
    if (c < 0)
        return "";
    if (ps_fl_rec_null(&rec, c))
        return "-";
    size_t n = rec.tok[c].n < sizeof(out) - 1 ? rec.tok[c].n : sizeof(out) - 1;
    memcpy(out, rec.tok[c].p, n);
    out[n] = 0;
    return out;
}

static long long num(int id)
{
    return rec.num[fmt.col_of[id]];
}

static void test_default_format(void)
{
    ps_fl_format_default(&fmt);
    CHECK_EQ(fmt.ncols, 14);
    CHECK_EQ(parse("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 "
                   "20 4249 1418530010 1418530070 ACCEPT OK"),
             0);
    CHECK_STR(val(PS_FL_SRCADDR), "172.31.16.139");
    CHECK_EQ(num(PS_FL_SRCPORT), 20641);
    CHECK_EQ(num(PS_FL_DSTPORT), 22);
    CHECK_EQ(num(PS_FL_BYTES), 4249);
    CHECK_EQ(num(PS_FL_END), 1418530070);
    CHECK_STR(val(PS_FL_ACTION), "ACCEPT");
    CHECK_EQ(parse("2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 "
                   "4249 1418530010 1418530070 REJECT OK"),
             0);
    CHECK_STR(val(PS_FL_ACTION), "REJECT");
    CHECK_EQ(num(PS_FL_DSTPORT), 3389);
    CHECK_EQ(parse("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - "
                   "NODATA"),
             0);
    CHECK_STR(val(PS_FL_LOG_STATUS), "NODATA");
    CHECK_STR(val(PS_FL_SRCADDR), "-");
    CHECK_STR(val(PS_FL_PACKETS), "-");
    CHECK_STR(val(PS_FL_ACTION), "-");
    CHECK_EQ(num(PS_FL_START), 1431280876);
    CHECK_EQ(parse("2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - "
                   "SKIPDATA"),
             0);
    CHECK_STR(val(PS_FL_LOG_STATUS), "SKIPDATA");
    CHECK_EQ(parse("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 "
                   "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 "
                   "1477913820 ACCEPT OK"),
             0);
    CHECK_STR(val(PS_FL_DSTADDR), "2001:db8:1234:a102:3304:8879:34cf:4071");
    CHECK_EQ(num(PS_FL_PACKETS), 54);
    /* CRLF and a CloudWatch export timestamp in front */
    CHECK_EQ(parse("2014-12-14T04:06:50.000Z 2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 "
                   "ACCEPT OK\r"),
             0);
    CHECK_STR(val(PS_FL_VERSION), "2");
    CHECK_STR(val(PS_FL_LOG_STATUS), "OK");
}

static void test_custom_v3(void)
{
    use_format("${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} "
               "${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} "
               "${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} "
               "${log-status}");
    CHECK_EQ(fmt.ncols, 21);
    CHECK_EQ(parse("3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
                   "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43638 5001 "
                   "52.213.180.42 10.0.0.62 6 1260 17 1566933133 1566933193 ACCEPT 3 OK"),
             0);
    CHECK_EQ(num(PS_FL_TCP_FLAGS), 3);
    CHECK_EQ(num(PS_FL_BYTES), 1260);
    CHECK_EQ(num(PS_FL_PACKETS), 17);
    /* the documentation's doubled space before 10.0.0.62 */
    CHECK_EQ(parse("3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
                   "eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  "
                   "10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK"),
             0);
    CHECK_STR(val(PS_FL_PKT_SRCADDR), "10.0.0.62");
    CHECK_EQ(num(PS_FL_TCP_FLAGS), 19);
    CHECK_STR(val(PS_FL_TYPE), "IPv4");
}

static void test_custom_v5_natgw_encryption(void)
{
    use_format("version srcaddr dstaddr srcport dstport protocol start end type packets bytes "
               "account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type "
               "sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service "
               "pkt-dst-aws-service traffic-path flow-direction log-status");
    CHECK_EQ(parse("5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 "
                   "123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 "
                   "i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT "
                   "19 52.95.128.179 10.0.0.71 S3 - - ingress OK"),
             0);
    CHECK_STR(val(PS_FL_PKT_SRC_AWS_SERVICE), "S3");
    CHECK_STR(val(PS_FL_TRAFFIC_PATH), "-");
    CHECK_STR(val(PS_FL_AZ_ID), "apse2-az3");
    CHECK_EQ(parse("5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 "
                   "123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 "
                   "i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT "
                   "3 10.0.0.71 52.95.128.179 - S3 8 egress OK"),
             0);
    CHECK_EQ(num(PS_FL_TRAFFIC_PATH), 8);
    CHECK_STR(val(PS_FL_FLOW_DIRECTION), "egress");

    use_format("instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr");
    CHECK_EQ(parse("- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5"), 0);
    CHECK_STR(val(PS_FL_INSTANCE_ID), "-");
    CHECK_STR(val(PS_FL_PKT_DSTADDR), "203.0.113.5");
    CHECK_EQ(parse("- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5"), 0);
    CHECK_STR(val(PS_FL_PKT_SRCADDR), "203.0.113.5");

    use_format("flow-direction traffic-path srcaddr dstaddr srcport dstport encryption-status");
    CHECK(!ps_fl_is_header("ingress - 10.0.133.8 10.0.128.55 43236 80 1", 43));
    CHECK_EQ(parse("ingress - 10.0.133.8 10.0.128.55 43236 80 1"), 0);
    CHECK_EQ(num(PS_FL_ENCRYPTION_STATUS), 1);
    CHECK_EQ(parse("egress 1 10.0.128.55 10.0.133.8 80 43236 1"), 0);
    CHECK_EQ(num(PS_FL_TRAFFIC_PATH), 1);
}

static void test_headers_and_formats(void)
{
    static const char v2[] = "version account-id interface-id srcaddr dstaddr srcport dstport "
                             "protocol packets bytes start end action log-status";
    char err[160];
    CHECK(ps_fl_is_header(v2, strlen(v2)));
    CHECK(ps_fl_is_header("srcaddr dstaddr next-hop-type", 29));
    CHECK(!ps_fl_is_header("eni-1 vpc-2 ingress", 19));
    CHECK(!ps_fl_is_header("2 123456789010 eni-1", 20));
    CHECK_EQ(ps_fl_format_parse(&fmt, "srcaddr interface-type", 22, err, sizeof(err)), 0);
    CHECK_EQ(fmt.nunknown, 1);
    CHECK_EQ(fmt.field[1], PS_FL_UNKNOWN);
    CHECK_EQ(ps_fl_format_parse(&fmt, "srcaddr srcaddr", 15, err, sizeof(err)), -1);
    CHECK_EQ(ps_fl_format_parse(&fmt, "Srcaddr", 7, err, sizeof(err)), -1);
    CHECK_EQ(ps_fl_format_parse(&fmt, "   ", 3, err, sizeof(err)), -1);
    for (int i = 0; i < PS_FL_NFIELDS; i++) {
        const struct ps_fl_field_info *fi = ps_fl_field(i);
        CHECK_EQ(ps_fl_field_lookup(fi->name, strlen(fi->name)), i);
    }
}

static void test_bounds(void)
{
    ps_fl_format_default(&fmt);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 65535 0 255 9223372036854775807 0 0 0 ACCEPT OK"),
             0);
    CHECK_EQ(num(PS_FL_PACKETS), 9223372036854775807LL);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 65536 0 6 1 1 0 0 ACCEPT OK"), -1);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 1 0 6 9223372036854775808 1 0 0 ACCEPT OK"), -1);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 1 0 6 99999999999999999999 1 0 0 ACCEPT OK"), -1);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 -1 0 6 1 1 0 0 ACCEPT OK"), -1);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 +1 0 6 1 1 0 0 ACCEPT OK"), -1);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.x 10.0.0.2 1 0 6 1 1 0 0 ACCEPT OK"), -1);
    CHECK_EQ(parse("2 1 eni-1 10.0.0.1 10.0.0.2 1 0 6 1 1 0 0 ACCEPT"), -1);
    CHECK_EQ(parse(""), -1);
    /* Every length of number, read eight digits at a time and at the end
     * of a line byte by byte: equal to the plain reading; a non-digit at
     * any position is refused. */
    char line[160], digits[24];
    for (int len = 1; len <= 19; len++) {
        for (int k = 0; k < len; k++)
            digits[k] = (char)('1' + (k * 7 + len) % 9);
        digits[len] = 0;
        long long want = 0;
        for (int k = 0; k < len; k++)
            want = want * 10 + (digits[k] - '0');
        snprintf(line, sizeof(line), "2 1 eni-1 10.0.0.1 10.0.0.2 1 0 6 %s 1 0 %s ACCEPT OK",
                 digits, digits);
        CHECK_EQ(parse(line), 0);
        CHECK_EQ(num(PS_FL_PACKETS), want);
        CHECK_EQ(num(PS_FL_END), want);
        for (int k = 0; k < len; k++) {
            for (const char *bad = "/:a"; *bad; bad++) {
                char save = digits[k];
                digits[k] = *bad;
                snprintf(line, sizeof(line), "2 1 eni-1 10.0.0.1 10.0.0.2 1 0 6 %s 1 0 0 ACCEPT OK",
                         digits);
                CHECK_EQ(parse(line), -1);
                digits[k] = save;
            }
        }
    }
    /* Leading zeros, a number last on the line (no eight bytes after it). */
    use_format("srcaddr packets");
    CHECK_EQ(parse("10.0.0.1 00000000000000042"), 0);
    CHECK_EQ(num(PS_FL_PACKETS), 42);
    CHECK_EQ(parse("10.0.0.1 7"), 0);
    CHECK_EQ(num(PS_FL_PACKETS), 7);
    CHECK_EQ(parse("10.0.0.1 7x"), -1);
}

static void test_cloudwatch_message(void)
{
    static const char line[] = "{\"id\":\"1\",\"note\":\"\\\"message\\\": no\",\"message\":\"2 a "
                               "\\u0042 \\\"q\\\"\"},{\"message\" : \"second\"}";
    char out[64];
    size_t pos = 0, n = 0;
    CHECK_EQ(ps_fl_json_message(line, strlen(line), &pos, out, sizeof(out), &n), 1);
    CHECK_EQ(n, 9);
    CHECK(memcmp(out, "2 a B \"q\"", 9) == 0);
    CHECK_EQ(ps_fl_json_message(line, strlen(line), &pos, out, sizeof(out), &n), 1);
    CHECK_EQ(n, 6);
    CHECK_EQ(ps_fl_json_message(line, strlen(line), &pos, out, sizeof(out), &n), 0);
    pos = 0;
    CHECK_EQ(ps_fl_json_message("{\"message\":\"open", 16, &pos, out, sizeof(out), &n), -1);
    pos = 0;
    CHECK_EQ(ps_fl_json_message("{\"message\":\"abcdef\"}", 20, &pos, out, 3, &n), -1);
}

static void test_cidr(void)
{
    struct ps_cidr c;
    uint8_t a[16];
    CHECK_EQ(ps_cidr_parse(&c, "172.16.0.0/12"), 0);
    CHECK(ps_addr_parse16("172.31.255.1", 12, a));
    CHECK(ps_cidr_match(&c, a));
    CHECK(ps_addr_parse16("172.32.0.1", 10, a));
    CHECK(!ps_cidr_match(&c, a));
    CHECK_EQ(ps_cidr_parse(&c, "2001:db8::/32"), 0);
    CHECK(ps_addr_parse16("2001:db8:1::5", 13, a));
    CHECK(ps_cidr_match(&c, a));
    CHECK_EQ(ps_cidr_parse(&c, "10.0.0.0/33"), -1);
    CHECK_EQ(ps_cidr_parse(&c, "10.0.0.0/"), -1);
    CHECK_EQ(ps_cidr_parse(&c, "nonsense"), -1);
}

/* Blocks: records with NULLs, a column that starts mid-block, a text
 * column of more than 255 distinct values (two-byte indexes), extreme
 * integers; decoded exactly; every prefix and every one-byte change of the
 * blob either refused or decoded within bounds. */
static struct ps_flb_values vals;
static void test_blocks(void)
{
    struct ps_flb_writer *w = ps_flb_writer_new();
    CHECK(w != NULL);
    if (!w)
        return;
    enum { N = 1000 };
    static int64_t bytes[N];
    const int c_bytes = PS_FLB_COL_FIELD0 + PS_FL_BYTES, c_src = PS_FLB_COL_FIELD0 + PS_FL_SRCADDR,
              c_vpc = PS_FLB_COL_FIELD0 + PS_FL_VPC_ID, c_start = PS_FLB_COL_FIELD0 + PS_FL_START;
    char txt[32];
    for (int i = 0; i < N; i++) {
        CHECK(ps_flb_row_begin(w));
        ps_flb_put_int(w, PS_FLB_COL_SEQ, i + 1);
        ps_flb_put_int(w, PS_FLB_COL_LINE, i + 2);
        bytes[i] = i % 7 == 0 ? INT64_MAX - i : i % 5 == 0 ? -1 - i : i * 1000003;
        if (i % 3)
            ps_flb_put_int(w, c_bytes, bytes[i]);
        snprintf(txt, sizeof(txt), "10.0.%d.%d", i / 256, i % 256);
        ps_flb_put_text(w, c_src, txt, strlen(txt));
        if (i >= 500)
            ps_flb_put_text(w, c_vpc, i % 2 ? "vpc-a" : "", i % 2 ? 5 : 0);
        ps_flb_put_int(w, c_start, 1700000000 + (i * 7919) % 600);
        ps_flb_put_int(w, PS_FLB_COL_FIELD0 + PS_FL_VERSION, 5);
        ps_flb_put_text(w, PS_FLB_COL_FIELD0 + PS_FL_ACTION, "ACCEPT", 6);
        /* not as a dotted quad is written back: kept as text */
        ps_flb_put_text(w, PS_FLB_COL_FIELD0 + PS_FL_DSTADDR, i == 999 ? "010.0.0.1" : "10.0.0.1",
                        i == 999 ? 9 : 8);
        ps_flb_row_end(w);
    }
    const uint8_t *blob;
    struct ps_flb_summary m;
    size_t len = ps_flb_encode(w, &blob, &m);
    CHECK(len > 0);
    CHECK_EQ(m.nrec, N);
    CHECK_EQ(m.first_seq, 1);
    CHECK_EQ(m.last_seq, N);
    CHECK_EQ(m.start_min, 1700000000);
    CHECK_EQ(m.start_max, 1700000599);
    struct ps_flb_block b;
    CHECK_EQ(ps_flb_open(&b, blob, len), 0);
    CHECK_EQ(b.nrec, N);
    CHECK_EQ(ps_flb_decode(&b, c_bytes, &vals), 0);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += i % 3 ? vals.null[i] || vals.v[i] != bytes[i] : !vals.null[i];
    CHECK_EQ(bad, 0);
    CHECK_EQ(ps_flb_decode(&b, c_src, &vals), 0);
    CHECK_EQ(vals.ndict, N);
    for (int i = 0; i < N; i++) {
        snprintf(txt, sizeof(txt), "10.0.%d.%d", i / 256, i % 256);
        uint16_t e = vals.idx[i];
        bad += e == 0 || vals.dn[e - 1] != strlen(txt) || memcmp(vals.dp[e - 1], txt, strlen(txt));
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(ps_flb_decode(&b, c_vpc, &vals), 0);
    CHECK_EQ(vals.ndict, 2);
    for (int i = 0; i < N; i++)
        bad += i < 500 ? vals.idx[i] != 0
                       : vals.idx[i] == 0 || vals.dn[vals.idx[i] - 1] != (i % 2 ? 5u : 0u);
    CHECK_EQ(bad, 0);
    /* Addresses as 4 bytes, constant columns in one value. */
    CHECK_EQ(b.col[c_src].enc, PS_FLB_ENC_IPV4);
    CHECK_EQ(b.col[PS_FLB_COL_FIELD0 + PS_FL_DSTADDR].enc, PS_FLB_ENC_DICT);
    CHECK(b.col[PS_FLB_COL_FIELD0 + PS_FL_VERSION].len <= 2);
    CHECK(b.col[PS_FLB_COL_FIELD0 + PS_FL_ACTION].len <= 9);
    CHECK_EQ(ps_flb_decode(&b, PS_FLB_COL_FIELD0 + PS_FL_VERSION, &vals), 0);
    CHECK(vals.v[0] == 5 && vals.v[N - 1] == 5 && !vals.null[N - 1]);
    CHECK_EQ(ps_flb_decode(&b, PS_FLB_COL_FIELD0 + PS_FL_ACTION, &vals), 0);
    CHECK(vals.idx[0] == 1 && vals.idx[N - 1] == 1 && vals.dn[0] == 6);
    CHECK_EQ(ps_flb_decode(&b, PS_FLB_COL_FIELD0 + PS_FL_DSTADDR, &vals), 0);
    CHECK(vals.dn[vals.idx[N - 1] - 1] == 9 &&
          memcmp(vals.dp[vals.idx[N - 1] - 1], "010.0.0.1", 9) == 0);
    CHECK_EQ(ps_flb_decode(&b, PS_FLB_COL_FIELD0 + PS_FL_PROTOCOL, &vals), 0); /* absent */
    CHECK(vals.null[0] && vals.null[N - 1]);
    CHECK_EQ(ps_flb_decode(&b, PS_FLB_COL_FIELD0 + PS_FL_REGION, &vals), 0); /* absent */
    CHECK(vals.idx[0] == 0 && vals.idx[N - 1] == 0);
    /* Damage: no prefix is a block; a changed byte is refused or decodes
     * with every index inside the dictionary. */
    uint8_t *copy = malloc(len);
    for (size_t n = 0; n < len; n += 1 + n / 64)
        bad += ps_flb_open(&b, blob, n) == 0;
    CHECK_EQ(bad, 0);
    for (size_t k = 0; copy && k < len; k += 1 + k / 128) {
        memcpy(copy, blob, len);
        copy[k] ^= (uint8_t)(1 + k % 255);
        if (ps_flb_open(&b, copy, len) != 0)
            continue;
        for (int c = 0; c < PS_FLB_NCOLS; c++) {
            if (ps_flb_decode(&b, c, &vals) != 0 || vals.enc == 0 || vals.enc == PS_FLB_ENC_INT)
                continue;
            for (uint32_t i = 0; i < b.nrec; i++)
                bad += vals.idx[i] > vals.ndict;
        }
    }
    CHECK_EQ(bad, 0);
    free(copy);
    /* Full: 4,096 records to a block. */
    ps_flb_reset(w);
    int n = 0;
    while (ps_flb_row_begin(w)) {
        ps_flb_put_int(w, PS_FLB_COL_SEQ, ++n);
        ps_flb_row_end(w);
    }
    CHECK_EQ(n, PS_FLB_MAX_REC);
    ps_flb_writer_free(w);
}

void test_flowlogs(void)
{
    test_blocks();
    test_default_format();
    test_custom_v3();
    test_custom_v5_natgw_encryption();
    test_headers_and_formats();
    test_bounds();
    test_cloudwatch_message();
    test_cidr();
}
