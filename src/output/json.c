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
        putc1(j, '"');
        put_escaped(j, (const uint8_t *)k, strlen(k));
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

void ps_json_u64(struct ps_json *j, const char *k, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    key(j, k);
    put(j, tmp, (size_t)n);
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
    time_t s = (time_t)(ts_us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char tmp[96]; /* the compiler cannot prove the fields' ranges */
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned)(ts_us % 1000000));
    snprintf(out, 32, "%.31s", tmp);
}
