/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the flow-log line parser. The first line of the input
 * is taken as a format (header line or --format string); every later line
 * is parsed as a record with it and with the default format, and, as a
 * CloudWatch Logs JSON line, searched for "message" members. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowlogs/flowlogs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rec(const struct ps_fl_format *f, const struct ps_fl_rec *r)
{
    if (r->ntok != f->ncols)
        abort();
    for (int c = 0; c < r->ntok; c++) {
        int id = f->field[c];
        if (ps_fl_rec_null(r, c) || id == PS_FL_UNKNOWN)
            continue;
        const struct ps_fl_field_info *fi = ps_fl_field(id);
        if (fi->kind != PS_FL_K_INT)
            continue;
        if (r->num[c] < 0 || r->num[c] > fi->max)
            abort();
        /* The parser reads digits eight at a time: the plain way agrees. */
        uint64_t v = 0;
        for (uint32_t k = 0; k < r->tok[c].n; k++) {
            unsigned d = (unsigned)(unsigned char)r->tok[c].p[k] - '0';
            if (d > 9)
                abort();
            v = v * 10 + d;
        }
        if (v != (uint64_t)r->num[c])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_fl_format fmt, dflt;
    static struct ps_fl_rec rec;
    static char msg[4096];
    char why[160], err[160];
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t first = nl ? (size_t)(nl - s) : size;

    ps_fl_format_default(&dflt);
    bool have_fmt = ps_fl_format_parse(&fmt, s, first, err, sizeof(err)) == 0;
    (void)ps_fl_is_header(s, first);

    size_t pos = nl ? first + 1 : size;
    while (pos < size) {
        const char *line = s + pos;
        const char *e = memchr(line, '\n', size - pos);
        size_t len = e ? (size_t)(e - line) : size - pos;
        if (have_fmt && ps_fl_parse_line(&fmt, line, len, &rec, why, sizeof(why)) == 0)
            check_rec(&fmt, &rec);
        if (ps_fl_parse_line(&dflt, line, len, &rec, why, sizeof(why)) == 0)
            check_rec(&dflt, &rec);
        size_t jp = 0, mlen = 0;
        int guard = 0;
        while (ps_fl_json_message(line, len, &jp, msg, sizeof(msg), &mlen) > 0) {
            if (mlen > sizeof(msg) || jp > len || ++guard > 100000)
                abort();
            if (ps_fl_parse_line(&dflt, msg, mlen, &rec, why, sizeof(why)) == 0)
                check_rec(&dflt, &rec);
        }
        pos += len + 1;
    }
    return 0;
}
