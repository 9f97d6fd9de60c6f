/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: AWS Traffic Mirroring filters, sessions and targets as summarised in
 *       ../shared/docs/aws-mirroring.md 1.3, 1.6-1.8, 2.1-2.4 (API_Create-
 *       TrafficMirrorFilterRule, API_CreateTrafficMirrorSession,
 *       API_ModifyTrafficMirrorFilterNetworkServices, the quotas page). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jparse.h"
#include "core/rd.h"
#include "flow/hash.h"
#include "mirror/filter.h"

const char *const ps_mnever_name[PS_MNEVER__COUNT] = {"none", "arp", "dhcp",
                                                      "imds", "ntp", "windows_activation"};
const char *const ps_mverdict_name[PS_MV__COUNT] = {"mirror", "no_match", "never_mirrored",
                                                    "amazon_dns"};

void ps_mconfig_init(struct ps_mconfig *c)
{
    memset(c, 0, sizeof(*c));
    /* The Route 53 Resolver's link-local addresses [aws-mirroring.md 1.7]. */
    ps_mcidr_parse(&c->dns[c->ndns++], "169.254.169.253");
    ps_mcidr_parse(&c->dns[c->ndns++], "fd00:ec2::253");
}

int ps_mcidr_parse(struct ps_mcidr *c, const char *s)
{
    char a[64];
    if (!s || strlen(s) >= sizeof(a))
        return -1;
    snprintf(a, sizeof(a), "%s", s);
    char *slash = strchr(a, '/');
    long prefix = -1;
    if (slash) {
        *slash = 0;
        char *end;
        if (!slash[1] || slash[1] == '-' || slash[1] == '+')
            return -1;
        prefix = strtol(slash + 1, &end, 10);
        if (*end)
            return -1;
    }
    memset(c, 0, sizeof(*c));
    if (inet_pton(AF_INET, a, c->addr) == 1)
        c->ver = 4;
    else if (inet_pton(AF_INET6, a, c->addr) == 1)
        c->ver = 6;
    else
        return -1;
    long max = c->ver == 4 ? 32 : 128;
    if (prefix < 0)
        prefix = max;
    if (prefix > max)
        return -1;
    c->prefix = (uint8_t)prefix;
    return 0;
}

