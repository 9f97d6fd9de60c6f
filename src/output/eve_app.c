/* SPDX-License-Identifier: BSD-2-Clause */
/* Application events: dns, tls, http, ssh and quic records, in EVE with the
 * flow id and the mirror object, and in the store's tables. */
#include <stdio.h>
#include <string.h>

#include "app/applayer.h"
#include "app/dns.h"
#include "app/http.h"
#include "app/quic.h"
#include "app/ssh.h"
#include "app/tls.h"
#include "output/db.h"
#include "output/output.h"

/* Head of an application event of flow f; dir 0 writes the client as the
 * source, 1 the server. */
static void app_head(struct ps_out *o, const char *type, const struct ps_flow *f,
                     const struct ps_pkt *p, int dir, struct ps_db_row *row)
{
    struct ps_json *j = &o->j;
    const struct ps_flow_key *k = &f->key;
    bool cli_lo = f->init_is_lo;
    bool src_lo = dir == 0 ? cli_lo : !cli_lo;
    char ts[32], a[46], pn[8];
    memset(row, 0, sizeof(*row));
    row->ts_us = p ? p->ts_us : f->last_us;
    row->flow = f;
    row->ipver = k->ipver;
    row->proto = k->proto;
    row->src = src_lo ? k->lo : k->hi;
    row->dst = src_lo ? k->hi : k->lo;
    row->sport = src_lo ? k->plo : k->phi;
    row->dport = src_lo ? k->phi : k->plo;

    ps_json_reset(j);
    ps_json_obj_begin(j, NULL);
    ps_json_time(ts, row->ts_us);
    ps_json_ascii(j, "timestamp", ts);
    ps_json_u64(j, "flow_id", f->id);
    ps_json_ascii(j, "event_type", type);
    if (k->nvlan) {
        ps_json_arr_begin(j, "vlan");
        for (int i = 0; i < k->nvlan; i++)
            ps_json_u64(j, NULL, k->vlan[i]);
        ps_json_arr_end(j);
    }
    ps_json_ascii(j, "src_ip", ps_addr_str(k->ipver, row->src, a));
    ps_json_u64(j, "src_port", row->sport);
    ps_json_ascii(j, "dest_ip", ps_addr_str(k->ipver, row->dst, a));
    ps_json_u64(j, "dest_port", row->dport);
    ps_json_ascii(j, "proto", ps_proto_name(k->proto, pn));
    const char *ap = ps_app_proto_name(f->app_proto);
    if (ap)
        ps_json_ascii(j, "app_proto", ap);
    ps_out_flow_mirror(o, f);
}

static void app_write(struct ps_out *o, enum ps_db_app t, const struct ps_db_row *row)
{
    struct ps_json *j = &o->j;
    ps_json_obj_end(j);
    ps_out_write(o);
    if (o->db && !j->overflow)
        ps_dbsink_app(o->db, t, row, j->buf, j->len);
}

void ps_out_dns(void *ctx, const struct ps_flow *f, const struct ps_pkt *p, int dir,
                const struct ps_dns_msg *m)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    if (!m->nqd)
        return; /* nothing asked: Suricata writes nothing either */
    struct ps_db_row row;
    /* Transaction ids count the queries of the flow, as Suricata's do for
     * DNS over UDP: an answer shares its query's. */
    ((struct ps_dns_msg *)m)->tx_id = f->pkts[0] ? f->pkts[0] - 1 : 0;
    char tb[16], rb[16];
    /* A query: one record per question; a response: one record. */
    for (unsigned qi = 0; qi < (m->qr ? 1u : m->nqd); qi++) {
        app_head(o, "dns", f, p, dir, &row);
        if (m->qr)
            ps_dns_eve(&o->j, m);
        else
            ps_dns_eve_query(&o->j, m, qi);
        row.col[0] = m->qr ? "answer" : "query";
        row.col[1] = ps_dns_str(m, m->qd[qi].name);
        row.col[2] = ps_dns_type_name(m->qd[qi].type, tb);
        if (m->qr)
            row.col[3] = ps_dns_rcode_name(m->rcode, rb);
        app_write(o, PS_DB_DNS, &row);
    }
}

