/* SPDX-License-Identifier: BSD-2-Clause */
/* Output of `periscope cost`: a readable report, or one JSON document
 * complete enough for the HTML report (issue 6). */
#include <stdlib.h>
#include <string.h>

#include "cost/cost.h"
#include "output/json.h"

static const char *elig_name(enum ps_cost_elig e)
{
    return e == PS_ELIG_YES ? "yes" : e == PS_ELIG_NO ? "no" : "unknown";
}

static const char *tkind_name(enum ps_cost_tkind k)
{
    switch (k) {
    case PS_T_ENI:
        return "network-interface";
    case PS_T_NLB:
        return "network-load-balancer";
    case PS_T_GWLBE:
        return "gateway-load-balancer-endpoint";
    case PS_T_UNKNOWN:
        break;
    }
    return "unknown";
}

/* "us-east-1a" -> "us-east-1" (the region of the zones). */
static void region_of(const char *az, char *out, size_t cap)
{
    size_t n = strlen(az);
    while (n > 0 && az[n - 1] >= 'a' && az[n - 1] <= 'z')
        n--;
    snprintf(out, cap, "%.*s", (int)n, az);
}

/* The first zone whose region differs from the price file's, or NULL. */
static const char *other_region(const struct ps_cost *c, const struct ps_cost_prices *p)
{
    for (int i = 0; i < c->nifs; i++) {
        char r[PS_COST_ID];
        region_of(c->ifs[i].az, r, sizeof(r));
        if (r[0] && p->region[0] && strcmp(r, p->region) != 0)
            return c->ifs[i].az;
    }
    return NULL;
}

static void datafile_line(FILE *out, const char *what, const struct ps_cost_datafile *f)
{
    fprintf(out, "%s: %s (version %s, %s; source: %s)\n", what, f->path, f->version, f->date,
            f->source);
}

