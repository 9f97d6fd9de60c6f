/* SPDX-License-Identifier: BSD-2-Clause */
/* The planner: which interfaces AWS can mirror, what the sessions mirror
 * of the flow-log traffic (filters, truncation, encapsulation), what that
 * costs a month, what is missed, and where a target per zone is cheaper.
 * spec: docs/aws-mirroring.md s1.3 (PacketLength counts from the inner
 * Ethernet header), s1.7, s1.8 (first matching session mirrors), s2.1 (rule
 * evaluation), s3.5 (quotas), s4 (sources), s5 (prices and cost model) */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cost/cost.h"

/* Bytes AWS adds to each mirrored packet: outer IPv4 (20), UDP (8) and
 * VXLAN (8) headers [S1]; the inner Ethernet header (14) is counted in the
 * mirrored frame, which PacketLength truncates [S8]. */
#define ENCAP_BYTES 36
#define ETH_BYTES   14

/* s3.5 */
#define MAX_SESSIONS_PER_ENI 3
#define MAX_RULES_PER_FILTER 10

static int find_iface(const struct ps_cost *c, const char *id)
{
    for (int i = 0; i < c->nifs; i++) {
        if (strcmp(c->ifs[i].id, id) == 0)
            return i;
    }
    return -1;
}

static int find_target(const struct ps_cost *c, const char *id)
{
    for (int i = 0; i < c->ntgt; i++) {
        if (strcmp(c->tgt[i].id, id) == 0)
            return i;
    }
    return -1;
}

