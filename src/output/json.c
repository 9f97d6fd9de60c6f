/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: RFC 8259 (JSON), RFC 3629 s4 (UTF-8 byte sequences) */
#include <stdio.h>
#include <string.h>

#include "output/json.h"

void ps_json_init(struct ps_json *j, char *buf, size_t cap)
{
    j->buf = buf;
    j->cap = cap;
    ps_json_reset(j);
}

void ps_json_reset(struct ps_json *j)
{
    j->len = 0;
    j->overflow = false;
    j->depth = 0;
    j->need_comma[0] = false;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < need + 1)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i <= need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need + 1;
}

size_t ps_json_escape(char *out, size_t cap, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        char esc[6];
        size_t elen = 0;
        size_t adv = 1;
        const uint8_t *copy = NULL;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            elen = 2;
        } else if (c < 0x20 || c == 0x7f) {
            goto hexesc;
        } else if (c < 0x80) {
            copy = s + i;
        } else {
            adv = utf8_len(s + i, n - i);
            if (adv == 0) {
                adv = 1;
                goto hexesc;
            }
            copy = s + i;
        }
        if (copy) {
            if (cap - o < adv)
                return (size_t)-1;
            memcpy(out + o, copy, adv);
            o += adv;
            i += adv;
            continue;
        }
        goto emit;
    hexesc:
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        elen = 6;
    emit:
        if (cap - o < elen)
            return (size_t)-1;
        memcpy(out + o, esc, elen);
        o += elen;
        i += adv;
    }
    return o;
}

/* Bytes copied as they are: printable ASCII other than '"' and '\\'. */
static inline bool plain(uint8_t c)
{
    return (uint8_t)(c - 0x20) < 0x5f && c != '"' && c != '\\';
}

static void put_escaped(struct ps_json *j, const uint8_t *s, size_t n)
{
    if (j->overflow)
        return;
    /* Fast path: printable ASCII without quote or backslash is copied. */
    size_t i = 0;
    while (i < n && plain(s[i]))
        i++;
    if (i == n) {
        ps_json__put(j, (const char *)s, n);
        return;
    }
    size_t w = ps_json_escape(j->buf + j->len, j->cap - j->len, s, n);
    if (w == (size_t)-1)
        j->overflow = true;
    else
        j->len += w;
}

void ps_json_strn(struct ps_json *j, const char *k, const uint8_t *s, size_t n)
{
    ps_json__key(j, k);
    ps_json__put(j, "\"", 1);
    put_escaped(j, s, n);
    ps_json__put(j, "\"", 1);
}

size_t ps_fmt_u64(char out[20], uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    char tmp[20];
    size_t n = 20;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        tmp[--n] = pairs[d + 1];
        tmp[--n] = pairs[d];
    }
    if (v >= 10) {
        unsigned d = (unsigned)v * 2;
        tmp[--n] = pairs[d + 1];
        tmp[--n] = pairs[d];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(out, tmp + n, 20 - n);
    return 20 - n;
}

void ps_json_i64(struct ps_json *j, const char *k, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    ps_json__key(j, k);
    ps_json__put(j, tmp, (size_t)n);
}

void ps_json_double(struct ps_json *j, const char *k, double v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.6f", v);
    ps_json__key(j, k);
    if (n <= 0 || (size_t)n >= sizeof(tmp) || v != v) /* NaN is not JSON */
        ps_json__put(j, "0", 1);
    else
        ps_json__put(j, tmp, (size_t)n);
}

static void two(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD" of a day since 1970-01-01 into out[10]: civil date by the era
 * arithmetic of H. Hinnant's "chrono-compatible low-level date algorithms"
 * (proleptic Gregorian calendar). */
static void civil_date(char out[10], uint64_t days)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t y = yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    if (y > 9999)
        y = 9999; /* four digits; not a date any capture carries */
    two(out, (unsigned)(y / 100));
    two(out + 2, (unsigned)(y % 100));
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
}

void ps_json_time(char out[32], uint64_t ts_us)
{
    /* No gmtime_r or snprintf per record; the date part is cached per day. */
    static _Thread_local uint64_t cached_day = UINT64_MAX;
    static _Thread_local char cached[10];
    uint64_t sec = ts_us / 1000000;
    uint64_t days = sec / 86400;
    unsigned rem = (unsigned)(sec - days * 86400);
    if (days != cached_day) {
        civil_date(cached, days);
        cached_day = days;
    }
    memcpy(out, cached, 10);
    out[10] = 'T';
    two(out + 11, rem / 3600);
    out[13] = ':';
    two(out + 14, rem / 60 % 60);
    out[16] = ':';
    two(out + 17, rem % 60);
    out[19] = '.';
    unsigned us = (unsigned)(ts_us % 1000000);
    two(out + 20, us / 10000);
    two(out + 22, us / 100 % 100);
    two(out + 24, us % 100);
    memcpy(out + 26, "+0000", 6);
}
