/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: RFC 792 (echo: "the data received in the echo message must be
 *       returned in the echo reply"), RFC 4443 s4.1-4.2 (ICMPv6 echo, same
 *       rule). Ping payloads: iputils ping (a struct timeval, then each byte
 *       equal to its offset; -p fills with a pattern of up to 16 bytes), BSD
 *       and macOS ping (8-byte timestamp, same counting bytes), Windows
 *       ("abcdefghijklmnopqrstuvw" repeated), busybox and nmap (zeros).
 *       Tool magics: ptunnel 0xD5200880, ptunnel-ng's default 0xDEADC0DE,
 *       hans "hanc"/"hans" followed by a message type 1..9. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rd.h"
#include "detect/icmp_tunnel.h"
#include "detect/kv.h"
#include "flow/hash.h"

#define PROBE    8u
#define DISTINCT 32u /* payload hashes remembered per conversation */
#define PENDING  16u /* requests awaiting their reply */

struct pending {
    uint16_t id, seq;
    bool used;
    uint32_t hash; /* whole echo data */
    uint32_t len;
};

struct conv {
    uint64_t key; /* 0: free */
    uint64_t first_us, last_us;
    uint8_t ipver;
    uint8_t requester[16], responder[16];
    uint16_t id; /* the last echo identifier seen */
    bool alerted_magic, alerted_data, alerted_mismatch;
    uint32_t requests, replies;
    uint32_t kinds[PS_PING_OTHER + 1];
    uint64_t data_bytes;     /* echo data of kind PATTERN or OTHER */
    uint32_t ndistinct;      /* distinct PATTERN/OTHER payloads (saturates at DISTINCT) */
    uint32_t distinct_bytes; /* what they can carry: a pattern's period, other data's length */
    uint32_t distinct[DISTINCT];
    uint32_t inner_ip; /* payloads that are a whole IPv4/IPv6 packet */
    uint32_t mismatches, matched;
    struct pending pend[PENDING];
};

struct ps_icmp_tunnel {
    struct ps_icmp_tunnel_config cfg;
    struct ps_counters *c;
    struct ps_alert_sink sink;
    uint64_t seed;
    uint32_t mask;
    struct conv *tab;
};

void ps_icmp_tunnel_config_default(struct ps_icmp_tunnel_config *c)
{
    c->capacity = 16384;
    c->distinct = 8;
    /* 8 distinct fills of one byte (THC's implementation6 tests, plus one
     * large odd payload) carry nothing; 8 of ping -p's 16-byte patterns, or
     * 8 tunnel packets, carry 128 bytes (each payload counts 16 at most). */
    c->distinct_bytes = 64;
    c->volume = 16384;
    c->mismatches = 3;
    c->idle_s = 300;
}

int ps_icmp_tunnel_config_set(struct ps_icmp_tunnel_config *c, const char *kv)
{
    static const struct ps_kv_key keys[] = {
        {"capacity", offsetof(struct ps_icmp_tunnel_config, capacity), 16, 1u << 22},
        {"distinct", offsetof(struct ps_icmp_tunnel_config, distinct), 2, DISTINCT},
        {"distinct-bytes", offsetof(struct ps_icmp_tunnel_config, distinct_bytes), 0, 1u << 20},
        {"volume", offsetof(struct ps_icmp_tunnel_config, volume), 1, 1u << 30},
        {"mismatches", offsetof(struct ps_icmp_tunnel_config, mismatches), 1, 1u << 20},
        {"idle", offsetof(struct ps_icmp_tunnel_config, idle_s), 1, 86400 * 7},
    };
    return ps_kv_set_u32(c, keys, sizeof(keys) / sizeof(keys[0]), kv);
}

const char *ps_ping_kind_name(enum ps_ping_kind k)
{
    static const char *const n[] = {"empty", "unix", "windows", "zero", "pattern", "other"};
    return k <= PS_PING_OTHER ? n[k] : "other";
}

static bool counts_up_from(const uint8_t *b, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++)
        if (b[i] != (uint8_t)i)
            return false;
    return true;
}