static int find_filter(const struct ps_cost *c, const char *id)
{
    for (int i = 0; i < c->nflt; i++) {
        if (strcmp(c->flt[i].id, id) == 0)
            return i;
    }
    return -1;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void target_az(struct ps_cost_target *t, const struct ps_cost_iface *f)
{
    for (int k = 0; k < t->naz; k++) {
        if (strcmp(t->az[k], f->az) == 0)
            return;
    }
    if (f->az[0] && t->naz < PS_COST_MAX_AZS)
        snprintf(t->az[t->naz++], sizeof(t->az[0]), "%s", f->az);
    if (f->vpc[0])
        snprintf(t->vpc, sizeof(t->vpc), "%s", f->vpc);
}

/* Resolve the references between inputs; idempotent. */
static void link(struct ps_cost *c)
{
    for (int i = 0; i < c->nifs; i++) {
        struct ps_cost_iface *f = &c->ifs[i];
        f->nsessions = 0;
        f->is_target = false;
        for (int k = 0; k < c->ninst && f->instance_id[0]; k++) {
            if (strcmp(c->inst[k].id, f->instance_id) == 0)
                snprintf(f->instance_type, sizeof(f->instance_type), "%s", c->inst[k].type);
        }
        for (int k = 0; k < c->nsub; k++) {
            if (strcmp(c->sub[k].id, f->subnet) != 0)
                continue;
            if (!f->az[0])
                snprintf(f->az, sizeof(f->az), "%s", c->sub[k].az);
            if (!f->vpc[0])
                snprintf(f->vpc, sizeof(f->vpc), "%s", c->sub[k].vpc);
        }
    }
    for (int t = 0; t < c->ntgt; t++) {
        struct ps_cost_target *g = &c->tgt[t];
        g->naz = 0;
        g->nsources = 0;
        for (int i = 0; i < c->nifs; i++) {
            struct ps_cost_iface *f = &c->ifs[i];
            if (g->kind == PS_T_ENI && strcmp(f->id, g->ref) == 0) {
                f->is_target = true;
                target_az(g, f);
                snprintf(g->instance_type, sizeof(g->instance_type), "%s", f->instance_type);
            } else if (g->kind == PS_T_NLB && starts(f->desc, "ELB net/")) {
                /* An NLB's ENIs are described "ELB net/NAME/ID"; its ARN
                 * ends in "loadbalancer/net/NAME/ID". */
                const char *tail = strstr(g->ref, "loadbalancer/");
                if (tail && strcmp(tail + 13, f->desc + 4) == 0)
                    target_az(g, f);
            } else if (g->kind == PS_T_GWLBE && g->ref[0] && strstr(f->desc, g->ref)) {
                target_az(g, f); /* "VPC Endpoint Interface vpce-..." */
            }
        }
    }
    for (int s = 0; s < c->nses; s++) {
        struct ps_cost_session *x = &c->ses[s];
        x->iface = find_iface(c, x->eni);
        x->tgt = find_target(c, x->target);
        x->flt = find_filter(c, x->filter);
        if (x->iface < 0)
            continue;
        struct ps_cost_iface *f = &c->ifs[x->iface];
        int k = f->nsessions++;
        if (k >= PS_COST_MAX_SES)
            continue;
        /* in SessionNumber order: the first session whose filter accepts a
         * packet mirrors it [S8] */
        f->ses[k] = s;
        while (k > 0 && c->ses[f->ses[k - 1]].number > x->number) {
            int tmp = f->ses[k - 1];
            f->ses[k - 1] = f->ses[k];
            f->ses[k] = tmp;
            k--;
        }
    }
    for (int s = 0; s < c->nses; s++) {
        const struct ps_cost_session *x = &c->ses[s];
        if (x->tgt < 0 || x->iface < 0)
            continue;
        bool seen = false;
        for (int q = 0; q < s; q++)
            seen |= c->ses[q].tgt == x->tgt && c->ses[q].iface == x->iface;
        if (!seen)
            c->tgt[x->tgt].nsources++;
    }
}

static bool in_list(const struct ps_cost_namelist *l, const char *name)
{
    for (int i = 0; i < l->n; i++) {
        if (strcmp(l->name[i], name) == 0)
            return true;
    }
    return false;
}

static const char AGENT[] = "run the software mirror agent on the host (periscope mirror, issue 9)";

#define SAY(field, ...) snprintf(f->field, sizeof(f->field), __VA_ARGS__)

/* What an interface is, from InterfaceType, then (for "interface") the
 * description and requester AWS prints for service-managed interfaces. */
static void classify(struct ps_cost_iface *f)
{
    const char *t = f->type, *d = f->desc;
    const char *kind = "instance";
    if (strcmp(t, "lambda") == 0 || starts(d, "AWS Lambda VPC ENI"))
        kind = "lambda";
    else if (strcmp(t, "nat_gateway") == 0 || strcmp(t, "natGateway") == 0 ||
             starts(d, "Interface for NAT Gateway"))
        kind = "nat-gateway";
    else if (strcmp(t, "vpc_endpoint") == 0 || strcmp(t, "gateway_load_balancer_endpoint") == 0 ||
             starts(d, "VPC Endpoint Interface"))
        kind = "vpc-endpoint";
    else if (strcmp(t, "network_load_balancer") == 0 || strcmp(t, "load_balancer") == 0 ||
             strcmp(t, "gateway_load_balancer") == 0 || starts(d, "ELB ") ||
             strcmp(f->requester, "amazon-elb") == 0)
        kind = "load-balancer";
    else if (strcmp(t, "transit_gateway") == 0 ||
             starts(d, "Network Interface for Transit Gateway"))
        kind = "transit-gateway";
    else if (strcmp(t, "interface") != 0)
        kind = "other";
    else if (f->requester_managed)
        kind = starts(d, "RDSNetworkInterface") ? "rds" : "aws-managed";
    snprintf(f->kind, sizeof(f->kind), "%s", kind);
}

static void decide(struct ps_cost_iface *f, const struct ps_cost *c, const struct ps_cost_types *ty)
{
    classify(f);
    f->elig = PS_ELIG_NO;
    f->reason[0] = f->alternative[0] = 0;
    const char *k = f->kind;
    if (strcmp(k, "lambda") == 0) {
        SAY(reason, "Lambda function interface (type %s): AWS mirrors only instance interfaces",
            f->type);
        SAY(alternative, "no host to run an agent on: use the flow logs of this interface, or "
                         "mirror the instances it talks to");
    } else if (strcmp(k, "nat-gateway") == 0) {
        SAY(reason, "NAT gateway interface (type %s)", f->type);
        SAY(alternative, "mirror the instances behind it; flow logs with pkt-srcaddr and "
                         "pkt-dstaddr show the NAT side");
    } else if (strcmp(k, "vpc-endpoint") == 0) {
        SAY(reason, "VPC endpoint interface (type %s)", f->type);
        SAY(alternative, "mirror the client instances; flow logs of the endpoint interface");
    } else if (strcmp(k, "load-balancer") == 0) {
        SAY(reason, "load balancer interface (type %s)", f->type);
        SAY(alternative, "mirror the targets behind it; flow logs of the load balancer interfaces");
    } else if (strcmp(k, "transit-gateway") == 0 || strcmp(k, "other") == 0) {
        SAY(reason, "interface type %s: AWS mirrors only interfaces of type 'interface'", f->type);
        SAY(alternative, "flow logs of this interface");
    } else if (strcmp(k, "rds") == 0) {
        f->elig = PS_ELIG_YES;
        SAY(reason, "RDS instance interface (AWS lists RDS among mirror sources)");
    } else if (strcmp(k, "aws-managed") == 0) {
        f->elig = PS_ELIG_UNKNOWN;
        SAY(reason, "managed by %s (%s): AWS documents only EC2 and RDS interfaces as sources",
            f->requester[0] ? f->requester : "an AWS service", f->desc);
    } else if (!f->instance_id[0]) {
        f->elig = PS_ELIG_UNKNOWN;
        SAY(reason, "not attached to an instance");
    } else if (!f->instance_type[0]) {
        f->elig = PS_ELIG_UNKNOWN;
        SAY(reason, "instance type of %s unknown: %s", f->instance_id,
            c->have_instances ? "not in the describe-instances input"
                              : "give --instances (aws ec2 describe-instances)");
    } else {
        char fam[PS_COST_ID];
        snprintf(fam, sizeof(fam), "%s", f->instance_type);
        for (char *p = fam; *p; p++) {
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        }
        char *dot = strchr(fam, '.');
        const char *size = dot ? dot + 1 : "";
        if (dot)
            *dot = 0;
        if (strstr(size, "metal")) {
            SAY(reason, "%s is bare metal: AWS does not mirror bare metal instances",
                f->instance_type);
            SAY(alternative, "%s", AGENT);
        } else if (in_list(&ty->xen_supported, fam)) {
            f->elig = PS_ELIG_YES;
            SAY(reason, "%s: a Xen family AWS added to Traffic Mirroring", f->instance_type);
        } else if (in_list(&ty->nitro_excluded, fam)) {
            SAY(reason, "%s: family %s is on AWS's list of Nitro types without Traffic Mirroring",
                f->instance_type, fam);
            SAY(alternative, "%s, or move it to a supported type", AGENT);
        } else if (in_list(&ty->not_supported, fam)) {
            SAY(reason, "%s: family %s is not supported (T2, R3, I2 and previous generations)",
                f->instance_type, fam);
            SAY(alternative, "%s, or move it to a supported type", AGENT);
        } else if (in_list(&ty->nitro, fam)) {
            f->elig = PS_ELIG_YES;
            SAY(reason, "%s: Nitro", f->instance_type);
        } else {
            f->elig = PS_ELIG_UNKNOWN;
            SAY(reason,
                "%s: family %s is in no list of the instance-type file; 'aws ec2 "
                "describe-instance-types --instance-types %s' shows its Hypervisor",
                f->instance_type, fam, f->instance_type);
        }
    }
    for (int k2 = 0; k2 < c->nsub; k2++) {
        if (strcmp(c->sub[k2].id, f->subnet) == 0 && c->sub[k2].ipv6_only &&
            f->elig != PS_ELIG_NO) {
            f->elig = PS_ELIG_NO;
            SAY(reason, "in IPv6-only subnet %s: AWS does not mirror IPv6-only subnets", f->subnet);
            SAY(alternative, "%s", AGENT);
        }
    }
    if (f->is_target && f->elig != PS_ELIG_NO) {
        f->elig = PS_ELIG_NO;
        SAY(reason, "the interface of a mirror target: it cannot also be a source");
        f->alternative[0] = 0;
    }
}

/* ---- flow logs ---- */

static bool rule_match(const struct ps_cost_rule *u, int proto, const uint8_t src[16],
                       const uint8_t dst[16], int sport, int dport)
{
    if (u->proto >= 0 && u->proto != proto)
        return false;
    if (!u->has_src || !u->has_dst || !ps_cidr_match(&u->src, src) || !ps_cidr_match(&u->dst, dst))
        return false;
    if (proto == 6 || proto == 17) { /* port ranges apply to TCP and UDP only [S9] */
        if (u->has_sport && (sport < u->sport_lo || sport > u->sport_hi))
            return false;
        if (u->has_dport && (dport < u->dport_lo || dport > u->dport_hi))
            return false;
    }
    return true;
}

/* True when filter f mirrors the packet: first matching rule of the
 * direction decides; no match, not mirrored [S6]. */
static bool filter_accepts(const struct ps_cost_filter *f, bool egress, int proto,
                           const uint8_t src[16], const uint8_t dst[16], int sport, int dport)
{
    for (int i = 0; i < f->nkept; i++) {
        const struct ps_cost_rule *u = &f->rule[i];
        if (u->egress == egress && rule_match(u, proto, src, dst, sport, dport))
            return u->accept;
    }
    return false;
}

static int cmp_idx(const void *a, const void *b, void *ctx)
{
    const struct ps_cost *c = ctx;
    return strcmp(c->ifs[*(const int *)a].id, c->ifs[*(const int *)b].id);
}

static int lookup(const struct ps_cost *c, const int *idx, const char *id)
{
    int lo = 0, hi = c->nifs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int r = strcmp(c->ifs[idx[mid]].id, id);
        if (r == 0)
            return idx[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static const char fl_sql[] =
    "SELECT interface_id, coalesce(pkt_srcaddr, srcaddr), coalesce(pkt_dstaddr, dstaddr),"
    " srcport, dstport, protocol, packets, bytes, start, \"end\", action, flow_direction, srcaddr"
    " FROM flowlogs WHERE interface_id IS NOT NULL AND packets > 0 AND bytes IS NOT NULL"
    " AND (log_status IS NULL OR log_status = 'OK')";

static void account(struct ps_cost *c, struct ps_cost_iface *f, sqlite3_stmt *q)
{
    double pkts = (double)sqlite3_column_int64(q, 6), bytes = (double)sqlite3_column_int64(q, 7);
    const char *action = (const char *)sqlite3_column_text(q, 10);
    if (action && strcmp(action, "REJECT") == 0) {
        f->rej_bytes += bytes; /* dropped at the source: never mirrored [S2] */
        return;
    }
    f->fl_bytes += bytes;
    f->fl_packets += pkts;
    f->obs_plan += bytes + pkts * (ENCAP_BYTES + ETH_BYTES);
    uint8_t src[16], dst[16], raw[16];
    const char *s = (const char *)sqlite3_column_text(q, 1);
    const char *d = (const char *)sqlite3_column_text(q, 2);
    const char *r = (const char *)sqlite3_column_text(q, 12);
    const char *dir = (const char *)sqlite3_column_text(q, 11);
    bool have = s && d && ps_addr_parse16(s, strlen(s), src) && ps_addr_parse16(d, strlen(d), dst);
    bool egress = false;
    if (dir)
        egress = strcmp(dir, "egress") == 0;
    else if (r && ps_addr_parse16(r, strlen(r), raw)) {
        for (int k = 0; k < f->nips; k++)
            egress |= memcmp(f->ips[k], raw, 16) == 0;
    }
    int proto = sqlite3_column_int(q, 5), sport = sqlite3_column_int(q, 3),
        dport = sqlite3_column_int(q, 4);
    int n = f->nsessions < PS_COST_MAX_SES ? f->nsessions : PS_COST_MAX_SES;
    for (int k = 0; k < n; k++) {
        struct ps_cost_session *x = &c->ses[f->ses[k]];
        /* An unknown filter (no --filters) counts everything. */
        if (x->flt >= 0 &&
            (!have || !filter_accepts(&c->flt[x->flt], egress, proto, src, dst, sport, dport)))
            continue;
        double frame = bytes / pkts + ETH_BYTES;
        if (x->packet_length > 0 && frame > x->packet_length)
            frame = x->packet_length;
        double m = pkts * (ENCAP_BYTES + frame);
        x->obs_bytes += m;
        f->obs_mirrored += m;
        break;
    }
}

int ps_cost_add_flowlogs(struct ps_cost *c, struct ps_store *st, char *err, size_t errlen)
{
    link(c);
    int *idx = malloc(sizeof(int) * (size_t)(c->nifs ? c->nifs : 1));
    if (!idx) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < c->nifs; i++)
        idx[i] = i;
    qsort_r(idx, (size_t)c->nifs, sizeof(int), cmp_idx, c);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, fl_sql, -1, &q, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "flowlogs: %s", sqlite3_errmsg(st->db));
        free(idx);
        return -1;
    }
    double lo = 0, hi = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        int i = id ? lookup(c, idx, id) : -1;
        if (i < 0) {
            c->fl_unknown++;
            continue;
        }
        double a = (double)sqlite3_column_int64(q, 8), b = (double)sqlite3_column_int64(q, 9);
        if (sqlite3_column_type(q, 8) != SQLITE_NULL && (c->fl_records == 0 || a < lo))
            lo = a;
        if (sqlite3_column_type(q, 9) != SQLITE_NULL && (c->fl_records == 0 || b > hi))
            hi = b;
        c->fl_records++;
        account(c, &c->ifs[i], q);
    }
    if (rc != SQLITE_DONE)
        snprintf(err, errlen, "flowlogs: %s", sqlite3_errmsg(st->db));
    sqlite3_finalize(q);
    free(idx);
    if (rc != SQLITE_DONE)
        return -1;
    c->have_flowlogs = c->fl_records > 0;
    /* A record's end is the last second it covers: a span of one record
     * is at least its minute. */
    c->fl_span_s = hi - lo < 60 ? 60 : hi - lo;
    return 0;
}

