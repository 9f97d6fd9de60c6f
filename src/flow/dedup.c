/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "flow/dedup.h"
#include "flow/hash.h"

int ps_dedup_init(struct ps_dedup *d, uint32_t slots, uint64_t window_us, uint64_t seed)
{
    uint32_t n = 1024;
    while (n < slots && n < (1u << 24))
        n <<= 1;
    d->s = calloc(n, sizeof(*d->s));
    if (!d->s)
        return -1;
    d->mask = n - 1;
    d->window_us = window_us;
    d->seed = seed;
    return 0;
}

void ps_dedup_free(struct ps_dedup *d)
{
    free(d->s);
    d->s = NULL;
}

bool ps_dedup_check(struct ps_dedup *d, const struct ps_pkt *p, uint32_t sess)
{
    if (!d->window_us || !sess || !p->ipver)
        return false;
    uint64_t w[7];
    memcpy(w, p->src, 16);
    memcpy(w + 2, p->dst, 16);
    w[4] =
        (uint64_t)p->ip_len << 32 | (uint64_t)p->ip_id << 16 | (uint64_t)p->proto << 8 | p->ipver;
    w[5] = w[6] = 0;
    if (p->l4) {
        size_t n = p->l4_caplen < 16 ? p->l4_caplen : 16;
        memcpy(w + 5, p->l4, n);
    }
    uint64_t id = ps_hash_words(d->seed, w, 7) | 1;
    struct ps_dedup_slot *s = &d->s[id & d->mask];
    if (s->id == id && s->sess != sess && p->ts_us >= s->ts_us &&
        p->ts_us - s->ts_us <= d->window_us)
        return true;
    s->id = id;
    s->ts_us = p->ts_us;
    s->sess = sess;
    return false;
}
