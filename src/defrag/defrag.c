/* SPDX-License-Identifier: BSD-2-Clause */
/* IP reassembly. See defrag.h for the model.
 *
 * Memory is fixed at start: a tracker per datagram (max_trackers), a
 * fragment descriptor array per tracker (max_frags), and the fragment bytes
 * in a pool of 2 KiB blocks (memcap / 2 KiB). Each tracker appends the bytes
 * of its fragments, in arrival order, to its own chain of blocks (at most
 * 48 blocks, 96 KiB: a 64 KiB datagram and some overlap). Running out of
 * trackers or blocks gives up the oldest datagram, counted; a datagram that
 * would exceed its own limits is dropped, counted.
 *
 * Reassembly keeps every fragment's bytes, so a datagram whose fragments
 * overlap can be rebuilt under each policy: the alert then says which bytes
 * each target OS would have delivered. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/rd.h"
#include "defrag/defrag.h"
#include "flow/hash.h"

#define BLOCK      2048u
#define MAX_BLOCKS 48u
#define MAX_DGRAM  65535u
#define NIL        0u

static const char *const policy_names[PS_POLICY__COUNT] = {
    "drop", "first", "last", "bsd", "linux", "windows", "solaris",
};

const char *ps_frag_policy_name(enum ps_frag_policy p)
{
    return (unsigned)p < PS_POLICY__COUNT ? policy_names[p] : "?";
}

int ps_frag_policy_parse(const char *name)
{
    for (int i = 0; i < PS_POLICY__COUNT; i++)
        if (strcmp(name, policy_names[i]) == 0)
            return i;
    return -1;
}

void ps_defrag_config_default(struct ps_defrag_config *c)
{
    memset(c, 0, sizeof(*c));
    c->max_trackers = 4096;
    c->max_frags = 64;
    c->memcap = 16u << 20;
    c->timeout_s = 30; /* Linux ipfrag_time */
    c->flood_threshold = 100;
    c->policy = PS_POLICY_DROP;
}

int ps_defrag_config_policy(struct ps_defrag_config *c, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        int pol = ps_frag_policy_parse(arg);
        if (pol < 0)
            return -1;
        c->policy = (uint8_t)pol;
        return 0;
    }
    int pol = ps_frag_policy_parse(eq + 1);
    if (pol < 0 || c->ncidr >= PS_DEFRAG_MAX_CIDRS)
        return -1;
    char addr[64];
    size_t alen = (size_t)(eq - arg);
    if (alen >= sizeof(addr))
        return -1;
    memcpy(addr, arg, alen);
    addr[alen] = 0;
    struct ps_defrag_cidr *e = &c->cidr[c->ncidr];
    memset(e, 0, sizeof(*e));
    char *slash = strchr(addr, '/');
    long prefix = -1;
    if (slash) {
        *slash = 0;
        char *end;
        prefix = strtol(slash + 1, &end, 10);
        if (*end || slash[1] == 0)
            return -1;
    }
    if (inet_pton(AF_INET, addr, e->addr) == 1) {
        e->ver = 4;
        if (prefix < 0)
            prefix = 32;
        if (prefix > 32)
            return -1;
    } else if (inet_pton(AF_INET6, addr, e->addr) == 1) {
        e->ver = 6;
        if (prefix < 0)
            prefix = 128;
        if (prefix > 128)
            return -1;
    } else {
        return -1;
    }
    e->prefix = (uint8_t)prefix;
    e->policy = (uint8_t)pol;
    c->ncidr++;
    return 0;
}

struct frag {
    uint32_t off; /* bytes */
    uint32_t len; /* bytes */
    uint32_t pos; /* in the tracker's arena */
};

struct dkey {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint32_t vni;
    uint16_t vlan;
    uint8_t ipver;
    uint8_t proto; /* IPv4 protocol; IPv6: 0 (the id is per source/destination) */
    uint8_t encap;
    uint8_t pad[3];
};

