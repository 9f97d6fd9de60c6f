/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow table. See flow.h for the model.
 *
 * Every flow sits on exactly one LRU list, the one of its timeout class,
 * ordered by lru_us, the last packet time when it was placed there. A packet
 * only updates last_us; a head whose last_us moved on is re-appended when a
 * sweep or an eviction looks at it (settle_head). So after settling, the
 * head of each list is the next flow of that class to time out, and the
 * oldest idle flow overall is the settled head with the smallest last_us. */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/hash.h"

#define EXPIRE_PER_PACKET 8

const char *ps_flow_end_name(enum ps_flow_end e)
{
    switch (e) {
    case PS_END_CLOSED:
        return "closed";
    case PS_END_EVICTED:
        return "evicted";
    case PS_END_SHUTDOWN:
        return "shutdown";
    case PS_END_TIMEOUT:
        break;
    }
    return "timeout";
}

void ps_flow_config_default(struct ps_flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->capacity = 262144;
    cfg->timeout_s[PS_TC_TCP_NEW] = 30;
    cfg->timeout_s[PS_TC_TCP_EST] = 350; /* AWS's idle timeout for established TCP */
    cfg->timeout_s[PS_TC_TCP_CLOSED] = 10;
    cfg->timeout_s[PS_TC_UDP] = 60;
    cfg->timeout_s[PS_TC_ICMP] = 30;
    cfg->timeout_s[PS_TC_OTHER] = 60;
    cfg->interval_s = 60; /* as on Nitro */
    cfg->evict_when_full = true;
    cfg->dedup_window_ms = 50;
}

int ps_flow_table_init(struct ps_flow_table *t, const struct ps_flow_config *cfg, uint64_t seed,
                       struct ps_counters *c, struct ps_flow_sink sink)
{
    memset(t, 0, sizeof(*t));
    if (cfg->capacity == 0 || cfg->capacity > (1u << 30))
        return -1;
    uint32_t nb = 1024;
    while (nb < cfg->capacity)
        nb <<= 1;
    t->f = calloc((size_t)cfg->capacity + 1, sizeof(*t->f));
    t->bucket = calloc(nb, sizeof(*t->bucket));
    if (!t->f || !t->bucket) {
        free(t->f);
        free(t->bucket);
        return -1;
    }
    t->mask = nb - 1;
    /* Slots are handed out in index order before any freed one is reused, so
     * the pages of an unused table are never touched (calloc maps them lazily). */
    t->capacity = cfg->capacity;
    t->fresh = 1;
    t->free_head = 0;
    for (int i = 0; i < PS_TC__COUNT; i++)
        t->timeout_us[i] = cfg->timeout_s[i] * 1000000ULL;
    t->interval_s = cfg->interval_s ? cfg->interval_s : 60;
    t->evict = cfg->evict_when_full;
    t->dedup_us = (uint64_t)cfg->dedup_window_ms * 1000;
    t->seed = seed;
    t->next_id = cfg->deterministic ? 1 : ((seed >> 20) & ((1ULL << 40) - 1)) + 1;
    t->c = c;
    t->sink = sink;
    return 0;
}

void ps_flow_table_free(struct ps_flow_table *t)
{
    free(t->f);
    free(t->bucket);
    t->f = NULL;
    t->bucket = NULL;
}

uint8_t ps_aws_tcp_flags(uint8_t th)
{
    uint8_t v = th & (PS_TH_FIN | PS_TH_SYN | PS_TH_RST);
    if ((th & (PS_TH_SYN | PS_TH_ACK)) == (PS_TH_SYN | PS_TH_ACK))
        v |= PS_TH_ACK; /* SYN-ACK is logged as 18 */
    return v;
}

/* ICMP has no ports. Its flows are keyed by message kind, as Zeek does: a
 * request and its reply share the request's type (echo 8/0, ICMPv6 128/129,
 * timestamp, information, address mask), and error messages (unreachable,
 * time exceeded, ...) form their own flow per type and code instead of
 * joining the echo flow between the same hosts. */
static uint16_t icmp_kind(uint8_t proto, uint8_t type, uint8_t code)
{
    if (proto == 1) {
        switch (type) {
        case 0:
            return 8;
        case 14:
            return 13;
        case 16:
            return 15;
        case 18:
            return 17;
        case 3:
        case 4:
        case 5:
        case 11:
        case 12:
            return (uint16_t)(0x8000 | (type << 8) | code);
        default:
            return type;
        }
    }
    if (type == 129)
        return 128;
    if (type < 128) /* ICMPv6 errors: 1..4 (RFC 4443 s2.1) */
        return (uint16_t)(0x8000 | (type << 8) | code);
    return type;
}

