/* SPDX-License-Identifier: BSD-2-Clause */
/* The estate as the AWS CLI prints it: describe-network-interfaces,
 * -instances, -subnets, -traffic-mirror-sessions, -filters, -targets, read
 * unchanged (unknown members ignored, absent ones left empty).
 * spec: docs/aws-mirroring.md s2.2-s2.4 (mirror JSON shapes); the
 * aws-cli examples of describe-network-interfaces and describe-subnets */
#include <stdlib.h>
#include <string.h>

#include "core/jparse.h"
#include "cost/cost.h"

void ps_cost_init(struct ps_cost *c)
{
    memset(c, 0, sizeof(*c));
}

void ps_cost_free(struct ps_cost *c)
{
    free(c->ifs);
    free(c->ses);
    free(c->flt);
    free(c->tgt);
    free(c->gaps);
    free(c->reco);
    free(c->inst);
    free(c->sub);
    memset(c, 0, sizeof(*c));
}

/* Room for one more element of `size` bytes in *arr (n used, *cap
 * allocated). Returns the new zeroed element, or NULL when out of memory
 * or past the cap on elements. */
static void *grow(void **arr, int n, int *cap, size_t size)
{
    if (n >= 1000000)
        return NULL;
    if (n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        void *na = realloc(*arr, (size_t)nc * size);
        if (!na)
            return NULL;
        *arr = na;
        *cap = nc;
    }
    void *e = (char *)*arr + (size_t)n * size;
    memset(e, 0, size);
    return e;
}

#define GROW(c, arr, n, cap) grow((void **)&(c)->arr, (c)->n, &(c)->cap, sizeof(*(c)->arr))

static const char *str(const struct ps_jnode *o, const char *key)
{
    const struct ps_jnode *n = o ? ps_jget(o, key) : NULL;
    return n && n->type == PS_J_STR ? n->str : "";
}

static bool boolean(const struct ps_jnode *o, const char *key)
{
    const struct ps_jnode *n = ps_jget(o, key);
    return n && n->type == PS_J_BOOL && n->num != 0;
}

/* An integer member in lo..hi, else dflt. */
static long integer(const struct ps_jnode *o, const char *key, long lo, long hi, long dflt)
{
    const struct ps_jnode *n = o ? ps_jget(o, key) : NULL;
    if (!n || n->type != PS_J_NUM || !(n->num >= (double)lo && n->num <= (double)hi))
        return dflt;
    return (long)n->num;
}

#define SET(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static bool id_taken(const char *id, const void *arr, int n, size_t size)
{
    for (int i = 0; i < n; i++) {
        if (strcmp((const char *)arr + (size_t)i * size, id) == 0)
            return true;
    }
    return false;
}

#define TAKEN(c, arr, n, id) id_taken((id), (c)->arr, (c)->n, sizeof(*(c)->arr))

static void add_ip(struct ps_cost_iface *f, const char *s)
{
    if (!s[0] || f->nips == PS_COST_MAX_IPS)
        return;
    if (ps_addr_parse16(s, strlen(s), f->ips[f->nips]))
        f->nips++;
}

static int add_interfaces(struct ps_cost *c, const struct ps_jnode *arr)
{
    for (const struct ps_jnode *n = arr->child; n; n = n->next) {
        const char *id = str(n, "NetworkInterfaceId");
        if (n->type != PS_J_OBJ || !id[0] || TAKEN(c, ifs, nifs, id))
            continue;
        struct ps_cost_iface *f = GROW(c, ifs, nifs, capifs);
        if (!f)
            return -1;
        SET(f->id, id);
        SET(f->type, str(n, "InterfaceType")[0] ? str(n, "InterfaceType") : "interface");
        SET(f->desc, str(n, "Description"));
        SET(f->requester, str(n, "RequesterId"));
        f->requester_managed = boolean(n, "RequesterManaged");
        SET(f->az, str(n, "AvailabilityZone"));
        SET(f->subnet, str(n, "SubnetId"));
        SET(f->vpc, str(n, "VpcId"));
        SET(f->instance_id, str(ps_jget(n, "Attachment"), "InstanceId"));
        add_ip(f, str(n, "PrivateIpAddress"));
        const struct ps_jnode *l = ps_jget(n, "PrivateIpAddresses");
        for (const struct ps_jnode *a = l ? l->child : NULL; a; a = a->next) {
            uint8_t tmp[16];
            const char *s = str(a, "PrivateIpAddress");
            bool dup = false;
            if (s[0] && ps_addr_parse16(s, strlen(s), tmp)) {
                for (int k = 0; k < f->nips; k++)
                    dup |= memcmp(f->ips[k], tmp, 16) == 0;
            }
            if (!dup)
                add_ip(f, s);
        }
        l = ps_jget(n, "Ipv6Addresses");
        for (const struct ps_jnode *a = l ? l->child : NULL; a; a = a->next)
            add_ip(f, str(a, "Ipv6Address"));
        c->nifs++;
    }
    return 0;
}

