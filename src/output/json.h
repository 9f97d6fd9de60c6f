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

/* `key` is NULL for array elements and for the outermost object; keys are
 * the program's own ASCII literals and are written without escaping. */
void ps_json_obj_begin(struct ps_json *j, const char *key);
void ps_json_obj_end(struct ps_json *j);
void ps_json_arr_begin(struct ps_json *j, const char *key);
void ps_json_arr_end(struct ps_json *j);
void ps_json_str(struct ps_json *j, const char *key, const char *s);
void ps_json_strn(struct ps_json *j, const char *key, const uint8_t *s, size_t n);
void ps_json_u64(struct ps_json *j, const char *key, uint64_t v);
void ps_json_i64(struct ps_json *j, const char *key, int64_t v);
void ps_json_bool(struct ps_json *j, const char *key, bool v);
void ps_json_double(struct ps_json *j, const char *key, double v);

/* Escape `n` bytes of `s` into `out` (without quotes); returns the length
 * written or (size_t)-1 when it does not fit in `cap`. */
size_t ps_json_escape(char *out, size_t cap, const uint8_t *s, size_t n);

/* Decimal digits of v into out (no NUL); returns how many. */
size_t ps_fmt_u64(char out[20], uint64_t v);

/* "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000" (UTC) into out[32]. */
void ps_json_time(char out[32], uint64_t ts_us);

#endif