/* ---- prices ---- */

static struct ps_cost_gap *gap(struct ps_cost *c, const char *kind, const char *subject)
{
    if (c->ngaps == c->capgaps) {
        int nc = c->capgaps ? c->capgaps * 2 : 32;
        struct ps_cost_gap *g = realloc(c->gaps, sizeof(*g) * (size_t)nc);
        if (!g)
            return NULL;
        c->gaps = g;
        c->capgaps = nc;
    }
    struct ps_cost_gap *g = &c->gaps[c->ngaps++];
    snprintf(g->kind, sizeof(g->kind), "%s", kind);
    snprintf(g->subject, sizeof(g->subject), "%s", subject);
    g->detail[0] = 0;
    return g;
}

#define GAP(kind, subject, ...)                                    \
    do {                                                           \
        struct ps_cost_gap *g_ = gap(c, kind, subject);            \
        if (g_)                                                    \
            snprintf(g_->detail, sizeof(g_->detail), __VA_ARGS__); \
    } while (0)

static bool has_az(const struct ps_cost_target *t, const char *az)
{
    for (int k = 0; k < t->naz; k++) {
        if (strcmp(t->az[k], az) == 0)
            return true;
    }
    return false;
}

/* The path of a session's mirrored packets and its price per GB. */
static double path_price(struct ps_cost_session *x, const struct ps_cost *c,
                         const struct ps_cost_prices *p)
{
    x->path = "unknown";
    if (x->iface < 0 || x->tgt < 0)
        return 0;
    const struct ps_cost_iface *f = &c->ifs[x->iface];
    const struct ps_cost_target *t = &c->tgt[x->tgt];
    if (!f->az[0] || t->naz == 0)
        return 0;
    bool peer = f->vpc[0] && t->vpc[0] && strcmp(f->vpc, t->vpc) != 0;
    if (has_az(t, f->az)) {
        x->path = peer ? "peering-same-az" : "same-az";
        return peer ? p->p[PS_P_PEERING_SAME_AZ_GB].usd : 0;
    }
    /* Cross-zone (and cross-zone peering) transfer is billed out of one
     * zone and into the other [S23][S24]. */
    x->path = peer ? "peering-cross-az" : "cross-az";
    return p->p[PS_P_CROSS_AZ_OUT_GB].usd + p->p[PS_P_CROSS_AZ_IN_GB].usd;
}

