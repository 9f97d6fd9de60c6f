/* SPDX-License-Identifier: BSD-2-Clause */
/* Worker threads for listen (workers.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/workers.h"
#include "flow/hash.h"
#include "output/db.h"

/* One packet in a ring: this header, then its bytes, padded to 8. */
struct rec {
    uint32_t size; /* header + data, padded; 0 marks the end of the ring's space */
    uint8_t type;  /* REC_UDP or REC_FRAME */
    uint8_t ver;
    uint8_t kind;
    uint8_t pad;
    uint32_t len;    /* UDP: payload bytes; frame: wire length */
    uint32_t caplen; /* bytes that follow */
    uint16_t sport, dport;
    uint32_t pad2;
    uint64_t ts_us;
    uint8_t src[16], dst[16];
};

enum { REC_UDP = 1, REC_FRAME = 2 };

#define REC_ALIGN(n) (((n) + 7u) & ~(size_t)7u)

/* What a worker publishes for the aggregate. */
struct snap {
    pthread_mutex_t mu;
    struct ps_counters c;
    struct ps_session_table sess;
    uint64_t proto_pkts[PS_PB__COUNT];
    uint64_t proto_bytes[PS_PB__COUNT];
    uint32_t flows_used;
    uint64_t eve_records;
    uint64_t flowlog_records;
};

struct worker {
    struct ps_pipeline *w;
    pthread_t th;
    bool started;
    uint8_t *ring;
    size_t size;
    _Atomic uint64_t head; /* written by the receiver */
    _Atomic uint64_t tail; /* written by the worker */
    struct snap snap;
};

struct ps_workers {
    int n;
    struct worker *wk;
    atomic_bool stop;
    /* Receiver side: a decoder of its own to find the inner tuple, with
     * counters nobody reports (the worker counts the real decode). */
    struct ps_counters scratch_c;
    struct ps_decoder dec;
    struct ps_pkt pkt;
    struct ps_counters rx; /* refused or dropped before a worker saw them */
};

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int ps_workers_pick(uint32_t h, int n)
{
    return (int)(((uint64_t)h * (uint64_t)n) >> 32);
}

/* Symmetric: the two ends are ordered before hashing. Fragments and
 * packets without ports hash on the addresses alone. */
static uint32_t inner_hash(const struct ps_pkt *p)
{
    if (!p->ipver)
        return 0;
    uint64_t w[5];
    const uint8_t *a = p->src, *b = p->dst;
    uint16_t pa = p->has_ports && !p->is_fragment ? p->sport : 0;
    uint16_t pb = p->has_ports && !p->is_fragment ? p->dport : 0;
    int c = memcmp(a, b, 16);
    if (c > 0 || (c == 0 && pa > pb)) {
        const uint8_t *t = a;
        a = b;
        b = t;
        uint16_t tp = pa;
        pa = pb;
        pb = tp;
    }
    memcpy(&w[0], a, 16);
    memcpy(&w[2], b, 16);
    w[4] = (uint64_t)pa << 32 | (uint64_t)pb << 16 | (p->is_fragment ? 0 : p->proto);
    return (uint32_t)ps_hash_words(0x9e3779b97f4a7c15ull, w, 5);
}

/* Copy a packet into worker k's ring; false when it does not fit. */
static bool push(struct worker *k, const struct rec *h, const uint8_t *data)
{
    size_t need = REC_ALIGN(sizeof(*h) + h->caplen);
    uint64_t head = atomic_load_explicit(&k->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&k->tail, memory_order_acquire);
    size_t pos = (size_t)(head % k->size);
    size_t room_end = k->size - pos;
    size_t used = (size_t)(head - tail);
    if (room_end < need) {
        /* Skip to the start: mark the rest of the space as unused. */
        if (k->size - used < room_end + need)
            return false;
        ((struct rec *)(k->ring + pos))->size = 0;
        head += room_end;
        pos = 0;
        used += room_end;
    }
    if (k->size - used < need)
        return false;
    struct rec *r = (struct rec *)(k->ring + pos);
    *r = *h;
    r->size = (uint32_t)need;
    memcpy(r + 1, data, h->caplen);
    atomic_store_explicit(&k->head, head + need, memory_order_release);
    return true;
}

static void dispatch(struct ps_workers *ws, struct rec *h, const uint8_t *data)
{
    int i = ws->n > 1 ? ps_workers_pick(inner_hash(&ws->pkt), ws->n) : 0;
    if (!push(&ws->wk[i], h, data)) {
        ws->rx.v[PS_C_PKTS_RECEIVED]++;
        ws->rx.v[PS_C_BYTES_RECEIVED] += h->len;
        ws->rx.v[PS_C_DROP_WORKER_QUEUE_FULL]++;
    }
}