void ps_cost_print_table(const struct ps_cost *c, const struct ps_cost_prices *p,
                         const struct ps_cost_types *t, FILE *out)
{
    const double gb = p->bytes_per_gb;
    const char *cur = p->currency;
    fprintf(out,
            "periscope cost: %d interfaces, %d mirror sessions, %d targets, %d filters; "
            "a month = %.0f hours\n",
            c->nifs, c->nses, c->ntgt, c->nflt, c->hours);
    datafile_line(out, "prices", &p->file);
    datafile_line(out, "instance types", &t->file);
    const char *oz = other_region(c, p);
    if (oz)
        fprintf(out, "warning: prices are for %s but interfaces are in %s (--prices FILE)\n",
                p->region, oz);
    if (c->have_flowlogs)
        fprintf(out, "flow logs: %.0f records over %.2f hours, scaled to %.0f hours%s\n",
                c->fl_records, c->fl_span_s / 3600.0, c->hours,
                c->fl_unknown > 0 ? " (records of interfaces not in the input ignored)" : "");
    else
        fprintf(out, "flow logs: none for these interfaces: no traffic volumes\n");

    fprintf(out, "\nInterfaces (cost a month, %s):\n", cur);
    fprintf(out, "%-22s %-13s %-14s %-12s %-7s %3s %10s %10s %8s %9s %8s %9s\n", "INTERFACE",
            "KIND", "INSTANCE-TYPE", "AZ", "MIRROR", "SES", "GB", "MIRROR-GB", "ENI-H", "TRANSFER",
            "LB-GB", "TOTAL");
    for (int i = 0; i < c->nifs; i++) {
        const struct ps_cost_iface *f = &c->ifs[i];
        fprintf(out, "%-22s %-13s %-14s %-12s %-7s %3d %10.3f %10.3f %8.2f %9.2f %8.2f %9.2f\n",
                f->id, f->kind, f->instance_type[0] ? f->instance_type : "-",
                f->az[0] ? f->az : "-", elig_name(f->elig), f->nsessions, f->month_bytes / gb,
                f->mirrored_bytes / gb, f->usd_eni, f->usd_transfer, f->usd_processing,
                f->usd_total);
    }
    fprintf(out, "\nWhy (and what to do instead):\n");
    for (int i = 0; i < c->nifs; i++) {
        const struct ps_cost_iface *f = &c->ifs[i];
        fprintf(out, "  %-22s %s: %s\n", f->id, elig_name(f->elig), f->reason);
        if (f->alternative[0])
            fprintf(out, "  %-22s instead: %s\n", "", f->alternative);
    }
    if (c->nses) {
        fprintf(out, "\nSessions:\n");
        fprintf(out, "%-24s %-22s %-24s %5s %6s %-17s %10s %9s\n", "SESSION", "SOURCE", "TARGET",
                "NUM", "LENGTH", "PATH", "MIRROR-GB", "TRANSFER");
        for (int s = 0; s < c->nses; s++) {
            const struct ps_cost_session *x = &c->ses[s];
            char len[16];
            snprintf(len, sizeof(len), x->packet_length ? "%d" : "all", x->packet_length);
            fprintf(out, "%-24s %-22s %-24s %5d %6s %-17s %10.3f %9.2f\n", x->id, x->eni, x->target,
                    x->number, len, x->path, x->mirrored_bytes / gb, x->usd_transfer);
        }
    }
    if (c->ntgt) {
        fprintf(out, "\nTargets:\n");
        fprintf(out, "%-24s %-31s %-25s %7s %10s %9s %9s\n", "TARGET", "KIND", "ZONES", "SOURCES",
                "MIRROR-GB", "HOURLY", "PER-GB");
        for (int k = 0; k < c->ntgt; k++) {
            const struct ps_cost_target *g = &c->tgt[k];
            char zones[64] = "-", src[24];
            size_t n = 0;
            for (int z = 0; z < g->naz && n < sizeof(zones); z++)
                n += (size_t)snprintf(zones + n, sizeof(zones) - n, "%s%s", z ? "," : "", g->az[z]);
            if (g->max_sources)
                snprintf(src, sizeof(src), "%d/%d", g->nsources, g->max_sources);
            else
                snprintf(src, sizeof(src), "%d", g->nsources);
            fprintf(out, "%-24s %-31s %-25s %7s %10.3f %9.2f %9.2f\n", g->id, tkind_name(g->kind),
                    zones, src, g->mirrored_bytes / gb, g->usd_fixed, g->usd_processing);
        }
    }
    fprintf(out,
            "\nTotal a month: %.2f %s = session ENI-hours %.2f + data transfer %.2f + "
            "load balancer per-GB %.2f + target hourly %.2f (mirrored %.3f GB)\n",
            c->usd_total, cur, c->usd_eni, c->usd_transfer, c->usd_processing, c->usd_targets,
            c->mirrored_gb);
    fprintf(out,
            "With every mirrorable interface that has no session mirrored to a target in its "
            "own zone: %.2f %s a month\n",
            c->usd_if_all_mirrored, cur);
    fprintf(out, "Not included: the sensor instances behind interface targets (unless "
                 "--target-hourly), flow-log and CloudWatch charges.\n");
    bool unconfirmed = false;
    for (int i = 0; i < PS_P__COUNT; i++)
        unconfirmed |= !p->p[i].confirmed;
    if (unconfirmed) {
        fprintf(out, "Prices the data file marks as not confirmed:");
        for (int i = 0; i < PS_P__COUNT; i++) {
            if (!p->p[i].confirmed)
                fprintf(out, " %s (%.4f)", ps_cost_price_names[i], p->p[i].usd);
        }
        fputc('\n', out);
    }
    fprintf(out, "\nRecommendations:\n");
    if (!c->nreco)
        fprintf(out, "  none: no session sends data across zones at a cost above a target of its "
                     "own\n");
    for (int k = 0; k < c->nreco; k++) {
        const struct ps_cost_reco *r = &c->reco[k];
        fprintf(out,
                "  %s: %d interface(s) send %.3f GB a month to targets in other zones (%.2f %s); "
                "a target in %s costs %.2f %s (--target-hourly): saving %.2f %s a month\n",
                r->az, r->interfaces, r->cross_az_gb, r->cross_az_usd, cur, r->az,
                r->new_target_usd, cur, r->saving_usd, cur);
    }
    fprintf(out, "\nCoverage gaps:\n");
    for (int k = 0; k < c->ngaps; k++) {
        const struct ps_cost_gap *g = &c->gaps[k];
        fprintf(out, "  %-22s %-24s %s\n", g->kind, g->subject, g->detail);
    }
}

static void json_datafile(struct ps_json *j, const char *key, const struct ps_cost_datafile *f)
{
    ps_json_obj_begin(j, key);
    ps_json_str(j, "path", f->path);
    ps_json_str(j, "version", f->version);
    ps_json_str(j, "date", f->date);
    ps_json_str(j, "source", f->source);
    ps_json_obj_end(j);
}