static bool cidr_has(const struct ps_mcidr *c, uint8_t ver, const uint8_t *addr)
{
    if (c->ver != ver)
        return false;
    unsigned full = c->prefix / 8u, rest = c->prefix % 8u;
    if (memcmp(c->addr, addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((c->addr[full] & mask) != (addr[full] & mask))
            return false;
    }
    return true;
}

/* ---- matching ------------------------------------------------------------ */

static bool rule_matches(const struct ps_mrule *r, const struct ps_mpkt *p)
{
    if (r->proto >= 0 && r->proto != p->proto)
        return false;
    if (!cidr_has(&r->src, p->ver, p->src) || !cidr_has(&r->dst, p->ver, p->dst))
        return false;
    /* Port ranges apply to TCP and UDP only [S9]. A TCP or UDP packet
     * without ports (a non-first fragment) cannot be in a range. */
    if ((r->has_sport || r->has_dport) && (p->proto == 6 || p->proto == 17)) {
        if (!p->has_ports)
            return false;
        if (r->has_sport && (p->sport < r->sport_lo || p->sport > r->sport_hi))
            return false;
        if (r->has_dport && (p->dport < r->dport_lo || p->dport > r->dport_hi))
            return false;
    }
    return true;
}

bool ps_mfilter_accepts(const struct ps_mfilter *f, enum ps_mdir dir, const struct ps_mpkt *p)
{
    /* amazon-dns: all of that service's traffic when enabled, none when not
     * ("not eligible by default") [S10]; the rules do not apply to it. */
    if (p->amazon_dns)
        return f->amazon_dns;
    if (!p->ip)
        return false;
    /* Lowest rule number first; the first matching rule decides; no
     * matching rule (or no rule at all) means not mirrored [S6]. */
    for (int i = 0; i < f->nrule[dir]; i++)
        if (rule_matches(&f->rule[dir][i], p))
            return f->rule[dir][i].accept;
    return false;
}

int ps_mirror_decide(const struct ps_mconfig *c, int source, enum ps_mdir dir,
                     const struct ps_mpkt *p, bool include_never, enum ps_mverdict *why)
{
    const struct ps_msource *s = &c->source[source];
    if (p->never && !include_never) {
        *why = PS_MV_NEVER;
        return -1;
    }
    if (!p->ip && p->never && s->nsession) {
        *why = PS_MV_MIRROR; /* ARP with --include-never-mirrored */
        return s->session[0];
    }
    /* Sessions in session-number order; the first whose filter accepts
     * mirrors the packet, once [S5][S8]. */
    for (int i = 0; i < s->nsession; i++) {
        const struct ps_msession *ss = &c->session[s->session[i]];
        if (ps_mfilter_accepts(&c->filter[ss->filter], dir, p)) {
            *why = PS_MV_MIRROR;
            return s->session[i];
        }
    }
    *why = p->amazon_dns ? PS_MV_AMAZON_DNS : PS_MV_NO_MATCH;
    return -1;
}

uint32_t ps_mpkt_flow_hash(const struct ps_mpkt *p)
{
    /* Order the two ends so both directions give the same words. */
    const uint8_t *a = p->src, *b = p->dst;
    uint16_t pa = p->sport, pb = p->dport;
    int cmp = memcmp(a, b, 16);
    if (cmp > 0 || (cmp == 0 && pa > pb)) {
        a = p->dst;
        b = p->src;
        pa = p->dport;
        pb = p->sport;
    }
    bool five = p->proto == 6 || p->proto == 17 || p->proto == 1 || p->proto == 58;
    uint64_t w[5];
    memcpy(&w[0], a, 8);
    memcpy(&w[1], a + 8, 8);
    memcpy(&w[2], b, 8);
    memcpy(&w[3], b + 8, 8);
    w[4] = (uint64_t)p->proto << 32 | (five ? (uint64_t)pa << 16 | pb : 0);
    uint64_t h = ps_hash_words(0x7073636f70656d69ULL, w, 5);
    return (uint32_t)(h ^ (h >> 32));
}

/* ---- frames -------------------------------------------------------------- */

/* The link-local service addresses, as bytes (compared per packet). */
static const uint8_t imds4[4] = {169, 254, 169, 254}, ntp4[4] = {169, 254, 169, 123},
                     kms4a[4] = {169, 254, 169, 250}, kms4b[4] = {169, 254, 169, 251};
static const uint8_t imds6[16] = {0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54},
                     ntp6[16] = {0xfd, 0, 0x0e, 0xc2, [14] = 0x01, [15] = 0x23};

static bool either_is(const struct ps_mpkt *p, const uint8_t *v4, const uint8_t *v6)
{
    const uint8_t *a = p->ver == 4 ? v4 : v6;
    size_t n = p->ver == 4 ? 4 : 16;
    return a && (memcmp(p->src, a, n) == 0 || memcmp(p->dst, a, n) == 0);
}

static bool port_is(const struct ps_mpkt *p, uint16_t a, uint16_t b)
{
    return p->has_ports && (p->sport == a || p->dport == a || p->sport == b || p->dport == b);
}

/* What AWS never mirrors: ARP, DHCP, the instance metadata service, NTP
 * (the Amazon Time Sync Service and any other), Windows activation (the
 * KMS addresses 169.254.169.250/251) [aws-mirroring.md 1.7]. */
static uint8_t never_class(const struct ps_mpkt *p)
{
    if (p->proto == 17 && (port_is(p, 67, 68) || port_is(p, 546, 547)))
        return PS_MNEVER_DHCP;
    if (p->proto == 17 && port_is(p, 123, 123))
        return PS_MNEVER_NTP;
    if (either_is(p, imds4, imds6))
        return PS_MNEVER_IMDS;
    if (either_is(p, ntp4, ntp6))
        return PS_MNEVER_NTP;
    if (either_is(p, kms4a, NULL) || either_is(p, kms4b, NULL))
        return PS_MNEVER_WINACT;
    return PS_MNEVER_NONE;
}

static bool is_amazon_dns(const struct ps_mconfig *c, const struct ps_mpkt *p)
{
    if ((p->proto != 6 && p->proto != 17) || !p->has_ports)
        return false;
    for (int i = 0; i < c->ndns; i++) {
        if (p->dport == 53 && cidr_has(&c->dns[i], p->ver, p->dst))
            return true;
        if (p->sport == 53 && cidr_has(&c->dns[i], p->ver, p->src))
            return true;
    }
    return false;
}

int ps_mpkt_parse(const struct ps_mconfig *c, const uint8_t *frame, uint32_t caplen,
                  struct ps_mpkt *p)
{
    memset(p, 0, sizeof(*p));
    struct ps_rd r = ps_rd_init(frame, caplen);
    ps_rd_skip(&r, 12); /* the MAC addresses */
    uint16_t et = ps_rd_be16(&r);
    for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
        ps_rd_skip(&r, 2);
        et = ps_rd_be16(&r);
    }
    if (r.bad)
        return -1;
    if (et == 0x0806) {
        p->never = PS_MNEVER_ARP;
        return 0;
    }
    bool frag_later = false;
    if (et == 0x0800) {
        uint8_t vihl = ps_rd_peek(&r, 0);
        size_t ihl = (size_t)(vihl & 15) * 4;
        struct ps_rd h = ps_rd_sub(&r, ihl < 20 ? 20 : ihl);
        if (h.bad || (vihl >> 4) != 4 || ihl < 20)
            return -1;
        ps_rd_skip(&h, 6);
        frag_later = (ps_rd_be16(&h) & 0x1fff) != 0;
        ps_rd_skip(&h, 1);
        p->proto = ps_rd_u8(&h);
        ps_rd_skip(&h, 2);
        memcpy(p->src, ps_rd_bytes(&h, 4), 4);
        memcpy(p->dst, ps_rd_bytes(&h, 4), 4);
        p->ver = 4;
    } else if (et == 0x86dd) {
        struct ps_rd h = ps_rd_sub(&r, 40);
        if (h.bad || (ps_rd_peek(&h, 0) >> 4) != 6)
            return -1;
        ps_rd_skip(&h, 6);
        uint8_t nh = ps_rd_u8(&h);
        ps_rd_skip(&h, 1);
        memcpy(p->src, ps_rd_bytes(&h, 16), 16);
        memcpy(p->dst, ps_rd_bytes(&h, 16), 16);
        /* Extension headers up to the upper layer (at most 8). */
        for (int k = 0; k < 8 && (nh == 0 || nh == 43 || nh == 44 || nh == 60); k++) {
            uint8_t next = ps_rd_u8(&r), hlen = ps_rd_u8(&r);
            if (nh == 44) {
                frag_later = (ps_rd_be16(&r) & 0xfff8) != 0;
                ps_rd_skip(&r, 4);
            } else {
                ps_rd_skip(&r, (size_t)hlen * 8 + 6);
            }
            if (r.bad)
                return -1;
            nh = next;
        }
        p->proto = nh;
        p->ver = 6;
    } else {
        return 0; /* not IP: no rule can match it */
    }
    p->ip = true;
    if ((p->proto == 6 || p->proto == 17) && !frag_later && r.left >= 4) {
        p->sport = ps_rd_be16(&r);
        p->dport = ps_rd_be16(&r);
        p->has_ports = true;
    }
    p->never = never_class(p);
    p->amazon_dns = is_amazon_dns(c, p);
    return 0;
}

