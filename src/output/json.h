/* SPDX-License-Identifier: BSD-2-Clause */
/* JSON writer into a fixed buffer. Every string is escaped so that no input
 * byte can make an invalid line: quotes, backslashes and control bytes are
 * escaped (RFC 8259 s7), valid UTF-8 passes through, and each byte of an
 * invalid UTF-8 sequence is written as \u00XX so the line stays valid UTF-8
 * and the byte value is kept. A record that would overflow the buffer is
 * marked `overflow` and must not be written. */
#ifndef PS_OUTPUT_JSON_H
#define PS_OUTPUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PS_JSON_MAX_DEPTH 16

struct ps_json {
    char *buf;
    size_t len;
    size_t cap;
    bool overflow;
    int depth;
    bool need_comma[PS_JSON_MAX_DEPTH];
};

void ps_json_init(struct ps_json *j, char *buf, size_t cap);
void ps_json_reset(struct ps_json *j);

/* Escape `n` bytes of `s` into `out` (without quotes); returns the length
 * written or (size_t)-1 when it does not fit in `cap`. */
size_t ps_json_escape(char *out, size_t cap, const uint8_t *s, size_t n);

/* Decimal digits of v into out (no NUL); returns how many. */
size_t ps_fmt_u64(char out[20], uint64_t v);

/* The writers below are forced inline so that the length of a literal key
 * folds at compile time: records are written once per flow, and at a
 * quarter of a million flows per second of capture that adds up. */
#if defined(__GNUC__)
#define PS_JSON_INLINE static inline __attribute__((always_inline))
#else
#define PS_JSON_INLINE static inline
#endif

PS_JSON_INLINE bool ps_json__room(struct ps_json *j, size_t n)
{
    if (j->overflow || j->cap - j->len < n) {
        j->overflow = true;
        return false;
    }
    return true;
}

PS_JSON_INLINE void ps_json__put(struct ps_json *j, const char *s, size_t n)
{
    if (ps_json__room(j, n)) {
        memcpy(j->buf + j->len, s, n);
        j->len += n;
    }
}

/* Comma if needed, then "key": unless key is NULL. */
PS_JSON_INLINE void ps_json__key(struct ps_json *j, const char *k)
{
    if (j->depth > 0) {
        if (j->need_comma[j->depth - 1])
            ps_json__put(j, ",", 1);
        j->need_comma[j->depth - 1] = true;
    }
    if (k) {
        size_t n = strlen(k);
        if (ps_json__room(j, n + 3)) {
            char *o = j->buf + j->len;
            o[0] = '"';
            memcpy(o + 1, k, n);
            o[n + 1] = '"';
            o[n + 2] = ':';
            j->len += n + 3;
        }
    }
}

PS_JSON_INLINE void ps_json__open(struct ps_json *j, const char *k, char c)
{
    ps_json__key(j, k);
    ps_json__put(j, &c, 1);
    if (j->depth >= PS_JSON_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    j->need_comma[j->depth++] = false;
}

PS_JSON_INLINE void ps_json__close(struct ps_json *j, char c)
{
    ps_json__put(j, &c, 1);
    if (j->depth > 0)
        j->depth--;
}

/* `key` is NULL for array elements and for the outermost object; keys are
 * the program's own ASCII literals and are written without escaping. */
PS_JSON_INLINE void ps_json_obj_begin(struct ps_json *j, const char *key)
{
    ps_json__open(j, key, '{');
}

PS_JSON_INLINE void ps_json_obj_end(struct ps_json *j)
{
    ps_json__close(j, '}');
}

PS_JSON_INLINE void ps_json_arr_begin(struct ps_json *j, const char *key)
{
    ps_json__open(j, key, '[');
}

PS_JSON_INLINE void ps_json_arr_end(struct ps_json *j)
{
    ps_json__close(j, ']');
}

/* A string value of n bytes, escaped. */
void ps_json_strn(struct ps_json *j, const char *key, const uint8_t *s, size_t n);

PS_JSON_INLINE void ps_json_str(struct ps_json *j, const char *key, const char *s)
{
    ps_json_strn(j, key, (const uint8_t *)s, strlen(s));
}

/* A string the program composed itself from ASCII it controls (times,
 * addresses, names from its own tables, hex): written without escaping.
 * Anything that came from a packet goes through ps_json_str(). */
PS_JSON_INLINE void ps_json_ascii(struct ps_json *j, const char *key, const char *s)
{
    size_t n = strlen(s);
    ps_json__key(j, key);
    if (ps_json__room(j, n + 2)) {
        char *o = j->buf + j->len;
        o[0] = '"';
        memcpy(o + 1, s, n);
        o[n + 1] = '"';
        j->len += n + 2;
    }
}

PS_JSON_INLINE void ps_json_u64(struct ps_json *j, const char *key, uint64_t v)
{
    ps_json__key(j, key);
    if (ps_json__room(j, 20))
        j->len += ps_fmt_u64(j->buf + j->len, v);
}

PS_JSON_INLINE void ps_json_bool(struct ps_json *j, const char *key, bool v)
{
    ps_json__key(j, key);
    if (v)
        ps_json__put(j, "true", 4);
    else
        ps_json__put(j, "false", 5);
}

void ps_json_i64(struct ps_json *j, const char *key, int64_t v);
void ps_json_double(struct ps_json *j, const char *key, double v);

/* "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000" (UTC) into out[32]. */
void ps_json_time(char out[32], uint64_t ts_us);

#endif
