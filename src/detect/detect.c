/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: RFC 791 s3.1, RFC 6274 s3.13, RFC 7126 (IPv4 options); RFC 8200 s4,
 *       RFC 5095, RFC 7112, RFC 4942 s2.1.9.5 (IPv6 extension headers);
 *       RFC 4861 s4.2, s4.4 (router and neighbour advertisements) */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rd.h"
#include "detect/detect.h"
#include "flow/hash.h"

#define DEDUPE      4096u
#define RA_SESSIONS 64u
#define RA_SOURCES  32u
#define BINDINGS    4096u
#define MACS        1024u
#define MAC_TARGETS 64u

struct dedupe {
    uint64_t key;
    uint64_t last_us;
};

struct ra_state {
    bool used;
    bool alerted;
    uint8_t encap;
    uint32_t vni;
    uint64_t window; /* window number (seconds / ra_window_s) */
    uint32_t count;
    uint32_t nsrc;
    uint64_t src[RA_SOURCES]; /* hashes of distinct sources in the window */
};

struct binding {
    bool used;
    bool alerted;
    uint32_t vni;
    uint8_t target[16];
    uint8_t mac[6];
    uint8_t prev_mac[6];
    uint64_t window_start_us;
    uint32_t changes;
};

struct mac_state {
    bool used;
    bool alerted;
    uint32_t vni;
    uint8_t mac[6];
    uint64_t window;
    uint32_t ntargets;
    uint32_t targets[MAC_TARGETS];
};

struct anom_rate {
    uint64_t second;
    uint32_t n;
};

struct ps_detect {
    struct ps_detect_config cfg;
    struct ps_counters *c;
    struct ps_detect_out out;
    uint64_t seed;
    struct dedupe dd[DEDUPE];
    struct ra_state ra[RA_SESSIONS];
    struct ra_state na[RA_SESSIONS]; /* unsolicited overriding NAs per session */
    struct binding nd[BINDINGS];
    struct mac_state macs[MACS];
    struct anom_rate anom[64];
    uint64_t evented; /* anomalies that write events */
    struct ps_icmp_tunnel *icmp_tunnel;
    struct ps_dns_tunnel *dns_tunnel;
};

void ps_detect_config_default(struct ps_detect_config *c)
{
    memset(c, 0, sizeof(*c));
    c->dedupe_s = 60;
    /* RFC 4861 s10: a router sends unsolicited RAs every 200-600 s and at
     * most one multicast RA per 3 s (MIN_DELAY_BETWEEN_RAS); solicited ones
     * add a few. 20 in 10 s, or 5 routers at once, is no network's normal. */
    c->ra_window_s = 10;
    c->ra_max = 20;
    c->ra_max_sources = 5;
    c->nd_flip_window_s = 60;
    c->nd_flips = 2;
    c->nd_mass_window_s = 10;
    c->nd_mass_targets = 20;
    c->nd_flood = 100;
    c->ipv6_max_ext = 6;
    c->anomaly_events = true;
    c->anomaly_rate = 10;
    ps_icmp_tunnel_config_default(&c->icmp_tunnel);
    ps_dns_tunnel_config_default(&c->dns_tunnel);
}

static void emit(void *ctx, const struct ps_alert *a)
{
    struct ps_detect *d = ctx;
    uint64_t w[5];
    memcpy(w, a->src, 16);
    memcpy(w + 2, a->dst, 16);
    w[4] = ps_sig_table[a->sig].sid;
    uint64_t key = ps_hash_words(d->seed, w, 5) | 1;
    struct dedupe *e = &d->dd[key & (DEDUPE - 1)];
    uint64_t window = (uint64_t)d->cfg.dedupe_s * 1000000;
    if (e->key == key && a->ts_us >= e->last_us && a->ts_us - e->last_us < window) {
        d->c->v[PS_C_ALERTS_SUPPRESSED]++;
        return;
    }
    e->key = key;
    e->last_us = a->ts_us;
    d->c->v[PS_C_ALERTS]++;
    if (d->out.alert)
        d->out.alert(d->out.ctx, a);
}

struct ps_alert_sink ps_detect_sink(struct ps_detect *d)
{
    struct ps_alert_sink s = {emit, d};
    return s;
}

/* Anomalies that write events: not the truncation ones, which every mirror
 * session with a packet length makes (they stay counters and flow fields). */
