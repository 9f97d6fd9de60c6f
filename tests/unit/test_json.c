/* SPDX-License-Identifier: BSD-2-Clause */
#include <time.h>

#include "output/json.h"
#include "unit.h"

static const char *esc(const char *in, size_t n)
{
    static char out[256];
    size_t w = ps_json_escape(out, sizeof(out) - 1, (const uint8_t *)in, n);
    if (w == (size_t)-1)
        return "<overflow>";
    out[w] = 0;
    return out;
}

void test_json(void)
{
    CHECK_STR(esc("plain", 5), "plain");
    CHECK_STR(esc("a\"b\\c", 5), "a\\\"b\\\\c");
    CHECK_STR(esc("\n\r\t", 3), "\\n\\r\\t");
    CHECK_STR(esc("\x01\x7f", 2), "\\u0001\\u007f");
    CHECK_STR(esc("a\0b", 3), "a\\u0000b");
    /* Valid UTF-8 passes through: e-acute, euro sign, U+1F600. */
    CHECK_STR(esc("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
              "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* Invalid sequences: each byte escaped. Lone continuation, overlong,
     * surrogate, cut sequence, bytes above F4. */
    CHECK_STR(esc("\x80", 1), "\\u0080");
    CHECK_STR(esc("\xc0\xaf", 2), "\\u00c0\\u00af");
    CHECK_STR(esc("\xed\xa0\x80", 3), "\\u00ed\\u00a0\\u0080");
    CHECK_STR(esc("\xe2\x82", 2), "\\u00e2\\u0082");
    CHECK_STR(esc("\xf5\xff", 2), "\\u00f5\\u00ff");
    /* Overflow is reported, never a partial write past cap. */
    char small[4];
    CHECK_EQ(ps_json_escape(small, sizeof(small), (const uint8_t *)"\x01", 1), (size_t)-1);

    char buf[256];
    struct ps_json j;
    ps_json_init(&j, buf, sizeof(buf) - 1);
    ps_json_obj_begin(&j, NULL);
    ps_json_str(&j, "a", "x");
    ps_json_u64(&j, "n", 18446744073709551615ULL);
    ps_json_arr_begin(&j, "l");
    ps_json_u64(&j, NULL, 1);
    ps_json_u64(&j, NULL, 2);
    ps_json_arr_end(&j);
    ps_json_obj_begin(&j, "o");
    ps_json_bool(&j, "t", true);
    ps_json_obj_end(&j);
    ps_json_obj_end(&j);
    buf[j.len] = 0;
    CHECK(!j.overflow);
    CHECK_STR(buf, "{\"a\":\"x\",\"n\":18446744073709551615,\"l\":[1,2],\"o\":{\"t\":true}}");

    ps_json_init(&j, buf, 8);
    ps_json_obj_begin(&j, NULL);
    ps_json_str(&j, "long", "value that does not fit");
    CHECK(j.overflow);

    char ts[32];
    ps_json_time(ts, 1700000000123456ULL);
    CHECK_STR(ts, "2023-11-14T22:13:20.123456+0000");
    ps_json_time(ts, 0);
    CHECK_STR(ts, "1970-01-01T00:00:00.000000+0000");
    ps_json_time(ts, 951782400000000ULL); /* leap day of a century leap year */
    CHECK_STR(ts, "2000-02-29T00:00:00.000000+0000");
    ps_json_time(ts, 4107542399999999ULL);
    CHECK_STR(ts, "2100-02-28T23:59:59.999999+0000");
    ps_json_time(ts, 4107542400000000ULL); /* 2100 is not a leap year */
    CHECK_STR(ts, "2100-03-01T00:00:00.000000+0000");
    ps_json_time(ts, 1798761599000000ULL);
    CHECK_STR(ts, "2026-12-31T23:59:59.000000+0000");
    /* Every day for 200 years against gmtime_r. */
    for (uint64_t d = 0; d < 73000; d++) {
        time_t t = (time_t)(d * 86400 + 43210);
        struct tm tm;
        gmtime_r(&t, &tm);
        char want[40];
        snprintf(want, sizeof(want), "%04d-%02d-%02dT12:00:10.000000+0000", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
        ps_json_time(ts, (uint64_t)t * 1000000);
        if (strcmp(ts, want) != 0) {
            CHECK_STR(ts, want);
            break;
        }
    }
}
