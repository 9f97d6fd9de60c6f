/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP streams. Two layers:
 *
 *  - ps_tcpseq: a few words per flow direction, kept for every TCP flow, that
 *    count the sequence space never mirrored (missing bytes): holes between
 *    the segments seen, data the peer acknowledged that never arrived, and a
 *    whole direction that never arrived while the other acknowledged it.
 *
 *  - ps_sdir: reassembly of one direction for the application parsers
 *    (src/app/app.h has the contract): in-order bytes are handed over
 *    straight from the packet when nothing is held; what a parser leaves,
 *    and segments that arrive ahead of a hole, wait in one bounded buffer
 *    from a fixed pool. Retransmissions are trimmed; an overlap whose bytes
 *    differ from those held is counted as an anomaly; a hole the peer has
 *    acknowledged, or one that would overflow the buffer, is declared a gap
 *    and the parser resumes after it.
 *
 * Sequence numbers are unwrapped to 64-bit stream offsets from the first
 * byte seen, so streams longer than 4 GiB and wrapping sequence numbers need
 * no special case. Nothing is allocated after ps_stream_pool_init(). */
#ifndef PS_STREAM_TCP_H
#define PS_STREAM_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

/* ---- Missing-byte accounting (every TCP flow) ---- */

struct ps_tcpseq {
    uint32_t next;    /* sequence number after the highest byte seen */
    uint32_t hole_lo; /* one open hole [hole_lo, hole_hi) below next */
    uint32_t hole_hi;
    uint32_t ack_first; /* first and highest acknowledgment the peer sent */
    uint32_t ack_max;
    uint32_t isn; /* the SYN's sequence number, when bit 3 of seen is set */
    uint8_t seen; /* bit 0: a segment; bit 1: a hole is open; bit 2: an ack; bit 3: a SYN */
};

/* Where this direction's data starts: after the SYN if it was seen, else
 * at seq, the first segment with data. */
static inline uint32_t ps_tcpseq_data_start(const struct ps_tcpseq *s, uint32_t seq)
{
    return (s->seen & 8) ? s->isn + 1 : seq;
}

/* A segment of this direction: seq, payload length as the IP header states
 * it (captured or not: a cut copy still carried the bytes), SYN and FIN.
 * Adds to *missing the holes it closes for good. */
void ps_tcpseq_segment(struct ps_tcpseq *s, uint32_t seq, uint32_t len, bool syn, bool fin,
                       uint64_t *missing);

/* An acknowledgment the peer sent for this direction's data. */
void ps_tcpseq_ack(struct ps_tcpseq *s, uint32_t ack);

/* Flow end: the open hole, data acknowledged beyond the last byte seen, and
 * a direction never seen that the peer acknowledged. */
void ps_tcpseq_finish(struct ps_tcpseq *s, uint64_t *missing);

/* ---- Reassembly for the parsers ---- */

struct ps_stream_pool {
    uint8_t *mem;   /* cap buffers of size bytes */
    uint32_t *free; /* stack of free buffer numbers */
    uint32_t nfree;
    uint32_t cap;
    uint32_t size;
};

int ps_stream_pool_init(struct ps_stream_pool *p, uint32_t buffers, uint32_t size);
void ps_stream_pool_free(struct ps_stream_pool *p);

#define PS_SDIR_RANGES 4
/* Peer packets acknowledging past a hole before it is declared a gap: a
 * mirror behind a load balancer delivers acknowledgments ahead of the data
 * they acknowledge, so one is not proof that the data is lost. */
#define PS_SDIR_ACK_PATIENCE 3

struct ps_sdir {
    uint64_t base;  /* stream offset of buf[0]: the first byte not consumed */
    uint64_t ready; /* offset after the in-order bytes */
    uint64_t acked; /* highest offset the peer acknowledged */
    uint32_t isn;   /* sequence number of offset 0 */
    uint32_t buf;   /* buffer number + 1; 0 = none held */
    uint8_t nr;     /* out-of-order ranges held in buf */
    bool init;
    bool stuck;        /* the buffer is full and the parser consumed nothing */
    uint8_t acks_past; /* peer packets acknowledging bytes not seen */
    struct {
        uint64_t lo, hi;
    } r[PS_SDIR_RANGES];
};

/* Hands in-order bytes to the parser; returns how many it consumed. */
typedef size_t (*ps_sdir_deliver)(void *ctx, int dir, const uint8_t *d, size_t n);
/* Tells the parser that `bytes` bytes at the current position never came. */
typedef void (*ps_sdir_gapfn)(void *ctx, int dir, uint64_t bytes);

struct ps_sdir_ops {
    ps_sdir_deliver deliver;
    ps_sdir_gapfn gap;
    void *ctx;
    int dir;
    bool *stop; /* set by the parser side: deliver nothing more */
};

/* First data offset: seq is the sequence number of the first payload byte
 * (the SYN's + 1 when the handshake was seen). */
void ps_sdir_start(struct ps_sdir *s, uint32_t seq);

/* A segment with payload. Returns false when this direction can go no
 * further (no buffer left, or the parser is stuck on a full buffer); the
 * reason is counted. */
bool ps_sdir_segment(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                     uint32_t seq, const uint8_t *d, uint32_t len, const struct ps_sdir_ops *ops);

/* The peer acknowledged up to ack: a hole below it with data held beyond
 * is a gap. */
void ps_sdir_ack(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                 uint32_t ack, const struct ps_sdir_ops *ops);

/* Offer held bytes again (the parser can now take them). */
void ps_sdir_kick(struct ps_sdir *s, struct ps_stream_pool *pool, struct ps_counters *c,
                  const struct ps_sdir_ops *ops);

/* Give the buffer back (bypass or flow end). */
void ps_sdir_release(struct ps_sdir *s, struct ps_stream_pool *pool);

#endif