static bool zero_from(const uint8_t *b, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* The period (at most 16) with which bytes from `from` on repeat (ping -p),
 * or 0. */
static size_t period_from(const uint8_t *b, size_t n, size_t from)
{
    for (size_t period = 1; period <= 16; period++) {
        size_t i = from + period;
        while (i < n && b[i] == b[i - period])
            i++;
        if (i >= n)
            return period;
    }
    return 0;
}

enum ps_ping_kind ps_icmp_payload_kind(const uint8_t *b, size_t n)
{
    if (n <= 16)
        return zero_from(b, n, 0) && n ? PS_PING_ZERO : PS_PING_EMPTY;
    if (counts_up_from(b, n, 16) || counts_up_from(b, n, 8))
        return PS_PING_UNIX;
    bool win = true;
    for (size_t i = 0; i < n && win; i++)
        win = b[i] == 'a' + i % 23;
    if (win)
        return PS_PING_WINDOWS;
    if (zero_from(b, n, 0) || zero_from(b, n, 8) || zero_from(b, n, 16))
        return PS_PING_ZERO;
    /* ping -p needs room for at least two periods after the timestamp */
    if (n >= 16 + 32 && period_from(b, n, 16))
        return PS_PING_PATTERN;
    return PS_PING_OTHER;
}

const char *ps_icmp_tool_magic(const uint8_t *b, size_t n)
{
    if (n < 5)
        return NULL;
    uint32_t m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (m == 0xD5200880u)
        return "ptunnel";
    if (m == 0xDEADC0DEu)
        return "ptunnel-ng";
    if ((memcmp(b, "hanc", 4) == 0 || memcmp(b, "hans", 4) == 0) && b[4] >= 1 && b[4] <= 9)
        return "hans";
    return NULL;
}

/* The payload is a whole IP packet (icmptunnel, icmptx and the like put the
 * tunnel interface's packets in the echo data as they are). */
static bool carries_ip(const uint8_t *b, size_t n, size_t wire_n)
{
    if (n >= 20 && (b[0] >> 4) == 4 && (b[0] & 15) >= 5)
        return ((size_t)b[2] << 8 | b[3]) == wire_n;
    if (n >= 40 && (b[0] >> 4) == 6)
        return ((size_t)b[4] << 8 | b[5]) + 40 == wire_n;
    return false;
}

static uint32_t hash_bytes(uint64_t seed, const uint8_t *b, size_t n)
{
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, b + i, n - i);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)ps_hash_mix(h);
}

struct ps_icmp_tunnel *ps_icmp_tunnel_new(const struct ps_icmp_tunnel_config *c, uint64_t seed,
                                          struct ps_counters *cnt, struct ps_alert_sink sink)
{
    struct ps_icmp_tunnel *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cfg = *c;
    t->c = cnt;
    t->sink = sink;
    t->seed = seed;
    uint32_t cap = 16;
    while (cap < c->capacity && cap < (1u << 22))
        cap <<= 1;
    t->mask = cap - 1;
    t->tab = calloc(cap, sizeof(*t->tab));
    if (!t->tab) {
        free(t);
        return NULL;
    }
    return t;
}

void ps_icmp_tunnel_free(struct ps_icmp_tunnel *t)
{
    if (!t)
        return;
    free(t->tab);
    free(t);
}

static void conv_reset(struct conv *e, uint64_t key, const struct ps_pkt *p, const uint8_t *req,
                       const uint8_t *resp)
{
    memset(e, 0, sizeof(*e));
    e->key = key;
    e->first_us = p->ts_us;
    e->ipver = p->ipver;
    memcpy(e->requester, req, 16);
    memcpy(e->responder, resp, 16);
}

static struct conv *lookup(struct ps_icmp_tunnel *t, const struct ps_pkt *p, const uint8_t *req,
                           const uint8_t *resp)
{
    uint64_t w[6];
    memcpy(w, req, 16);
    memcpy(w + 2, resp, 16);
    w[4] = p->ipver;
    w[5] = p->m.has_vni ? p->m.vni : 0;
    uint64_t key = ps_hash_words(t->seed, w, 6) | 1;
    int found;
    struct conv *victim =
        ps_kv_slot(t->tab, sizeof(*t->tab), t->mask, key, PROBE, key, offsetof(struct conv, key),
                   offsetof(struct conv, last_us), &found);
    if (found)
        return victim;
    if (victim->key)
        t->c->v[PS_C_ICMP_TUNNEL_EVICTED]++;
    conv_reset(victim, key, p, req, resp);
    t->c->v[PS_C_ICMP_TUNNEL_CONVERSATIONS]++;
    return victim;
}

static void start_alert(struct ps_alert *a, enum ps_sig sig, const struct ps_pkt *p,
                        const struct conv *e)
{
    ps_alert_from_pkt(a, sig, p);
    /* Say it from the requester's side, whichever packet crossed. */
    memcpy(a->src, e->requester, 16);
    memcpy(a->dst, e->responder, 16);
    ps_ev_num(a, "echo_id", e->id);
    ps_ev_num(a, "requests", e->requests);
    ps_ev_num(a, "replies", e->replies);
    ps_ev_num(a, "packets_until_alert", (uint64_t)e->requests + e->replies);
}

static void kinds_evidence(struct ps_alert *a, const struct conv *e)
{
    char s[160];
    size_t n = 0;
    for (int k = 0; k <= PS_PING_OTHER && n < sizeof(s) - 24; k++)
        if (e->kinds[k])
            n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s:%u", n ? "," : "",
                                  ps_ping_kind_name((enum ps_ping_kind)k), e->kinds[k]);
    ps_ev_str(a, "payload_kinds", s);
}

