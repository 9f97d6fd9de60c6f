/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: RFC 8259 (JSON), RFC 3629 s4 (UTF-8 byte sequences) */
#include <stdio.h>
#include <string.h>
#include <time.h>

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

static void put(struct ps_json *j, const char *s, size_t n)
{
    if (j->overflow || j->cap - j->len < n) {
        j->overflow = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void putc1(struct ps_json *j, char c)
{
    put(j, &c, 1);
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

static void put_escaped(struct ps_json *j, const uint8_t *s, size_t n)
{
    if (j->overflow)
        return;
    /* Fast path: printable ASCII without quote or backslash is copied. */
    size_t i = 0;
    while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
        i++;
    if (i == n) {
        put(j, (const char *)s, n);
        return;
    }
    size_t w = ps_json_escape(j->buf + j->len, j->cap - j->len, s, n);
    if (w == (size_t)-1)
        j->overflow = true;
    else
        j->len += w;
}

static void key(struct ps_json *j, const char *k)
{
    if (j->depth > 0 && j->need_comma[j->depth - 1])
        putc1(j, ',');
    if (j->depth > 0)
        j->need_comma[j->depth - 1] = true;
    if (k) {
        /* Keys are literals of this program: ASCII, nothing to escape. */
        putc1(j, '"');
        put(j, k, strlen(k));
        put(j, "\":", 2);
    }
}

static void jopen(struct ps_json *j, const char *k, char c)
{
    key(j, k);
    putc1(j, c);
    if (j->depth >= PS_JSON_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    j->need_comma[j->depth++] = false;
}

static void jclose(struct ps_json *j, char c)
{
    putc1(j, c);
    if (j->depth > 0)
        j->depth--;
}

void ps_json_obj_begin(struct ps_json *j, const char *k)
{
    jopen(j, k, '{');
}

void ps_json_obj_end(struct ps_json *j)
{
    jclose(j, '}');
}

void ps_json_arr_begin(struct ps_json *j, const char *k)
{
    jopen(j, k, '[');
}

void ps_json_arr_end(struct ps_json *j)
{
    jclose(j, ']');
}

void ps_json_strn(struct ps_json *j, const char *k, const uint8_t *s, size_t n)
{
    key(j, k);
    putc1(j, '"');
    put_escaped(j, s, n);
    putc1(j, '"');
}

void ps_json_str(struct ps_json *j, const char *k, const char *s)
{
    ps_json_strn(j, k, (const uint8_t *)s, strlen(s));
}

size_t ps_fmt_u64(char out[20], uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

void ps_json_u64(struct ps_json *j, const char *k, uint64_t v)
{
    char tmp[20];
    size_t n = ps_fmt_u64(tmp, v);
    key(j, k);
    put(j, tmp, n);
}

void ps_json_i64(struct ps_json *j, const char *k, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    key(j, k);
    put(j, tmp, (size_t)n);
}

void ps_json_double(struct ps_json *j, const char *k, double v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.6f", v);
    key(j, k);
    if (n <= 0 || (size_t)n >= sizeof(tmp) || v != v) /* NaN is not JSON */
        put(j, "0", 1);
    else
        put(j, tmp, (size_t)n);
}

void ps_json_bool(struct ps_json *j, const char *k, bool v)
{
    key(j, k);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void ps_json_time(char out[32], uint64_t ts_us)
{
    /* The date and time of day change once a second: format them once. */
    static _Thread_local uint64_t cached_s = UINT64_MAX;
    static _Thread_local char cached[20];
    uint64_t sec = ts_us / 1000000;
    if (sec != cached_s) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        char tmp[96]; /* the compiler cannot prove the fields' ranges */
        snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        memcpy(cached, tmp, 19);
        cached[19] = 0;
        cached_s = sec;
    }
    memcpy(out, cached, 19);
    out[19] = '.';
    uint32_t us = (uint32_t)(ts_us % 1000000);
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + us % 10);
        us /= 10;
    }
    memcpy(out + 26, "+0000", 6);
}
