/* SPDX-License-Identifier: BSD-2-Clause */
/* The visibility report (report.h). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/visibility.h"
#include "core/jparse.h"
#include "report/report.h"

#define MAX_GROUPS 24 /* sessions or ENIs shown */
#define MAX_SNI    10
#define MAX_DET    8
#define NBUCKETS   24

/* What a class lets periscope see, for the per-group bars. */
enum { K_PAYLOAD, K_METADATA, K_OPAQUE, K_NONE, K__COUNT };
static const char *const kind_name[K__COUNT] = {"payload inspected", "metadata only", "opaque",
                                                "no payload"};
static const char *const kind_color[K__COUNT] = {"#2e7d32", "#1565c0", "#c62828", "#9e9e9e"};

struct tally {
    uint64_t flows, bytes;
};

struct group {
    char name[96];
    struct tally t;
    uint64_t kind_bytes[K__COUNT];
};

struct sni {
    char name[260];
    struct tally t;
};

struct detector {
    char name[40];
    uint64_t total;
    uint64_t b[NBUCKETS];
};

struct rep {
    struct tally all;
    struct tally cls[PS_VIS__COUNT];
    struct tally flag[PS_VIS_F__COUNT];
    uint64_t missing, trunc_pkts, dup_pkts;
    struct group sess[MAX_GROUPS], eni[MAX_GROUPS];
    int nsess, neni;
    struct sni sni[MAX_SNI];
    int nsni;
    struct detector det[MAX_DET];
    int ndet;
    int64_t t0, t1, bucket_s;
    uint64_t alerts;
};

static int kind_of(enum ps_vis_class c)
{
    switch (c) {
    case PS_VIS_CLEARTEXT:
        return K_PAYLOAD;
    case PS_VIS_TLS:
    case PS_VIS_TLS_MUTUAL:
    case PS_VIS_TLS_ECH:
    case PS_VIS_QUIC:
    case PS_VIS_DOH:
    case PS_VIS_DOT:
    case PS_VIS_DOQ:
    case PS_VIS_SSH:
        return K_METADATA;
    case PS_VIS_NONE:
        return K_NONE;
    default:
        return K_OPAQUE;
    }
}

static enum ps_vis_class class_of(const unsigned char *s)
{
    for (int c = 0; s && c < PS_VIS__COUNT; c++)
        if (!strcmp((const char *)s, ps_vis_class_name((enum ps_vis_class)c)))
            return (enum ps_vis_class)c;
    return PS_VIS_UNKNOWN;
}

static void copy_text(char *dst, size_t cap, const unsigned char *s, const char *dflt)
{
    snprintf(dst, cap, "%s", s ? (const char *)s : dflt);
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int load_classes(sqlite3 *db, struct rep *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (prep(db, "SELECT visibility, COUNT(*), TOTAL(bytes + bytes_rev) FROM flows GROUP BY 1", &st,
             err, errlen))
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        enum ps_vis_class c = class_of(sqlite3_column_text(st, 0));
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        uint64_t b = (uint64_t)sqlite3_column_double(st, 2);
        r->cls[c].flows += n;
        r->cls[c].bytes += b;
        r->all.flows += n;
        r->all.bytes += b;
    }
    sqlite3_finalize(st);
    if (prep(db,
             "SELECT visibility_flags, COUNT(*), TOTAL(bytes + bytes_rev), TOTAL(missing),"
             " TOTAL(truncated), TOTAL(duplicated) FROM flows GROUP BY 1",
             &st, err, errlen))
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *fl = (const char *)sqlite3_column_text(st, 0);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        uint64_t b = (uint64_t)sqlite3_column_double(st, 2);
        r->missing += (uint64_t)sqlite3_column_double(st, 3);
        r->trunc_pkts += (uint64_t)sqlite3_column_double(st, 4);
        r->dup_pkts += (uint64_t)sqlite3_column_double(st, 5);
        for (unsigned i = 0; fl && i < PS_VIS_F__COUNT; i++) {
            /* the flags are comma-joined names, none a prefix of another */
            if (strstr(fl, ps_vis_flag_name(i))) {
                r->flag[i].flows += n;
                r->flag[i].bytes += b;
            }
        }
    }
    sqlite3_finalize(st);
    return 0;
}