bool ps_flow_key_make(const struct ps_pkt *p, struct ps_flow_key *k)
{
    memset(k, 0, sizeof(*k));
    uint16_t sp = p->sport, dp = p->dport;
    if (p->proto == 1 || p->proto == 58)
        sp = dp = icmp_kind(p->proto, p->icmp_type, p->icmp_code);
    int c = memcmp(p->src, p->dst, 16);
    bool src_lo = c < 0 || (c == 0 && sp <= dp);
    if (src_lo) {
        memcpy(k->lo, p->src, 16);
        memcpy(k->hi, p->dst, 16);
        k->plo = sp;
        k->phi = dp;
    } else {
        memcpy(k->lo, p->dst, 16);
        memcpy(k->hi, p->src, 16);
        k->plo = dp;
        k->phi = sp;
    }
    k->proto = p->proto;
    k->ipver = p->ipver;
    k->nvlan = p->nvlan;
    k->vlan[0] = p->nvlan > 0 ? p->vlan[0] : 0;
    k->vlan[1] = p->nvlan > 1 ? p->vlan[1] : 0;
    k->encap = p->m.encap;
    k->vni = p->m.has_vni ? p->m.vni : p->m.has_erspan_id ? p->m.erspan_id : 0;
    return src_lo;
}

static void lru_unlink(struct ps_flow_table *t, uint32_t i)
{
    struct ps_flow *f = &t->f[i];
    if (f->prev)
        t->f[f->prev].next = f->next;
    else
        t->head[f->tclass] = f->next;
    if (f->next)
        t->f[f->next].prev = f->prev;
    else
        t->tail[f->tclass] = f->prev;
    f->prev = f->next = 0;
}

static void lru_append(struct ps_flow_table *t, uint32_t i)
{
    struct ps_flow *f = &t->f[i];
    uint8_t tc = f->tclass;
    f->lru_us = f->last_us;
    f->next = 0;
    f->prev = t->tail[tc];
    if (t->tail[tc])
        t->f[t->tail[tc]].next = i;
    else
        t->head[tc] = i;
    t->tail[tc] = i;
}

static void emit_intervals(struct ps_flow_table *t, struct ps_flow *f)
{
    for (int d = 0; d < 2; d++) {
        if (f->iv[d].pkts && t->sink.interval)
            t->sink.interval(t->sink.ctx, f, d, &f->iv[d]);
        memset(&f->iv[d], 0, sizeof(f->iv[d]));
    }
}

/* End flow i: report it, unhash it, put it back on the free list. */
static void flow_end(struct ps_flow_table *t, uint32_t i, enum ps_flow_end why)
{
    struct ps_flow *f = &t->f[i];
    /* A TCP flow that closed (FIN both ways or RST) ended because it closed,
     * whether its closed timeout or the end of input came next. An eviction
     * stays an eviction: it says the table was too small. */
    if (f->tclass == PS_TC_TCP_CLOSED && why != PS_END_EVICTED)
        why = PS_END_CLOSED;
    emit_intervals(t, f);
    if (t->sink.end)
        t->sink.end(t->sink.ctx, f, why);
    t->c->v[PS_C_FLOW_END_TIMEOUT + why]++;

    uint32_t *pp = &t->bucket[f->hash & t->mask];
    while (*pp && *pp != i)
        pp = &t->f[*pp].hnext;
    if (*pp)
        *pp = f->hnext;
    lru_unlink(t, i);
    f->in_use = false;
    f->hnext = t->free_head;
    t->free_head = i;
    t->used--;
}

/* Bring the head of list tc up to date: a head touched since it was placed
 * (last_us > lru_us) goes to the tail. At most `budget` moves; afterwards
 * the head has the smallest last_us of its list, because every flow behind
 * it was placed later and last_us >= lru_us. */
static void settle_head(struct ps_flow_table *t, int tc, uint32_t budget)
{
    while (budget-- && t->head[tc]) {
        uint32_t h = t->head[tc];
        struct ps_flow *f = &t->f[h];
        if (f->last_us == f->lru_us || f->next == 0)
            return;
        lru_unlink(t, h);
        lru_append(t, h);
    }
}

