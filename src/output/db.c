/* SPDX-License-Identifier: BSD-2-Clause */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "app/applayer.h"
#include "app/visibility.h"
#include "output/db.h"
#include "output/output.h"

static const char flow_sql[] =
    "INSERT INTO flows(flow_id, interface_id, vni, encap, mirror_source, srcaddr, dstaddr,"
    " srcport, dstport, protocol, packets, bytes, packets_rev, bytes_rev, start, end,"
    " tcp_flags, tcp_flags_rev, state, reason, truncated, record, app_proto, visibility,"
    " visibility_flags, missing, duplicated)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static const char alert_sql[] =
    "INSERT INTO alerts(ts, vni, srcaddr, dstaddr, srcport, dstport, protocol, detector,"
    " signature_id, signature, severity, evidence, record) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";

int ps_dbsink_open(struct ps_dbsink *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->mu, NULL);
    if (ps_store_open(&d->st, path, false, err, errlen) != 0)
        return -1;
    if (sqlite3_prepare_v2(d->st.db, flow_sql, -1, &d->flow, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(d->st.db, alert_sql, -1, &d->alert, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(d->st.db));
        ps_dbsink_close(d);
        return -1;
    }
    return ps_store_begin(&d->st, err, errlen);
}

static void done(struct ps_dbsink *d, sqlite3_stmt *st)
{
    char e[256];
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (!d->errors++)
            snprintf(d->err, sizeof(d->err), "%s", sqlite3_errmsg(d->st.db));
    } else {
        d->rows++;
        if (ps_store_row(&d->st, e, sizeof(e)) != 0 && !d->errors++)
            snprintf(d->err, sizeof(d->err), "%s", e);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void flow_row(struct ps_dbsink *d, const struct ps_flow *f, enum ps_flow_end why,
                     const struct ps_session *s, const char *eni, const char *json, size_t len)
{
    const struct ps_flow_key *k = &f->key;
    const uint8_t *src = f->init_is_lo ? k->lo : k->hi;
    const uint8_t *dst = f->init_is_lo ? k->hi : k->lo;
    bool ports = k->proto == 6 || k->proto == 17 || k->proto == 132;
    char sa[46], da[46], ms[46];
    sqlite3_stmt *st = d->flow;
    int i = 1;
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->id);
    if (eni)
        sqlite3_bind_text(st, i, eni, -1, SQLITE_TRANSIENT);
    i++;
    if (s && (s->m.has_vni || s->m.has_erspan_id))
        sqlite3_bind_int64(st, i, s->m.has_vni ? s->m.vni : s->m.erspan_id);
    i++;
    sqlite3_bind_text(st, i++, ps_encap_name(k->encap), -1, SQLITE_STATIC);
    if (s && s->m.outer_ver)
        sqlite3_bind_text(st, i, ps_addr_str(s->m.outer_ver, s->m.src, ms), -1, SQLITE_TRANSIENT);
    i++;
    sqlite3_bind_text(st, i++, ps_addr_str(k->ipver, src, sa), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, i++, ps_addr_str(k->ipver, dst, da), -1, SQLITE_TRANSIENT);
    if (ports) {
        sqlite3_bind_int(st, i, f->init_is_lo ? k->plo : k->phi);
        sqlite3_bind_int(st, i + 1, f->init_is_lo ? k->phi : k->plo);
    }
    i += 2;
    sqlite3_bind_int(st, i++, k->proto);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->pkts[0]);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->bytes[0]);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->pkts[1]);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->bytes[1]);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)(f->first_us / 1000000));
    sqlite3_bind_int64(st, i++, (sqlite3_int64)(f->last_us / 1000000));
    sqlite3_bind_int(st, i++, f->flags[0]);
    sqlite3_bind_int(st, i++, f->flags[1]);
    sqlite3_bind_text(st, i++,
                      f->tclass == PS_TC_TCP_CLOSED ? "closed"
                      : f->pkts[0] && f->pkts[1]    ? "established"
                                                    : "new",
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, ps_flow_end_name(why), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->trunc_pkts);
    sqlite3_bind_text(st, i++, json, (int)len, SQLITE_TRANSIENT);
    const char *ap = ps_app_proto_name(f->app_proto);
    if (ap)
        sqlite3_bind_text(st, i, ap, -1, SQLITE_STATIC);
    i++;
    char vf[64];
    sqlite3_bind_text(st, i++, ps_vis_class_name(ps_vis_class(f)), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, ps_vis_flags_str(ps_vis_flags(f), vf), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)(f->missing[0] + f->missing[1]));
    sqlite3_bind_int64(st, i++, (sqlite3_int64)f->dup_pkts);
    done(d, st);
}