struct tracker {
    struct dkey key;
    uint32_t hash;
    uint32_t hnext;
    uint32_t prev, next; /* oldest-first list */
    bool used;
    bool have_last;
    bool have_first;
    bool overlap;
    bool conflict;
    bool dropped; /* will not be delivered */
    bool opts_changed;
    uint8_t hdr_len; /* first fragment's IP header bytes in hdr */
    uint8_t ttl;
    uint8_t proto; /* upper-layer protocol */
    uint16_t nfrags;
    uint16_t nblocks;
    uint32_t end;   /* datagram payload length once the last fragment is in */
    uint32_t arena; /* bytes used in the blocks */
    uint32_t overlap_bytes;
    uint32_t conflict_off; /* first conflicting byte */
    uint64_t first_us;
    uint64_t last_us;
    uint8_t hdr[60];    /* IPv4 header of the offset-0 fragment */
    uint8_t copied_len; /* copied IPv4 options of the first fragment seen */
    uint8_t copied[40];
    struct ps_pkt_ctx {
        struct ps_mirror m;
        uint8_t nvlan;
        uint16_t vlan[2];
        bool has_ports;
        uint16_t sport, dport;
    } ctx;
    uint16_t *blocks;   /* MAX_BLOCKS entries in df->block_idx */
    struct frag *frags; /* max_frags entries */
};

struct source {
    uint8_t addr[16];
    uint8_t ver;
    bool used;
    bool alerted;
    uint32_t pending;  /* incomplete datagrams now */
    uint64_t given_up; /* datagrams never completed */
};

#define SOURCES 1024u

struct ps_defrag {
    struct ps_defrag_config cfg;
    struct ps_counters *c;
    struct ps_alert_sink alerts;
    uint64_t seed;
    uint32_t ntrack;
    struct tracker *t; /* ntrack + 1, index 0 nil */
    uint32_t *bucket;
    uint32_t mask;
    uint32_t free_head;
    uint32_t pending;
    uint32_t oldest, newest;
    struct frag *frag_store;
    uint16_t *block_idx;
    uint8_t *pool;         /* nblocks * BLOCK */
    uint16_t *free_blocks; /* stack */
    uint32_t nfree;
    uint32_t nblocks;
    struct source src[SOURCES];
    uint8_t out[60 + MAX_DGRAM + MAX_BLOCKS * BLOCK];
    uint8_t scratch[PS_POLICY__COUNT][MAX_DGRAM + MAX_BLOCKS * BLOCK];
    uint8_t *fragdata[256];
};

/* ---- policies ---------------------------------------------------------- */

/* Does fragment j (newer) take a byte held by fragment o (older)? Novak's
 * descriptions, checked against his test vector (tests/unit/test_defrag.c). */
