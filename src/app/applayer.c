/* SPDX-License-Identifier: BSD-2-Clause */
/* Application layer: protocol recognition by content, TCP reassembly into
 * the parsers, UDP datagrams to DNS and QUIC, bypass (applayer.h). */
#include <stdlib.h>
#include <string.h>

#include "app/applayer.h"
#include "app/dns.h"
#include "app/http.h"
#include "app/quic.h"
#include "app/ssh.h"
#include "app/tls.h"
#include "app/visibility.h"
#include "stream/tcp.h"

/* ps_flow.app_state */
enum {
    ST_NEW = 0, /* no payload yet */
    ST_ACTIVE,  /* parsed: TCP in a slot, or UDP DNS without one */
    ST_DONE,    /* bypassed, not recognised, or no slot: counted only */
};

/* Bytes a probe may wait for before it decides nothing matched, and how
 * many deliveries of the server's bytes wait for the client's first. */
#define PROBE_BYTES 16
#define PROBE_WAIT  8

struct slot {
    uint64_t flow_id;
    uint8_t proto;  /* enum ps_app_proto; UNKNOWN while probing */
    bool stop;      /* the parser is finished: deliver nothing more */
    bool reported;  /* the one record of tls, ssh or quic was written */
    bool bypass;    /* stopped because the parser was done (not an error) */
    uint8_t waited; /* deliveries held back while probing */
    uint32_t next_free;
    struct ps_sdir sd[2];
    union {
        struct ps_tls tls;
        struct ps_http http;
        struct ps_ssh ssh;
        struct ps_dns_tcp dns;
        struct ps_quic quic;
    } u;
};

struct ps_app {
    struct ps_app_config cfg;
    struct ps_counters *c;
    struct ps_app_out out;
    struct slot *slots;
    uint32_t free_head; /* slot + 1, threaded through next_free */
    uint32_t fresh;     /* next never-used slot + 1 (cfg.slots + 1: none) */
    struct ps_stream_pool pool;
    /* The packet being handled, for the parsers' callbacks. */
    struct ps_flow *f;
    struct ps_pkt *p;
    struct slot *s;
    struct ps_dns_msg dns; /* scratch: one message at a time */
    struct ps_tls_info ti; /* scratch: a QUIC ClientHello */
};

void ps_app_config_default(struct ps_app_config *c)
{
    c->enabled = true;
    c->slots = 16384;
    c->buffers = 2048; /* 64 MiB at most, resident only when used */
}

struct ps_app *ps_app_new(const struct ps_app_config *cfg, struct ps_counters *c,
                          struct ps_app_out out)
{
    struct ps_app *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->cfg = *cfg;
    a->c = c;
    a->out = out;
    if (!cfg->enabled)
        return a;
    /* calloc: a slot's pages are only resident once it is used. */
    a->slots = calloc(cfg->slots ? cfg->slots : 1, sizeof(struct slot));
    if (!a->slots || ps_stream_pool_init(&a->pool, cfg->buffers, PS_APP_BUF)) {
        ps_app_free(a);
        return NULL;
    }
    /* Slots are handed out in order, then from the free list: a slot's
     * pages become resident only once a flow has used it. */
    a->fresh = 1;
    return a;
}

void ps_app_free(struct ps_app *a)
{
    if (!a)
        return;
    free(a->slots);
    ps_stream_pool_free(&a->pool);
    free(a);
}

const char *ps_app_proto_name(uint8_t proto)
{
    static const char *const names[PS_APP__COUNT] = {
        [PS_APP_DNS] = "dns",     [PS_APP_TLS] = "tls", [PS_APP_HTTP] = "http",
        [PS_APP_HTTP2] = "http2", [PS_APP_SSH] = "ssh", [PS_APP_QUIC] = "quic",
    };
    return proto < PS_APP__COUNT ? names[proto] : NULL;
}

/* ---- records ---- */

static void emit_dns(void *ctx, int dir, const struct ps_dns_msg *m)
{
    struct ps_app *a = ctx;
    a->c->v[PS_C_APP_DNS_MESSAGES]++;
    if (a->out.dns_detect && a->p)
        a->out.dns_detect(a->out.dctx, m, a->p);
    if (a->out.dns)
        a->out.dns(a->out.ctx, a->f, a->p, dir, m);
}

static void emit_http(void *ctx, const struct ps_http_tx *tx)
{
    struct ps_app *a = ctx;
    if (a->out.http)
        a->out.http(a->out.ctx, a->f, a->p, tx);
}

/* The one record of a TLS or SSH flow, once: when the parser is done, or at
 * the flow's end with what it saw. */
