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
    /* A cheap identity, on every mirrored packet: addresses folded to a word
     * each, IP length, id and protocol, and 16 bytes of transport header
     * (ports and sequence numbers; ICMP type, id and sequence). */
    uint64_t a[4], l4[2] = {0, 0};
    memcpy(a, p->src, 16);
    memcpy(a + 2, p->dst, 16);
    if (p->l4 && p->l4_caplen >= 16) {
        memcpy(l4, p->l4, 16); /* a fixed size: inlined */
    } else if (p->l4) {
        uint8_t b[16] = {0};
        for (size_t i = 0; i < p->l4_caplen; i++)
            b[i] = p->l4[i];
        memcpy(l4, b, 16);
    }
    uint64_t x = (a[0] ^ a[1]) ^ ((a[2] ^ a[3]) * 0x9e3779b97f4a7c15ULL);
    x ^= ((uint64_t)p->ip_len << 40 | (uint64_t)p->ip_id << 24 | (uint64_t)p->proto << 8 |
          p->ipver) *
         0xc2b2ae3d27d4eb4fULL;
    x ^= l4[0] * 0x165667b19e3779f9ULL;
    x ^= l4[1] * 0xd6e8feb86659fd93ULL;
    uint64_t id = ps_hash_mix(x ^ d->seed) | 1;
    struct ps_dedup_slot *s = &d->s[id & d->mask];
    if (s->id == id && s->sess != sess && p->ts_us >= s->ts_us &&
        p->ts_us - s->ts_us <= d->window_us)
        return true;
    s->id = id;
    s->ts_us = p->ts_us;
    s->sess = sess;
    return false;
}
