/* SPDX-License-Identifier: BSD-2-Clause */
/* ClickHouse rows from EVE records, the table of a record, the URL. */
#include <stdio.h>
#include <string.h>

#include "flowlogs/flowlogs.h"
#include "output/clickhouse.h"
#include "unit.h"

static long row(enum ps_ch_table t, const char *json, char *out, size_t cap)
{
    long n = ps_ch_format_row(out, cap, t, json, strlen(json));
    if (n > 0)
        out[n] = 0;
    else if (cap)
        out[0] = 0;
    return n;
}

/* Keep the columns: end the row where the record column starts. */
static void cut_record(char *out)
{
    char *r = strstr(out, ",\"record\":");
    if (r)
        *r = 0;
}

static void test_table_of(void)
{
    static const struct {
        const char *json;
        int table;
    } cases[] = {
        {"{\"timestamp\":\"x\",\"event_type\":\"flow\"}", PS_CH_FLOWS},
        {"{\"event_type\":\"alert\"}", PS_CH_ALERTS},
        {"{\"event_type\":\"anomaly\"}", PS_CH_ANOMALIES},
        {"{\"event_type\":\"stats\"}", PS_CH_STATS},
        {"{\"event_type\":\"dns\"}", PS_CH_DNS},
        {"{\"event_type\":\"tls\"}", PS_CH_TLS},
        {"{\"event_type\":\"quic\"}", PS_CH_QUIC},
        {"{\"event_type\":\"http\"}", PS_CH_HTTP},
        {"{\"event_type\":\"ssh\"}", PS_CH_SSH},
        {"{\"event_type\":\"smb\"}", PS_CH_EVENTS},   /* unknown type: catch-all */
        {"{\"event_type\":\"flows\"}", PS_CH_EVENTS}, /* a table name is not a type */
        {"{\"event_type\":\"flo\"}", PS_CH_EVENTS},
        /* a nested event_type is not the record's */
        {"{\"x\":{\"event_type\":\"flow\"},\"event_type\":\"dns\"}", PS_CH_DNS},
        {"{\"event_type\":7}", -1},
        {"{\"a\":1}", -1},
        {"[\"event_type\",\"flow\"]", -1},
        /* the scan stops at event_type: the rest is ps_ch_format_row's to check */
        {"{\"event_type\":\"flow\"", PS_CH_FLOWS},
        {"{\"x\":\"\\q\",\"event_type\":\"flow\"}", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int t = ps_ch_table_of(cases[i].json, strlen(cases[i].json));
        if (t != cases[i].table)
            fprintf(stderr, "table_of case %zu: %s\n", i, cases[i].json);
        CHECK_EQ(t, cases[i].table);
    }
}

static void test_flow_row(void)
{
    /* A flow record as eve.c writes it (shortened). */
    const char *eve = "{\"timestamp\":\"2024-02-29T23:59:58.250000+0000\",\"flow_id\":42,"
                      "\"event_type\":\"flow\",\"vlan\":[10,20],\"src_ip\":\"10.0.0.1\","
                      "\"src_port\":1234,\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,"
                      "\"proto\":\"TCP\",\"mirror\":{\"encap\":\"vxlan\",\"vni\":4242,"
                      "\"source\":\"172.31.0.10\"},\"flow\":{\"pkts_toserver\":3,"
                      "\"pkts_toclient\":2,\"bytes_toserver\":180,\"bytes_toclient\":120,"
                      "\"age\":1,\"state\":\"closed\",\"reason\":\"timeout\"},"
                      "\"tcp\":{\"tcp_flags\":\"1b\",\"syn\":true}}";
    char out[4096];
    long n = row(PS_CH_FLOWS, eve, out, sizeof(out));
    CHECK(n > 0);
    /* 2024-02-29T23:59:58Z = 1709251198 (a leap day). */
    CHECK(strncmp(out, "{\"time\":1709251198,\"time_us\":1709251198250000,", 46) == 0);
    CHECK(strstr(out,
                 ",\"event_type\":\"flow\",\"flow_id\":42,\"src_ip\":\"10.0.0.1\","
                 "\"src_port\":1234,\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,"
                 "\"proto\":\"TCP\",\"vni\":4242,\"mirror_source\":\"172.31.0.10\","
                 "\"pkts_toserver\":3,\"pkts_toclient\":2,\"bytes_toserver\":180,"
                 "\"bytes_toclient\":120,\"age\":1,\"state\":\"closed\","
                 "\"reason\":\"timeout\",\"tcp_flags\":\"1b\",\"record\":\"{\\\"timestamp\\\":") !=
          NULL);
    CHECK(strstr(out, "\"app_proto\"") == NULL); /* absent: the column default */
    CHECK(n > 2 && out[n - 1] == '\n' && out[n - 2] == '}' && out[n - 3] == '"');
    /* The record comes back byte for byte once its string is decoded. */
    const char *r = strstr(out, "\"record\":\"") + 10;
    char back[2048];
    size_t k = 0;
    for (; *r && !(r[0] == '"' && r[1] == '}'); r++) {
        if (*r == '\\')
            r++;
        back[k++] = *r;
    }
    back[k] = 0;
    CHECK_STR(back, eve);
    /* Too small a buffer: 0, never a partial row. */
    CHECK_EQ(ps_ch_format_row(out, (size_t)n - 1, PS_CH_FLOWS, eve, strlen(eve)), 0);
    CHECK_EQ(ps_ch_format_row(out, (size_t)n, PS_CH_FLOWS, eve, strlen(eve)), n);
    CHECK((size_t)n <= 3 * strlen(eve) + 2048);
}

static void test_values(void)
{
    char out[2048];
    /* Numbers out of a column's range, negative, fractional or as strings
     * leave the column to its default; strings take numbers and booleans. */
    row(PS_CH_ALERTS,
        "{\"event_type\":\"alert\",\"src_port\":65536,\"dest_port\":-1,\"flow_id\":1.5,"
        "\"alert\":{\"signature_id\":\"7\",\"severity\":255,\"signature\":12,"
        "\"category\":true,\"detector\":null}}",
        out, sizeof(out));
    cut_record(out);
    CHECK(strstr(out, "src_port") == NULL);
    CHECK(strstr(out, "dest_port") == NULL);
    CHECK(strstr(out, "flow_id") == NULL);
    CHECK(strstr(out, "signature_id") == NULL);
    CHECK(strstr(out, ",\"severity\":255") != NULL);
    CHECK(strstr(out, ",\"signature\":\"12\"") != NULL);
    CHECK(strstr(out, ",\"category\":\"true\"") != NULL);
    CHECK(strstr(out, "detector") == NULL);
    /* UInt64 limits: 2^64-1 fits, 2^64 does not. */
    row(PS_CH_FLOWS, "{\"event_type\":\"flow\",\"flow_id\":18446744073709551615}", out,
        sizeof(out));
    CHECK(strstr(out, ",\"flow_id\":18446744073709551615,") != NULL);
    row(PS_CH_FLOWS, "{\"event_type\":\"flow\",\"flow_id\":18446744073709551616}", out,
        sizeof(out));
    cut_record(out);
    CHECK(strstr(out, "\"flow_id\"") == NULL);
    /* The first occurrence of a key wins; values in arrays are not taken. */
    row(PS_CH_FLOWS,
        "{\"src_ip\":\"a\",\"event_type\":\"flow\",\"src_ip\":\"b\",\"x\":[{\"src_ip\":\"c\"}]}",
        out, sizeof(out));
    CHECK(strstr(out, "\"src_ip\":\"a\"") != NULL);
    /* Escaped strings pass as written; the record escapes them again. */
    row(PS_CH_DNS, "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"a\\\"b\\\\c\\u0001\",\"id\":7}}",
        out, sizeof(out));
    CHECK(strstr(out, ",\"id\":7,\"rrname\":\"a\\\"b\\\\c\\u0001\",") != NULL);
    CHECK(strstr(out, "\\\"rrname\\\":\\\"a\\\\\\\"b\\\\\\\\c\\\\u0001\\\"") != NULL);
    /* Timestamps: offsets apply; anything else gives time 0. */
    row(PS_CH_EVENTS, "{\"timestamp\":\"1970-01-01T02:00:00+0100\",\"event_type\":\"x\"}", out,
        sizeof(out));
    CHECK(strncmp(out, "{\"time\":3600,\"time_us\":3600000000,", 34) == 0);
    row(PS_CH_EVENTS, "{\"timestamp\":\"2000-01-01T00:00:00.5-0030\",\"event_type\":\"x\"}", out,
        sizeof(out));
    CHECK(strncmp(out, "{\"time\":946686600,\"time_us\":946686600500000,", 44) == 0);
    row(PS_CH_EVENTS, "{\"timestamp\":\"2000-13-01T00:00:00+0000\",\"event_type\":\"x\"}", out,
        sizeof(out));
    CHECK(strncmp(out, "{\"time\":0,", 10) == 0);
    row(PS_CH_EVENTS, "{\"timestamp\":1700000000,\"event_type\":\"x\"}", out, sizeof(out));
    CHECK(strncmp(out, "{\"time\":0,", 10) == 0);
}

static void test_malformed(void)
{
    static const char *bad[] = {
        "",
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":1e}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"\x01\"}",
        "{\"a\":tru}",
        "{\"a\":[1,]}",
        "{\"a\":1} x",
        "{} {}",
        "[]",
        "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}", /* deeper than 16 */
    };
    char out[512];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long n = ps_ch_format_row(out, sizeof(out), PS_CH_EVENTS, bad[i], strlen(bad[i]));
        if (n != -1)
            fprintf(stderr, "malformed case %zu accepted: %s\n", i, bad[i]);
        CHECK_EQ(n, -1);
    }
    static const char *good[] = {
        "{}", " { \"a\" : [ 1 , -2.5e+3 , true , false , null , \"\\u00e9\\/\" ] } ",
        "{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", /* 16 deep */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(ps_ch_format_row(out, sizeof(out), PS_CH_EVENTS, good[i], strlen(good[i])) > 0);
    /* A key path longer than the scanner keeps is skipped, not an error. */
    char longkey[400];
    snprintf(longkey, sizeof(longkey), "{\"%0300d\":{\"src_ip\":\"x\"},\"src_ip\":\"y\"}", 0);
    char big[2048];
    CHECK(row(PS_CH_EVENTS, longkey, big, sizeof(big)) > 0);
    CHECK(strstr(big, "\"src_ip\":\"y\"") != NULL);
}

static void test_url(void)
{
    struct ps_ch_url u;
    char err[256], url[2048];
    static const struct {
        const char *url, *base, *params, *db;
        enum ps_ch_table t;
        const char *insert;
    } good[] = {
        {"http://127.0.0.1:8123/", "http://127.0.0.1:8123/", "", "periscope", PS_CH_FLOWS,
         "http://127.0.0.1:8123/?input_format_skip_unknown_fields=1&query=INSERT%20INTO%"
         "20periscope.flows%20FORMAT%20JSONEachRow"},
        {"HTTPS://u:p@ch.example:8443/x?user=a&database=sensor_1&password=b",
         "HTTPS://u:p@ch.example:8443/x", "user=a&password=b", "sensor_1", PS_CH_EVENTS,
         "HTTPS://u:p@ch.example:8443/x?user=a&password=b&input_format_skip_unknown_"
         "fields=1&query=INSERT%20INTO%20sensor_1.events%20FORMAT%20JSONEachRow"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_EQ(ps_ch_url_parse(&u, good[i].url, err, sizeof(err)), 0);
        CHECK_STR(u.base, good[i].base);
        CHECK_STR(u.params, good[i].params);
        CHECK_STR(u.db, good[i].db);
        CHECK_EQ(ps_ch_insert_url(&u, good[i].t, url, sizeof(url)), 0);
        CHECK_STR(url, good[i].insert);
    }
    CHECK_EQ(ps_ch_insert_url(&u, PS_CH_EVENTS, url, 40), -1);
    CHECK_EQ(ps_ch_url_parse(&u, "http://h?&&a=1&", err, sizeof(err)), 0);
    CHECK_STR(u.params, "a=1");
    static const char *bad[] = {
        "ftp://h/",
        "127.0.0.1:8123",
        "http://",
        "http:///x",
        "http://h/?database=a;b",
        "http://h/?database=",
        "http://h/?database=1a",
        "http://h/#x",
        "http://h/ x",
        "http://h/?query=DROP",
        "http://h/\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = ps_ch_url_parse(&u, bad[i], err, sizeof(err));
        if (rc != -1)
            fprintf(stderr, "url case %zu accepted: %s\n", i, bad[i]);
        CHECK_EQ(rc, -1);
        CHECK(err[0] != 0);
    }
    char longurl[PS_CH_URL_MAX + 10];
    memset(longurl, 'a', sizeof(longurl) - 1);
    memcpy(longurl, "http://", 7);
    longurl[sizeof(longurl) - 1] = 0;
    CHECK_EQ(ps_ch_url_parse(&u, longurl, err, sizeof(err)), -1);
    CHECK(ps_ch_ident_ok("_a1", 3));
    CHECK(!ps_ch_ident_ok("a-b", 3));
    CHECK(!ps_ch_ident_ok("", 0));
}

static void test_schema(void)
{
    char buf[16384];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    CHECK(f != NULL);
    if (!f)
        return;
    ps_ch_schema(f, "db1");
    fclose(f);
    buf[sizeof(buf) - 1] = 0;
    CHECK(strstr(buf, "CREATE DATABASE IF NOT EXISTS db1;") != NULL);
    /* One table per event type, each ending with record and ordered by time. */
    for (int t = 0; t < PS_CH__TABLES; t++) {
        char want[64];
        snprintf(want, sizeof(want), "CREATE TABLE IF NOT EXISTS db1.%s (\n", ps_ch_table_name(t));
        CHECK(strstr(buf, want) != NULL);
    }
    size_t n = 0;
    for (const char *p = buf; (p = strstr(p, "    record String\n) ENGINE = MergeTree() PARTITION "
                                             "BY toYYYYMM(time) ORDER BY time;")) != NULL;
         p++)
        n++;
    CHECK_EQ(n, PS_CH__TABLES);
    /* Nothing 18.16 lacks. */
    CHECK(strstr(buf, "DateTime64") == NULL);
    CHECK(strstr(buf, "LowCardinality") == NULL);
    CHECK(strstr(buf, "IPv4") == NULL);
}

/* RowBinary values: LEB128 lengths at their boundaries, little-endian
 * integers at their width, strings of hostile bytes copied exactly and
 * nothing written past them (the short-string copy uses overlapping moves). */
static void test_rowbinary(void)
{
    static const struct {
        uint64_t v;
        const char *bytes;
        size_t n;
    } vi[] = {
        {0, "\x00", 1},
        {1, "\x01", 1},
        {127, "\x7f", 1},
        {128, "\x80\x01", 2},
        {300, "\xac\x02", 2},
        {16383, "\xff\x7f", 2},
        {16384, "\x80\x80\x01", 3},
        {UINT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10},
    };
    for (size_t i = 0; i < sizeof(vi) / sizeof(vi[0]); i++) {
        uint8_t b[16];
        memset(b, 0xee, sizeof(b));
        uint8_t *e = ps_ch_rb_varint(b, vi[i].v);
        CHECK_EQ(e - b, vi[i].n);
        CHECK(memcmp(b, vi[i].bytes, vi[i].n) == 0);
        CHECK_EQ(b[vi[i].n], 0xee);
    }

    uint8_t b[64];
    memset(b, 0, sizeof(b));
    uint8_t *p = ps_ch_rb_uint(b, 0x1234, 2);
    p = ps_ch_rb_uint(p, 0xab, 1);
    p = ps_ch_rb_uint(p, 0x89abcdefu, 4);
    p = ps_ch_rb_uint(p, 0x0102030405060708ull, 8);
    CHECK_EQ(p - b, 15);
    CHECK(memcmp(b, "\x34\x12\xab\xef\xcd\xab\x89\x08\x07\x06\x05\x04\x03\x02\x01", 15) == 0);

    /* Every length 0..300 (1- and 2-byte lengths, each copy path) of bytes
     * a text format would have to escape: NUL, tab, newline, backslash,
     * quotes, DEL, bytes >= 0x80. */
    static const char hostile[] = "\0\t\n\\'\"\x7f\xff\x80\r";
    uint8_t src[300], out[320];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)hostile[i % (sizeof(hostile) - 1)];
    for (size_t n = 0; n <= sizeof(src); n++) {
        memset(out, 0xee, sizeof(out));
        uint8_t *e = ps_ch_rb_str(out, src, n);
        size_t hl = n < 128 ? 1 : 2;
        CHECK_EQ(e - out, hl + n);
        CHECK_EQ(out[0], n < 128 ? n : (n & 0x7f) | 0x80);
        if (n >= 128)
            CHECK_EQ(out[1], n >> 7);
        CHECK(memcmp(out + hl, src, n) == 0);
        CHECK_EQ(out[hl + n], 0xee);
    }

    CHECK_EQ(ps_ch_uint_bytes(255), 1);
    CHECK_EQ(ps_ch_uint_bytes(256), 2);
    CHECK_EQ(ps_ch_uint_bytes(65535), 2);
    CHECK_EQ(ps_ch_uint_bytes(65536), 4);
    CHECK_EQ(ps_ch_uint_bytes(2147483647), 4);
    CHECK_EQ(ps_ch_uint_bytes(4294967295LL), 4);
    CHECK_EQ(ps_ch_uint_bytes(4294967296LL), 8);
    CHECK_EQ(ps_ch_uint_bytes(INT64_MAX), 8);
}

/* The flow-log tables: every field's column, integer widths as the row
 * encoder writes them, no Nullable column in a sorting key (18.16 refuses
 * it), and nothing written when the buffer is short. */
static void test_fl_schema(void)
{
    char sql[8192];
    CHECK(ps_ch_fl_create(PS_CH_FL_FLOWLOGS, "db1", sql, sizeof(sql)) > 0);
    CHECK(strncmp(sql, "CREATE TABLE IF NOT EXISTS db1.flowlogs (\n", 42) == 0);
    CHECK(strstr(sql, "    `srcport` Nullable(UInt16),\n") != NULL);
    CHECK(strstr(sql, "    `protocol` Nullable(UInt8),\n") != NULL);
    CHECK(strstr(sql, "    `tcp_flags` Nullable(UInt32),\n") != NULL);
    CHECK(strstr(sql, "    `bytes` Nullable(UInt64),\n") != NULL);
    CHECK(strstr(sql, "    `end` Nullable(UInt64),\n") != NULL);
    CHECK(strstr(sql, "    `srcaddr` Nullable(String),\n") != NULL);
    CHECK(strstr(sql, "    extra Nullable(String)\n") != NULL);
    for (int id = 0; id < PS_FL_NFIELDS; id++) {
        char want[96];
        snprintf(want, sizeof(want), "    `%s` Nullable(", ps_fl_field(id)->column);
        CHECK(strstr(sql, want) != NULL);
    }
    for (int t = 0; t < PS_CH_FL__TABLES; t++) {
        size_t n = ps_ch_fl_create((enum ps_ch_fl_table)t, "db1", sql, sizeof(sql));
        CHECK(n > 0 && n == strlen(sql));
        CHECK(strstr(sql, "LowCardinality") == NULL && strstr(sql, "DateTime64") == NULL);
        const char *ob = strstr(sql, "ORDER BY ");
        CHECK(ob != NULL);
        if (!ob)
            continue;
        for (const char *k = ob + 9; *k;) {
            size_t kl = strcspn(k, "(), ");
            if (kl == 0) {
                k++;
                continue;
            }
            char decl[160];
            snprintf(decl, sizeof(decl), "\n    %.*s ", (int)kl, k);
            k += kl;
            const char *d = strstr(sql, decl);
            CHECK(d != NULL);
            if (d)
                CHECK(strncmp(d + strlen(decl), "Nullable", 8) != 0);
        }
        CHECK_EQ(ps_ch_fl_create((enum ps_ch_fl_table)t, "db1", sql, 40), 0);
    }
    CHECK(ps_ch_fl_create(PS_CH_FL_FILES, "db1", sql, sizeof(sql)) > 0);
    CHECK(strstr(sql, "ENGINE = ReplacingMergeTree() ORDER BY content_key") != NULL);

    struct ps_ch_url u;
    char err[256], pub[PS_CH_URL_MAX];
    CHECK_EQ(
        ps_ch_url_parse(&u, "http://user:secret@h:8123/x?database=d&password=p", err, sizeof(err)),
        0);
    ps_ch_url_public(&u, pub, sizeof(pub));
    CHECK_STR(pub, "http://h:8123/x");
    CHECK_EQ(ps_ch_url_parse(&u, "https://h/a@b", err, sizeof(err)), 0);
    ps_ch_url_public(&u, pub, sizeof(pub));
    CHECK_STR(pub, "https://h/a@b");
}

void test_clickhouse(void)
{
    test_table_of();
    test_flow_row();
    test_values();
    test_malformed();
    test_url();
    test_schema();
    test_rowbinary();
    test_fl_schema();
}