static uint64_t evented_mask(void)
{
    uint64_t mask = 0;
    for (int id = PS_C_ANOM__FIRST; id <= PS_C_ANOM__LAST; id++) {
        const char *n = ps_counter_table[id].name;
        size_t l = strlen(n);
        if (l < 6 || strcmp(n + l - 6, ".trunc") != 0)
            mask |= 1ULL << (id - PS_C_ANOM__FIRST);
    }
    return mask;
}

struct ps_detect *ps_detect_new(const struct ps_detect_config *c, uint64_t seed,
                                struct ps_counters *cnt, struct ps_detect_out out)
{
    struct ps_detect *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->cfg = *c;
    d->c = cnt;
    d->out = out;
    d->seed = seed;
    d->evented = evented_mask();
    d->icmp_tunnel = ps_icmp_tunnel_new(&c->icmp_tunnel, seed ^ 0x1c3b, cnt, ps_detect_sink(d));
    d->dns_tunnel = ps_dns_tunnel_new(&c->dns_tunnel, seed ^ 0xd25, cnt, ps_detect_sink(d));
    if (!d->icmp_tunnel || !d->dns_tunnel) {
        ps_detect_free(d);
        return NULL;
    }
    return d;
}

void ps_detect_free(struct ps_detect *d)
{
    if (!d)
        return;
    ps_icmp_tunnel_free(d->icmp_tunnel);
    ps_dns_tunnel_free(d->dns_tunnel);
    free(d);
}

/* ---- IPv4 options ------------------------------------------------------ */

