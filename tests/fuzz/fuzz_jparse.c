/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the configuration-time JSON reader. */
#include <stdint.h>
#include <stdlib.h>

#include "core/jparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    struct ps_jnode *n = ps_jparse((const char *)data, size, err, sizeof(err));
    if (n)
        (void)ps_jget(n, "TrafficMirrorSessions");
    ps_jfree(n);
    return 0;
}