void ps_workers_udp(struct ps_workers *ws, const struct ps_udp_dgram *dg)
{
    /* A packet that does not decode goes anywhere: its worker counts why. */
    ps_decode_udp_payload(&ws->dec, &ws->pkt, dg->kind, dg->ver, dg->src, dg->dst, dg->sport,
                          dg->dport, dg->data, dg->len, dg->ts_us);
    struct rec h = {.type = REC_UDP,
                    .ver = dg->ver,
                    .kind = (uint8_t)dg->kind,
                    .len = dg->len,
                    .caplen = dg->len,
                    .sport = dg->sport,
                    .dport = dg->dport,
                    .ts_us = dg->ts_us};
    memcpy(h.src, dg->src, 16);
    memcpy(h.dst, dg->dst, 16);
    dispatch(ws, &h, dg->data);
}

void ps_workers_frame(struct ps_workers *ws, const uint8_t *data, uint32_t caplen, uint32_t len,
                      uint64_t ts_us)
{
    ps_decode(&ws->dec, &ws->pkt, 1 /* Ethernet */, data, caplen, len, ts_us);
    struct rec h = {.type = REC_FRAME, .len = len, .caplen = caplen, .ts_us = ts_us};
    dispatch(ws, &h, data);
}

void ps_workers_drop(struct ps_workers *ws, uint32_t len, uint64_t ts_us, enum ps_counter_id why)
{
    (void)ts_us;
    ws->rx.v[PS_C_PKTS_RECEIVED]++;
    ws->rx.v[PS_C_BYTES_RECEIVED] += len;
    ws->rx.v[why]++;
}

static void publish(struct worker *k)
{
    struct snap *s = &k->snap;
    struct ps_pipeline *w = k->w;
    pthread_mutex_lock(&s->mu);
    s->c = w->c;
    memcpy(s->sess.s, w->sessions.s, sizeof(*s->sess.s) * w->sessions.cap);
    s->sess.used = w->sessions.used;
    memcpy(s->proto_pkts, w->proto_pkts, sizeof(s->proto_pkts));
    memcpy(s->proto_bytes, w->proto_bytes, sizeof(s->proto_bytes));
    s->flows_used = w->flows.used;
    s->eve_records = w->out.eve_records;
    s->flowlog_records = w->out.flowlog_records;
    pthread_mutex_unlock(&s->mu);
}

/* Handle what the ring holds; returns how many packets. */
static size_t drain(struct worker *k, size_t max)
{
    size_t n = 0;
    uint64_t tail = atomic_load_explicit(&k->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&k->head, memory_order_acquire);
    while (tail != head && n < max) {
        size_t pos = (size_t)(tail % k->size);
        const struct rec *r = (const struct rec *)(k->ring + pos);
        if (r->size == 0) {
            tail += k->size - pos;
            continue;
        }
        const uint8_t *d = (const uint8_t *)(r + 1);
        if (r->type == REC_UDP)
            ps_pipeline_udp(k->w, r->kind, r->ver, r->src, r->dst, r->sport, r->dport, d, r->caplen,
                            r->ts_us);
        else
            ps_pipeline_packet(k->w, 1, d, r->caplen, r->len, r->ts_us);
        tail += r->size;
        n++;
    }
    atomic_store_explicit(&k->tail, tail, memory_order_release);
    return n;
}

struct run_arg {
    struct ps_workers *ws;
    struct worker *k;
};

