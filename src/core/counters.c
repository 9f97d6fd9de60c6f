/* SPDX-License-Identifier: BSD-2-Clause */
/* Names, kinds and meanings of the counters, generated from PS_COUNTERS. */
#include "core/counters.h"

const struct ps_counter_info ps_counter_table[PS_C__COUNT] = {
#define PS_X(id, name, kind, desc) [PS_C_##id] = {name, kind, desc},
    PS_COUNTERS(PS_X)
#undef PS_X
};

uint64_t ps_counters_dropped(const struct ps_counters *c)
{
    uint64_t n = 0;
    for (int i = 0; i < PS_C__COUNT; i++)
        if (ps_counter_table[i].kind == PS_CK_DROP)
            n += c->v[i];
    return n;
}
