/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the JSON string escaper must turn any bytes into a
 * valid JSON string body in valid UTF-8: no raw control byte, no lone
 * quote or backslash, no invalid UTF-8 sequence. */
#include <stdlib.h>
#include <string.h>

#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check the escaped output; abort on the first violation. */
static void check(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c < 0x20 || c == '"')
            abort();
        if (c == '\\') {
            if (i + 1 >= n || !strchr("\"\\nrtu", s[i + 1]))
                abort();
            i++;
            continue;
        }
        if (c < 0x80)
            continue;
        size_t need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        if (c < 0xc2 || c > 0xf4 || need >= n - i) /* lead byte, continuations present */
            abort();
        for (size_t k = 1; k <= need; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                abort();
        i += need;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = size * 6 + 1;
    char *out = malloc(cap);
    if (!out)
        return 0;
    size_t w = ps_json_escape(out, cap, data, size);
    if (w == (size_t)-1)
        abort(); /* 6 bytes per input byte always fit */
    check((const uint8_t *)out, w);
    /* A smaller buffer reports overflow rather than writing past it. */
    if (size && ps_json_escape(out, w ? w - 1 : 0, data, size) != (size_t)-1)
        abort();
    free(out);
    return 0;
}
