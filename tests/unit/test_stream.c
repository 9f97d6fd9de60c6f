/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP streams: missing-byte accounting and reassembly into a parser. */
#include <string.h>

#include "stream/tcp.h"
#include "unit.h"

static void test_tcpseq(void)
{
    struct ps_tcpseq s = {0};
    uint64_t miss = 0;
    /* SYN at 1000, then 3 x 100 bytes in order, FIN: nothing missing. */
    ps_tcpseq_segment(&s, 1000, 0, true, false, &miss);
    ps_tcpseq_segment(&s, 1001, 100, false, false, &miss);
    ps_tcpseq_segment(&s, 1101, 100, false, false, &miss);
    ps_tcpseq_segment(&s, 1201, 100, false, true, &miss);
    ps_tcpseq_ack(&s, 1001);
    ps_tcpseq_ack(&s, 1302);
    ps_tcpseq_finish(&s, &miss);
    CHECK_EQ(miss, 0);

    /* A segment never seen: a 100-byte hole. */
    memset(&s, 0, sizeof(s));
    miss = 0;
    ps_tcpseq_segment(&s, 1001, 100, false, false, &miss);
    ps_tcpseq_segment(&s, 1201, 100, false, false, &miss);
    ps_tcpseq_finish(&s, &miss);
    CHECK_EQ(miss, 100);

    /* Reordered: the hole fills later. */
    memset(&s, 0, sizeof(s));
    miss = 0;
    ps_tcpseq_segment(&s, 1001, 100, false, false, &miss);
    ps_tcpseq_segment(&s, 1201, 100, false, false, &miss);
    ps_tcpseq_segment(&s, 1101, 100, false, false, &miss);
    ps_tcpseq_finish(&s, &miss);
    CHECK_EQ(miss, 0);

    /* The peer acknowledged 500 bytes beyond the last one seen. */
    memset(&s, 0, sizeof(s));
    miss = 0;
    ps_tcpseq_segment(&s, 1001, 100, false, false, &miss);
    ps_tcpseq_ack(&s, 1101);
    ps_tcpseq_ack(&s, 1601);
    ps_tcpseq_finish(&s, &miss);
    CHECK_EQ(miss, 500);

    /* One-sided: never a segment, but the peer acknowledged 4000 bytes. */
    memset(&s, 0, sizeof(s));
    miss = 0;
    ps_tcpseq_ack(&s, 0xfffff000u);
    ps_tcpseq_ack(&s, 0xfffff000u + 4000); /* wraps */
    ps_tcpseq_finish(&s, &miss);
    CHECK_EQ(miss, 4000);

    /* Two holes: the first is given up when the second opens. */
    memset(&s, 0, sizeof(s));
    miss = 0;
    ps_tcpseq_segment(&s, 0, 10, false, false, &miss);
    ps_tcpseq_segment(&s, 20, 10, false, false, &miss);
    ps_tcpseq_segment(&s, 50, 10, false, false, &miss);
    ps_tcpseq_finish(&s, &miss);
    CHECK_EQ(miss, 30);
}

/* A parser that takes whole lines ending in '\n' and records them. */
struct lines {
    char out[4096];
    size_t len;
    uint64_t gaps;
    int calls;
    bool stop;
};

static size_t take_lines(void *ctx, int dir, const uint8_t *d, size_t n)
{
    struct lines *l = ctx;
    (void)dir;
    l->calls++;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '\n')
            used = i + 1;
    }
    if (used && l->len + used < sizeof(l->out)) {
        memcpy(l->out + l->len, d, used);
        l->len += used;
    }
    l->out[l->len] = 0;
    return used;
}

static void note_gap(void *ctx, int dir, uint64_t bytes)
{
    struct lines *l = ctx;
    (void)dir;
    l->gaps += bytes;
}

static bool seg(struct ps_sdir *s, struct ps_stream_pool *p, struct ps_counters *c, uint32_t seq,
                const char *txt, struct lines *l)
{
    struct ps_sdir_ops ops = {take_lines, note_gap, l, 0, &l->stop};
    return ps_sdir_segment(s, p, c, seq, (const uint8_t *)txt, (uint32_t)strlen(txt), &ops);
}

