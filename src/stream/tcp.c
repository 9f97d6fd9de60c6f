/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP streams: missing-byte accounting and bounded reassembly (tcp.h).
 * Sequence comparisons are modulo 2^32 (RFC 9293 s3.4). */
#include <stdlib.h>
#include <string.h>

#include "stream/tcp.h"

#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_GT(a, b)  ((int32_t)((a) - (b)) > 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

/* A jump of more than this is not a hole: a new connection reusing the
 * tuple, or a forged segment. The accounting starts over from it. */
#define SEQ_SANE (1u << 30)

enum { SEEN = 1, HOLE = 2, ACKED = 4, SYN = 8 };

static void hole_fill(struct ps_tcpseq *s, uint32_t lo, uint32_t hi, uint64_t *missing)
{
    if (!(SEQ_LT(lo, s->hole_hi) && SEQ_GT(hi, s->hole_lo)))
        return;
    if (SEQ_LEQ(lo, s->hole_lo)) {
        if (SEQ_GEQ(hi, s->hole_hi))
            s->seen &= (uint8_t)~HOLE;
        else
            s->hole_lo = hi;
    } else if (SEQ_GEQ(hi, s->hole_hi)) {
        s->hole_hi = lo;
    } else {
        /* Filled in the middle: one hole is tracked, so the part on the
         * left is given up as missing and the right one stays open. */
        *missing += lo - s->hole_lo;
        s->hole_lo = hi;
    }
}

void ps_tcpseq_segment(struct ps_tcpseq *s, uint32_t seq, uint32_t len, bool syn, bool fin,
                       uint64_t *missing)
{
    uint32_t lo = seq + syn;
    uint32_t hi = lo + len + fin;
    if (syn) {
        if ((s->seen & SYN) && s->isn != seq)
            memset(s, 0, sizeof(*s)); /* a new connection on the same tuple */
        s->isn = seq;
        s->seen |= SYN;
    }
    if (!(s->seen & SEEN) || SEQ_GT(lo, s->next + SEQ_SANE) || SEQ_LT(hi, s->next - SEQ_SANE)) {
        s->next = hi;
        s->seen = (uint8_t)((s->seen & (ACKED | SYN)) | SEEN);
        return;
    }
    if (SEQ_GT(lo, s->next)) {
        if (s->seen & HOLE)
            *missing += s->hole_hi - s->hole_lo;
        s->hole_lo = s->next;
        s->hole_hi = lo;
        s->seen |= HOLE;
        s->next = hi;
        return;
    }
    if (SEQ_GT(hi, s->next))
        s->next = hi;
    if (s->seen & HOLE)
        hole_fill(s, lo, hi, missing);
}

void ps_tcpseq_ack(struct ps_tcpseq *s, uint32_t ack)
{
    if (!(s->seen & ACKED)) {
        s->ack_first = s->ack_max = ack;
        s->seen |= ACKED;
    } else if (SEQ_GT(ack, s->ack_max) && ack - s->ack_max < SEQ_SANE) {
        s->ack_max = ack;
    }
}

void ps_tcpseq_finish(struct ps_tcpseq *s, uint64_t *missing)
{
    if (s->seen & HOLE)
        *missing += s->hole_hi - s->hole_lo;
    if (s->seen & ACKED) {
        if (!(s->seen & SEEN))
            *missing += s->ack_max - s->ack_first; /* one-sided: the peer saw it all */
        else if (SEQ_GT(s->ack_max, s->next) && s->ack_max - s->next < SEQ_SANE)
            *missing += s->ack_max - s->next;
    }
    memset(s, 0, sizeof(*s));
}

/* ---- pool ---- */

int ps_stream_pool_init(struct ps_stream_pool *p, uint32_t buffers, uint32_t size)
{
    memset(p, 0, sizeof(*p));
    if (!buffers)
        return 0;
    /* calloc: pages are only resident once a buffer is used. */
    p->mem = calloc(buffers, size);
    p->free = malloc(sizeof(uint32_t) * buffers);
    if (!p->mem || !p->free) {
        ps_stream_pool_free(p);
        return -1;
    }
    for (uint32_t i = 0; i < buffers; i++)
        p->free[i] = buffers - 1 - i;
    p->nfree = p->cap = buffers;
    p->size = size;
    return 0;
}

void ps_stream_pool_free(struct ps_stream_pool *p)
{
    free(p->mem);
    free(p->free);
    memset(p, 0, sizeof(*p));
}

static uint8_t *bufp(const struct ps_sdir *s, const struct ps_stream_pool *pool)
{
    return pool->mem + (size_t)(s->buf - 1) * pool->size;
}

static bool buf_get(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c)
{
    if (s->buf)
        return true;
    if (!pool->nfree) {
        c->v[PS_C_STREAM_NO_BUFFER]++;
        return false;
    }
    s->buf = pool->free[--pool->nfree] + 1;
    return true;
}