static void report(struct ps_app *a, struct slot *s)
{
    if (s->reported)
        return;
    if (s->proto == PS_APP_TLS && (s->u.tls.info.have_ch || s->u.tls.info.have_sh)) {
        s->reported = true;
        ps_vis_note_tls(a->f, &s->u.tls.info);
        if (a->out.tls)
            a->out.tls(a->out.ctx, a->f, a->p, &s->u.tls.info);
    } else if (s->proto == PS_APP_SSH && (s->u.ssh.side[0].banner || s->u.ssh.side[1].banner)) {
        s->reported = true;
        if (a->out.ssh)
            a->out.ssh(a->out.ctx, a->f, a->p, &s->u.ssh);
    }
}

/* ---- slots ---- */

static struct slot *slot_take(struct ps_app *a, struct ps_flow *f)
{
    uint32_t i;
    if (a->free_head) {
        i = a->free_head;
        a->free_head = a->slots[i - 1].next_free;
    } else if (a->fresh <= a->cfg.slots) {
        i = a->fresh++;
    } else {
        a->c->v[PS_C_APP_SLOTS_FULL]++;
        f->app_state = ST_DONE;
        return NULL;
    }
    struct slot *s = &a->slots[i - 1];
    s->flow_id = f->id;
    s->proto = PS_APP_UNKNOWN;
    s->stop = s->reported = s->bypass = false;
    s->waited = 0;
    s->sd[0].init = s->sd[1].init = false;
    s->sd[0].buf = s->sd[1].buf = 0;
    f->app = i;
    f->app_state = ST_ACTIVE;
    return s;
}

/* The parser's own counters into the worker's. */
static void add_parser_counters(struct ps_app *a, const struct slot *s)
{
    uint64_t *v = a->c->v;
    switch (s->proto) {
    case PS_APP_TLS:
        v[PS_C_APP_TLS_MALFORMED] += s->u.tls.malformed;
        v[PS_C_APP_TLS_OVERSIZE] += s->u.tls.oversize;
        v[PS_C_APP_TLS_CERT_FAIL] += s->u.tls.cert_fail;
        break;
    case PS_APP_HTTP:
    case PS_APP_HTTP2: {
        const struct ps_http_stats *h = &s->u.http.stats;
        v[PS_C_APP_HTTP_ERRORS] += h->bad_start + h->bad_cl + h->bad_chunk + h->hdr_too_big;
        break;
    }
    case PS_APP_SSH: {
        const struct ps_ssh_stats *h = &s->u.ssh.stats;
        v[PS_C_APP_SSH_ERRORS] += h->bad_banner + h->bad_packet + h->bad_kexinit;
        break;
    }
    case PS_APP_DNS:
        v[PS_C_APP_DNS_ERRORS] += s->u.dns.bad;
        break;
    case PS_APP_QUIC:
        v[PS_C_APP_QUIC_UNDECRYPTED] += s->u.quic.decrypt_failed;
        v[PS_C_APP_QUIC_UNKNOWN_VERSION] += s->u.quic.unknown_version;
        break;
    default:
        break;
    }
}

static void slot_release(struct ps_app *a, struct ps_flow *f, struct slot *s)
{
    add_parser_counters(a, s);
    if (s->bypass)
        a->c->v[PS_C_APP_BYPASSED]++;
    ps_sdir_release(&s->sd[0], &a->pool);
    ps_sdir_release(&s->sd[1], &a->pool);
    s->next_free = a->free_head;
    a->free_head = f->app;
    f->app = 0;
    f->app_state = ST_DONE;
}

/* ---- TCP ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the first bytes of one direction say. */
static uint8_t probe_tcp(const uint8_t *d, size_t n, int dir)
{
    if (ps_tls_probe(d, n))
        return PS_APP_TLS;
    if (ps_ssh_probe(d, n))
        return PS_APP_SSH;
    if (dir == 0 ? ps_http_probe(d, n) : ps_http_probe_response(d, n))
        return PS_APP_HTTP;
    if (ps_dns_probe_tcp(d, n))
        return PS_APP_DNS;
    return PS_APP_UNKNOWN;
}

static void parser_start(struct ps_app *a, struct slot *s, uint8_t proto)
{
    s->proto = proto;
    a->f->app_proto = proto;
    switch (proto) {
    case PS_APP_TLS:
        ps_tls_init(&s->u.tls);
        a->c->v[PS_C_APP_TLS]++;
        break;
    case PS_APP_HTTP:
        ps_http_init(&s->u.http);
        a->c->v[PS_C_APP_HTTP]++;
        break;
    case PS_APP_SSH:
        ps_ssh_init(&s->u.ssh);
        a->c->v[PS_C_APP_SSH]++;
        break;
    case PS_APP_DNS:
        memset(&s->u.dns, 0, sizeof(s->u.dns));
        a->c->v[PS_C_APP_DNS]++;
        break;
    default:
        break;
    }
}