static int add_instances(struct ps_cost *c, const struct ps_jnode *arr)
{
    for (const struct ps_jnode *r = arr->child; r; r = r->next) {
        const struct ps_jnode *l = r->type == PS_J_OBJ ? ps_jget(r, "Instances") : NULL;
        for (const struct ps_jnode *n = l ? l->child : NULL; n; n = n->next) {
            const char *id = str(n, "InstanceId");
            if (n->type != PS_J_OBJ || !id[0] || TAKEN(c, inst, ninst, id))
                continue;
            struct ps_cost_inst *e = GROW(c, inst, ninst, capinst);
            if (!e)
                return -1;
            SET(e->id, id);
            SET(e->type, str(n, "InstanceType"));
            c->ninst++;
        }
    }
    return 0;
}

static int add_subnets(struct ps_cost *c, const struct ps_jnode *arr)
{
    for (const struct ps_jnode *n = arr->child; n; n = n->next) {
        const char *id = str(n, "SubnetId");
        if (n->type != PS_J_OBJ || !id[0] || TAKEN(c, sub, nsub, id))
            continue;
        struct ps_cost_subnet *e = GROW(c, sub, nsub, capsub);
        if (!e)
            return -1;
        SET(e->id, id);
        SET(e->az, str(n, "AvailabilityZone"));
        SET(e->vpc, str(n, "VpcId"));
        e->ipv6_only = boolean(n, "Ipv6Native");
        c->nsub++;
    }
    return 0;
}

static int add_sessions(struct ps_cost *c, const struct ps_jnode *arr)
{
    for (const struct ps_jnode *n = arr->child; n; n = n->next) {
        const char *id = str(n, "TrafficMirrorSessionId");
        if (n->type != PS_J_OBJ || !id[0] || TAKEN(c, ses, nses, id))
            continue;
        struct ps_cost_session *s = GROW(c, ses, nses, capses);
        if (!s)
            return -1;
        SET(s->id, id);
        SET(s->eni, str(n, "NetworkInterfaceId"));
        SET(s->target, str(n, "TrafficMirrorTargetId"));
        SET(s->filter, str(n, "TrafficMirrorFilterId"));
        /* s1.8: 1..32766; s1.3: PacketLength 1..8500, absent = whole packet */
        s->number = (int)integer(n, "SessionNumber", 1, 32766, 32767);
        s->packet_length = (int)integer(n, "PacketLength", 1, 8500, 0);
        s->vni = integer(n, "VirtualNetworkId", 0, 16777215, -1);
        s->iface = s->tgt = s->flt = -1;
        s->path = "unknown";
        c->nses++;
    }
    return 0;
}

static void port_range(const struct ps_jnode *r, const char *key, bool *has, uint16_t *lo,
                       uint16_t *hi)
{
    const struct ps_jnode *p = ps_jget(r, key);
    *has = false;
    if (!p || p->type != PS_J_OBJ)
        return;
    long a = integer(p, "FromPort", 0, 65535, -1), b = integer(p, "ToPort", 0, 65535, -1);
    if (a < 0 || b < 0)
        return;
    *has = true;
    *lo = (uint16_t)(a < b ? a : b);
    *hi = (uint16_t)(a < b ? b : a);
}

static void add_rules(struct ps_cost_filter *f, const struct ps_jnode *l, bool egress)
{
    for (const struct ps_jnode *r = l ? l->child : NULL; r; r = r->next) {
        if (r->type != PS_J_OBJ)
            continue;
        f->nrules++;
        if (egress)
            f->negress++;
        else
            f->ningress++;
        if (f->nkept == PS_COST_MAX_RUL)
            continue;
        struct ps_cost_rule *u = &f->rule[f->nkept];
        memset(u, 0, sizeof(*u));
        u->egress = egress;
        u->number = (int)integer(r, "RuleNumber", 0, 1000000, 1000000);
        u->accept = strcmp(str(r, "RuleAction"), "accept") == 0;
        u->proto = (int)integer(r, "Protocol", 0, 255, -1);
        /* CIDRs are required [S9]; one that does not parse matches nothing. */
        u->has_src = ps_cidr_parse(&u->src, str(r, "SourceCidrBlock")) == 0;
        u->has_dst = ps_cidr_parse(&u->dst, str(r, "DestinationCidrBlock")) == 0;
        port_range(r, "SourcePortRange", &u->has_sport, &u->sport_lo, &u->sport_hi);
        port_range(r, "DestinationPortRange", &u->has_dport, &u->dport_lo, &u->dport_hi);
        /* Insertion sort: evaluation is lowest RuleNumber first [S9]. */
        int k = f->nkept++;
        while (k > 0 && f->rule[k - 1].egress == egress && f->rule[k - 1].number > u->number) {
            struct ps_cost_rule t = f->rule[k - 1];
            f->rule[k - 1] = f->rule[k];
            f->rule[k] = t;
            k--;
        }
    }
}