static void recommend(struct ps_cost *c, const struct ps_cost_opts *o, double gbsize)
{
    for (int s = 0; s < c->nses; s++) {
        const struct ps_cost_session *x = &c->ses[s];
        if (x->iface < 0 ||
            (strcmp(x->path, "cross-az") != 0 && strcmp(x->path, "peering-cross-az") != 0))
            continue;
        const char *az = c->ifs[x->iface].az;
        struct ps_cost_reco *r = NULL;
        for (int k = 0; k < c->nreco; k++) {
            if (strcmp(c->reco[k].az, az) == 0)
                r = &c->reco[k];
        }
        if (!r) {
            if (c->nreco == c->capreco) {
                int nc = c->capreco ? c->capreco * 2 : 8;
                struct ps_cost_reco *nr = realloc(c->reco, sizeof(*nr) * (size_t)nc);
                if (!nr)
                    return;
                c->reco = nr;
                c->capreco = nc;
            }
            r = &c->reco[c->nreco++];
            memset(r, 0, sizeof(*r));
            snprintf(r->az, sizeof(r->az), "%s", az);
        }
        bool counted = false;
        for (int q = 0; q < s; q++) {
            counted |=
                c->ses[q].iface == x->iface && (strcmp(c->ses[q].path, "cross-az") == 0 ||
                                                strcmp(c->ses[q].path, "peering-cross-az") == 0);
        }
        if (!counted)
            r->interfaces++;
        r->cross_az_gb += x->mirrored_bytes / gbsize;
        r->cross_az_usd += x->usd_transfer;
    }
    int keep = 0;
    for (int k = 0; k < c->nreco; k++) {
        struct ps_cost_reco *r = &c->reco[k];
        r->new_target_usd = c->hours * o->target_hourly;
        r->saving_usd = r->cross_az_usd - r->new_target_usd;
        if (r->saving_usd > 0)
            c->reco[keep++] = *r;
    }
    c->nreco = keep;
    /* largest saving first */
    for (int a = 1; a < c->nreco; a++) {
        for (int b = a; b > 0 && c->reco[b].saving_usd > c->reco[b - 1].saving_usd; b--) {
            struct ps_cost_reco t = c->reco[b];
            c->reco[b] = c->reco[b - 1];
            c->reco[b - 1] = t;
        }
    }
}