static void *run(void *arg)
{
    struct ps_workers *ws = ((struct run_arg *)arg)->ws;
    struct worker *k = ((struct run_arg *)arg)->k;
    free(arg);
    uint64_t next_tick = 0;
    for (;;) {
        bool stopping = atomic_load(&ws->stop);
        size_t n = drain(k, 4096);
        uint64_t now = wall_us();
        if (now >= next_tick) {
            ps_pipeline_tick(k->w, now);
            if (k->w->out.db)
                ps_dbsink_commit(k->w->out.db);
            publish(k);
            next_tick = now + 100000;
        }
        if (!n) {
            if (stopping)
                break;
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
    }
    ps_pipeline_finish(k->w);
    publish(k);
    return NULL;
}

struct ps_workers *ps_workers_start(int n, const struct ps_pipeline_config *cfg,
                                    const struct ps_pipeline *like, size_t ring_bytes, char *err,
                                    size_t errlen)
{
    struct ps_workers *ws = calloc(1, sizeof(*ws));
    if (!ws || !(ws->wk = calloc((size_t)n, sizeof(*ws->wk)))) {
        free(ws);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ws->n = n;
    atomic_init(&ws->stop, false);
    for (int i = 0; i < n; i++)
        pthread_mutex_init(&ws->wk[i].snap.mu, NULL);
    ps_decoder_init(&ws->dec, &ws->scratch_c);
    ws->dec.check_checksums = false;
    ws->dec.max_tunnel_depth = like->dec.max_tunnel_depth;
    memcpy(ws->dec.udp_port_kind, like->dec.udp_port_kind, sizeof(ws->dec.udp_port_kind));
    ring_bytes = REC_ALIGN(ring_bytes);
    for (int i = 0; i < n; i++) {
        struct worker *k = &ws->wk[i];
        struct ps_pipeline_config c = *cfg;
        c.seed = cfg->seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
        c.stats_interval_s = 0;
        k->w = malloc(sizeof(*k->w));
        k->ring = malloc(ring_bytes);
        k->size = ring_bytes;
        if (!k->w || !k->ring || ps_pipeline_init(k->w, &c) != 0 ||
            ps_session_table_init(&k->snap.sess, k->w->sessions.cap, 0) != 0) {
            snprintf(err, errlen, "worker %d: out of memory", i);
            ps_workers_stop(ws);
            ps_workers_free(ws);
            return NULL;
        }
        atomic_init(&k->head, 0);
        atomic_init(&k->tail, 0);
        struct ps_pipeline *w = k->w;
        w->dec.check_checksums = like->dec.check_checksums;
        w->dec.max_tunnel_depth = like->dec.max_tunnel_depth;
        memcpy(w->dec.udp_port_kind, like->dec.udp_port_kind, sizeof(w->dec.udp_port_kind));
        w->out.eve = like->out.eve;
        w->out.flowlog = like->out.flowlog;
        w->out.db = like->out.db;
        w->out.ch = like->out.ch;
        w->out.eni = like->out.eni;
        w->allow_vni = like->allow_vni;
        w->allow_ctx = like->allow_ctx;
        w->no_stats = true; /* the aggregate writes them */
        struct run_arg *a = malloc(sizeof(*a));
        if (a) {
            a->ws = ws;
            a->k = k;
        }
        if (!a || pthread_create(&k->th, NULL, run, a) != 0) {
            free(a);
            snprintf(err, errlen, "worker %d: cannot start a thread", i);
            ps_workers_stop(ws);
            ps_workers_free(ws);
            return NULL;
        }
        k->started = true;
    }
    return ws;
}

void ps_workers_collect(struct ps_workers *ws, struct ps_pipeline *agg)
{
    agg->c = ws->rx;
    memset(agg->proto_pkts, 0, sizeof(agg->proto_pkts));
    memset(agg->proto_bytes, 0, sizeof(agg->proto_bytes));
    agg->flows.used = 0;
    agg->out.eve_records = agg->out.flowlog_records = 0;
    memset(agg->sessions.s, 0, sizeof(*agg->sessions.s) * agg->sessions.cap);
    agg->sessions.used = 0;
    agg->sessions.last = 0;
    for (int i = 0; i < ws->n; i++) {
        struct snap *s = &ws->wk[i].snap;
        pthread_mutex_lock(&s->mu);
        for (int c = 0; c < PS_C__COUNT; c++)
            agg->c.v[c] += s->c.v[c];
        for (int b = 0; b < PS_PB__COUNT; b++) {
            agg->proto_pkts[b] += s->proto_pkts[b];
            agg->proto_bytes[b] += s->proto_bytes[b];
        }
        agg->flows.used += s->flows_used;
        agg->out.eve_records += s->eve_records;
        agg->out.flowlog_records += s->flowlog_records;
        ps_session_merge(&agg->sessions, &s->sess, &agg->c);
        pthread_mutex_unlock(&s->mu);
    }
}

void ps_workers_stop(struct ps_workers *ws)
{
    atomic_store(&ws->stop, true);
    for (int i = 0; i < ws->n; i++)
        if (ws->wk[i].started) {
            pthread_join(ws->wk[i].th, NULL);
            ws->wk[i].started = false;
        }
}

void ps_workers_free(struct ps_workers *ws)
{
    if (!ws)
        return;
    for (int i = 0; i < ws->n; i++) {
        struct worker *k = &ws->wk[i];
        if (k->w) {
            /* Shared outputs belong to the caller. */
            k->w->out.eve = k->w->out.flowlog = NULL;
            k->w->out.db = NULL;
            k->w->out.ch = NULL;
            ps_pipeline_free(k->w);
            free(k->w);
        }
        free(k->ring);
        ps_session_table_free(&k->snap.sess);
        pthread_mutex_destroy(&k->snap.mu);
    }
    free(ws->wk);
    free(ws);
}
