/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow records in the AWS VPC Flow Log text format: a header line naming the
 * fields, then one record per direction per aggregation interval, with every
 * field up to version 5 (../shared/docs/aws-mirroring.md s6.3) and `-` where
 * a value is unknown to a sensor. Athena tables and flow-log tools read it as
 * they read AWS's own files. */
#include <stdlib.h>
#include <string.h>

#include "core/jparse.h"
#include "output/output.h"

static const char header[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr "
    "pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service "
    "pkt-dst-aws-service flow-direction traffic-path\n";

void ps_out_flowlog_header(struct ps_out *o)
{
    if (o->flowlog)
        fputs(header, o->flowlog);
}

static int cmp_vni(const void *a, const void *b)
{
    uint32_t x = ((const struct ps_eni_entry *)a)->vni;
    uint32_t y = ((const struct ps_eni_entry *)b)->vni;
    return x < y ? -1 : x > y;
}

int ps_eni_map_load(struct ps_eni_map *m, const char *path, char *err, size_t errlen)
{
    char perr[200];
    memset(m, 0, sizeof(*m));
    struct ps_jnode *root = ps_jparse_file(path, perr, sizeof(perr));
    if (!root) {
        snprintf(err, errlen, "%s: %s", path, perr);
        return -1;
    }
    const struct ps_jnode *arr = ps_jget(root, "TrafficMirrorSessions");
    if (!arr || arr->type != PS_J_ARR) {
        snprintf(err, errlen,
                 "%s: no TrafficMirrorSessions array (expected the JSON of "
                 "'aws ec2 describe-traffic-mirror-sessions')",
                 path);
        ps_jfree(root);
        return -1;
    }
    size_t n = 0;
    for (const struct ps_jnode *c = arr->child; c; c = c->next)
        n++;
    m->e = calloc(n ? n : 1, sizeof(*m->e));
    if (!m->e) {
        snprintf(err, errlen, "out of memory");
        ps_jfree(root);
        return -1;
    }
    for (const struct ps_jnode *c = arr->child; c; c = c->next) {
        const struct ps_jnode *vni = ps_jget(c, "VirtualNetworkId");
        const struct ps_jnode *eni = ps_jget(c, "NetworkInterfaceId");
        if (!vni || vni->type != PS_J_NUM || !eni || eni->type != PS_J_STR)
            continue;
        if (vni->num < 0 || vni->num > 16777215 || strlen(eni->str) >= sizeof(m->e[0].eni))
            continue;
        m->e[m->n].vni = (uint32_t)vni->num;
        snprintf(m->e[m->n].eni, sizeof(m->e[0].eni), "%s", eni->str);
        m->n++;
    }
    qsort(m->e, m->n, sizeof(*m->e), cmp_vni);
    ps_jfree(root);
    return 0;
}

const char *ps_eni_lookup(const struct ps_eni_map *m, uint32_t vni)
{
    if (!m || !m->n)
        return NULL;
    struct ps_eni_entry key = {.vni = vni};
    const struct ps_eni_entry *e = bsearch(&key, m->e, m->n, sizeof(*m->e), cmp_vni);
    return e ? e->eni : NULL;
}

void ps_eni_map_free(struct ps_eni_map *m)
{
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

/* One record line; every field is bounded, so 512 bytes always suffice. */
struct line {
    char b[512];
    size_t n;
};

static void add(struct line *l, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof(l->b) - l->n)
        n = sizeof(l->b) - l->n;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void sep(struct line *l, const char *s)
{
    add(l, " ");
    add(l, s);
}

static void sep_u(struct line *l, uint64_t v)
{
    char d[21];
    d[ps_fmt_u64(d + 1, v) + 1] = 0;
    d[0] = ' ';
    add(l, d);
}

void ps_out_flow_interval(void *ctx, const struct ps_flow *f, int dir, const struct ps_flow_iv *iv)
{
    struct ps_out *o = ctx;
    if (!o->flowlog)
        return;
    const struct ps_flow_key *k = &f->key;
    bool src_is_lo = f->init_is_lo == (dir == 0);
    const uint8_t *src = src_is_lo ? k->lo : k->hi;
    const uint8_t *dst = src_is_lo ? k->hi : k->lo;
    bool ports = k->proto == 6 || k->proto == 17 || k->proto == 132;
    unsigned sp = !ports ? 0 : src_is_lo ? k->plo : k->phi; /* ICMP keys are not ports */
    unsigned dp = !ports ? 0 : src_is_lo ? k->phi : k->plo;
    char sa[46], da[46];
    ps_addr_str(k->ipver, src, sa);
    ps_addr_str(k->ipver, dst, da);

    const char *eni = NULL;
    const char *fdir = "-";
    const struct ps_session *s = o->sessions ? ps_session_get(o->sessions, f->sess[dir]) : NULL;
    if (s) {
        if (s->m.has_vni)
            eni = ps_eni_lookup(o->eni, s->m.vni);
        /* The outer source of a mirror copy is the mirrored ENI's address. */
        size_t alen = k->ipver == 6 ? 16 : 4;
        if (s->m.outer_ver == k->ipver && memcmp(s->m.src, src, alen) == 0)
            fdir = "egress";
        else if (s->m.outer_ver == k->ipver && memcmp(s->m.src, dst, alen) == 0)
            fdir = "ingress";
    }
    /* A reply was seen, so the traffic was accepted; otherwise unknown. */
    const char *action = f->pkts[0] && f->pkts[1] ? "ACCEPT" : "-";
    const char *type = k->ipver == 6 ? "IPv6" : "IPv4";

    /* Fields in the order of the header line. */
    struct line l = {{0}, 0};
    add(&l, "5 - ");
    add(&l, eni ? eni : "-");
    sep(&l, sa);
    sep(&l, da);
    sep_u(&l, sp);
    sep_u(&l, dp);
    sep_u(&l, k->proto);
    sep_u(&l, iv->pkts);
    sep_u(&l, iv->bytes);
    sep_u(&l, iv->first_s);
    sep_u(&l, iv->last_s);
    sep(&l, action);
    add(&l, " OK - - -");
    if (k->proto == 6)
        sep_u(&l, iv->aws_flags);
    else
        add(&l, " -");
    sep(&l, type);
    sep(&l, sa);
    sep(&l, da);
    add(&l, " - - - - - -");
    sep(&l, fdir);
    add(&l, " -\n");
    fwrite(l.b, 1, l.n, o->flowlog);
    o->flowlog_records++;
}