static int load_groups(sqlite3 *db, const char *keyexpr, struct group *g, int *ng, char *err,
                       size_t errlen)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT %s AS k, visibility, COUNT(*), TOTAL(bytes + bytes_rev) FROM flows"
             " GROUP BY 1, 2 ORDER BY 1",
             keyexpr);
    sqlite3_stmt *st;
    if (prep(db, sql, &st, err, errlen))
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char name[96];
        copy_text(name, sizeof(name), sqlite3_column_text(st, 0), "(none)");
        int i = 0;
        while (i < *ng && strcmp(g[i].name, name))
            i++;
        if (i == *ng) {
            if (*ng == MAX_GROUPS)
                continue; /* the page says how many were left out */
            (*ng)++;
            memset(&g[i], 0, sizeof(g[i]));
            memcpy(g[i].name, name, sizeof(name));
        }
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);
        uint64_t b = (uint64_t)sqlite3_column_double(st, 3);
        g[i].t.flows += n;
        g[i].t.bytes += b;
        g[i].kind_bytes[kind_of(class_of(sqlite3_column_text(st, 1)))] += b;
    }
    sqlite3_finalize(st);
    return 0;
}

static int load_sni(sqlite3 *db, struct rep *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (prep(db,
             "SELECT t.sni, COUNT(*), TOTAL(f.bytes + f.bytes_rev) FROM"
             " (SELECT flow_id, sni FROM tls UNION ALL SELECT flow_id, sni FROM quic) t"
             " LEFT JOIN flows f ON f.flow_id = t.flow_id"
             " WHERE t.sni IS NOT NULL AND t.sni != ''"
             " GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT 10",
             &st, err, errlen))
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW && r->nsni < MAX_SNI) {
        struct sni *s = &r->sni[r->nsni++];
        copy_text(s->name, sizeof(s->name), sqlite3_column_text(st, 0), "");
        s->t.flows = (uint64_t)sqlite3_column_int64(st, 1);
        s->t.bytes = (uint64_t)sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    return 0;
}

static int load_alerts(sqlite3 *db, struct rep *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (prep(db, "SELECT MIN(ts), MAX(ts), COUNT(*) FROM alerts", &st, err, errlen))
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        r->t0 = sqlite3_column_int64(st, 0);
        r->t1 = sqlite3_column_int64(st, 1);
        r->alerts = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    r->bucket_s = (r->t1 - r->t0) / NBUCKETS + 1;
    if (!r->alerts)
        return 0;
    if (prep(db,
             "SELECT detector, (ts - ?1) / ?2, COUNT(*) FROM alerts GROUP BY 1, 2 ORDER BY 1, 2",
             &st, err, errlen))
        return -1;
    sqlite3_bind_int64(st, 1, r->t0);
    sqlite3_bind_int64(st, 2, r->bucket_s);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char name[40];
        copy_text(name, sizeof(name), sqlite3_column_text(st, 0), "?");
        int i = 0;
        while (i < r->ndet && strcmp(r->det[i].name, name))
            i++;
        if (i == r->ndet) {
            if (r->ndet == MAX_DET)
                continue;
            r->ndet++;
            memcpy(r->det[i].name, name, sizeof(name));
        }
        int64_t b = sqlite3_column_int64(st, 1);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);
        if (b >= 0 && b < NBUCKETS)
            r->det[i].b[b] += n;
        r->det[i].total += n;
    }
    sqlite3_finalize(st);
    return 0;
}

static double pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

/* ---- text ---- */

static void text_groups(FILE *out, const char *title, const struct group *g, int n)
{
    if (!n)
        return;
    fprintf(out, "\n%s (bytes: payload / metadata / opaque / none):\n", title);
    for (int i = 0; i < n; i++)
        fprintf(out, "  %-24s %8llu flows %12llu bytes  %5.1f%% / %5.1f%% / %5.1f%% / %5.1f%%\n",
                g[i].name, (unsigned long long)g[i].t.flows, (unsigned long long)g[i].t.bytes,
                pct(g[i].kind_bytes[0], g[i].t.bytes), pct(g[i].kind_bytes[1], g[i].t.bytes),
                pct(g[i].kind_bytes[2], g[i].t.bytes), pct(g[i].kind_bytes[3], g[i].t.bytes));
}

