/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: any bytes as an EVE record for the ClickHouse sink.
 * A row is written only for well-formed JSON, within the documented bound
 * (3 * len + 2048), on one line, as a JSON object the project's own JSON
 * reader accepts, whose `record` decodes back to the input byte for byte;
 * a buffer one byte short gives 0, never a partial row. */
#include <stdlib.h>
#include <string.h>

#include "core/jparse.h"
#include "output/clickhouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    int t = ps_ch_table_of(in, size);
    enum ps_ch_table table = t < 0 ? PS_CH_EVENTS : (enum ps_ch_table)t;
    size_t cap = 3 * size + 2048;
    char *out = malloc(cap);
    if (!out)
        return 0;
    long n = ps_ch_format_row(out, cap, table, in, size);
    if (n == 0)
        abort(); /* the bound was too small */
    if (n > 0) {
        if (out[n - 1] != '\n' || memchr(out, '\n', (size_t)n - 1))
            abort();
        char err[128];
        struct ps_jnode *j = ps_jparse(out, (size_t)n, err, sizeof(err));
        if (!j || j->type != PS_J_OBJ)
            abort();
        const struct ps_jnode *rec = ps_jget(j, "record");
        if (!rec || rec->type != PS_J_STR || strlen(rec->str) != size ||
            memcmp(rec->str, data, size) != 0)
            abort();
        ps_jfree(j);
        if (ps_ch_format_row(out, (size_t)n - 1, table, in, size) != 0)
            abort();
    } else if (t >= 0 && ps_ch_format_row(out, cap, PS_CH_FLOWS, in, size) != -1) {
        abort(); /* malformed for one table, malformed for all */
    }
    free(out);
    return 0;
}