void ps_out_tls(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                const struct ps_tls_info *ti)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    struct ps_db_row row;
    app_head(o, "tls", f, p, 0, &row);
    ps_tls_eve(&o->j, ti);
    char sni[PS_TLS_SNI_MAX + 1], ver[24], ja3[1024], md5[33], ja4[40];
    size_t n = ti->sni_len < PS_TLS_SNI_MAX ? ti->sni_len : PS_TLS_SNI_MAX;
    memcpy(sni, ti->sni, n);
    sni[n] = 0;
    if (ti->sni_present)
        row.col[0] = sni;
    if (ti->have_sh) {
        ps_tls_version_str(ti->version, ver);
        row.col[1] = ver;
    }
    if (ti->have_ch) {
        if (ps_tls_ja3(ti, ja3, sizeof(ja3), md5))
            row.col[2] = md5;
        ps_tls_ja4(ti, 't', ja4);
        row.col[3] = ja4;
    }
    app_write(o, PS_DB_TLS, &row);
}

void ps_out_http(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                 const struct ps_http_tx *tx)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    struct ps_db_row row;
    app_head(o, "http", f, p, 0, &row);
    ps_http_eve(&o->j, tx);
    char st[8];
    if (tx->req) {
        row.col[0] = tx->req->host.s;
        row.col[1] = tx->req->method.s;
        row.col[2] = tx->req->uri.s;
        row.col[4] = tx->req->user_agent.s;
    }
    if (tx->resp) {
        snprintf(st, sizeof(st), "%u", tx->resp->status);
        row.col[3] = st;
    }
    app_write(o, PS_DB_HTTP, &row);
}

void ps_out_ssh(void *ctx, const struct ps_flow *f, const struct ps_pkt *p, const struct ps_ssh *s)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    struct ps_db_row row;
    app_head(o, "ssh", f, p, 0, &row);
    ps_ssh_eve(&o->j, s);
    for (int d = 0; d < 2; d++) {
        if (s->side[d].banner)
            row.col[d] = s->side[d].software;
        if (s->side[d].kexinit)
            row.col[2 + d] = s->side[d].hassh_md5;
    }
    app_write(o, PS_DB_SSH, &row);
}

void ps_out_quic(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                 const struct ps_quic *q, const struct ps_tls_info *ti)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    struct ps_json *j = &o->j;
    struct ps_db_row row;
    app_head(o, "quic", f, p, 0, &row);
    ps_json_obj_begin(j, "quic");
    ps_quic_eve(j, q);
    char sni[PS_TLS_SNI_MAX + 1], ja3[1024], md5[33], ja4[40], ver[12];
    snprintf(ver, sizeof(ver), "%x", q->first_version);
    row.col[0] = ver;
    if (ti->have_ch) {
        size_t n = ti->sni_len < PS_TLS_SNI_MAX ? ti->sni_len : PS_TLS_SNI_MAX;
        memcpy(sni, ti->sni, n);
        sni[n] = 0;
        if (ti->sni_present) {
            ps_json_str(j, "sni", sni);
            row.col[1] = sni;
        }
        if (ps_tls_ja3(ti, ja3, sizeof(ja3), md5)) {
            ps_json_obj_begin(j, "ja3");
            ps_json_ascii(j, "hash", md5);
            ps_json_ascii(j, "string", ja3);
            ps_json_obj_end(j);
        }
        ps_tls_ja4(ti, 'q', ja4);
        ps_json_ascii(j, "ja4", ja4);
        row.col[2] = ja4;
    }
    ps_json_obj_end(j);
    app_write(o, PS_DB_QUIC, &row);
}