static void text_report(FILE *out, const struct rep *r)
{
    fprintf(out, "Visibility: %llu flows, %llu bytes\n", (unsigned long long)r->all.flows,
            (unsigned long long)r->all.bytes);
    uint64_t kb[K__COUNT] = {0};
    for (int c = 0; c < PS_VIS__COUNT; c++)
        kb[kind_of((enum ps_vis_class)c)] += r->cls[c].bytes;
    fprintf(out,
            "  bytes: %.1f%% payload inspected, %.1f%% metadata only, %.1f%% opaque, %.1f%% "
            "no payload\n",
            pct(kb[0], r->all.bytes), pct(kb[1], r->all.bytes), pct(kb[2], r->all.bytes),
            pct(kb[3], r->all.bytes));
    fprintf(out, "\n%-18s %8s %7s %14s %7s\n", "class", "flows", "%", "bytes", "%");
    for (int c = 0; c < PS_VIS__COUNT; c++) {
        if (!r->cls[c].flows)
            continue;
        fprintf(out, "%-18s %8llu %6.1f%% %14llu %6.1f%%\n",
                ps_vis_class_name((enum ps_vis_class)c), (unsigned long long)r->cls[c].flows,
                pct(r->cls[c].flows, r->all.flows), (unsigned long long)r->cls[c].bytes,
                pct(r->cls[c].bytes, r->all.bytes));
    }
    fprintf(out, "\nMirror losses:\n");
    for (unsigned i = 0; i < PS_VIS_F__COUNT; i++)
        fprintf(out, "  %-11s %8llu flows (%.1f%%) %14llu bytes\n", ps_vis_flag_name(i),
                (unsigned long long)r->flag[i].flows, pct(r->flag[i].flows, r->all.flows),
                (unsigned long long)r->flag[i].bytes);
    fprintf(out, "  bytes never mirrored (TCP sequence gaps): %llu\n",
            (unsigned long long)r->missing);
    fprintf(out, "  packets truncated: %llu, duplicated: %llu\n", (unsigned long long)r->trunc_pkts,
            (unsigned long long)r->dup_pkts);
    text_groups(out, "Per mirror session", r->sess, r->nsess);
    text_groups(out, "Per source ENI", r->eni, r->neni);
    if (r->nsni) {
        fprintf(out, "\nTop encrypted destinations (SNI):\n");
        for (int i = 0; i < r->nsni; i++)
            fprintf(out, "  %-40s %6llu flows %12llu bytes\n", r->sni[i].name,
                    (unsigned long long)r->sni[i].t.flows, (unsigned long long)r->sni[i].t.bytes);
    }
    fprintf(out, "\nAlerts: %llu\n", (unsigned long long)r->alerts);
    for (int i = 0; i < r->ndet; i++)
        fprintf(out, "  %-16s %llu\n", r->det[i].name, (unsigned long long)r->det[i].total);
}

/* ---- HTML ---- */

static void esc(FILE *h, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", h);
            break;
        case '>':
            fputs("&gt;", h);
            break;
        case '&':
            fputs("&amp;", h);
            break;
        case '"':
            fputs("&quot;", h);
            break;
        default:
            fputc(*s, h);
        }
    }
}

static const char *const class_color[PS_VIS__COUNT] = {
    "#9e9e9e", "#2e7d32", "#1565c0", "#283593", "#0277bd", "#00838f", "#6a1b9a", "#8e24aa",
    "#ab47bc", "#e65100", "#ef6c00", "#f57c00", "#4527a0", "#c62828", "#795548"};