static int add_filters(struct ps_cost *c, const struct ps_jnode *arr)
{
    for (const struct ps_jnode *n = arr->child; n; n = n->next) {
        const char *id = str(n, "TrafficMirrorFilterId");
        if (n->type != PS_J_OBJ || !id[0] || TAKEN(c, flt, nflt, id))
            continue;
        struct ps_cost_filter *f = GROW(c, flt, nflt, capflt);
        if (!f)
            return -1;
        SET(f->id, id);
        add_rules(f, ps_jget(n, "IngressFilterRules"), false);
        add_rules(f, ps_jget(n, "EgressFilterRules"), true);
        const struct ps_jnode *ns = ps_jget(n, "NetworkServices");
        for (const struct ps_jnode *s = ns ? ns->child : NULL; s; s = s->next)
            f->amazon_dns |= s->type == PS_J_STR && strcmp(s->str, "amazon-dns") == 0;
        c->nflt++;
    }
    return 0;
}

static int add_targets(struct ps_cost *c, const struct ps_jnode *arr)
{
    for (const struct ps_jnode *n = arr->child; n; n = n->next) {
        const char *id = str(n, "TrafficMirrorTargetId");
        if (n->type != PS_J_OBJ || !id[0] || TAKEN(c, tgt, ntgt, id))
            continue;
        struct ps_cost_target *t = GROW(c, tgt, ntgt, captgt);
        if (!t)
            return -1;
        SET(t->id, id);
        const char *type = str(n, "Type");
        /* s2.4: only the id member of the type is present */
        if (strcmp(type, "network-interface") == 0 ||
            (!type[0] && str(n, "NetworkInterfaceId")[0])) {
            t->kind = PS_T_ENI;
            SET(t->ref, str(n, "NetworkInterfaceId"));
        } else if (strcmp(type, "network-load-balancer") == 0) {
            t->kind = PS_T_NLB;
            SET(t->ref, str(n, "NetworkLoadBalancerArn"));
        } else if (strcmp(type, "gateway-load-balancer-endpoint") == 0) {
            t->kind = PS_T_GWLBE;
            SET(t->ref, str(n, "GatewayLoadBalancerEndpointId"));
        } else {
            t->kind = PS_T_UNKNOWN;
            SET(t->ref, type);
        }
        c->ntgt++;
    }
    return 0;
}

static const struct {
    const char *key;
    enum ps_cost_input in;
    const char *command;
} tops[] = {
    {"NetworkInterfaces", PS_IN_INTERFACES, "describe-network-interfaces"},
    {"Reservations", PS_IN_INSTANCES, "describe-instances"},
    {"Subnets", PS_IN_SUBNETS, "describe-subnets"},
    {"TrafficMirrorSessions", PS_IN_SESSIONS, "describe-traffic-mirror-sessions"},
    {"TrafficMirrorFilters", PS_IN_FILTERS, "describe-traffic-mirror-filters"},
    {"TrafficMirrorTargets", PS_IN_TARGETS, "describe-traffic-mirror-targets"},
};

static int add_tree(struct ps_cost *c, enum ps_cost_input in, const struct ps_jnode *root,
                    char *err, size_t errlen)
{
    const struct ps_jnode *arr =
        root && root->type == PS_J_OBJ ? ps_jget(root, tops[in].key) : NULL;
    if (!arr || arr->type != PS_J_ARR) {
        snprintf(err, errlen, "no \"%s\" array: not the output of 'aws ec2 %s'", tops[in].key,
                 tops[in].command);
        return -1;
    }
    int rc = 0;
    switch (in) {
    case PS_IN_INTERFACES:
        rc = add_interfaces(c, arr);
        break;
    case PS_IN_INSTANCES:
        rc = add_instances(c, arr);
        c->have_instances = true;
        break;
    case PS_IN_SUBNETS:
        rc = add_subnets(c, arr);
        c->have_subnets = true;
        break;
    case PS_IN_SESSIONS:
        rc = add_sessions(c, arr);
        c->have_sessions = true;
        break;
    case PS_IN_FILTERS:
        rc = add_filters(c, arr);
        c->have_filters = true;
        break;
    case PS_IN_TARGETS:
        rc = add_targets(c, arr);
        c->have_targets = true;
        break;
    }
    if (rc != 0)
        snprintf(err, errlen, "out of memory or too many elements");
    return rc;
}

int ps_cost_add_json(struct ps_cost *c, enum ps_cost_input in, const char *text, size_t len,
                     char *err, size_t errlen)
{
    struct ps_jnode *root = ps_jparse(text, len, err, errlen);
    if (!root)
        return -1;
    int rc = add_tree(c, in, root, err, errlen);
    ps_jfree(root);
    return rc;
}

int ps_cost_add_file(struct ps_cost *c, enum ps_cost_input in, const char *path, char *err,
                     size_t errlen)
{
    char e[512];
    struct ps_jnode *root = ps_jparse_file(path, e, sizeof(e));
    if (!root) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    int rc = add_tree(c, in, root, e, sizeof(e));
    ps_jfree(root);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, e);
    return rc;
}