static void addr4(char *out, size_t cap, const uint8_t *a)
{
    snprintf(out, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void ipv4_options(struct ps_detect *d, const struct ps_pkt *p)
{
    struct ps_alert a;
    if (p->ip4_opts_bad) {
        ps_alert_from_pkt(&a, PS_SIG_IP_OPT_MALFORMED, p);
        ps_ev_hex(&a, "options", p->ip4_opts, p->ip4_opts_len);
        emit(d, &a);
    }
    struct ps_rd r = ps_rd_init(p->ip4_opts, p->ip4_opts_len);
    while (r.left) {
        uint8_t type = ps_rd_u8(&r);
        if (type == 0)
            break;
        if (type == 1)
            continue;
        uint8_t len = ps_rd_u8(&r);
        struct ps_rd o = ps_rd_sub(&r, len >= 2 ? (size_t)len - 2 : 0);
        if (r.bad || len < 2)
            break; /* malformed: reported above */
        switch (type) {
        case 131: /* LSRR */
        case 137: /* SSRR */
        case 7: { /* record route */
            uint8_t ptr = ps_rd_u8(&o);
            enum ps_sig sig = type == 131   ? PS_SIG_IP_LSRR
                              : type == 137 ? PS_SIG_IP_SSRR
                                            : PS_SIG_IP_RR;
            ps_alert_from_pkt(&a, sig, p);
            ps_ev_num(&a, "option_length", len);
            ps_ev_num(&a, "pointer", ptr);
            /* RFC 791: length >= 3, route data in 4-byte addresses, pointer >= 4. */
            bool ok = len >= 3 && (len - 3) % 4 == 0 && ptr >= 4;
            ps_ev_str(&a, "valid", ok ? "true" : "false");
            char route[200] = "", one[20];
            size_t n = 0;
            while (o.left >= 4 && n + 17 < sizeof(route)) {
                const uint8_t *ad = ps_rd_bytes(&o, 4);
                addr4(one, sizeof(one), ad);
                n += (size_t)snprintf(route + n, sizeof(route) - n, "%s%s", n ? " " : "", one);
            }
            if (type != 7)
                ps_ev_str(&a, "route", route);
            else
                ps_ev_num(&a, "slots", len >= 3 ? (uint64_t)(len - 3) / 4 : 0);
            emit(d, &a);
            break;
        }
        case 68: { /* timestamp */
            uint8_t ptr = ps_rd_u8(&o);
            uint8_t of = ps_rd_u8(&o);
            ps_alert_from_pkt(&a, PS_SIG_IP_TS, p);
            ps_ev_num(&a, "option_length", len);
            ps_ev_num(&a, "pointer", ptr);
            ps_ev_num(&a, "flag", of & 0x0f);
            ps_ev_num(&a, "overflow", of >> 4);
            emit(d, &a);
            break;
        }
        case 130: /* security */
        case 133: /* extended security */
        case 134: /* CIPSO */
        case 148: /* router alert */
            break;
        default:
            ps_alert_from_pkt(&a, PS_SIG_IP_OPT_UNKNOWN, p);
            ps_ev_num(&a, "option_type", type);
            ps_ev_num(&a, "option_length", len);
            emit(d, &a);
            break;
        }
    }
}

/* ---- IPv6 extension headers -------------------------------------------- */

static const char *ext_name(uint8_t t)
{
    switch (t) {
    case 0:
        return "hop-by-hop";
    case 43:
        return "routing";
    case 44:
        return "fragment";
    case 50:
        return "esp";
    case 51:
        return "ah";
    case 60:
        return "destination";
    case 135:
        return "mobility";
    case 139:
        return "hip";
    case 140:
        return "shim6";
    default:
        return "other";
    }
}

/* Option types of the IANA "Destination Options and Hop-by-Hop Options"
 * registry in use: jumbo payload, router alert, tunnel encapsulation limit,
 * home address, quick-start, CALIPSO, SMF DPD, RPL, MPL, ILNP nonce, line
 * identification, PDM, IOAM, minimum path MTU, and the RFC 3692 experiments. */
static bool known_option(uint8_t t)
{
    switch (t) {
    case 0xc2:
    case 0x05:
    case 0x04:
    case 0xc9:
    case 0x26:
    case 0x07:
    case 0x08:
    case 0x23:
    case 0x63:
    case 0x6d:
    case 0x8b:
    case 0x8c:
    case 0x0f:
    case 0x11:
    case 0x31:
    case 0x30:
    case 0x1e:
    case 0x3e:
    case 0x5e:
    case 0x7e:
    case 0x9e:
    case 0xbe:
    case 0xde:
    case 0xfe:
        return true;
    default:
        return false;
    }
}

/* Padding inside a hop-by-hop or destination options header: PadN may pad at
 * most 7 bytes (RFC 8200 s4.2 alignment) and its bytes are zero. */
static void ipv6_padding(struct ps_detect *d, const struct ps_pkt *p, struct ps_rd o, uint8_t type)
{
    uint32_t run = 0, max_run = 0, nonzero = 0;
    int unknown = -1;
    while (o.left) {
        uint8_t ot = ps_rd_u8(&o);
        if (ot == 0) { /* Pad1 */
            run++;
            if (run > max_run)
                max_run = run;
            continue;
        }
        uint8_t ol = ps_rd_u8(&o);
        const uint8_t *data = ps_rd_bytes(&o, ol);
        if (o.bad)
            break;
        if (ot == 1) { /* PadN */
            run += 2u + ol;
            for (uint32_t i = 0; i < ol; i++)
                nonzero += data[i] != 0;
        } else {
            run = 0;
            if (!known_option(ot) && unknown < 0)
                unknown = ot;
        }
        if (run > max_run)
            max_run = run;
    }
    struct ps_alert a;
    if (max_run > 7 || nonzero) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_PADDING, p);
        ps_ev_str(&a, "header", ext_name(type));
        ps_ev_num(&a, "padding_bytes", max_run);
        ps_ev_num(&a, "nonzero_padding_bytes", nonzero);
        emit(d, &a);
    }
    if (unknown >= 0) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_UNKNOWN_OPT, p);
        ps_ev_str(&a, "header", ext_name(type));
        ps_ev_num(&a, "option_type", (uint64_t)unknown);
        emit(d, &a);
    }
}