/* The parser said DONE or ERR: write its record and stop the flow. */
static void parser_stop(struct ps_app *a, struct slot *s, int status)
{
    s->stop = true;
    s->bypass = status == PS_APP_DONE;
    report(a, s);
}

/* The client's first bytes are in order (a segment ahead of a hole is not
 * a start: the server's bytes keep waiting for the client's first). */
static bool client_started(const struct slot *s)
{
    return s->sd[0].init && s->sd[0].ready;
}

static size_t deliver(void *ctx, int dir, const uint8_t *d, size_t n)
{
    struct ps_app *a = ctx;
    struct slot *s = a->s;
    if (s->proto == PS_APP_UNKNOWN) {
        uint8_t proto = probe_tcp(d, n, dir);
        if (proto == PS_APP_UNKNOWN) {
            /* The server's bytes wait a little for the client's, which
             * decide better (reordering); a few bytes wait for more. */
            bool wait = dir == 1 && !client_started(s);
            if ((wait || n < PROBE_BYTES) && s->waited++ < PROBE_WAIT)
                return 0;
            a->c->v[PS_C_APP_UNKNOWN]++;
            s->stop = true;
            return n;
        }
        parser_start(a, s, proto);
    }
    size_t used = 0;
    int st = PS_APP_MORE;
    switch (s->proto) {
    case PS_APP_TLS:
        used = ps_tls_feed(&s->u.tls, dir, d, n);
        st = ps_tls_status(&s->u.tls);
        break;
    case PS_APP_HTTP:
        used = ps_http_feed(&s->u.http, dir, d, n, emit_http, a);
        st = ps_http_status(&s->u.http);
        if (s->u.http.proto == PS_APP_HTTP2 && a->f->app_proto != PS_APP_HTTP2) {
            a->f->app_proto = PS_APP_HTTP2;
            a->c->v[PS_C_APP_HTTP2]++;
        }
        break;
    case PS_APP_SSH:
        used = ps_ssh_feed(&s->u.ssh, dir, d, n);
        st = ps_ssh_status(&s->u.ssh);
        break;
    case PS_APP_DNS:
        used = ps_dns_tcp_feed(&s->u.dns, dir, d, n, &a->dns, emit_dns, a);
        break;
    default:
        break;
    }
    if (st != PS_APP_MORE)
        parser_stop(a, s, st);
    return used;
}

static void gap(void *ctx, int dir, uint64_t bytes)
{
    struct ps_app *a = ctx;
    struct slot *s = a->s;
    switch (s->proto) {
    case PS_APP_HTTP:
        ps_http_gap(&s->u.http, dir, bytes);
        if (ps_http_status(&s->u.http) != PS_APP_MORE)
            parser_stop(a, s, ps_http_status(&s->u.http));
        break;
    case PS_APP_SSH:
        ps_ssh_gap(&s->u.ssh, dir, bytes);
        if (ps_ssh_status(&s->u.ssh) != PS_APP_MORE)
            parser_stop(a, s, ps_ssh_status(&s->u.ssh));
        break;
    default:
        /* TLS records and DNS framing do not survive a hole: keep what was
         * seen. A flow still unrecognised stays so. */
        if (s->proto == PS_APP_UNKNOWN)
            a->c->v[PS_C_APP_UNKNOWN]++;
        parser_stop(a, s, PS_APP_ERR);
        break;
    }
}

static void tcp_packet(struct ps_app *a, struct ps_flow *f, int dir, struct ps_pkt *p)
{
    if (!p->l4 || p->l4_caplen < 14)
        return;
    const uint8_t *th = p->l4;
    uint32_t seq = be32(th + 4);
    uint32_t ack = be32(th + 8);
    uint8_t flags = th[13];
    /* Payload length as the IP header states it: a cut copy carried it. */
    uint32_t hdr = (uint32_t)(p->l4 - p->ip_hdr) + (uint32_t)(th[12] >> 4) * 4;
    uint32_t stated = p->ip_len > hdr ? p->ip_len - hdr : 0;
    ps_tcpseq_segment(&f->tseq[dir], seq, stated, flags & PS_TH_SYN, flags & PS_TH_FIN,
                      &f->missing[dir]);
    if (flags & PS_TH_ACK)
        ps_tcpseq_ack(&f->tseq[!dir], ack);

    if (f->app_state == ST_DONE || !a->slots)
        return;
    struct slot *s = f->app ? &a->slots[f->app - 1] : NULL;
    if (!s) {
        if (!p->payload_len || !(s = slot_take(a, f)))
            return;
    }
    a->f = f;
    a->p = p;
    a->s = s;
    uint64_t overlaps = a->c->v[PS_C_ANOM_STREAM_OVERLAP];
    if (p->payload_len) {
        struct ps_sdir *sd = &s->sd[dir];
        if (!sd->init)
            ps_sdir_start(sd, ps_tcpseq_data_start(&f->tseq[dir], seq));
        struct ps_sdir_ops ops = {deliver, gap, a, dir, &s->stop};
        bool had_client = client_started(s);
        if (!ps_sdir_segment(sd, &a->pool, a->c, seq, p->payload, (uint32_t)p->payload_len, &ops))
            parser_stop(a, s, PS_APP_ERR);
        /* The client's first bytes arrived after the server's: those
         * waited for them. */
        if (dir == 0 && !had_client && client_started(s) && s->sd[1].init && !s->stop) {
            struct ps_sdir_ops ops1 = {deliver, gap, a, 1, &s->stop};
            ps_sdir_kick(&s->sd[1], &a->pool, a->c, &ops1);
        }
    }
    if ((flags & PS_TH_ACK) && s->sd[!dir].init && !s->stop) {
        struct ps_sdir_ops ops = {deliver, gap, a, !dir, &s->stop};
        ps_sdir_ack(&s->sd[!dir], &a->pool, a->c, ack, &ops);
    }
    if (a->c->v[PS_C_ANOM_STREAM_OVERLAP] != overlaps)
        p->anom |= 1ull << (PS_C_ANOM_STREAM_OVERLAP - PS_C_ANOM__FIRST);
    if (s->stop)
        slot_release(a, f, s);
}