static void find_gaps(struct ps_cost *c, const struct ps_cost_prices *p,
                      const struct ps_cost_types *ty)
{
    (void)ty;
    for (int i = 0; i < c->nifs; i++) {
        const struct ps_cost_iface *f = &c->ifs[i];
        if (f->is_target && f->nsessions > 0)
            GAP("source-is-target", f->id,
                "the interface of a mirror target is also the source of %d session(s): AWS "
                "does not allow both",
                f->nsessions);
        if (f->elig == PS_ELIG_NO && !f->is_target)
            GAP("cannot-mirror", f->id, "%s: %s%s%s", f->kind, f->reason,
                f->alternative[0] ? "; alternative: " : "", f->alternative);
        else if (f->elig == PS_ELIG_UNKNOWN)
            GAP("unknown", f->id, "%s", f->reason);
        else if (f->elig == PS_ELIG_YES && f->nsessions == 0 && !f->is_target)
            GAP("no-session", f->id,
                "no mirror session; mirroring it to a target in %s would cost %.2f %s a month",
                f->az[0] ? f->az : "its zone", f->usd_if_mirrored, p->currency);
        if (f->nsessions > MAX_SESSIONS_PER_ENI)
            GAP("sessions-per-interface", f->id,
                "%d sessions: AWS allows %d per source interface (not adjustable)", f->nsessions,
                MAX_SESSIONS_PER_ENI);
        if (f->rej_bytes > 0)
            GAP("rejected-traffic", f->id,
                "%.0f bytes in REJECT flow-log records: dropped by a security group or network "
                "ACL at the source, which AWS never mirrors",
                f->rej_bytes);
    }
    for (int s = 0; s < c->nses; s++) {
        const struct ps_cost_session *x = &c->ses[s];
        if (x->iface < 0)
            GAP("unknown-reference", x->id, "source interface %s is not in the interfaces input",
                x->eni);
        if (x->tgt < 0 && c->have_targets)
            GAP("unknown-reference", x->id, "target %s is not in the targets input", x->target);
        if (x->flt < 0 && c->have_filters)
            GAP("unknown-reference", x->id,
                "filter %s is not in the filters input (all traffic counted)", x->filter);
        if (x->iface >= 0 && x->tgt >= 0 && strcmp(x->path, "unknown") == 0)
            GAP("unknown-path", x->id,
                "the zone of source or target is unknown: data transfer not priced");
    }
    for (int k = 0; k < c->nflt; k++) {
        const struct ps_cost_filter *f = &c->flt[k];
        int users = 0;
        for (int s = 0; s < c->nses; s++)
            users += c->ses[s].flt == k;
        if (f->nrules > MAX_RULES_PER_FILTER)
            GAP("rules-per-filter", f->id, "%d rules: AWS allows %d per filter (not adjustable)",
                f->nrules, MAX_RULES_PER_FILTER);
        if (!users)
            continue;
        if (f->ningress == 0)
            GAP("no-ingress-rules", f->id,
                "no inbound rules: inbound traffic of its %d session(s) is not mirrored", users);
        if (f->negress == 0)
            GAP("no-egress-rules", f->id,
                "no outbound rules: outbound traffic of its %d session(s) is not mirrored", users);
        if (!f->amazon_dns)
            GAP("amazon-dns", f->id,
                "no amazon-dns network service: queries to the Amazon DNS resolver of its %d "
                "session(s) are not mirrored",
                users);
    }
    for (int t = 0; t < c->ntgt; t++) {
        const struct ps_cost_target *g = &c->tgt[t];
        if (g->max_sources && g->nsources > g->max_sources)
            GAP("sources-per-target", g->id,
                "%d source interfaces: an interface target on %s accepts %d", g->nsources,
                g->instance_type[0] ? g->instance_type : "an instance of unknown size",
                g->max_sources);
    }
    GAP("never-mirrored", "all",
        "AWS never mirrors ARP, DHCP, instance metadata (169.254.169.254), Amazon Time Sync NTP "
        "(169.254.169.123) or Windows activation; VPC Flow Logs do not log them either");
    if (!c->have_flowlogs)
        GAP("no-volumes", "all",
            "no flow logs of these interfaces in the store: mirrored bytes, data transfer and "
            "per-GB charges are not estimated (periscope flowlogs import, then --db)");
}