static void alert_row(struct ps_dbsink *d, const struct ps_alert *a, const char *json, size_t len)
{
    const struct ps_sig_info *si = &ps_sig_table[a->sig];
    char sa[46], da[46];
    sqlite3_stmt *st = d->alert;
    int i = 1;
    sqlite3_bind_int64(st, i++, (sqlite3_int64)(a->ts_us / 1000000));
    if (a->m.has_vni)
        sqlite3_bind_int64(st, i, a->m.vni);
    i++;
    sqlite3_bind_text(st, i++, ps_addr_str(a->ipver, a->src, sa), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, i++, ps_addr_str(a->ipver, a->dst, da), -1, SQLITE_TRANSIENT);
    if (a->has_ports) {
        sqlite3_bind_int(st, i, a->sport);
        sqlite3_bind_int(st, i + 1, a->dport);
    }
    i += 2;
    sqlite3_bind_int(st, i++, a->proto);
    sqlite3_bind_text(st, i++, si->detector, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, i++, si->sid);
    sqlite3_bind_text(st, i++, si->msg, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, i++, si->severity);
    /* The evidence object is inside the record; json_extract() reaches it. */
    i++;
    sqlite3_bind_text(st, i++, json, (int)len, SQLITE_TRANSIENT);
    done(d, st);
}

static const struct {
    const char *table;
    const char *cols; /* its own columns, in ps_db_row.col order */
    int ncols;
} app_tables[PS_DB__APP] = {
    [PS_DB_DNS] = {"dns", "type, rrname, rrtype, rcode", 4},
    [PS_DB_TLS] = {"tls", "sni, version, ja3, ja4", 4},
    [PS_DB_HTTP] = {"http", "hostname, method, url, status, user_agent", 5},
    [PS_DB_SSH] = {"ssh", "client_software, server_software, hassh, hassh_server", 4},
    [PS_DB_QUIC] = {"quic", "version, sni, ja4", 3},
};

static void app_row(struct ps_dbsink *d, enum ps_db_app t, const struct ps_db_row *r,
                    const char *json, size_t len)
{
    if (!d->app[t]) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO %s(ts, flow_id, vni, srcaddr, dstaddr, srcport, dstport, protocol,"
                 " %s, record) VALUES(?,?,?,?,?,?,?,?%.*s,?)",
                 app_tables[t].table, app_tables[t].cols, app_tables[t].ncols * 2, ",?,?,?,?,?");
        if (sqlite3_prepare_v2(d->st.db, sql, -1, &d->app[t], NULL) != SQLITE_OK) {
            if (!d->errors++)
                snprintf(d->err, sizeof(d->err), "%s", sqlite3_errmsg(d->st.db));
            return;
        }
    }
    sqlite3_stmt *st = d->app[t];
    char sa[46], da[46];
    int i = 1;
    sqlite3_bind_int64(st, i++, (sqlite3_int64)(r->ts_us / 1000000));
    sqlite3_bind_int64(st, i++, (sqlite3_int64)r->flow->id);
    if (r->flow->key.vni)
        sqlite3_bind_int64(st, i, r->flow->key.vni);
    i++;
    sqlite3_bind_text(st, i++, ps_addr_str(r->ipver, r->src, sa), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, i++, ps_addr_str(r->ipver, r->dst, da), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, i++, r->sport);
    sqlite3_bind_int(st, i++, r->dport);
    sqlite3_bind_int(st, i++, r->proto);
    for (int k = 0; k < app_tables[t].ncols; k++, i++)
        if (r->col[k])
            sqlite3_bind_text(st, i, r->col[k], -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, i, json, (int)len, SQLITE_TRANSIENT);
    done(d, st);
}

static void commit(struct ps_dbsink *d)
{
    char e[256];
    if (!d->st.db || !d->st.pending)
        return;
    if (ps_store_flush(&d->st, e, sizeof(e)) != 0 || ps_store_begin(&d->st, e, sizeof(e)) != 0) {
        if (!d->errors++)
            snprintf(d->err, sizeof(d->err), "%s", e);
    }
}

/* The entry points: one row or commit at a time, whichever worker asks. */
void ps_dbsink_flow(struct ps_dbsink *d, const struct ps_flow *f, enum ps_flow_end why,
                    const struct ps_session *s, const char *eni, const char *json, size_t len)
{
    pthread_mutex_lock(&d->mu);
    flow_row(d, f, why, s, eni, json, len);
    pthread_mutex_unlock(&d->mu);
}

void ps_dbsink_alert(struct ps_dbsink *d, const struct ps_alert *a, const char *json, size_t len)
{
    pthread_mutex_lock(&d->mu);
    alert_row(d, a, json, len);
    pthread_mutex_unlock(&d->mu);
}

void ps_dbsink_app(struct ps_dbsink *d, enum ps_db_app t, const struct ps_db_row *r,
                   const char *json, size_t len)
{
    pthread_mutex_lock(&d->mu);
    app_row(d, t, r, json, len);
    pthread_mutex_unlock(&d->mu);
}

void ps_dbsink_commit(struct ps_dbsink *d)
{
    pthread_mutex_lock(&d->mu);
    commit(d);
    pthread_mutex_unlock(&d->mu);
}

void ps_dbsink_close(struct ps_dbsink *d)
{
    sqlite3_finalize(d->flow);
    sqlite3_finalize(d->alert);
    d->flow = d->alert = NULL;
    for (int t = 0; t < PS_DB__APP; t++) {
        sqlite3_finalize(d->app[t]);
        d->app[t] = NULL;
    }
    ps_store_close(&d->st);
}