void ps_icmp_tunnel_packet(struct ps_icmp_tunnel *t, const struct ps_pkt *p)
{
    bool v4 = p->proto == 1, v6 = p->proto == 58;
    if ((!v4 && !v6) || !p->l4 || p->payload_len < 4)
        return;
    bool request = v4 ? p->icmp_type == 8 : p->icmp_type == 128;
    bool reply = v4 ? p->icmp_type == 0 : p->icmp_type == 129;
    if (!request && !reply)
        return;
    struct ps_rd r = ps_rd_init(p->payload, p->payload_len);
    uint16_t id = ps_rd_be16(&r);
    uint16_t seq = ps_rd_be16(&r);
    const uint8_t *data = r.p;
    size_t n = r.left;
    /* echo data the IP header declares, whether or not all of it was captured */
    size_t hdr = (size_t)(p->l4 - p->ip_hdr) + 8;
    size_t wire_n = p->ip_len > hdr ? p->ip_len - hdr : 0;

    struct conv *e = request ? lookup(t, p, p->src, p->dst) : lookup(t, p, p->dst, p->src);
    uint64_t idle = (uint64_t)t->cfg.idle_s * 1000000;
    if (e->last_us && p->ts_us > e->last_us + idle) /* a new episode */
        conv_reset(e, e->key, p, request ? p->src : p->dst, request ? p->dst : p->src);
    e->id = id;
    if (p->ts_us > e->last_us)
        e->last_us = p->ts_us;
    if (request)
        e->requests++;
    else
        e->replies++;

    struct ps_alert a;
    const char *tool = ps_icmp_tool_magic(data, n);
    if (tool && !e->alerted_magic) {
        e->alerted_magic = true;
        start_alert(&a, PS_SIG_ICMP_TUNNEL_MAGIC, p, e);
        ps_ev_str(&a, "tool", tool);
        ps_ev_hex(&a, "magic", data, 4);
        ps_ev_str(&a, "direction", request ? "request" : "reply");
        ps_ev_num(&a, "data_bytes", wire_n);
        t->sink.emit(t->sink.ctx, &a);
    }

    enum ps_ping_kind kind = ps_icmp_payload_kind(data, n);
    e->kinds[kind]++;
    if (carries_ip(data, n, wire_n))
        e->inner_ip++;
    uint32_t whole = hash_bytes(t->seed, data, n);
    if (kind == PS_PING_PATTERN || kind == PS_PING_OTHER) {
        e->data_bytes += wire_n;
        /* what follows the timestamp: the same in every packet of a ping run */
        uint32_t h = n > 16 ? hash_bytes(t->seed, data + 16, n - 16) : whole;
        bool seen = false;
        for (uint32_t i = 0; i < e->ndistinct && i < DISTINCT && !seen; i++)
            seen = e->distinct[i] == h;
        if (!seen) {
            if (e->ndistinct < DISTINCT)
                e->distinct[e->ndistinct] = h;
            e->ndistinct++;
            /* at most 16 bytes each: one large odd payload is not a channel */
            size_t carry = kind == PS_PING_PATTERN ? period_from(data, n, 16) : n;
            e->distinct_bytes += (uint32_t)(carry < 16 ? carry : 16);
        }
    }
    bool other = kind == PS_PING_OTHER;
    if (!e->alerted_data && !tool &&
        ((e->ndistinct >= t->cfg.distinct && e->distinct_bytes >= t->cfg.distinct_bytes) ||
         (e->ndistinct >= 2 && e->data_bytes >= t->cfg.volume) || (other && e->inner_ip >= 2))) {
        e->alerted_data = true;
        start_alert(&a, PS_SIG_ICMP_TUNNEL_DATA, p, e);
        kinds_evidence(&a, e);
        ps_ev_num(&a, "distinct_payloads", e->ndistinct);
        ps_ev_num(&a, "threshold_distinct", t->cfg.distinct);
        ps_ev_num(&a, "distinct_bytes", e->distinct_bytes);
        ps_ev_num(&a, "data_bytes", e->data_bytes);
        ps_ev_num(&a, "threshold_bytes", t->cfg.volume);
        ps_ev_num(&a, "inner_ip_packets", e->inner_ip);
        ps_ev_hex(&a, "payload_head", data, n < 16 ? n : 16);
        t->sink.emit(t->sink.ctx, &a);
    }

    /* RFC 792 / RFC 4443: a reply returns the request's data unchanged. */
    struct pending *pe = &e->pend[seq & (PENDING - 1)];
    if (request) {
        pe->used = !p->truncated;
        pe->id = id;
        pe->seq = seq;
        pe->hash = whole;
        pe->len = (uint32_t)n;
    } else if (pe->used && pe->seq == seq && pe->id == id && !p->truncated) {
        pe->used = false;
        if (pe->hash == whole && pe->len == n)
            e->matched++;
        else
            e->mismatches++;
        if (!e->alerted_mismatch && !tool && e->mismatches >= t->cfg.mismatches) {
            e->alerted_mismatch = true;
            start_alert(&a, PS_SIG_ICMP_TUNNEL_MISMATCH, p, e);
            ps_ev_num(&a, "replies_differing", e->mismatches);
            ps_ev_num(&a, "replies_matching", e->matched);
            ps_ev_num(&a, "threshold", t->cfg.mismatches);
            kinds_evidence(&a, e);
            t->sink.emit(t->sink.ctx, &a);
        }
    }
}
