/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the configuration file parser. Every word it yields
 * must be a NUL-terminated string inside its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_config_words cw;
    char err[128];
    if (ps_config_parse(&cw, (const char *)data, size, err, sizeof(err)) == 0) {
        for (int i = 0; i < cw.n; i++)
            if (strlen(cw.w[i]) > size + 2)
                abort();
        ps_config_free(&cw);
    }
    return 0;
}