void ps_sdir_release(struct ps_sdir *s, struct ps_stream_pool *pool)
{
    if (s->buf) {
        pool->free[pool->nfree++] = s->buf - 1;
        s->buf = 0;
    }
    s->nr = 0;
}

/* ---- reassembly ---- */

void ps_sdir_start(struct ps_sdir *s, uint32_t seq)
{
    memset(s, 0, sizeof(*s));
    s->isn = seq;
    s->init = true;
}

/* Stream offset of seq, taken as the one nearest the in-order end. */
static int64_t unwrap(const struct ps_sdir *s, uint32_t seq)
{
    int32_t d = (int32_t)((seq - s->isn) - (uint32_t)s->ready);
    return (int64_t)s->ready + d;
}

/* The end of what buf holds: the in-order bytes or the last range. */
static uint64_t held_end(const struct ps_sdir *s)
{
    return s->nr ? s->r[s->nr - 1].hi : s->ready;
}

/* Drop the first `n` held bytes (consumed, or before a gap). */
static void advance(struct ps_sdir *s, struct ps_stream_pool *pool, uint64_t to)
{
    uint64_t end = held_end(s);
    if (to < end)
        memmove(bufp(s, pool), bufp(s, pool) + (to - s->base), end - to);
    s->base = to;
}

/* Ranges now touching the in-order end extend it. */
static void merge_ready(struct ps_sdir *s)
{
    uint8_t k = 0;
    while (k < s->nr && s->r[k].lo <= s->ready) {
        if (s->r[k].hi > s->ready)
            s->ready = s->r[k].hi;
        k++;
    }
    if (k) {
        memmove(&s->r[0], &s->r[k], (s->nr - k) * sizeof(s->r[0]));
        s->nr = (uint8_t)(s->nr - k);
    }
}

/* Offer the held in-order bytes until the parser stops taking them. */
static bool deliver_held(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                         const struct ps_sdir_ops *ops)
{
    while (s->ready > s->base && !*ops->stop) {
        size_t n = (size_t)(s->ready - s->base);
        size_t used = ops->deliver(ops->ctx, ops->dir, bufp(s, pool), n);
        if (!used) {
            if (n >= pool->size) {
                c->v[PS_C_STREAM_STUCK]++;
                s->stuck = true;
                return false;
            }
            break;
        }
        advance(s, pool, s->base + used);
    }
    if (s->base == s->ready && !s->nr)
        ps_sdir_release(s, pool); /* nothing held: the buffer goes back */
    return true;
}

/* Skip the hole up to `to` (the first range, or an offset the peer
 * acknowledged): the parser resumes after it. */
static void gap_to(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                   const struct ps_sdir_ops *ops, uint64_t to)
{
    c->v[PS_C_STREAM_GAPS]++;
    s->acks_past = 0;
    if (ops->gap && !*ops->stop)
        ops->gap(ops->ctx, ops->dir, to - s->ready);
    /* Bytes before the hole that the parser left are part of a message the
     * hole cut: they go too. */
    if (s->buf)
        advance(s, pool, to);
    s->base = s->ready = to;
    merge_ready(s);
}

static void gap(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                const struct ps_sdir_ops *ops)
{
    gap_to(s, pool, c, ops, s->r[0].lo);
}

/* Hold [o, o + n) of d in the buffer as in-order bytes or a range. */
static void hold(struct ps_sdir *s, struct ps_stream_pool *pool, uint64_t o, const uint8_t *d,
                 size_t n)
{
    memcpy(bufp(s, pool) + (o - s->base), d, n);
    uint64_t hi = o + n;
    if (o <= s->ready) {
        if (hi > s->ready)
            s->ready = hi;
        merge_ready(s);
        return;
    }
    /* Insert in order, merging with overlapping or adjacent ranges. */
    uint8_t k = 0;
    while (k < s->nr && s->r[k].hi < o)
        k++;
    uint8_t j = k;
    while (j < s->nr && s->r[j].lo <= hi) {
        if (s->r[j].lo < o)
            o = s->r[j].lo;
        if (s->r[j].hi > hi)
            hi = s->r[j].hi;
        j++;
    }
    if (j > k) { /* merged k..j-1 into one */
        s->r[k].lo = o;
        s->r[k].hi = hi;
        memmove(&s->r[k + 1], &s->r[j], (s->nr - j) * sizeof(s->r[0]));
        s->nr = (uint8_t)(s->nr - (j - k - 1));
    } else {
        memmove(&s->r[k + 1], &s->r[k], (s->nr - k) * sizeof(s->r[0]));
        s->r[k].lo = o;
        s->r[k].hi = hi;
        s->nr++;
    }
}

/* Bytes of a retransmission that overlap what is still held must match. */
static void check_overlap(const struct ps_sdir *s, const struct ps_stream_pool *pool,
                          struct ps_counters *c, int64_t o, const uint8_t *d, size_t len)
{
    if (!s->buf)
        return;
    int64_t lo = o > (int64_t)s->base ? o : (int64_t)s->base;
    int64_t hi = o + (int64_t)len < (int64_t)s->ready ? o + (int64_t)len : (int64_t)s->ready;
    if (lo < hi &&
        memcmp(bufp(s, pool) + (lo - (int64_t)s->base), d + (lo - o), (size_t)(hi - lo)) != 0)
        c->v[PS_C_ANOM_STREAM_OVERLAP]++;
}

