/* SPDX-License-Identifier: BSD-2-Clause */
/* Mirror sessions: the tunnel datagrams that delivered packets, counted per
 * (encapsulation, outer source, VNI or ERSPAN id, GWLB endpoint and
 * attachment). Outer tunnel datagrams are not flows of their own; they are
 * counted here. Fixed capacity, open addressing; when full, packets still
 * decode and the miss is counted (mirror.sessions_full). */
#ifndef PS_FLOW_SESSION_H
#define PS_FLOW_SESSION_H

#include "core/counters.h"
#include "core/packet.h"

struct ps_session {
    struct ps_mirror m; /* context of the first packet (flow_cookie cleared) */
    uint64_t pkts;      /* tunnel datagrams */
    uint64_t bytes;     /* wire bytes of the tunnel datagrams */
    uint64_t truncated; /* of which truncated copies */
    uint64_t flows;     /* flows whose first packet came through this session */
    bool used;
};

struct ps_session_table {
    struct ps_session *s; /* capacity entries */
    uint32_t cap;         /* power of two */
    uint32_t used;
    uint32_t last; /* ref of the last session matched, 0 = none */
    uint64_t seed;
};

/* Capacity is rounded up to a power of two; returns -1 on allocation failure. */
int ps_session_table_init(struct ps_session_table *t, uint32_t capacity, uint64_t seed);
void ps_session_table_free(struct ps_session_table *t);

/* Count packet `p` (which must have p->m.encap != NONE) against its session.
 * Returns the session index + 1, or 0 when the table is full. Packet path. */
uint32_t ps_session_account(struct ps_session_table *t, struct ps_counters *c,
                            const struct ps_pkt *p);

/* Add the counts of every session of src to the same session in dst
 * (workers' tables into one). */
void ps_session_merge(struct ps_session_table *dst, const struct ps_session_table *src,
                      struct ps_counters *c);

/* Session by index + 1 as returned above, or NULL for 0. */
static inline const struct ps_session *ps_session_get(const struct ps_session_table *t,
                                                      uint32_t ref)
{
    return ref ? &t->s[ref - 1] : (const struct ps_session *)0;
}

#endif