static void json_iface(struct ps_json *j, const struct ps_cost *c, const struct ps_cost_iface *f,
                       double gb)
{
    ps_json_obj_begin(j, NULL);
    ps_json_str(j, "interface_id", f->id);
    ps_json_str(j, "interface_type", f->type);
    ps_json_ascii(j, "kind", f->kind);
    ps_json_str(j, "description", f->desc);
    ps_json_str(j, "availability_zone", f->az);
    ps_json_str(j, "subnet_id", f->subnet);
    ps_json_str(j, "vpc_id", f->vpc);
    ps_json_str(j, "instance_id", f->instance_id);
    ps_json_str(j, "instance_type", f->instance_type);
    ps_json_ascii(j, "mirrorable", elig_name(f->elig));
    ps_json_str(j, "reason", f->reason);
    ps_json_str(j, "alternative", f->alternative);
    ps_json_bool(j, "is_target", f->is_target);
    ps_json_arr_begin(j, "sessions");
    int n = f->nsessions < PS_COST_MAX_SES ? f->nsessions : PS_COST_MAX_SES;
    for (int k = 0; k < n; k++)
        ps_json_str(j, NULL, c->ses[f->ses[k]].id);
    ps_json_arr_end(j);
    ps_json_i64(j, "session_count", f->nsessions);
    ps_json_double(j, "flowlog_bytes", f->fl_bytes);
    ps_json_double(j, "flowlog_packets", f->fl_packets);
    ps_json_double(j, "rejected_bytes", f->rej_bytes);
    ps_json_double(j, "month_gb", f->month_bytes / gb);
    ps_json_double(j, "mirrored_gb", f->mirrored_bytes / gb);
    ps_json_double(j, "unfiltered_gb", f->plan_bytes / gb);
    ps_json_obj_begin(j, "usd");
    ps_json_double(j, "session_eni_hours", f->usd_eni);
    ps_json_double(j, "data_transfer", f->usd_transfer);
    ps_json_double(j, "load_balancer_per_gb", f->usd_processing);
    ps_json_double(j, "total", f->usd_total);
    ps_json_double(j, "if_mirrored", f->usd_if_mirrored);
    ps_json_obj_end(j);
    ps_json_obj_end(j);
}