/* One horizontal bar of 600 px split by shares. */
static void svg_stack(FILE *h, const char *id, const uint64_t *v, const char *const *color, int n,
                      uint64_t total)
{
    fprintf(h, "<svg id=\"%s\" width=\"600\" height=\"24\" role=\"img\">", id);
    double x = 0;
    for (int i = 0; i < n; i++) {
        if (!v[i] || !total)
            continue;
        double w = 600.0 * (double)v[i] / (double)total;
        fprintf(h, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"24\" fill=\"%s\"/>", x, w,
                color[i]);
        x += w;
    }
    fputs("</svg>", h);
}

static void html_groups(FILE *h, const char *id, const char *title, const struct group *g, int n)
{
    fprintf(h,
            "<h2>%s</h2>\n<table id=\"%s\"><tr><th>name</th><th>flows</th><th>bytes</th>"
            "<th>bytes by visibility</th></tr>\n",
            title, id);
    for (int i = 0; i < n; i++) {
        fputs("<tr><td>", h);
        esc(h, g[i].name);
        fprintf(h, "</td><td>%llu</td><td>%llu</td><td>", (unsigned long long)g[i].t.flows,
                (unsigned long long)g[i].t.bytes);
        char sid[48];
        snprintf(sid, sizeof(sid), "%s-%d", id, i);
        svg_stack(h, sid, g[i].kind_bytes, kind_color, K__COUNT, g[i].t.bytes);
        fputs("</td></tr>\n", h);
    }
    fputs("</table>\n", h);
}

static void html_alerts(FILE *h, const struct rep *r)
{
    fprintf(h, "<h2>Alerts by detector over time</h2>\n<p id=\"alerts-total\">%llu alerts</p>\n",
            (unsigned long long)r->alerts);
    if (!r->ndet)
        return;
    uint64_t max = 1;
    for (int i = 0; i < r->ndet; i++)
        for (int b = 0; b < NBUCKETS; b++)
            if (r->det[i].b[b] > max)
                max = r->det[i].b[b];
    int rowh = 40;
    fprintf(h, "<svg id=\"alerts-chart\" width=\"760\" height=\"%d\" role=\"img\">",
            rowh * r->ndet + 20);
    for (int i = 0; i < r->ndet; i++) {
        int y = i * rowh;
        fprintf(h, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 24);
        esc(h, r->det[i].name);
        fprintf(h, " (%llu)</text>", (unsigned long long)r->det[i].total);
        for (int b = 0; b < NBUCKETS; b++) {
            if (!r->det[i].b[b])
                continue;
            double bh = 34.0 * (double)r->det[i].b[b] / (double)max;
            fprintf(h,
                    "<rect class=\"alert-bar\" x=\"%d\" y=\"%.2f\" width=\"20\" height=\"%.2f\" "
                    "fill=\"#c62828\"><title>%llu</title></rect>",
                    160 + b * 24, y + 36 - bh, bh, (unsigned long long)r->det[i].b[b]);
        }
    }
    fprintf(h,
            "<text x=\"160\" y=\"%d\" font-size=\"11\">%lld s per bar from %lld (Unix time)</text>",
            rowh * r->ndet + 14, (long long)r->bucket_s, (long long)r->t0);
    fputs("</svg>\n", h);
}

static void html_cost(FILE *h, const struct ps_jnode *cost)
{
    fputs("<h2>Mirroring cost and coverage (periscope cost)</h2>\n<table id=\"cost\">", h);
    const struct ps_jnode *t = ps_jget(cost, "totals");
    for (const struct ps_jnode *m = t ? t->child : NULL; m; m = m->next) {
        if (m->type != PS_J_NUM || !m->key)
            continue;
        fputs("<tr><td>", h);
        esc(h, m->key);
        fprintf(h, "</td><td>%.2f</td></tr>", m->num);
    }
    const struct ps_jnode *g = ps_jget(cost, "gaps");
    size_t ng = 0;
    for (const struct ps_jnode *m = g ? g->child : NULL; m; m = m->next)
        ng++;
    fprintf(h, "<tr><td>coverage gaps</td><td>%zu</td></tr></table>\n<ul>", ng);
    for (const struct ps_jnode *m = g ? g->child : NULL; m; m = m->next) {
        const struct ps_jnode *k = ps_jget(m, "kind"), *s = ps_jget(m, "subject"),
                              *d = ps_jget(m, "detail");
        fputs("<li>", h);
        if (k && k->str)
            esc(h, k->str);
        fputs(": ", h);
        if (s && s->str)
            esc(h, s->str);
        fputs(" &mdash; ", h);
        if (d && d->str)
            esc(h, d->str);
        fputs("</li>", h);
    }
    fputs("</ul>\n", h);
}