/* Cut what the in-order end has passed; false when nothing is left. */
static bool trim(const struct ps_sdir *s, uint64_t *off, const uint8_t **d, uint32_t *len)
{
    if (*off >= s->ready)
        return true;
    if (*off + *len <= s->ready)
        return false;
    uint32_t cut = (uint32_t)(s->ready - *off);
    *d += cut;
    *len -= cut;
    *off = s->ready;
    return true;
}

static bool acked_hole(const struct ps_sdir *s)
{
    return s->nr && s->acked >= s->r[0].lo && s->acks_past >= PS_SDIR_ACK_PATIENCE;
}

bool ps_sdir_segment(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                     uint32_t seq, const uint8_t *d, uint32_t len, const struct ps_sdir_ops *ops)
{
    if (*ops->stop || s->stuck || !len)
        return !s->stuck;
    c->v[PS_C_STREAM_SEGMENTS]++;
    int64_t o = unwrap(s, seq);
    int64_t end = o + len;
    if (end <= (int64_t)s->ready) {
        c->v[PS_C_STREAM_RETRANSMITTED]++;
        check_overlap(s, pool, c, o, d, len);
        return true;
    }
    if (o < (int64_t)s->ready) {
        check_overlap(s, pool, c, o, d, len);
        d += (int64_t)s->ready - o;
        len -= (uint32_t)((int64_t)s->ready - o);
        o = (int64_t)s->ready;
    }
    uint64_t off = (uint64_t)o;

    /* In order with nothing held: straight from the packet. */
    if (off == s->ready && !s->buf) {
        size_t used = ops->deliver(ops->ctx, ops->dir, d, len);
        s->ready += len;
        s->acks_past = 0;
        s->base += used;
        if (used == len || *ops->stop)
            return true;
        if (len - used > pool->size) {
            c->v[PS_C_STREAM_STUCK]++;
            s->stuck = true;
            return false;
        }
        if (!buf_get(s, pool, c))
            return false;
        memcpy(bufp(s, pool), d + used, len - used);
        return true;
    }

    if (off > s->ready)
        c->v[PS_C_STREAM_OUT_OF_ORDER]++;
    if (!buf_get(s, pool, c))
        return false;
    /* Room in the window [base, base + size): make some by skipping the
     * first hole when what waits beyond it cannot fit otherwise. */
    while (off + len > s->base + pool->size && s->nr && off > s->ready) {
        gap(s, pool, c, ops);
        if (!deliver_held(s, pool, c, ops))
            return false;
        if (!trim(s, &off, &d, &len))
            return true; /* the gap skipped over it */
        if (!s->buf && !buf_get(s, pool, c))
            return false;
    }
    if (s->nr == PS_SDIR_RANGES && off > s->ready) {
        gap(s, pool, c, ops);
        if (!trim(s, &off, &d, &len))
            return true;
    }
    uint64_t ready = s->ready;
    if (off < s->base + pool->size) {
        size_t n = len;
        if (off + n > s->base + pool->size)
            n = (size_t)(s->base + pool->size - off); /* the rest comes again or is a gap */
        hold(s, pool, off, d, n);
    } else {
        c->v[PS_C_STREAM_BEYOND_WINDOW]++;
    }
    if (s->ready != ready)
        s->acks_past = 0; /* progress: the acknowledgments count again */
    while (acked_hole(s))
        gap(s, pool, c, ops);
    return deliver_held(s, pool, c, ops);
}

void ps_sdir_ack(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                 uint32_t ack, const struct ps_sdir_ops *ops)
{
    if (s->stuck || !s->init || *ops->stop)
        return;
    int64_t o = unwrap(s, ack);
    if (o - (int64_t)s->ready > (int64_t)SEQ_SANE)
        return;
    if (o > (int64_t)s->ready && s->acks_past < PS_SDIR_ACK_PATIENCE)
        s->acks_past++;
    if (o <= (int64_t)s->acked && !acked_hole(s))
        return;
    if (o > (int64_t)s->acked)
        s->acked = (uint64_t)o;
    if (!s->nr && s->acked > s->ready + pool->size) {
        /* A window's worth acknowledged and none of it seen: whatever
         * arrives next starts after this gap. */
        gap_to(s, pool, c, ops, s->acked);
        deliver_held(s, pool, c, ops);
        return;
    }
    if (!acked_hole(s))
        return;
    while (acked_hole(s))
        gap(s, pool, c, ops);
    deliver_held(s, pool, c, ops);
}

void ps_sdir_kick(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                  const struct ps_sdir_ops *ops)
{
    if (s->buf && !s->stuck)
        deliver_held(s, pool, c, ops);
}