static void ipv6_ext(struct ps_detect *d, const struct ps_pkt *p)
{
    struct ps_alert a;
    uint32_t count[256] = {0};
    bool routing_after[16] = {false};
    for (int i = p->ext_n - 2; i >= 0; i--)
        routing_after[i] = routing_after[i + 1] || p->ext[i + 1].type == 43;
    int last_rank = -1;
    bool order_bad = false, hbh_late = false;
    for (uint32_t i = 0; i < p->ext_n; i++) {
        uint8_t t = p->ext[i].type;
        struct ps_rd h = ps_rd_init(p->ip_hdr + p->ext[i].off, p->ext[i].len);
        count[t]++;
        if (t == 0 && i > 0)
            hbh_late = true;
        /* RFC 8200 s4.1 recommended order. */
        int rank = t == 0    ? 0
                   : t == 60 ? (routing_after[i] ? 1 : 6)
                   : t == 43 ? 2
                   : t == 44 ? 3
                   : t == 51 ? 4
                   : t == 50 ? 5
                             : 6;
        if (rank < last_rank)
            order_bad = true;
        last_rank = rank;
        if (t == 43) {
            ps_rd_skip(&h, 2);
            uint8_t rtype = ps_rd_u8(&h);
            uint8_t left = ps_rd_u8(&h);
            if (!h.bad && rtype == 0) {
                ps_alert_from_pkt(&a, PS_SIG_IPV6_RH0, p);
                ps_ev_num(&a, "segments_left", left);
                ps_ev_num(&a, "addresses", (p->ext[i].len - 8) / 16);
                emit(d, &a);
            }
        } else if (t == 0 || t == 60) {
            ps_rd_skip(&h, 2);
            ipv6_padding(d, p, h, t);
        }
    }
    if (hbh_late) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_HBH_NOT_FIRST, p);
        ps_ev_num(&a, "extension_headers", p->ext_n);
        emit(d, &a);
    }
    for (uint32_t t = 0; t < 256; t++) {
        if (count[t] > (t == 60 ? 2u : 1u)) {
            ps_alert_from_pkt(&a, PS_SIG_IPV6_EXT_DUP, p);
            ps_ev_str(&a, "header", ext_name((uint8_t)t));
            ps_ev_num(&a, "count", count[t]);
            emit(d, &a);
        }
    }
    if (order_bad && !hbh_late) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_EXT_ORDER, p);
        char seq[200] = "";
        size_t n = 0;
        for (uint32_t i = 0; i < p->ext_n && n + 14 < sizeof(seq); i++)
            n += (size_t)snprintf(seq + n, sizeof(seq) - n, "%s%s", i ? "," : "",
                                  ext_name(p->ext[i].type));
        ps_ev_str(&a, "chain", seq);
        emit(d, &a);
    }
    if (p->ext_n > d->cfg.ipv6_max_ext || p->v6_ext_overflow) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_EXT_MANY, p);
        ps_ev_num(&a, "extension_headers", p->ext_n);
        ps_ev_str(&a, "more_not_followed", p->v6_ext_overflow ? "true" : "false");
        ps_ev_num(&a, "threshold", d->cfg.ipv6_max_ext);
        emit(d, &a);
    }
    if (p->v6_chain_cut) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_CHAIN_FRAG, p);
        ps_ev_num(&a, "fragment_bytes", p->frag_len);
        ps_ev_num(&a, "first_header_after_fragment", p->proto);
        emit(d, &a);
    }
}

/* ---- router and neighbour advertisements ------------------------------- */

static void mac_str(char out[18], const uint8_t *m)
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static uint32_t session_vni(const struct ps_pkt *p)
{
    return p->m.has_vni ? p->m.vni : p->m.has_erspan_id ? p->m.erspan_id : 0;
}

/* Count one advertisement from source hash h in session state table tab;
 * returns the state when its window crossed max or max_sources for the first
 * time in an episode (a calm window ends the episode), else NULL. */
static struct ra_state *count_adv(struct ps_detect *d, struct ra_state *tab, const struct ps_pkt *p,
                                  uint64_t h, uint32_t window_s, uint32_t max, uint32_t max_sources)
{
    uint32_t vni = session_vni(p);
    struct ra_state *s = &tab[(vni * 2654435761u + p->m.encap) & (RA_SESSIONS - 1)];
    if (!s->used || s->vni != vni || s->encap != p->m.encap) {
        memset(s, 0, sizeof(*s));
        s->used = true;
        s->vni = vni;
        s->encap = p->m.encap;
    }
    uint64_t window = p->ts_us / 1000000 / window_s;
    if (window != s->window) {
        bool quiet = s->count <= max && s->nsrc <= max_sources;
        if (quiet || window > s->window + 1)
            s->alerted = false;
        s->window = window;
        s->count = 0;
        s->nsrc = 0;
    }
    s->count++;
    bool seen = false;
    for (uint32_t i = 0; i < s->nsrc; i++)
        seen |= s->src[i] == h;
    if (!seen && s->nsrc < RA_SOURCES)
        s->src[s->nsrc++] = h;
    (void)d;
    if (s->alerted || (s->count <= max && s->nsrc <= max_sources))
        return NULL;
    s->alerted = true;
    return s;
}