void ps_cost_compute(struct ps_cost *c, const struct ps_cost_prices *p,
                     const struct ps_cost_types *ty, const struct ps_cost_opts *o)
{
    link(c);
    c->ngaps = 0;
    c->nreco = 0;
    c->hours = o->hours > 0 ? o->hours : p->hours_per_month;
    double H = c->hours, gbsize = p->bytes_per_gb;
    double scale = c->have_flowlogs ? H * 3600.0 / c->fl_span_s : 0;
    c->usd_eni = c->usd_transfer = c->usd_processing = c->usd_targets = 0;
    c->mirrored_gb = 0;
    for (int t = 0; t < c->ntgt; t++) {
        struct ps_cost_target *g = &c->tgt[t];
        g->mirrored_bytes = g->usd_processing = 0;
        g->max_sources = 0;
        if (g->kind == PS_T_ENI) {
            bool largest = false;
            char lower[PS_COST_ID];
            snprintf(lower, sizeof(lower), "%s", g->instance_type);
            for (char *q = lower; *q; q++) {
                if (*q >= 'A' && *q <= 'Z')
                    *q = (char)(*q - 'A' + 'a');
            }
            largest = in_list(&ty->largest, lower);
            g->max_sources = largest ? ty->eni_target_sources_largest : ty->eni_target_sources;
            g->usd_fixed = H * o->target_hourly;
        } else if (g->kind == PS_T_NLB) {
            g->usd_fixed = H * p->p[PS_P_NLB_HOUR].usd;
        } else if (g->kind == PS_T_GWLBE) {
            /* the endpoint and its Gateway Load Balancer in one zone */
            g->usd_fixed = H * (p->p[PS_P_GWLBE_HOUR].usd + p->p[PS_P_GWLB_HOUR].usd);
        } else {
            g->usd_fixed = 0;
        }
        c->usd_targets += g->usd_fixed;
    }
    for (int i = 0; i < c->nifs; i++) {
        struct ps_cost_iface *f = &c->ifs[i];
        decide(f, c, ty);
        f->month_bytes = f->fl_bytes * scale;
        f->mirrored_bytes = f->obs_mirrored * scale;
        f->plan_bytes = f->obs_plan * scale;
        f->usd_eni = f->nsessions > 0 ? H * p->p[PS_P_MIRROR_ENI_HOUR].usd : 0;
        f->usd_transfer = f->usd_processing = 0;
        /* no session yet: a target in its own zone carries no transfer charge */
        f->usd_if_mirrored = f->nsessions == 0 && f->elig == PS_ELIG_YES && !f->is_target
                                 ? H * p->p[PS_P_MIRROR_ENI_HOUR].usd
                                 : 0;
    }
    for (int s = 0; s < c->nses; s++) {
        struct ps_cost_session *x = &c->ses[s];
        x->mirrored_bytes = x->obs_bytes * scale;
        double gb = x->mirrored_bytes / gbsize;
        x->usd_transfer = gb * path_price(x, c, p);
        if (x->iface < 0)
            continue;
        struct ps_cost_iface *f = &c->ifs[x->iface];
        f->usd_transfer += x->usd_transfer;
        c->mirrored_gb += gb;
        if (x->tgt < 0)
            continue;
        struct ps_cost_target *g = &c->tgt[x->tgt];
        double per_gb = 0;
        /* Capacity units on the bytes dimension: one unit is 1 GB an hour,
         * so a month of GB is as many unit-hours [S22]. */
        if (g->kind == PS_T_NLB)
            per_gb = p->p[PS_P_NLCU_HOUR].usd;
        else if (g->kind == PS_T_GWLBE)
            per_gb = p->p[PS_P_GWLBE_GB].usd + p->p[PS_P_GLCU_HOUR].usd;
        g->mirrored_bytes += x->mirrored_bytes;
        g->usd_processing += gb * per_gb;
        f->usd_processing += gb * per_gb;
    }
    c->usd_if_all_mirrored = 0;
    for (int i = 0; i < c->nifs; i++) {
        struct ps_cost_iface *f = &c->ifs[i];
        f->usd_total = f->usd_eni + f->usd_transfer + f->usd_processing;
        c->usd_eni += f->usd_eni;
        c->usd_transfer += f->usd_transfer;
        c->usd_processing += f->usd_processing;
        c->usd_if_all_mirrored += f->usd_if_mirrored;
    }
    c->usd_total = c->usd_eni + c->usd_transfer + c->usd_processing + c->usd_targets;
    c->usd_if_all_mirrored += c->usd_total;
    recommend(c, o, gbsize);
    find_gaps(c, p, ty);
}