/* The whole document into j (which overflows when it is too small). */
static void json_doc(struct ps_json *jj, const struct ps_cost *c, const struct ps_cost_prices *p,
                     const struct ps_cost_types *t)
{
    const double gb = p->bytes_per_gb;
    struct ps_json j = *jj;
    ps_json_obj_begin(&j, NULL);
    ps_json_double(&j, "hours", c->hours);
    ps_json_str(&j, "currency", p->currency);
    json_datafile(&j, "prices", &p->file);
    json_datafile(&j, "instance_types", &t->file);
    ps_json_obj_begin(&j, "price_list");
    ps_json_str(&j, "region", p->region);
    ps_json_double(&j, "bytes_per_gb", p->bytes_per_gb);
    for (int i = 0; i < PS_P__COUNT; i++) {
        ps_json_obj_begin(&j, ps_cost_price_names[i]);
        ps_json_double(&j, "usd", p->p[i].usd);
        ps_json_bool(&j, "confirmed", p->p[i].confirmed);
        ps_json_obj_end(&j);
    }
    ps_json_obj_end(&j);
    const char *oz = other_region(c, p);
    if (oz)
        ps_json_str(&j, "region_mismatch", oz);
    ps_json_obj_begin(&j, "flowlogs");
    ps_json_bool(&j, "present", c->have_flowlogs);
    ps_json_double(&j, "records", c->fl_records);
    ps_json_double(&j, "records_other_interfaces", c->fl_unknown);
    ps_json_double(&j, "span_hours", c->have_flowlogs ? c->fl_span_s / 3600.0 : 0);
    ps_json_obj_end(&j);
    ps_json_arr_begin(&j, "interfaces");
    for (int i = 0; i < c->nifs; i++)
        json_iface(&j, c, &c->ifs[i], gb);
    ps_json_arr_end(&j);
    ps_json_arr_begin(&j, "sessions");
    for (int s = 0; s < c->nses; s++) {
        const struct ps_cost_session *x = &c->ses[s];
        ps_json_obj_begin(&j, NULL);
        ps_json_str(&j, "session_id", x->id);
        ps_json_str(&j, "interface_id", x->eni);
        ps_json_str(&j, "target_id", x->target);
        ps_json_str(&j, "filter_id", x->filter);
        ps_json_i64(&j, "session_number", x->number);
        ps_json_i64(&j, "packet_length", x->packet_length);
        if (x->vni >= 0)
            ps_json_i64(&j, "vni", x->vni);
        ps_json_ascii(&j, "path", x->path);
        ps_json_double(&j, "mirrored_gb", x->mirrored_bytes / gb);
        ps_json_double(&j, "usd_data_transfer", x->usd_transfer);
        ps_json_obj_end(&j);
    }
    ps_json_arr_end(&j);
    ps_json_arr_begin(&j, "targets");
    for (int k = 0; k < c->ntgt; k++) {
        const struct ps_cost_target *g = &c->tgt[k];
        ps_json_obj_begin(&j, NULL);
        ps_json_str(&j, "target_id", g->id);
        ps_json_ascii(&j, "type", tkind_name(g->kind));
        ps_json_str(&j, "resource", g->ref);
        ps_json_arr_begin(&j, "availability_zones");
        for (int z = 0; z < g->naz; z++)
            ps_json_str(&j, NULL, g->az[z]);
        ps_json_arr_end(&j);
        ps_json_i64(&j, "sources", g->nsources);
        if (g->max_sources)
            ps_json_i64(&j, "max_sources", g->max_sources);
        ps_json_double(&j, "mirrored_gb", g->mirrored_bytes / gb);
        ps_json_double(&j, "usd_hourly_charges", g->usd_fixed);
        ps_json_double(&j, "usd_per_gb_charges", g->usd_processing);
        ps_json_obj_end(&j);
    }
    ps_json_arr_end(&j);
    ps_json_arr_begin(&j, "filters");
    for (int k = 0; k < c->nflt; k++) {
        const struct ps_cost_filter *f = &c->flt[k];
        ps_json_obj_begin(&j, NULL);
        ps_json_str(&j, "filter_id", f->id);
        ps_json_i64(&j, "ingress_rules", f->ningress);
        ps_json_i64(&j, "egress_rules", f->negress);
        ps_json_bool(&j, "amazon_dns", f->amazon_dns);
        ps_json_obj_end(&j);
    }
    ps_json_arr_end(&j);
    ps_json_obj_begin(&j, "totals");
    ps_json_double(&j, "mirrored_gb", c->mirrored_gb);
    ps_json_double(&j, "usd_session_eni_hours", c->usd_eni);
    ps_json_double(&j, "usd_data_transfer", c->usd_transfer);
    ps_json_double(&j, "usd_load_balancer_per_gb", c->usd_processing);
    ps_json_double(&j, "usd_target_hourly", c->usd_targets);
    ps_json_double(&j, "usd_total", c->usd_total);
    ps_json_double(&j, "usd_if_all_mirrored", c->usd_if_all_mirrored);
    ps_json_obj_end(&j);
    ps_json_arr_begin(&j, "recommendations");
    for (int k = 0; k < c->nreco; k++) {
        const struct ps_cost_reco *r = &c->reco[k];
        ps_json_obj_begin(&j, NULL);
        ps_json_str(&j, "availability_zone", r->az);
        ps_json_ascii(&j, "action", "add a mirror target in this zone");
        ps_json_i64(&j, "interfaces", r->interfaces);
        ps_json_double(&j, "cross_az_gb", r->cross_az_gb);
        ps_json_double(&j, "usd_cross_az", r->cross_az_usd);
        ps_json_double(&j, "usd_new_target", r->new_target_usd);
        ps_json_double(&j, "usd_saving", r->saving_usd);
        ps_json_obj_end(&j);
    }
    ps_json_arr_end(&j);
    ps_json_arr_begin(&j, "gaps");
    for (int k = 0; k < c->ngaps; k++) {
        const struct ps_cost_gap *g = &c->gaps[k];
        ps_json_obj_begin(&j, NULL);
        ps_json_ascii(&j, "kind", g->kind);
        ps_json_str(&j, "subject", g->subject);
        ps_json_str(&j, "detail", g->detail);
        ps_json_obj_end(&j);
    }
    ps_json_arr_end(&j);
    ps_json_obj_end(&j);
    *jj = j;
}

void ps_cost_print_json(const struct ps_cost *c, const struct ps_cost_prices *p,
                        const struct ps_cost_types *t, FILE *out)
{
    /* Escaped strings can grow sixfold: start from an estimate and double
     * the buffer until the document fits. */
    size_t cap = 65536 + (size_t)c->nifs * 4096 + (size_t)c->nses * 1024 + (size_t)c->ntgt * 2048 +
                 (size_t)c->nflt * 512 + (size_t)c->ngaps * 1024 + (size_t)c->nreco * 512;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf) {
            fprintf(stderr, "periscope: cost: out of memory for the JSON output\n");
            return;
        }
        struct ps_json j;
        ps_json_init(&j, buf, cap);
        json_doc(&j, c, p, t);
        if (!j.overflow) {
            fwrite(buf, 1, j.len, out);
            fputc('\n', out);
        }
        free(buf);
        if (!j.overflow || cap > ((size_t)1 << 34))
            return;
        cap *= 2;
    }
}