static void router_adv(struct ps_detect *d, const struct ps_pkt *p)
{
    uint64_t w[2];
    memcpy(w, p->src, 16);
    uint64_t h = ps_hash_words(d->seed, w, 2);
    struct ra_state *s =
        count_adv(d, d->ra, p, h, d->cfg.ra_window_s, d->cfg.ra_max, d->cfg.ra_max_sources);
    if (s) {
        struct ps_alert a;
        ps_alert_from_pkt(&a, PS_SIG_IPV6_RA_FLOOD, p);
        ps_ev_num(&a, "router_advertisements", s->count);
        ps_ev_num(&a, "distinct_sources", s->nsrc);
        ps_ev_num(&a, "window_s", d->cfg.ra_window_s);
        ps_ev_num(&a, "threshold_advertisements", d->cfg.ra_max);
        ps_ev_num(&a, "threshold_sources", d->cfg.ra_max_sources);
        emit(d, &a);
    }
}

static void neighbour_adv(struct ps_detect *d, const struct ps_pkt *p)
{
    /* RFC 4861 s4.4: type, code, checksum, R|S|O flags, reserved, target,
     * then options; option 2 is the target link-layer address. */
    struct ps_rd r = ps_rd_init(p->l4, p->l4_caplen);
    ps_rd_skip(&r, 4);
    uint8_t flags = ps_rd_u8(&r);
    ps_rd_skip(&r, 3);
    const uint8_t *target = ps_rd_bytes(&r, 16);
    if (r.bad)
        return;
    const uint8_t *mac = NULL;
    while (r.left >= 8) {
        uint8_t ot = ps_rd_u8(&r);
        uint8_t ol = ps_rd_u8(&r);
        if (ol == 0)
            break; /* RFC 4861 s4.6: a zero length is invalid */
        struct ps_rd o = ps_rd_sub(&r, (size_t)ol * 8 - 2);
        if (r.bad)
            break;
        if (ot == 2 && o.left >= 6)
            mac = ps_rd_bytes(&o, 6);
    }
    if (!mac)
        mac = p->l2_src;
    if (!mac)
        return;
    uint32_t vni = session_vni(p);
    char m1[18], m2[18], ta[46];
    struct ps_alert a;

    /* One address moving between link-layer addresses. */
    uint64_t w[3];
    memcpy(w, target, 16);
    w[2] = vni;
    uint64_t h = ps_hash_words(d->seed, w, 3);
    struct binding *b = NULL;
    for (uint32_t i = 0; i < 16 && !b; i++) {
        struct binding *e = &d->nd[(h + i) & (BINDINGS - 1)];
        if (!e->used || (e->vni == vni && memcmp(e->target, target, 16) == 0))
            b = e;
    }
    if (!b)
        b = &d->nd[h & (BINDINGS - 1)]; /* full: reuse */
    if (!b->used || b->vni != vni || memcmp(b->target, target, 16) != 0) {
        memset(b, 0, sizeof(*b));
        b->used = true;
        b->vni = vni;
        memcpy(b->target, target, 16);
        memcpy(b->mac, mac, 6);
        b->window_start_us = p->ts_us;
    } else if (memcmp(b->mac, mac, 6) != 0) {
        uint64_t win = (uint64_t)d->cfg.nd_flip_window_s * 1000000;
        if (p->ts_us - b->window_start_us > win) {
            b->window_start_us = p->ts_us;
            b->changes = 0;
            b->alerted = false;
        }
        b->changes++;
        memcpy(b->prev_mac, b->mac, 6);
        memcpy(b->mac, mac, 6);
        if (b->changes >= d->cfg.nd_flips && !b->alerted) {
            b->alerted = true;
            ps_alert_from_pkt(&a, PS_SIG_IPV6_ND_FLIP, p);
            if (!inet_ntop(AF_INET6, target, ta, sizeof(ta)))
                ta[0] = 0;
            ps_ev_str(&a, "target", ta);
            mac_str(m1, b->prev_mac);
            mac_str(m2, mac);
            ps_ev_str(&a, "previous_mac", m1);
            ps_ev_str(&a, "new_mac", m2);
            ps_ev_num(&a, "changes", b->changes);
            ps_ev_num(&a, "window_s", d->cfg.nd_flip_window_s);
            emit(d, &a);
        }
    }

    /* Unsolicited advertisements with Override: many targets from one
     * sender, or a flood from many senders in one session. The sender is
     * the Ethernet source when there is one (the target link-layer option
     * is what it claims, and flooders randomise it). */
    if ((flags & 0x40) || !(flags & 0x20))
        return;
    const uint8_t *sender = p->l2_src ? p->l2_src : mac;
    uint64_t sw[1] = {0};
    memcpy(sw, sender, 6);
    struct ra_state *fs = count_adv(d, d->na, p, ps_hash_words(d->seed, sw, 1),
                                    d->cfg.nd_mass_window_s, d->cfg.nd_flood, UINT32_MAX);
    if (fs) {
        ps_alert_from_pkt(&a, PS_SIG_IPV6_ND_MASS, p);
        ps_ev_num(&a, "unsolicited_advertisements", fs->count);
        ps_ev_num(&a, "distinct_senders", fs->nsrc);
        ps_ev_num(&a, "window_s", d->cfg.nd_mass_window_s);
        ps_ev_num(&a, "threshold", d->cfg.nd_flood);
        emit(d, &a);
    }
    mac = sender;
    uint64_t mw[2] = {0, vni};
    memcpy(mw, mac, 6);
    uint64_t mh = ps_hash_words(d->seed, mw, 2);
    struct mac_state *ms = &d->macs[mh & (MACS - 1)];
    uint64_t window = p->ts_us / 1000000 / d->cfg.nd_mass_window_s;
    if (!ms->used || ms->vni != vni || memcmp(ms->mac, mac, 6) != 0) {
        memset(ms, 0, sizeof(*ms));
        ms->used = true;
        ms->vni = vni;
        memcpy(ms->mac, mac, 6);
        ms->window = window;
    }
    if (window != ms->window) {
        if (ms->ntargets <= d->cfg.nd_mass_targets)
            ms->alerted = false;
        ms->window = window;
        ms->ntargets = 0;
    }
    uint32_t th = (uint32_t)h | 1;
    bool seen = false;
    for (uint32_t i = 0; i < ms->ntargets; i++)
        seen |= ms->targets[i] == th;
    if (!seen && ms->ntargets < MAC_TARGETS)
        ms->targets[ms->ntargets++] = th;
    if (!ms->alerted && ms->ntargets > d->cfg.nd_mass_targets) {
        ms->alerted = true;
        ps_alert_from_pkt(&a, PS_SIG_IPV6_ND_MASS, p);
        mac_str(m1, mac);
        ps_ev_str(&a, "mac", m1);
        ps_ev_num(&a, "distinct_targets", ms->ntargets);
        ps_ev_num(&a, "window_s", d->cfg.nd_mass_window_s);
        ps_ev_num(&a, "threshold", d->cfg.nd_mass_targets);
        emit(d, &a);
    }
}