/* ---- UDP ---- */

static void quic_datagram(struct ps_app *a, struct ps_flow *f, struct slot *s, int dir,
                          const struct ps_pkt *p)
{
    int st = ps_quic_feed(&s->u.quic, dir, p->payload, p->payload_len);
    size_t chlen;
    const uint8_t *ch = ps_quic_client_hello(&s->u.quic, &chlen);
    if (ch && !s->reported) {
        s->reported = true;
        memset(&a->ti, 0, sizeof(a->ti));
        if (ps_tls_client_hello(&a->ti, ch, chlen) != 0)
            a->c->v[PS_C_APP_TLS_MALFORMED]++;
        ps_vis_note_tls(f, &a->ti);
        if (a->out.quic)
            a->out.quic(a->out.ctx, f, p, &s->u.quic, &a->ti);
    }
    if (st != PS_APP_MORE) {
        s->bypass = st == PS_APP_DONE;
        slot_release(a, f, s);
    }
}

static void udp_packet(struct ps_app *a, struct ps_flow *f, int dir, struct ps_pkt *p)
{
    if (!p->payload_len || !a->slots)
        return;
    a->f = f;
    a->p = p;
    if (f->app_state == ST_NEW) {
        if (ps_quic_probe(p->payload, p->payload_len)) {
            struct slot *s = slot_take(a, f);
            if (!s)
                return;
            f->app_proto = s->proto = PS_APP_QUIC;
            ps_quic_init(&s->u.quic);
            a->c->v[PS_C_APP_QUIC]++;
        } else if (ps_dns_probe(p->payload, p->payload_len)) {
            f->app_proto = PS_APP_DNS;
            f->app_state = ST_ACTIVE;
            a->c->v[PS_C_APP_DNS]++;
        } else {
            f->app_state = ST_DONE;
            a->c->v[PS_C_APP_UNKNOWN]++;
            return;
        }
    }
    if (f->app_proto == PS_APP_DNS) {
        int rc = ps_dns_parse(p->payload, p->payload_len, &a->dns);
        if (rc)
            a->c->v[PS_C_APP_DNS_ERRORS]++;
        else
            emit_dns(a, dir, &a->dns);
    } else if (f->app_proto == PS_APP_QUIC && f->app) {
        quic_datagram(a, f, &a->slots[f->app - 1], dir, p);
    }
}

void ps_app_packet(struct ps_app *a, struct ps_flow *f, int dir, struct ps_pkt *p)
{
    if (!f->vis_hint && p->payload_len)
        ps_vis_note_payload(f, dir, p->payload, p->payload_len);
    if (p->proto == 6)
        tcp_packet(a, f, dir, p);
    else if (p->proto == 17 && f->app_state != ST_DONE)
        udp_packet(a, f, dir, p);
}

void ps_app_flow_end(struct ps_app *a, struct ps_flow *f)
{
    if (f->key.proto == 6) {
        ps_tcpseq_finish(&f->tseq[0], &f->missing[0]);
        ps_tcpseq_finish(&f->tseq[1], &f->missing[1]);
        a->c->v[PS_C_STREAM_MISSING_BYTES] += f->missing[0] + f->missing[1];
    }
    if (!f->app)
        return;
    struct slot *s = &a->slots[f->app - 1];
    a->f = f;
    a->p = NULL;
    a->s = s;
    report(a, s);
    if (s->proto == PS_APP_HTTP || s->proto == PS_APP_HTTP2)
        ps_http_flush(&s->u.http, emit_http, a);
    slot_release(a, f, s);
}