static bool take_new(enum ps_frag_policy pol, uint32_t joff, uint32_t jend, uint32_t ooff,
                     uint32_t oend)
{
    switch (pol) {
    case PS_POLICY_LAST:
        return true;
    case PS_POLICY_BSD:
        return joff < ooff;
    case PS_POLICY_LINUX:
        return joff <= ooff;
    case PS_POLICY_WINDOWS:
        return joff < ooff && jend > oend;
    case PS_POLICY_SOLARIS:
        return joff < ooff && jend >= oend;
    case PS_POLICY_FIRST:
    case PS_POLICY_DROP:
    case PS_POLICY__COUNT:
        break;
    }
    return false;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t ps_defrag_policy_apply(enum ps_frag_policy pol, uint32_t n, const uint32_t *offs,
                              const uint32_t *lens, const uint8_t *const *data, uint8_t *out,
                              size_t cap)
{
    /* Coverage boundaries cut the datagram into segments that the same
     * fragments cover; the owner is decided once per segment. */
    uint32_t b[2 * 256];
    uint32_t nb = 0;
    if (n == 0)
        return 0;
    if (n > 256)
        n = 256;
    for (uint32_t i = 0; i < n; i++) {
        b[nb++] = offs[i];
        b[nb++] = offs[i] + lens[i];
    }
    qsort(b, nb, sizeof(b[0]), cmp_u32);
    size_t end = 0;
    for (uint32_t k = 0; k + 1 < nb; k++) {
        uint32_t s = b[k], e = b[k + 1];
        if (s == e)
            continue;
        int owner = -1;
        for (uint32_t j = 0; j < n; j++) {
            if (offs[j] > s || offs[j] + lens[j] < e)
                continue;
            if (owner < 0 ||
                take_new(pol, offs[j], offs[j] + lens[j], offs[owner], offs[owner] + lens[owner]))
                owner = (int)j;
        }
        if (owner < 0 || e > cap)
            continue;
        memcpy(out + s, data[owner] + (s - offs[owner]), e - s);
        if (e > end)
            end = e;
    }
    return end;
}

/* ---- tables ------------------------------------------------------------ */

struct ps_defrag *ps_defrag_new(const struct ps_defrag_config *c, uint64_t seed,
                                struct ps_counters *cnt, struct ps_alert_sink alerts)
{
    if (!c->max_trackers || !c->max_frags || c->max_frags > 256)
        return NULL;
    struct ps_defrag *df = calloc(1, sizeof(*df));
    if (!df)
        return NULL;
    df->cfg = *c;
    df->c = cnt;
    df->alerts = alerts;
    df->seed = seed;
    df->ntrack = c->max_trackers;
    uint32_t nb = 64;
    while (nb < df->ntrack)
        nb <<= 1;
    df->mask = nb - 1;
    df->nblocks = c->memcap / BLOCK;
    if (df->nblocks > 65535)
        df->nblocks = 65535;
    if (df->nblocks < MAX_BLOCKS)
        df->nblocks = MAX_BLOCKS;
    df->t = calloc((size_t)df->ntrack + 1, sizeof(*df->t));
    df->bucket = calloc(nb, sizeof(*df->bucket));
    df->frag_store = calloc((size_t)df->ntrack * c->max_frags, sizeof(*df->frag_store));
    df->block_idx = calloc((size_t)df->ntrack * MAX_BLOCKS, sizeof(*df->block_idx));
    df->pool = malloc((size_t)df->nblocks * BLOCK);
    df->free_blocks = calloc(df->nblocks, sizeof(*df->free_blocks));
    if (!df->t || !df->bucket || !df->frag_store || !df->block_idx || !df->pool ||
        !df->free_blocks) {
        ps_defrag_free(df);
        return NULL;
    }
    for (uint32_t i = 1; i <= df->ntrack; i++) {
        df->t[i].hnext = i < df->ntrack ? i + 1 : NIL;
        df->t[i].frags = df->frag_store + (size_t)(i - 1) * c->max_frags;
        df->t[i].blocks = df->block_idx + (size_t)(i - 1) * MAX_BLOCKS;
    }
    df->free_head = 1;
    for (uint32_t i = 0; i < df->nblocks; i++)
        df->free_blocks[i] = (uint16_t)(df->nblocks - 1 - i);
    df->nfree = df->nblocks;
    return df;
}

void ps_defrag_free(struct ps_defrag *df)
{
    if (!df)
        return;
    free(df->t);
    free(df->bucket);
    free(df->frag_store);
    free(df->block_idx);
    free(df->pool);
    free(df->free_blocks);
    free(df);
}

uint32_t ps_defrag_pending(const struct ps_defrag *df)
{
    return df->pending;
}

static uint32_t hash_key(const struct ps_defrag *df, const struct dkey *k)
{
    uint64_t w[6];
    memcpy(w, k, sizeof(w));
    return (uint32_t)ps_hash_words(df->seed, w, 6);
}

_Static_assert(sizeof(struct dkey) == 48, "defrag key is six words");

static struct source *source_get(struct ps_defrag *df, uint8_t ver, const uint8_t *addr)
{
    uint64_t w[2];
    memcpy(w, addr, 16);
    uint32_t h = (uint32_t)ps_hash_words(df->seed ^ ver, w, 2);
    struct source *reuse = NULL;
    for (uint32_t i = 0; i < 16; i++) {
        struct source *s = &df->src[(h + i) & (SOURCES - 1)];
        if (s->used && s->ver == ver && memcmp(s->addr, addr, 16) == 0)
            return s;
        if (!reuse && (!s->used || s->pending == 0))
            reuse = s;
    }
    if (!reuse) {
        df->c->v[PS_C_DEFRAG_SOURCES_FULL]++;
        return NULL;
    }
    memset(reuse, 0, sizeof(*reuse));
    reuse->used = true;
    reuse->ver = ver;
    memcpy(reuse->addr, addr, 16);
    return reuse;
}

static void lru_unlink(struct ps_defrag *df, uint32_t i)
{
    struct tracker *t = &df->t[i];
    if (t->prev)
        df->t[t->prev].next = t->next;
    else
        df->oldest = t->next;
    if (t->next)
        df->t[t->next].prev = t->prev;
    else
        df->newest = t->prev;
    t->prev = t->next = NIL;
}

static void lru_append(struct ps_defrag *df, uint32_t i)
{
    struct tracker *t = &df->t[i];
    t->prev = df->newest;
    t->next = NIL;
    if (df->newest)
        df->t[df->newest].next = i;
    else
        df->oldest = i;
    df->newest = i;
}

/* Forget tracker i: blocks back to the pool, out of the hash and the list. */
static void release(struct ps_defrag *df, uint32_t i, bool completed)
{
    struct tracker *t = &df->t[i];
    for (uint32_t b = 0; b < t->nblocks; b++)
        df->free_blocks[df->nfree++] = t->blocks[b];
    uint32_t *pp = &df->bucket[t->hash & df->mask];
    while (*pp && *pp != i)
        pp = &df->t[*pp].hnext;
    if (*pp)
        *pp = t->hnext;
    lru_unlink(df, i);
    struct source *s = source_get(df, t->key.ipver, t->key.src);
    if (s) {
        if (s->pending)
            s->pending--;
        if (!completed)
            s->given_up++;
        if (s->pending < df->cfg.flood_threshold / 2)
            s->alerted = false; /* the episode is over */
    }
    t->used = false;
    t->hnext = df->free_head;
    df->free_head = i;
    df->pending--;
}

static void alert_base(struct ps_alert *a, enum ps_sig sig, const struct tracker *t, uint64_t ts)
{
    memset(a, 0, sizeof(*a) - sizeof(a->ev));
    a->ev.n = 0;
    a->sig = sig;
    a->ts_us = ts;
    a->ipver = t->key.ipver;
    a->proto = t->proto;
    memcpy(a->src, t->key.src, 16);
    memcpy(a->dst, t->key.dst, 16);
    a->m = t->ctx.m;
}

static void emit(struct ps_defrag *df, const struct ps_alert *a)
{
    if (df->alerts.emit)
        df->alerts.emit(df->alerts.ctx, a);
}

/* Copy len bytes at arena position pos of tracker t into out. */
static void arena_read(const struct ps_defrag *df, const struct tracker *t, uint32_t pos,
                       uint32_t len, uint8_t *out)
{
    while (len) {
        uint32_t b = pos / BLOCK, o = pos % BLOCK;
        uint32_t n = BLOCK - o < len ? BLOCK - o : len;
        memcpy(out, df->pool + (size_t)t->blocks[b] * BLOCK + o, n);
        out += n;
        pos += n;
        len -= n;
    }
}

static uint8_t policy_for(const struct ps_defrag *df, const struct tracker *t)
{
    for (uint32_t i = 0; i < df->cfg.ncidr; i++) {
        const struct ps_defrag_cidr *e = &df->cfg.cidr[i];
        if (e->ver != t->key.ipver)
            continue;
        uint32_t full = e->prefix / 8, rest = e->prefix % 8;
        if (memcmp(e->addr, t->key.dst, full) != 0)
            continue;
        if (rest) {
            uint8_t m = (uint8_t)(0xff << (8 - rest));
            if ((e->addr[full] & m) != (t->key.dst[full] & m))
                continue;
        }
        return e->policy;
    }
    return df->cfg.policy;
}

/* The fragments' bytes, laid out contiguously in `lin` (the arena as one
 * run), with per-fragment offsets, lengths and data pointers. */
static void gather(struct ps_defrag *df, const struct tracker *t, uint8_t *lin, uint32_t *offs,
                   uint32_t *lens, const uint8_t **data)
{
    arena_read(df, t, 0, t->arena, lin);
    for (uint32_t i = 0; i < t->nfrags; i++) {
        offs[i] = t->frags[i].off;
        lens[i] = t->frags[i].len;
        data[i] = lin + t->frags[i].pos;
    }
}

/* The overlap alert, with what each policy would deliver where it matters. */
static void alert_overlap(struct ps_defrag *df, struct tracker *t, uint64_t ts, bool complete,
                          uint8_t policy)
{
    struct ps_alert a;
    alert_base(&a, t->conflict ? PS_SIG_FRAG_OVERLAP_CONFLICT : PS_SIG_FRAG_OVERLAP_SAME, t, ts);
    ps_ev_num(&a, "fragments", t->nfrags);
    ps_ev_num(&a, "overlap_bytes", t->overlap_bytes);
    ps_ev_str(&a, "conflicting", t->conflict ? "true" : "false");
    ps_ev_num(&a, "ip_id", t->key.id);
    bool drop = t->key.ipver == 6 || policy == PS_POLICY_DROP;
    ps_ev_str(&a, "policy", t->key.ipver == 6 ? "drop (RFC 5722)" : ps_frag_policy_name(policy));
    ps_ev_str(&a, "outcome", !complete ? "incomplete" : drop ? "datagram dropped" : "reassembled");
    if (t->conflict && complete) {
        uint32_t offs[256], lens[256];
        const uint8_t *data[256];
        uint8_t *lin = df->scratch[0];
        gather(df, t, lin, offs, lens, data);
        ps_ev_num(&a, "conflict_offset", t->conflict_off);
        static const char *const keys[] = {NULL,    "first",   "last",   "bsd",
                                           "linux", "windows", "solaris"};
        for (int pol = PS_POLICY_FIRST; pol < PS_POLICY__COUNT; pol++) {
            uint8_t *o = df->scratch[pol];
            size_t n = ps_defrag_policy_apply((enum ps_frag_policy)pol, t->nfrags, offs, lens, data,
                                              o, MAX_DGRAM + MAX_BLOCKS * BLOCK);
            uint32_t from = t->conflict_off, take = 16;
            if (from >= n)
                take = 0;
            else if (n - from < take)
                take = (uint32_t)(n - from);
            ps_ev_hex(&a, keys[pol], o + from, take);
        }
    }
    emit(df, &a);
    df->c->v[PS_C_DEFRAG_OVERLAP]++;
}

/* Give up tracker i without delivering it. */
static void give_up(struct ps_defrag *df, uint32_t i, enum ps_counter_id why, uint64_t now)
{
    struct tracker *t = &df->t[i];
    if (t->overlap && !t->dropped)
        alert_overlap(df, t, now, false, policy_for(df, t));
    df->c->v[why]++;
    release(df, i, false);
}

void ps_defrag_expire(struct ps_defrag *df, uint64_t now_us, uint32_t max)
{
    uint64_t to = (uint64_t)df->cfg.timeout_s * 1000000;
    uint32_t n = 0;
    while (df->oldest && df->t[df->oldest].first_us + to <= now_us) {
        give_up(df, df->oldest, PS_C_DEFRAG_TIMEOUT, now_us);
        if (max && ++n >= max)
            return;
    }
}

void ps_defrag_flush(struct ps_defrag *df)
{
    while (df->oldest)
        give_up(df, df->oldest, PS_C_DEFRAG_INCOMPLETE_END, df->t[df->oldest].last_us);
}

/* Append len bytes to tracker i's arena; false when its limit or the pool
 * is reached even after giving up the oldest other datagrams. */
static bool arena_append(struct ps_defrag *df, uint32_t i, const uint8_t *data, uint32_t len,
                         uint64_t now)
{
    struct tracker *t = &df->t[i];
    if (t->arena + len > MAX_BLOCKS * BLOCK)
        return false;
    uint32_t need = (t->arena + len + BLOCK - 1) / BLOCK;
    while (t->nblocks < need) {
        while (!df->nfree && df->oldest && df->oldest != i) {
            df->c->v[PS_C_DEFRAG_MEMCAP]++;
            give_up(df, df->oldest, PS_C_DEFRAG_EVICTED, now);
        }
        if (!df->nfree)
            return false;
        t->blocks[t->nblocks++] = df->free_blocks[--df->nfree];
    }
    uint32_t pos = t->arena;
    while (len) {
        uint32_t b = pos / BLOCK, o = pos % BLOCK;
        uint32_t n = BLOCK - o < len ? BLOCK - o : len;
        memcpy(df->pool + (size_t)t->blocks[b] * BLOCK + o, data, n);
        data += n;
        pos += n;
        len -= n;
    }
    t->arena = pos;
    return true;
}

/* Copied IPv4 options (copy flag set: RFC 791 s3.1) of packet p into out;
 * *other is set when p also carries options without the flag, which
 * RFC 791 s3.2 keeps to the first fragment. */
static uint8_t copied_options(const struct ps_pkt *p, uint8_t out[40], bool *other)
{
    *other = false;
    if (!p->ip4_opts || p->ip4_opts_bad)
        return 0;
    struct ps_rd r = ps_rd_init(p->ip4_opts, p->ip4_opts_len);
    uint8_t n = 0;
    while (r.left) {
        const uint8_t *start = r.p;
        uint8_t type = ps_rd_u8(&r);
        if (type == 0)
            break;
        if (type == 1)
            continue;
        uint8_t len = ps_rd_u8(&r);
        if (r.bad || len < 2 || !ps_rd_skip(&r, (size_t)len - 2))
            break;
        if ((type & 0x80) && n + len <= 40) {
            memcpy(out + n, start, len);
            n += len;
        } else if (!(type & 0x80)) {
            *other = true;
        }
    }
    return n;
}

static uint32_t new_tracker(struct ps_defrag *df, const struct dkey *k, uint32_t h,
                            const struct ps_pkt *p)
{
    if (!df->free_head)
        give_up(df, df->oldest, PS_C_DEFRAG_EVICTED, p->ts_us);
    uint32_t i = df->free_head;
    struct tracker *t = &df->t[i];
    df->free_head = t->hnext;
    struct frag *frags = t->frags;
    uint16_t *blocks = t->blocks;
    memset(t, 0, sizeof(*t));
    t->frags = frags;
    t->blocks = blocks;
    t->key = *k;
    t->hash = h;
    t->used = true;
    t->first_us = t->last_us = p->ts_us;
    t->proto = p->proto;
    t->ttl = p->ttl;
    t->ctx.m = p->m;
    t->ctx.nvlan = p->nvlan;
    t->ctx.vlan[0] = p->vlan[0];
    t->ctx.vlan[1] = p->vlan[1];
    bool other;
    t->copied_len = copied_options(p, t->copied, &other);
    t->hnext = df->bucket[h & df->mask];
    df->bucket[h & df->mask] = i;
    lru_append(df, i);
    df->pending++;

    struct source *s = source_get(df, k->ipver, k->src);
    if (s && ++s->pending >= df->cfg.flood_threshold && !s->alerted) {
        s->alerted = true;
        struct ps_alert a;
        ps_alert_from_pkt(&a, PS_SIG_FRAG_FLOOD, p);
        a.has_ports = false;
        ps_ev_num(&a, "incomplete_datagrams", s->pending);
        ps_ev_num(&a, "threshold", df->cfg.flood_threshold);
        ps_ev_num(&a, "given_up_before", s->given_up);
        ps_ev_num(&a, "timeout_s", df->cfg.timeout_s);
        emit(df, &a);
    }
    return i;
}

static void fragment_alert(struct ps_defrag *df, enum ps_sig sig, const struct ps_pkt *p,
                           const char *k1, uint64_t v1, const char *k2, uint64_t v2)
{
    struct ps_alert a;
    ps_alert_from_pkt(&a, sig, p);
    a.has_ports = false;
    ps_ev_num(&a, "ip_id", p->frag_id);
    ps_ev_num(&a, "fragment_offset", p->frag_off);
    ps_ev_num(&a, "fragment_bytes", p->frag_len);
    ps_ev_num(&a, k1, v1);
    if (k2)
        ps_ev_num(&a, k2, v2);
    emit(df, &a);
}

/* Are the fragments of t a complete datagram? */
static bool complete(const struct tracker *t)
{
    if (!t->have_last || !t->have_first)
        return false;
    uint32_t idx[256];
    uint32_t n = t->nfrags;
    if (n == 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        idx[i] = (t->frags[i].off << 8) | i; /* offsets < 2^17 fit above the index */
    qsort(idx, n, sizeof(idx[0]), cmp_u32);
    uint32_t reach = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct frag *f = &t->frags[idx[k] & 0xff];
        if (f->off > reach)
            return false;
        if (f->off + f->len > reach)
            reach = f->off + f->len;
    }
    return reach >= t->end;
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Deliver tracker i: build the datagram in df->out. */
static size_t deliver(struct ps_defrag *df, uint32_t i, const uint8_t **out)
{
    struct tracker *t = &df->t[i];
    uint8_t policy = policy_for(df, t);
    if (t->overlap)
        alert_overlap(df, t, t->last_us, true, policy);
    if (t->overlap && (t->key.ipver == 6 || policy == PS_POLICY_DROP)) {
        df->c->v[PS_C_DEFRAG_DROPPED_OVERLAP]++;
        release(df, i, true);
        return 0;
    }
    size_t hl = t->key.ipver == 4 ? t->hdr_len : 40;
    uint8_t *o = df->out;
    uint32_t offs[256], lens[256];
    const uint8_t *data[256];
    uint8_t *lin = df->scratch[0];
    gather(df, t, lin, offs, lens, data);
    ps_defrag_policy_apply(t->overlap ? (enum ps_frag_policy)policy : PS_POLICY_FIRST, t->nfrags,
                           offs, lens, data, o + hl, MAX_DGRAM);
    size_t total = hl + t->end;
    if (t->key.ipver == 4) {
        memcpy(o, t->hdr, hl);
        o[2] = (uint8_t)(total >> 8);
        o[3] = (uint8_t)total;
        o[6] &= 0x40; /* keep DF, clear MF and the offset */
        o[7] = 0;
        o[10] = o[11] = 0;
        uint16_t cs = ip_checksum(o, hl);
        o[10] = (uint8_t)(cs >> 8);
        o[11] = (uint8_t)cs;
    } else {
        /* A plain IPv6 header: the unfragmentable headers were checked on
         * the fragments themselves. */
        memset(o, 0, 40);
        o[0] = 0x60;
        o[4] = (uint8_t)(t->end >> 8);
        o[5] = (uint8_t)t->end;
        o[6] = t->proto;
        o[7] = t->ttl;
        memcpy(o + 8, t->key.src, 16);
        memcpy(o + 24, t->key.dst, 16);
    }
    df->c->v[PS_C_DEFRAG_REASSEMBLED]++;
    release(df, i, true);
    *out = o;
    return total;
}

size_t ps_defrag_add(struct ps_defrag *df, const struct ps_pkt *p, const uint8_t **out)
{
    df->c->v[PS_C_DEFRAG_FRAGMENTS]++;
    uint32_t off = p->frag_off, len = p->frag_len;
    bool mf = p->more_frags;
    size_t hl = p->ipver == 4 ? p->ip_hdr_len : 0;

    /* Checks on the fragment's own header, whether or not it completes. */
    if (off + len + hl > MAX_DGRAM) {
        fragment_alert(df, PS_SIG_FRAG_OVERSIZE, p, "reassembled_bytes", off + len + hl, "limit",
                       MAX_DGRAM);
        df->c->v[PS_C_DEFRAG_DROPPED_OVERSIZE]++;
        return 0;
    }
    if (off == 0 && mf) {
        uint32_t need = p->proto == 6                                         ? 20
                        : (p->proto == 17 || p->proto == 1 || p->proto == 58) ? 8
                                                                              : 0;
        if (len < need)
            fragment_alert(df, PS_SIG_FRAG_TINY_FIRST, p, "transport_header_bytes", need, NULL, 0);
    }
    if (off == 8 && p->proto == 6)
        fragment_alert(df, PS_SIG_FRAG_TCP_OFFSET1, p, "overwritten_from_byte", 8, NULL, 0);
    if (p->payload_len < len) {
        /* The copy was cut (mirror packet length): its bytes are not all here. */
        df->c->v[PS_C_DEFRAG_TRUNCATED]++;
        return 0;
    }

    struct dkey k;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, p->src, 16);
    memcpy(k.dst, p->dst, 16);
    k.id = p->frag_id;
    k.ipver = p->ipver;
    k.proto = p->ipver == 4 ? p->proto : 0;
    k.vni = p->m.has_vni ? p->m.vni : p->m.has_erspan_id ? p->m.erspan_id : 0;
    k.encap = p->m.encap;
    k.vlan = p->nvlan ? p->vlan[0] : 0;
    uint32_t h = hash_key(df, &k);
    uint32_t i = df->bucket[h & df->mask];
    while (i && (df->t[i].hash != h || memcmp(&df->t[i].key, &k, sizeof(k)) != 0))
        i = df->t[i].hnext;
    if (!i)
        i = new_tracker(df, &k, h, p);
    struct tracker *t = &df->t[i];
    t->last_us = p->ts_us;
    if (t->dropped)
        return 0;

    if (p->ipver == 4 && !t->opts_changed) {
        uint8_t copied[40];
        bool other;
        uint8_t n = copied_options(p, copied, &other);
        if (n != t->copied_len || memcmp(copied, t->copied, n) != 0 || (other && off > 0)) {
            t->opts_changed = true;
            struct ps_alert a;
            ps_alert_from_pkt(&a, PS_SIG_IP_OPT_FRAG_CHANGE, p);
            a.has_ports = false;
            ps_ev_num(&a, "ip_id", p->frag_id);
            ps_ev_hex(&a, "first_copied_options", t->copied, t->copied_len);
            ps_ev_hex(&a, "this_copied_options", copied, n);
            ps_ev_str(&a, "uncopied_option_after_first", other && off > 0 ? "true" : "false");
            emit(df, &a);
        }
    }

    /* Overlaps with what is already here; exact duplicates are not overlaps. */
    const uint8_t *data = p->payload;
    for (uint32_t e = 0; e < t->nfrags; e++) {
        struct frag *f = &t->frags[e];
        uint32_t s = off > f->off ? off : f->off;
        uint32_t x = off + len < f->off + f->len ? off + len : f->off + f->len;
        if (s >= x)
            continue;
        uint8_t old[2048];
        bool same = true;
        for (uint32_t pos = s; pos < x && same; pos += sizeof(old)) {
            uint32_t n = x - pos < sizeof(old) ? x - pos : (uint32_t)sizeof(old);
            arena_read(df, t, f->pos + (pos - f->off), n, old);
            if (memcmp(old, data + (pos - off), n) != 0) {
                same = false;
                if (!t->conflict || pos < t->conflict_off) {
                    uint32_t b = 0;
                    while (old[b] == data[pos - off + b])
                        b++;
                    t->conflict_off = pos + b;
                }
            }
        }
        if (same && f->off == off && f->len == len) {
            df->c->v[PS_C_DEFRAG_DUPLICATE]++;
            return 0;
        }
        t->overlap = true;
        t->overlap_bytes += x - s;
        if (!same)
            t->conflict = true;
    }

    if (t->nfrags >= df->cfg.max_frags) {
        /* Only tiny fragments make this many: say so, then drop it. */
        t->dropped = true;
        df->c->v[PS_C_DEFRAG_DROPPED_TOO_MANY]++;
        fragment_alert(df, PS_SIG_FRAG_TOO_MANY, p, "fragments_kept", t->nfrags, "limit",
                       df->cfg.max_frags);
        return 0;
    }
    uint32_t pos = t->arena;
    if (!arena_append(df, i, data, len, p->ts_us)) {
        t->dropped = true;
        df->c->v[PS_C_DEFRAG_DROPPED_MEMORY]++;
        return 0;
    }
    t->frags[t->nfrags].off = off;
    t->frags[t->nfrags].len = len;
    t->frags[t->nfrags].pos = pos;
    t->nfrags++;

    if (off == 0) {
        t->have_first = true;
        t->proto = p->proto;
        if (p->ipver == 4 && p->ip_hdr && hl <= sizeof(t->hdr)) {
            memcpy(t->hdr, p->ip_hdr, hl);
            t->hdr_len = (uint8_t)hl;
        }
    }
    if (!mf) {
        if (t->have_last && t->end != off + len) {
            t->dropped = true; /* two different ends: nothing sensible to deliver */
            df->c->v[PS_C_DEFRAG_DROPPED_INCONSISTENT]++;
            return 0;
        }
        t->have_last = true;
        t->end = off + len;
    }
    if (!complete(t))
        return 0;
    return deliver(df, i, out);
}