static void text_cost(FILE *out, const struct ps_jnode *cost)
{
    const struct ps_jnode *t = ps_jget(cost, "totals");
    const struct ps_jnode *u = t ? ps_jget(t, "usd_total") : NULL;
    const struct ps_jnode *a = t ? ps_jget(t, "usd_if_all_mirrored") : NULL;
    const struct ps_jnode *g = ps_jget(cost, "gaps");
    size_t ng = 0;
    for (const struct ps_jnode *m = g ? g->child : NULL; m; m = m->next)
        ng++;
    fprintf(out,
            "\nMirroring cost: %.2f USD a month (%.2f if everything were mirrored), %zu "
            "coverage gaps\n",
            u ? u->num : 0.0, a ? a->num : 0.0, ng);
}

static void html_report(FILE *h, const struct rep *r, const char *title,
                        const struct ps_jnode *cost)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", h);
    esc(h, title);
    fputs("</title><style>body{font-family:sans-serif;max-width:960px;margin:1em auto}"
          "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
          "text-align:left}td.n{text-align:right}.sw{display:inline-block;width:10px;"
          "height:10px;margin-right:4px}</style></head><body>\n<h1>",
          h);
    esc(h, title);
    fprintf(h,
            "</h1>\n<p>Do I have the visibility I think I have? <span id=\"flows-total\">%llu"
            "</span> flows, <span id=\"bytes-total\">%llu</span> bytes.</p>\n",
            (unsigned long long)r->all.flows, (unsigned long long)r->all.bytes);
    uint64_t cf[PS_VIS__COUNT], cb[PS_VIS__COUNT];
    for (int c = 0; c < PS_VIS__COUNT; c++) {
        cf[c] = r->cls[c].flows;
        cb[c] = r->cls[c].bytes;
    }
    fputs("<h2>Share per visibility class</h2>\n<p>flows</p>", h);
    svg_stack(h, "class-flows", cf, class_color, PS_VIS__COUNT, r->all.flows);
    fputs("<p>bytes</p>", h);
    svg_stack(h, "class-bytes", cb, class_color, PS_VIS__COUNT, r->all.bytes);
    fputs("\n<table id=\"classes\"><tr><th>class</th><th>flows</th><th>%</th><th>bytes</th>"
          "<th>%</th></tr>\n",
          h);
    for (int c = 0; c < PS_VIS__COUNT; c++) {
        if (!r->cls[c].flows)
            continue;
        const char *n = ps_vis_class_name((enum ps_vis_class)c);
        fprintf(h,
                "<tr data-class=\"%s\"><td><span class=\"sw\" style=\"background:%s\"></span>%s"
                "</td><td class=\"n flows\">%llu</td><td class=\"n\">%.1f</td>"
                "<td class=\"n bytes\">%llu</td><td class=\"n\">%.1f</td></tr>\n",
                n, class_color[c], n, (unsigned long long)r->cls[c].flows,
                pct(r->cls[c].flows, r->all.flows), (unsigned long long)r->cls[c].bytes,
                pct(r->cls[c].bytes, r->all.bytes));
    }
    fputs("</table>\n<p>", h);
    for (int k = 0; k < K__COUNT; k++)
        fprintf(h, "<span class=\"sw\" style=\"background:%s\"></span>%s &nbsp; ", kind_color[k],
                kind_name[k]);
    fputs("</p>\n<h2>What the mirror lost</h2>\n<table id=\"losses\"><tr><th>flag</th>"
          "<th>flows</th><th>%</th><th>bytes</th></tr>\n",
          h);
    for (unsigned i = 0; i < PS_VIS_F__COUNT; i++)
        fprintf(h,
                "<tr data-flag=\"%s\"><td>%s</td><td class=\"n flows\">%llu</td>"
                "<td class=\"n\">%.1f</td><td class=\"n bytes\">%llu</td></tr>\n",
                ps_vis_flag_name(i), ps_vis_flag_name(i), (unsigned long long)r->flag[i].flows,
                pct(r->flag[i].flows, r->all.flows), (unsigned long long)r->flag[i].bytes);
    fprintf(h,
            "</table>\n<p>Estimated bytes never mirrored (TCP sequence gaps): <b id=\"missing\">"
            "%llu</b>; packets truncated <b id=\"trunc-pkts\">%llu</b>, duplicated <b "
            "id=\"dup-pkts\">%llu</b>.</p>\n",
            (unsigned long long)r->missing, (unsigned long long)r->trunc_pkts,
            (unsigned long long)r->dup_pkts);
    html_groups(h, "sessions", "Per mirror session", r->sess, r->nsess);
    html_groups(h, "enis", "Per source ENI", r->eni, r->neni);
    fputs("<h2>Top encrypted destinations (SNI)</h2>\n", h);
    uint64_t max = 1;
    for (int i = 0; i < r->nsni; i++)
        if (r->sni[i].t.bytes > max)
            max = r->sni[i].t.bytes;
    fprintf(h, "<svg id=\"sni-chart\" width=\"760\" height=\"%d\" role=\"img\">", r->nsni * 22 + 4);
    for (int i = 0; i < r->nsni; i++) {
        fprintf(h, "<text x=\"0\" y=\"%d\" font-size=\"12\">", i * 22 + 15);
        esc(h, r->sni[i].name);
        fprintf(h,
                "</text><rect x=\"300\" y=\"%d\" width=\"%.2f\" height=\"18\" fill=\"#1565c0\"/>"
                "<text x=\"%.2f\" y=\"%d\" font-size=\"11\">%llu flows, %llu bytes</text>",
                i * 22, 300.0 * (double)r->sni[i].t.bytes / (double)max,
                305 + 300.0 * (double)r->sni[i].t.bytes / (double)max, i * 22 + 14,
                (unsigned long long)r->sni[i].t.flows, (unsigned long long)r->sni[i].t.bytes);
    }
    fputs("</svg>\n", h);
    html_alerts(h, r);
    if (cost)
        html_cost(h, cost);
    fputs("<p><small>periscope report: classes and flags are defined in README.md "
          "(Visibility).</small></p>\n</body></html>\n",
          h);
}

