/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "flow/hash.h"
#include "flow/session.h"

int ps_session_table_init(struct ps_session_table *t, uint32_t capacity, uint64_t seed)
{
    uint32_t cap = 16;
    while (cap < capacity && cap < (1u << 24))
        cap <<= 1;
    t->s = calloc(cap, sizeof(*t->s));
    if (!t->s)
        return -1;
    t->cap = cap;
    t->used = 0;
    t->last = 0;
    t->seed = seed;
    return 0;
}

void ps_session_table_free(struct ps_session_table *t)
{
    free(t->s);
    t->s = NULL;
}

static bool same_session(const struct ps_mirror *a, const struct ps_mirror *b)
{
    return a->encap == b->encap && a->outer_ver == b->outer_ver && a->has_vni == b->has_vni &&
           a->vni == b->vni && a->has_erspan_id == b->has_erspan_id &&
           a->erspan_id == b->erspan_id && a->has_gwlb == b->has_gwlb &&
           a->gwlb_endpoint == b->gwlb_endpoint && a->gwlb_attachment == b->gwlb_attachment &&
           memcmp(a->src, b->src, 16) == 0;
}

/* The session of m, added when new: index + 1, or 0 when the table is full. */
static uint32_t lookup(struct ps_session_table *t, const struct ps_mirror *m)
{
    uint64_t w[4];
    memcpy(w, m->src, 16);
    w[2] = ((uint64_t)m->encap << 56) | ((uint64_t)m->erspan_id << 32) | m->vni;
    w[3] = m->gwlb_endpoint ^ (m->gwlb_attachment * 31);
    uint64_t h = ps_hash_words(t->seed, w, 4);
    uint32_t mask = t->cap - 1;
    for (uint32_t i = 0; i < t->cap; i++) {
        uint32_t k = (uint32_t)(h + i) & mask;
        struct ps_session *s = &t->s[k];
        if (!s->used) {
            if (t->used >= t->cap - t->cap / 4) /* keep probes short: 75% full is full */
                break;
            s->used = true;
            s->m = *m;
            s->m.flow_cookie = 0;
            t->used++;
        } else if (!same_session(&s->m, m)) {
            continue;
        }
        return k + 1;
    }
    return 0;
}

uint32_t ps_session_account(struct ps_session_table *t, struct ps_counters *c,
                            const struct ps_pkt *p)
{
    /* Consecutive packets mostly come from one session: try it first. */
    uint32_t ref = t->last;
    if (!ref || !same_session(&t->s[ref - 1].m, &p->m)) {
        ref = lookup(t, &p->m);
        if (!ref) {
            c->v[PS_C_MIRROR_SESSIONS_FULL]++;
            return 0;
        }
        t->last = ref;
    }
    struct ps_session *s = &t->s[ref - 1];
    s->pkts++;
    s->bytes += p->wirelen;
    s->truncated += p->truncated;
    return ref;
}

void ps_session_merge(struct ps_session_table *dst, const struct ps_session_table *src,
                      struct ps_counters *c)
{
    for (uint32_t i = 0; i < src->cap; i++) {
        const struct ps_session *from = &src->s[i];
        if (!from->used)
            continue;
        uint32_t ref = lookup(dst, &from->m);
        if (!ref) {
            c->v[PS_C_MIRROR_SESSIONS_FULL]++;
            continue;
        }
        struct ps_session *to = &dst->s[ref - 1];
        to->pkts += from->pkts;
        to->bytes += from->bytes;
        to->truncated += from->truncated;
        to->flows += from->flows;
    }
}