bool ps_flow_expire(struct ps_flow_table *t, uint64_t now_us, uint32_t max)
{
    uint32_t n = 0;
    for (int tc = 0; tc < PS_TC__COUNT; tc++) {
        while (t->head[tc]) {
            struct ps_flow *f = &t->f[t->head[tc]];
            if (f->last_us + t->timeout_us[tc] > now_us) {
                if (f->last_us == f->lru_us || f->next == 0)
                    break; /* truly the least recent: nothing here is idle */
                settle_head(t, tc, 1);
                continue;
            }
            flow_end(t, t->head[tc], PS_END_TIMEOUT);
            if (max && ++n >= max)
                return true;
        }
    }
    return false;
}

void ps_flow_flush(struct ps_flow_table *t)
{
    for (int tc = 0; tc < PS_TC__COUNT; tc++)
        while (t->head[tc])
            flow_end(t, t->head[tc], PS_END_SHUTDOWN);
}

/* Free a slot by evicting the flow idle the longest; 0 when none. */
static uint32_t evict_oldest(struct ps_flow_table *t)
{
    uint32_t best = 0;
    for (int tc = 0; tc < PS_TC__COUNT; tc++) {
        settle_head(t, tc, 64); /* bounded: a close enough choice under a flood */
        uint32_t h = t->head[tc];
        if (h && (!best || t->f[h].last_us < t->f[best].last_us))
            best = h;
    }
    if (best)
        flow_end(t, best, PS_END_EVICTED);
    return best;
}

static uint8_t initial_class(uint8_t proto)
{
    switch (proto) {
    case 6:
        return PS_TC_TCP_NEW;
    case 17:
        return PS_TC_UDP;
    case 1:
    case 58:
        return PS_TC_ICMP;
    default:
        return PS_TC_OTHER;
    }
}

/* TCP state: established once both directions have carried packets and the
 * handshake (or mid-stream pickup) is under way; closed on RST or FIN both
 * ways. Only moves forward. */
static uint8_t tcp_class(const struct ps_flow *f)
{
    if ((f->flags[0] | f->flags[1]) & PS_TH_RST)
        return PS_TC_TCP_CLOSED;
    if ((f->flags[0] & PS_TH_FIN) && (f->flags[1] & PS_TH_FIN))
        return PS_TC_TCP_CLOSED;
    if (f->pkts[0] && f->pkts[1])
        return PS_TC_TCP_EST;
    return PS_TC_TCP_NEW;
}

/* Identity of a mirrored packet within its flow: IP length and id, the first
 * 16 bytes of the transport header (ports and sequence numbers; ICMP type,
 * id and sequence). Two copies of one packet share it; two packets of a flow
 * almost never do within the dedup window. */
static uint32_t packet_id(const struct ps_pkt *p)
{
    uint64_t l4[2] = {0, 0};
    if (p->l4 && p->l4_caplen >= 16) {
        memcpy(l4, p->l4, 16);
    } else if (p->l4) {
        uint8_t b[16] = {0};
        for (size_t i = 0; i < p->l4_caplen; i++)
            b[i] = p->l4[i];
        memcpy(l4, b, 16);
    }
    uint64_t x =
        ((uint64_t)p->ip_len << 40 | (uint64_t)p->ip_id << 24 | p->proto) * 0xc2b2ae3d27d4eb4fULL;
    x ^= l4[0] * 0x165667b19e3779f9ULL;
    x ^= l4[1] * 0xd6e8feb86659fd93ULL;
    return (uint32_t)(ps_hash_mix(x) | 1);
}

/* True when p is the second copy of a recent packet of f that came through
 * another mirror session (both ends mirrored); otherwise remembers p. */
static bool second_copy(const struct ps_flow_table *t, struct ps_flow *f, const struct ps_pkt *p,
                        uint32_t sess)
{
    uint32_t id = packet_id(p);
    uint32_t now = (uint32_t)p->ts_us;
    for (int i = 0; i < 2; i++)
        if (f->recent[i].id == id && f->recent[i].sess != sess &&
            now - f->recent[i].ts_us <= t->dedup_us)
            return true;
    f->recent[f->recent_next].id = id;
    f->recent[f->recent_next].sess = sess;
    f->recent[f->recent_next].ts_us = now;
    f->recent_next ^= 1;
    return false;
}

static inline uint64_t key_hash(const struct ps_flow_table *t, const struct ps_flow_key *k)
{
    uint64_t w[6];
    memcpy(w, k, sizeof(w));
    return ps_hash_words(t->seed, w, 6);
}

_Static_assert(sizeof(struct ps_flow_key) == 48, "flow key is six words");

struct ps_flow *ps_flow_update(struct ps_flow_table *t, const struct ps_pkt *p, uint32_t sess)
{
    struct ps_flow_key k;
    bool src_lo = ps_flow_key_make(p, &k);
    uint64_t h64 = key_hash(t, &k);
    uint32_t h = (uint32_t)h64;