int ps_report_run(const struct ps_report_opts *o, FILE *out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", o->db, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return -1;
    }
    struct rep *r = calloc(1, sizeof(*r));
    struct ps_jnode *cost = NULL;
    int rc = -1;
    if (!r) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (o->cost && !(cost = ps_jparse_file(o->cost, err, errlen)))
        goto out;
    if (load_classes(db, r, err, errlen) ||
        load_groups(db, "CASE WHEN vni IS NULL THEN encap ELSE encap || ' vni ' || vni END",
                    r->sess, &r->nsess, err, errlen) ||
        load_groups(db, "interface_id", r->eni, &r->neni, err, errlen) ||
        load_sni(db, r, err, errlen) || load_alerts(db, r, err, errlen))
        goto out;
    text_report(out, r);
    if (cost)
        text_cost(out, cost);
    if (o->html) {
        FILE *h = fopen(o->html, "w");
        if (!h) {
            snprintf(err, errlen, "%s: cannot write", o->html);
            goto out;
        }
        html_report(h, r, o->title ? o->title : "periscope visibility report", cost);
        if (fclose(h) != 0) {
            snprintf(err, errlen, "%s: write failed", o->html);
            goto out;
        }
        fprintf(out, "\nHTML report: %s\n", o->html);
    }
    rc = 0;
out:
    if (rc && !err[0])
        snprintf(err, errlen, "%s: %s", o->db, sqlite3_errmsg(db));
    ps_jfree(cost);
    free(r);
    sqlite3_close(db);
    return rc;
}