static void test_sdir(void)
{
    struct ps_stream_pool pool;
    struct ps_counters c;
    memset(&c, 0, sizeof(c));
    CHECK_EQ(ps_stream_pool_init(&pool, 2, 64), 0);

    /* In order, a line split across segments: held, then completed. */
    struct ps_sdir s;
    struct lines l = {0};
    ps_sdir_start(&s, 100);
    CHECK(seg(&s, &pool, &c, 100, "GET / HT", &l));
    CHECK_EQ(pool.nfree, 1); /* the partial line is held */
    CHECK(seg(&s, &pool, &c, 108, "TP/1.1\nHost: a\n", &l));
    CHECK_STR(l.out, "GET / HTTP/1.1\nHost: a\n");
    CHECK_EQ(pool.nfree, 2); /* nothing held: the buffer went back */

    /* Out of order and a retransmission with different bytes. */
    ps_sdir_release(&s, &pool);
    memset(&l, 0, sizeof(l));
    ps_sdir_start(&s, 0xfffffff0u); /* wraps inside the stream */
    CHECK(seg(&s, &pool, &c, 0xfffffff0u + 10, "cc\ndd\n", &l));
    CHECK(seg(&s, &pool, &c, 0xfffffff0u + 4, "bbbbbb", &l));
    CHECK_EQ(l.len, 0);
    CHECK(seg(&s, &pool, &c, 0xfffffff0u, "aaa\n", &l));
    CHECK_STR(l.out, "aaa\nbbbbbbcc\ndd\n");
    CHECK_EQ(c.v[PS_C_STREAM_OUT_OF_ORDER], 2);
    CHECK(seg(&s, &pool, &c, 0xfffffff0u + 16, "ee", &l)); /* held */
    CHECK(seg(&s, &pool, &c, 0xfffffff0u + 16, "eX", &l)); /* conflicts with what is held */
    CHECK_EQ(c.v[PS_C_ANOM_STREAM_OVERLAP], 1);
    CHECK_EQ(c.v[PS_C_STREAM_RETRANSMITTED], 1);

    /* A hole the peer acknowledged on PS_SDIR_ACK_PATIENCE packets: a gap,
     * the parser resumes after it and the bytes it held before the hole go. */
    ps_sdir_release(&s, &pool);
    memset(&l, 0, sizeof(l));
    ps_sdir_start(&s, 0);
    CHECK(seg(&s, &pool, &c, 0, "one\ntw", &l));
    CHECK(seg(&s, &pool, &c, 10, "three\n", &l));
    CHECK_STR(l.out, "one\n");
    struct ps_sdir_ops ops = {take_lines, note_gap, &l, 0, &l.stop};
    for (int i = 1; i < PS_SDIR_ACK_PATIENCE; i++)
        ps_sdir_ack(&s, &pool, &c, 16, &ops);
    CHECK_STR(l.out, "one\n"); /* the data may still come (reordering) */
    CHECK_EQ(c.v[PS_C_STREAM_GAPS], 0);
    ps_sdir_ack(&s, &pool, &c, 16, &ops);
    CHECK_STR(l.out, "one\nthree\n");
    CHECK_EQ(l.gaps, 4);
    CHECK_EQ(c.v[PS_C_STREAM_GAPS], 1);

    /* The acknowledgment arrives before the data it acknowledges (a mirror
     * behind a load balancer): the segment past the hole comes, then the
     * hole is filled: no gap. */
    ps_sdir_release(&s, &pool);
    memset(&l, 0, sizeof(l));
    ps_sdir_start(&s, 0);
    ps_sdir_ack(&s, &pool, &c, 12, &ops);
    CHECK(seg(&s, &pool, &c, 6, "three\n", &l));
    ps_sdir_ack(&s, &pool, &c, 12, &ops);
    CHECK_EQ(l.len, 0);
    CHECK(seg(&s, &pool, &c, 0, "one\ntw", &l));
    CHECK_STR(l.out, "one\ntwthree\n");
    CHECK_EQ(l.gaps, 0);
    CHECK_EQ(c.v[PS_C_STREAM_GAPS], 1); /* the one above */

    /* A line longer than the buffer: stuck, counted, no more calls. */
    ps_sdir_release(&s, &pool);
    memset(&l, 0, sizeof(l));
    ps_sdir_start(&s, 0);
    char big[80];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CHECK(!seg(&s, &pool, &c, 0, big, &l));
    CHECK_EQ(c.v[PS_C_STREAM_STUCK], 1);
    int calls = l.calls;
    CHECK(!seg(&s, &pool, &c, 79, "\n", &l));
    CHECK_EQ(l.calls, calls);

    /* No buffer left: both held by two other streams. */
    struct ps_sdir a, b, d;
    struct lines la = {0}, lb = {0}, ld = {0};
    ps_sdir_release(&s, &pool);
    ps_sdir_start(&a, 0);
    ps_sdir_start(&b, 0);
    ps_sdir_start(&d, 0);
    CHECK(seg(&a, &pool, &c, 0, "partial", &la));
    CHECK(seg(&b, &pool, &c, 0, "partial", &lb));
    CHECK(!seg(&d, &pool, &c, 0, "partial", &ld));
    CHECK_EQ(c.v[PS_C_STREAM_NO_BUFFER], 1);
    ps_sdir_release(&a, &pool);
    ps_sdir_release(&b, &pool);
    ps_sdir_release(&d, &pool);
    CHECK_EQ(pool.nfree, 2);

    /* Every byte-sized split of a message gives the same lines. */
    const char *msg = "alpha\nbeta\ngamma\n";
    size_t n = strlen(msg);
    for (size_t cut = 1; cut < n; cut++) {
        struct lines lx = {0};
        struct ps_sdir x;
        ps_sdir_start(&x, 7);
        char p1[32], p2[32];
        memcpy(p1, msg, cut);
        p1[cut] = 0;
        memcpy(p2, msg + cut, n - cut + 1);
        /* second half first: out of order */
        seg(&x, &pool, &c, 7 + (uint32_t)cut, p2, &lx);
        seg(&x, &pool, &c, 7, p1, &lx);
        CHECK_STR(lx.out, msg);
        ps_sdir_release(&x, &pool);
    }
    CHECK_EQ(pool.nfree, 2);
    ps_stream_pool_free(&pool);
}

void test_stream(void)
{
    test_tcpseq();
    test_sdir();
}
