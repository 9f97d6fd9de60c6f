/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "detect/kv.h"

int ps_kv_set_u32(void *cfg, const struct ps_kv_key *keys, size_t n, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(keys[i].key);
        if ((size_t)(eq - kv) != kl || memcmp(kv, keys[i].key, kl) != 0)
            continue;
        char *end;
        unsigned long v = strtoul(eq + 1, &end, 10);
        if (end == eq + 1 || *end || eq[1] == '-' || v < keys[i].min || v > keys[i].max)
            return -1;
        uint32_t u = (uint32_t)v;
        memcpy((char *)cfg + keys[i].off, &u, sizeof(u));
        return 0;
    }
    return -1;
}

static uint64_t word(const char *e, size_t off)
{
    uint64_t v;
    memcpy(&v, e + off, sizeof(v));
    return v;
}

void *ps_kv_slot(void *tab, size_t stride, uint32_t mask, uint64_t start, uint32_t probe,
                 uint64_t key, size_t key_off, size_t last_off, int *found)
{
    char *victim = NULL;
    for (uint32_t i = 0; i < probe; i++) {
        char *e = (char *)tab + ((start + i) & mask) * stride;
        uint64_t k = word(e, key_off);
        if (k == key) {
            *found = 1;
            return e;
        }
        if (!k) {
            if (!victim || word(victim, key_off))
                victim = e;
        } else if (!victim ||
                   (word(victim, key_off) && word(e, last_off) < word(victim, last_off))) {
            victim = e;
        }
    }
    *found = 0;
    return victim;
}