/* ---- per packet -------------------------------------------------------- */

static void anomalies(struct ps_detect *d, const struct ps_pkt *p)
{
    uint64_t sec = p->ts_us / 1000000;
    for (uint64_t m = p->anom & d->evented; m; m &= m - 1) {
        int bit = __builtin_ctzll(m);
        struct anom_rate *r = &d->anom[bit];
        if (r->second != sec) {
            r->second = sec;
            r->n = 0;
        }
        if (r->n++ >= d->cfg.anomaly_rate) {
            d->c->v[PS_C_ANOMALY_EVENTS_SUPPRESSED]++;
            continue;
        }
        const char *name = ps_counter_table[PS_C_ANOM__FIRST + bit].name + 8; /* "anomaly." */
        d->c->v[PS_C_ANOMALY_EVENTS]++;
        if (d->out.anomaly)
            d->out.anomaly(d->out.ctx, p, name);
    }
}

void ps_detect_packet(struct ps_detect *d, const struct ps_pkt *p)
{
    if (p->anom && d->cfg.anomaly_events)
        anomalies(d, p);
    if (p->ipver == 4 && p->ip4_opts)
        ipv4_options(d, p);
    if (p->ipver == 6 && (p->ext_n || p->v6_chain_cut || p->v6_ext_overflow))
        ipv6_ext(d, p);
    if (p->proto == 58 && p->l4 && !p->is_fragment) {
        if (p->icmp_type == 134)
            router_adv(d, p);
        else if (p->icmp_type == 136)
            neighbour_adv(d, p);
    }
}

void ps_detect_tunnels(struct ps_detect *d, const struct ps_pkt *p)
{
    if (p->proto == 1 || p->proto == 58)
        ps_icmp_tunnel_packet(d->icmp_tunnel, p);
}

void ps_detect_dns(struct ps_detect *d, const struct ps_dns_msg *m, const struct ps_pkt *p)
{
    ps_dns_tunnel_msg(d->dns_tunnel, m, p);
}