    /* Timeouts count in seconds: looking for idle flows every 100 ms of
     * capture time is enough, and again at once while a sweep had more. */
    if (p->ts_us >= t->next_sweep_us) {
        t->next_sweep_us = p->ts_us + 100000;
        if (ps_flow_expire(t, p->ts_us, EXPIRE_PER_PACKET))
            t->next_sweep_us = 0;
    }

    uint32_t i = t->bucket[h & t->mask];
    while (i) {
        struct ps_flow *f = &t->f[i];
        if (f->hash == h && memcmp(&f->key, &k, sizeof(k)) == 0)
            break;
        i = f->hnext;
    }
    /* Idle past its timeout but not swept yet: it ended; this packet starts
     * a new flow. */
    if (i && t->f[i].last_us + t->timeout_us[t->f[i].tclass] <= p->ts_us) {
        flow_end(t, i, PS_END_TIMEOUT);
        i = 0;
    }
    /* A SYN on a connection that closed opens a new one (port reuse): a new
     * flow, as the endpoints see it. */
    if (i && t->f[i].tclass == PS_TC_TCP_CLOSED &&
        (p->tcp_flags & (PS_TH_SYN | PS_TH_ACK)) == PS_TH_SYN) {
        flow_end(t, i, PS_END_CLOSED);
        i = 0;
    }

    struct ps_flow *f;
    if (!i) {
        if (!t->free_head && t->fresh > t->capacity && (!t->evict || !evict_oldest(t))) {
            t->c->v[PS_C_DROP_FLOW_FULL]++;
            return NULL;
        }
        if (t->free_head) {
            i = t->free_head;
            t->free_head = t->f[i].hnext;
        } else {
            i = t->fresh++;
        }
        f = &t->f[i];
        memset(f, 0, sizeof(*f));
        f->key = k;
        f->hash = h;
        f->in_use = true;
        f->init_is_lo = src_lo;
        f->id = t->next_id++;
        f->first_us = p->ts_us;
        f->icmp_type = p->icmp_type;
        f->icmp_code = p->icmp_code;
        f->tclass = initial_class(p->proto);
        if (p->m.has_gwlb) {
            f->has_cookie = true;
            f->flow_cookie = p->m.flow_cookie;
        }
        f->iv_window = p->ts_us / 1000000 / t->interval_s;
        f->hnext = t->bucket[h & t->mask];
        t->bucket[h & t->mask] = i;
        t->used++;
        t->c->v[PS_C_FLOW_CREATED]++;
        f->last_us = p->ts_us;
        lru_append(t, i);
    } else {
        f = &t->f[i];
    }

    f->last_dir = src_lo == f->init_is_lo ? 0 : 1;
    if (sess && t->dedup_us && second_copy(t, f, p, sess)) {
        /* Mirrored twice: counted apart, the totals stay those of one copy. */
        f->dup_pkts++;
        t->c->v[PS_C_FLOW_DUPLICATES]++;
        if (!f->sess[src_lo == f->init_is_lo ? 0 : 1])
            f->sess[src_lo == f->init_is_lo ? 0 : 1] = sess;
        return f;
    }
    int dir = src_lo == f->init_is_lo ? 0 : 1;
    uint32_t ts_s = (uint32_t)(p->ts_us / 1000000);
    uint64_t window = ts_s / t->interval_s;
    if (window != f->iv_window) {
        emit_intervals(t, f);
        f->iv_window = window;
    }
    struct ps_flow_iv *iv = &f->iv[dir];
    if (!iv->pkts)
        iv->first_s = ts_s;
    iv->last_s = ts_s;
    iv->pkts++;
    iv->bytes += p->ip_len;
    iv->aws_flags |= ps_aws_tcp_flags(p->tcp_flags);

    f->pkts[dir]++;
    f->bytes[dir] += p->ip_len;
    f->flags[dir] |= p->tcp_flags;
    f->trunc_pkts += p->truncated;
    if (!f->sess[dir])
        f->sess[dir] = sess;
    if (p->ts_us > f->last_us)
        f->last_us = p->ts_us;

    /* The LRU position is brought up to date lazily (settle_head): a packet
     * touches only its own flow, unless the flow changes timeout class. */
    if (f->tclass <= PS_TC_TCP_CLOSED) {
        uint8_t n = tcp_class(f);
        if (n > f->tclass) {
            lru_unlink(t, i);
            f->tclass = n;
            lru_append(t, i);
        }
    }
    return f;
}