/* ---- building the configuration ------------------------------------------ */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int set_str(char *dst, size_t cap, const char *s)
{
    if (!s || !*s || strlen(s) >= cap)
        return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

struct ps_mfilter *ps_mconfig_filter(struct ps_mconfig *c, const char *id)
{
    for (int i = 0; i < c->nfilter; i++)
        if (strcmp(c->filter[i].id, id) == 0)
            return &c->filter[i];
    if (c->nfilter >= PS_MF_MAX_FILTERS)
        return NULL;
    struct ps_mfilter *f = &c->filter[c->nfilter];
    memset(f, 0, sizeof(*f));
    if (set_str(f->id, sizeof(f->id), id) != 0)
        return NULL;
    c->nfilter++;
    return f;
}

/* Insert in rule-number order; numbers are unique per direction [S9]. */
static int filter_add(struct ps_mfilter *f, int dir, const struct ps_mrule *r, char *err,
                      size_t errlen)
{
    if (f->nrule[0] + f->nrule[1] >= PS_MF_MAX_RULES)
        return fail(err, errlen, "filter %s: more than 10 rules (an AWS quota)", f->id);
    if (r->src.ver != r->dst.ver)
        return fail(err, errlen,
                    "filter %s: source and destination CIDR of a rule must both "
                    "be IPv4 or both IPv6",
                    f->id);
    if ((r->has_sport || r->has_dport) && r->proto != 6 && r->proto != 17)
        return fail(err, errlen,
                    "filter %s: port ranges are for TCP (6) and UDP (17) rules "
                    "only",
                    f->id);
    int n = f->nrule[dir], at = n;
    for (int i = 0; i < n; i++) {
        if (f->rule[dir][i].number == r->number)
            return fail(err, errlen, "filter %s: two %s rules with the same rule number", f->id,
                        dir ? "egress" : "ingress");
        if (f->rule[dir][i].number > r->number && at == n)
            at = i;
    }
    memmove(&f->rule[dir][at + 1], &f->rule[dir][at], (size_t)(n - at) * sizeof(f->rule[0][0]));
    f->rule[dir][at] = *r;
    f->nrule[dir]++;
    return 0;
}

static int proto_word(const char *w)
{
    static const struct {
        const char *name;
        int proto;
    } names[] = {{"all", -1}, {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(w, names[i].name) == 0)
            return names[i].proto;
    char *end;
    long v = strtol(w, &end, 10);
    if (!*w || *end || v < -1 || v > 255)
        return -2;
    return (int)v;
}

static int port_range(const char *w, uint16_t *lo, uint16_t *hi)
{
    char *end;
    long a = strtol(w, &end, 10), b = a;
    if (end == w || a < 0 || a > 65535)
        return -1;
    if (*end == '-') {
        const char *q = end + 1;
        b = strtol(q, &end, 10);
        if (end == q)
            return -1;
    }
    if (*end || b < a || b > 65535)
        return -1;
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return 0;
}

int ps_mfilter_add_rule_text(struct ps_mfilter *f, const char *text, char *err, size_t errlen)
{
    char buf[512];
    if (strlen(text) >= sizeof(buf))
        return fail(err, errlen, "rule too long");
    snprintf(buf, sizeof(buf), "%s", text);
    char *w[16];
    int nw = 0;
    for (char *s = buf; *s && nw < 16;) {
        while (*s == ' ' || *s == '\t')
            *s++ = 0;
        if (!*s)
            break;
        w[nw++] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
    }
    struct ps_mrule r;
    memset(&r, 0, sizeof(r));
    r.proto = -1;
    int dir;
    char *end = NULL;
    if (nw < 3 || (strcmp(w[0], "ingress") != 0 && strcmp(w[0], "egress") != 0))
        return fail(err, errlen, "rule '%s': expected 'ingress|egress NUMBER accept|reject ...'",
                    text);
    dir = strcmp(w[0], "egress") == 0;
    long num = strtol(w[1], &end, 10);
    if (*end || num < 1 || num > PS_MF_MAX_SESSNUM)
        return fail(err, errlen, "rule '%s': rule number must be 1..32766", text);
    r.number = (uint32_t)num;
    if (strcmp(w[2], "accept") != 0 && strcmp(w[2], "reject") != 0)
        return fail(err, errlen, "rule '%s': action must be accept or reject", text);
    r.accept = strcmp(w[2], "accept") == 0;
    const char *src = NULL, *dst = NULL;
    for (int i = 3; i < nw; i += 2) {
        if (i + 1 >= nw)
            return fail(err, errlen, "rule '%s': '%s' needs a value", text, w[i]);
        const char *k = w[i], *v = w[i + 1];
        int bad = 0;
        if (strcmp(k, "protocol") == 0) {
            int pr = proto_word(v);
            bad = pr < -1;
            r.proto = (int16_t)pr;
        } else if (strcmp(k, "source") == 0) {
            src = v;
        } else if (strcmp(k, "destination") == 0) {
            dst = v;
        } else if (strcmp(k, "source-port") == 0) {
            bad = port_range(v, &r.sport_lo, &r.sport_hi);
            r.has_sport = true;
        } else if (strcmp(k, "destination-port") == 0) {
            bad = port_range(v, &r.dport_lo, &r.dport_hi);
            r.has_dport = true;
        } else {
            return fail(err, errlen, "rule '%s': unknown field '%s'", text, k);
        }
        if (bad)
            return fail(err, errlen, "rule '%s': bad value for '%s'", text, k);
    }
    bool six = (src && strchr(src, ':')) || (dst && strchr(dst, ':'));
    const char *any = six ? "::/0" : "0.0.0.0/0";
    if (ps_mcidr_parse(&r.src, src ? src : any) != 0 ||
        ps_mcidr_parse(&r.dst, dst ? dst : any) != 0)
        return fail(err, errlen, "rule '%s': bad CIDR", text);
    return filter_add(f, dir, &r, err, errlen);
}

/* ---- JSON ------------------------------------------------------------- */

static const char *jstr(const struct ps_jnode *o, const char *key)
{
    const struct ps_jnode *n = ps_jget(o, key);
    return n && n->type == PS_J_STR ? n->str : NULL;
}

/* An integer member within [lo, hi]: 1 present, 0 absent, -1 invalid. */
static int jint(const struct ps_jnode *o, const char *key, double lo, double hi, int64_t *out)
{
    const struct ps_jnode *n = ps_jget(o, key);
    if (!n || n->type == PS_J_NULL)
        return 0;
    if (n->type != PS_J_NUM || !(n->num >= lo && n->num <= hi) || (double)(int64_t)n->num != n->num)
        return -1;
    *out = (int64_t)n->num;
    return 1;
}

static const struct ps_jnode *jlist(const struct ps_jnode *root, const char *key, char *err,
                                    size_t errlen)
{
    const struct ps_jnode *a = root && root->type == PS_J_OBJ ? ps_jget(root, key) : NULL;
    if (!a || a->type != PS_J_ARR)
        fail(err, errlen, "expected an object with a \"%s\" list (the AWS CLI's JSON)", key);
    return a && a->type == PS_J_ARR ? a : NULL;
}

static int json_range(const struct ps_jnode *rule, const char *key, bool *has, uint16_t *lo,
                      uint16_t *hi)
{
    const struct ps_jnode *pr = ps_jget(rule, key);
    if (!pr || pr->type == PS_J_NULL)
        return 0;
    int64_t a = 0, b = 0;
    if (pr->type != PS_J_OBJ || jint(pr, "FromPort", 0, 65535, &a) != 1 ||
        jint(pr, "ToPort", 0, 65535, &b) != 1 || b < a)
        return -1;
    *has = true;
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return 0;
}

static int json_rule(struct ps_mfilter *f, int dir, const struct ps_jnode *j, char *err,
                     size_t errlen)
{
    struct ps_mrule r;
    memset(&r, 0, sizeof(r));
    r.proto = -1;
    int64_t v = 0;
    const char *d = jstr(j, "TrafficDirection"), *act = jstr(j, "RuleAction");
    if (j->type != PS_J_OBJ)
        return fail(err, errlen, "filter %s: a rule is not an object", f->id);
    if (d && strcmp(d, dir ? "egress" : "ingress") != 0)
        return fail(err, errlen,
                    "filter %s: a rule in the %s list says TrafficDirection "
                    "otherwise",
                    f->id, dir ? "egress" : "ingress");
    if (jint(j, "RuleNumber", 1, PS_MF_MAX_SESSNUM, &v) != 1)
        return fail(err, errlen, "filter %s: RuleNumber missing or not 1..32766", f->id);
    r.number = (uint32_t)v;
    if (!act || (strcmp(act, "accept") != 0 && strcmp(act, "reject") != 0))
        return fail(err, errlen, "filter %s: RuleAction must be accept or reject", f->id);
    r.accept = strcmp(act, "accept") == 0;
    int pr = jint(j, "Protocol", -1, 255, &v);
    if (pr < 0)
        return fail(err, errlen, "filter %s: Protocol must be 0..255", f->id);
    if (pr == 1)
        r.proto = (int16_t)v;
    if (ps_mcidr_parse(&r.src, jstr(j, "SourceCidrBlock")) != 0 ||
        ps_mcidr_parse(&r.dst, jstr(j, "DestinationCidrBlock")) != 0)
        return fail(err, errlen,
                    "filter %s: SourceCidrBlock and DestinationCidrBlock must be "
                    "CIDRs",
                    f->id);
    if (json_range(j, "SourcePortRange", &r.has_sport, &r.sport_lo, &r.sport_hi) != 0 ||
        json_range(j, "DestinationPortRange", &r.has_dport, &r.dport_lo, &r.dport_hi) != 0)
        return fail(err, errlen, "filter %s: a port range needs FromPort <= ToPort in 0..65535",
                    f->id);
    return filter_add(f, dir, &r, err, errlen);
}

typedef int (*item_fn)(struct ps_mconfig *c, const struct ps_jnode *item, char *err, size_t errlen);

static int load_list(struct ps_mconfig *c, const char *text, size_t len, const char *key,
                     item_fn fn, char *err, size_t errlen)
{
    struct ps_jnode *root = ps_jparse(text, len, err, errlen);
    if (!root)
        return -1;
    int rc = 0;
    const struct ps_jnode *a = jlist(root, key, err, errlen);
    if (!a)
        rc = -1;
    for (const struct ps_jnode *it = a ? a->child : NULL; it && rc == 0; it = it->next)
        rc = it->type == PS_J_OBJ ? fn(c, it, err, errlen)
                                  : fail(err, errlen, "%s: an element is not an object", key);
    ps_jfree(root);
    return rc;
}

static int filter_item(struct ps_mconfig *c, const struct ps_jnode *it, char *err, size_t errlen)
{
    const char *id = jstr(it, "TrafficMirrorFilterId");
    if (!id)
        return fail(err, errlen, "a filter without TrafficMirrorFilterId");
    for (int i = 0; i < c->nfilter; i++)
        if (strcmp(c->filter[i].id, id) == 0)
            return fail(err, errlen, "filter %s given twice", id);
    struct ps_mfilter *f = ps_mconfig_filter(c, id);
    if (!f)
        return fail(err, errlen, "too many filters, or a bad id: %s", id);
    static const char *lists[2] = {"IngressFilterRules", "EgressFilterRules"};
    for (int dir = 0; dir < 2; dir++) {
        const struct ps_jnode *l = ps_jget(it, lists[dir]);
        if (l && l->type != PS_J_ARR)
            return fail(err, errlen, "filter %s: %s is not a list", id, lists[dir]);
        for (const struct ps_jnode *r = l ? l->child : NULL; r; r = r->next)
            if (json_rule(f, dir, r, err, errlen) != 0)
                return -1;
    }
    const struct ps_jnode *ns = ps_jget(it, "NetworkServices");
    for (const struct ps_jnode *s = ns && ns->type == PS_J_ARR ? ns->child : NULL; s; s = s->next) {
        if (s->type != PS_J_STR || strcmp(s->str, "amazon-dns") != 0)
            return fail(err, errlen, "filter %s: unknown network service (only amazon-dns)", id);
        f->amazon_dns = true;
    }
    return 0;
}

int ps_mconfig_load_filters(struct ps_mconfig *c, const char *text, size_t len, char *err,
                            size_t errlen)
{
    return load_list(c, text, len, "TrafficMirrorFilters", filter_item, err, errlen);
}

int ps_mconfig_add_session(struct ps_mconfig *c, const char *id, const char *eni,
                           const char *filter_id, const char *target_id, uint32_t number,
                           uint32_t packet_length, int64_t vni, char *err, size_t errlen)
{
    if (c->nsession >= PS_MF_MAX_SESSIONS)
        return fail(err, errlen, "more than 64 sessions");
    struct ps_msession *s = &c->session[c->nsession];
    memset(s, 0, sizeof(*s));
    if (set_str(s->id, sizeof(s->id), id) != 0 || set_str(s->eni, sizeof(s->eni), eni) != 0 ||
        set_str(s->filter_id, sizeof(s->filter_id), filter_id) != 0 ||
        set_str(s->target_id, sizeof(s->target_id), target_id) != 0)
        return fail(err, errlen, "session %s: an id is missing or too long", id);
    if (number < 1 || number > PS_MF_MAX_SESSNUM)
        return fail(err, errlen, "session %s: SessionNumber must be 1..32766", id);
    if (packet_length > PS_MF_MAX_PKTLEN)
        return fail(err, errlen, "session %s: PacketLength must be 1..8500", id);
    if (vni > 0xffffff)
        return fail(err, errlen, "session %s: VirtualNetworkId must be 0..16777215", id);
    for (int i = 0; i < c->nsession; i++)
        if (strcmp(c->session[i].id, id) == 0)
            return fail(err, errlen, "session %s given twice", id);
    s->number = number;
    s->packet_length = packet_length;
    s->has_vni = vni >= 0;
    s->vni = vni >= 0 ? (uint32_t)vni : 0;
    s->filter = s->target = s->source = -1;
    c->nsession++;
    return 0;
}

static int session_item(struct ps_mconfig *c, const struct ps_jnode *it, char *err, size_t errlen)
{
    const char *id = jstr(it, "TrafficMirrorSessionId");
    if (!id)
        return fail(err, errlen, "a session without TrafficMirrorSessionId");
    int64_t num = 0, plen = 0, vni = -1;
    if (jint(it, "SessionNumber", 1, PS_MF_MAX_SESSNUM, &num) != 1)
        return fail(err, errlen, "session %s: SessionNumber missing or not 1..32766", id);
    if (jint(it, "PacketLength", 1, PS_MF_MAX_PKTLEN, &plen) < 0)
        return fail(err, errlen, "session %s: PacketLength must be 1..8500", id);
    if (jint(it, "VirtualNetworkId", 0, 0xffffff, &vni) < 0)
        return fail(err, errlen, "session %s: VirtualNetworkId must be 0..16777215", id);
    return ps_mconfig_add_session(
        c, id, jstr(it, "NetworkInterfaceId"), jstr(it, "TrafficMirrorFilterId"),
        jstr(it, "TrafficMirrorTargetId"), (uint32_t)num, (uint32_t)plen, vni, err, errlen);
}

int ps_mconfig_load_sessions(struct ps_mconfig *c, const char *text, size_t len, char *err,
                             size_t errlen)
{
    return load_list(c, text, len, "TrafficMirrorSessions", session_item, err, errlen);
}

static struct ps_mtarget *target_get(struct ps_mconfig *c, const char *id, bool create)
{
    for (int i = 0; i < c->ntarget; i++) {
        struct ps_mtarget *t = &c->target[i];
        if (strcmp(t->id, id) == 0)
            return t;
        for (int k = 0; k < 3; k++)
            if (strcmp(t->alias[k], id) == 0)
                return t;
    }
    if (!create || c->ntarget >= PS_MF_MAX_TARGETS)
        return NULL;
    struct ps_mtarget *t = &c->target[c->ntarget];
    memset(t, 0, sizeof(*t));
    if (set_str(t->id, sizeof(t->id), id) != 0)
        return NULL;
    c->ntarget++;
    return t;
}

static int target_item(struct ps_mconfig *c, const struct ps_jnode *it, char *err, size_t errlen)
{
    const char *id = jstr(it, "TrafficMirrorTargetId");
    static const char *keys[3] = {"NetworkInterfaceId", "NetworkLoadBalancerArn",
                                  "GatewayLoadBalancerEndpointId"};
    if (!id)
        return fail(err, errlen, "a target without TrafficMirrorTargetId");
    /* An address given with --target-addr before the file is kept. */
    struct ps_mtarget *t = target_get(c, id, true);
    if (!t)
        return fail(err, errlen, "too many targets, or a bad id: %s", id);
    for (int k = 0; k < 3; k++) {
        const char *a = jstr(it, keys[k]);
        if (a && set_str(t->alias[k], sizeof(t->alias[k]), a) != 0)
            return fail(err, errlen, "target %s: %s too long", id, keys[k]);
    }
    return 0;
}

int ps_mconfig_load_targets(struct ps_mconfig *c, const char *text, size_t len, char *err,
                            size_t errlen)
{
    return load_list(c, text, len, "TrafficMirrorTargets", target_item, err, errlen);
}

int ps_mconfig_target_addr(struct ps_mconfig *c, const char *id, const char *addr, char *err,
                           size_t errlen)
{
    struct ps_mtarget *t = target_get(c, id, true);
    if (!t)
        return fail(err, errlen, "too many targets, or a bad id: %s", id);
    if (t->naddr >= PS_MF_MAX_ADDRS || set_str(t->addr[t->naddr], sizeof(t->addr[0]), addr))
        return fail(err, errlen, "target %s: at most 8 addresses of at most 255 bytes", id);
    t->naddr++;
    return 0;
}

int ps_mconfig_map(struct ps_mconfig *c, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof(c->source[0].eni) ||
        strlen(eq + 1) >= 16 /* IFNAMSIZ */)
        return fail(err, errlen, "--map %s: expected ENI=IFACE", spec);
    if (c->nsource >= PS_MF_MAX_SOURCES)
        return fail(err, errlen, "--map %s: at most 32 source interfaces", spec);
    struct ps_msource *s = &c->source[c->nsource];
    memset(s, 0, sizeof(*s));
    memcpy(s->eni, spec, (size_t)(eq - spec));
    snprintf(s->ifname, sizeof(s->ifname), "%s", eq + 1);
    for (int i = 0; i < c->nsource; i++)
        if (strcmp(c->source[i].eni, s->eni) == 0 || strcmp(c->source[i].ifname, s->ifname) == 0)
            return fail(err, errlen, "--map %s: that ENI or interface is mapped twice", spec);
    c->nsource++;
    return 0;
}

int ps_mconfig_add_dns(struct ps_mconfig *c, const char *addr, char *err, size_t errlen)
{
    if (c->ndns >= PS_MF_MAX_DNS || ps_mcidr_parse(&c->dns[c->ndns], addr) != 0 ||
        c->dns[c->ndns].prefix != (c->dns[c->ndns].ver == 4 ? 32 : 128))
        return fail(err, errlen, "--amazon-dns %s: an IP address (at most 6)", addr);
    c->ndns++;
    return 0;
}

int ps_mconfig_finish(struct ps_mconfig *c, char *err, size_t errlen)
{
    for (int i = 0; i < c->nsource; i++)
        c->source[i].nsession = 0;
    c->unmapped = 0;
    for (int i = 0; i < c->nsession; i++) {
        struct ps_msession *s = &c->session[i];
        s->filter = s->target = s->source = -1;
        for (int k = 0; k < c->nfilter && s->filter < 0; k++)
            if (strcmp(c->filter[k].id, s->filter_id) == 0)
                s->filter = k;
        if (s->filter < 0)
            return fail(err, errlen, "session %s: filter %s not loaded (--filter)", s->id,
                        s->filter_id);
        struct ps_mtarget *t = target_get(c, s->target_id, false);
        if (!t || !t->naddr)
            return fail(err, errlen, "session %s: no address for target %s (--target-addr)", s->id,
                        s->target_id);
        s->target = (int)(t - c->target);
        if (!s->has_vni) {
            /* AWS picks a random VNI unique in the account [S1]; ours is
             * derived from the session id so that it is stable. */
            uint64_t w[8] = {0};
            memcpy(w, s->id, strnlen(s->id, sizeof(w)));
            s->vni = (uint32_t)(ps_hash_words(0, w, 8) & 0xffffff);
        }
        for (int k = 0; k < c->nsource && s->source < 0; k++)
            if (strcmp(c->source[k].eni, s->eni) == 0)
                s->source = k;
        if (s->source < 0) {
            c->unmapped++;
            continue;
        }
        struct ps_msource *src = &c->source[s->source];
        if (src->nsession >= PS_MF_PER_SOURCE)
            return fail(err, errlen, "source %s: more than 3 sessions (an AWS quota)", s->eni);
        int at = src->nsession;
        for (int k = 0; k < src->nsession; k++) {
            const struct ps_msession *o = &c->session[src->session[k]];
            if (o->number == s->number)
                return fail(err, errlen, "source %s: two sessions with one SessionNumber (%s)",
                            s->eni, s->id);
            if (o->number > s->number && at == src->nsession)
                at = k;
        }
        memmove(&src->session[at + 1], &src->session[at],
                (size_t)(src->nsession - at) * sizeof(int));
        src->session[at] = i;
        src->nsession++;
    }
    return 0;
}
