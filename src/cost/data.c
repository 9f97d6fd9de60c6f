/* SPDX-License-Identifier: BSD-2-Clause */
/* The versioned data files of `periscope cost`: prices and instance-type
 * lists, each with "version", "source" and "date", and where to find them.
 * spec: docs/aws-mirroring.md s4 (instance types), s5 (prices) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jparse.h"
#include "cost/cost.h"

const char *const ps_cost_price_names[PS_P__COUNT] = {
    "mirror_eni_hour", "cross_az_out_gb", "cross_az_in_gb", "peering_same_az_gb", "nlb_hour",
    "nlcu_hour",       "gwlb_hour",       "glcu_hour",      "gwlbe_hour",         "gwlbe_gb",
};

static void copy_str(char *dst, size_t cap, const struct ps_jnode *n)
{
    dst[0] = 0;
    if (n && n->type == PS_J_STR)
        snprintf(dst, cap, "%s", n->str);
}

/* version, source and date: all three are required, so that the output
 * can always say what it used. */
static int file_head(struct ps_cost_datafile *f, const struct ps_jnode *root, char *err,
                     size_t errlen)
{
    static const char *const need[] = {"version", "source", "date"};
    for (size_t i = 0; i < 3; i++) {
        const struct ps_jnode *n = ps_jget(root, need[i]);
        if (!n || n->type != PS_J_STR || !n->str[0]) {
            snprintf(err, errlen, "no \"%s\" string", need[i]);
            return -1;
        }
    }
    copy_str(f->version, sizeof(f->version), ps_jget(root, "version"));
    copy_str(f->source, sizeof(f->source), ps_jget(root, "source"));
    copy_str(f->date, sizeof(f->date), ps_jget(root, "date"));
    return 0;
}

static int num_member(const struct ps_jnode *o, const char *key, double lo, double hi, double *out)
{
    const struct ps_jnode *n = ps_jget(o, key);
    if (!n || n->type != PS_J_NUM || !(n->num >= lo && n->num <= hi))
        return -1;
    *out = n->num;
    return 0;
}

int ps_cost_prices_parse(struct ps_cost_prices *p, const char *text, size_t len, char *err,
                         size_t errlen)
{
    char e[256];
    struct ps_jnode *root = ps_jparse(text, len, e, sizeof(e));
    if (!root) {
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    int rc = -1;
    if (root->type != PS_J_OBJ) {
        snprintf(err, errlen, "not a JSON object");
        goto out;
    }
    if (file_head(&p->file, root, err, errlen) != 0)
        goto out;
    copy_str(p->region, sizeof(p->region), ps_jget(root, "region"));
    copy_str(p->currency, sizeof(p->currency), ps_jget(root, "currency"));
    if (!p->currency[0])
        snprintf(p->currency, sizeof(p->currency), "USD");
    if (num_member(root, "hours_per_month", 1, 1000, &p->hours_per_month) != 0) {
        snprintf(err, errlen, "\"hours_per_month\" missing or not in 1..1000");
        goto out;
    }
    if (num_member(root, "bytes_per_gb", 1e6, 1e12, &p->bytes_per_gb) != 0) {
        snprintf(err, errlen, "\"bytes_per_gb\" missing or not in 1e6..1e12");
        goto out;
    }
    const struct ps_jnode *prices = ps_jget(root, "prices");
    if (!prices || prices->type != PS_J_OBJ) {
        snprintf(err, errlen, "no \"prices\" object");
        goto out;
    }
    for (int i = 0; i < PS_P__COUNT; i++) {
        const struct ps_jnode *it = ps_jget(prices, ps_cost_price_names[i]);
        if (!it || it->type != PS_J_OBJ || num_member(it, "usd", 0, 1e6, &p->p[i].usd) != 0) {
            snprintf(err, errlen, "prices.%s: missing, or no \"usd\" number >= 0",
                     ps_cost_price_names[i]);
            goto out;
        }
        const struct ps_jnode *c = ps_jget(it, "confirmed");
        p->p[i].confirmed = !c || c->type != PS_J_BOOL || c->num != 0;
    }
    rc = 0;
out:
    ps_jfree(root);
    return rc;
}

static int name_list(struct ps_cost_namelist *l, const struct ps_jnode *root, const char *key,
                     char *err, size_t errlen)
{
    const struct ps_jnode *a = ps_jget(root, key);
    l->n = 0;
    if (!a || a->type != PS_J_ARR) {
        snprintf(err, errlen, "no \"%s\" array", key);
        return -1;
    }
    for (const struct ps_jnode *n = a->child; n; n = n->next) {
        if (n->type != PS_J_STR || !n->str[0] || strlen(n->str) >= sizeof(l->name[0])) {
            snprintf(err, errlen, "\"%s\": an element is not a short string", key);
            return -1;
        }
        if (l->n == PS_COST_MAX_LST) {
            snprintf(err, errlen, "\"%s\": more than %d names", key, PS_COST_MAX_LST);
            return -1;
        }
        snprintf(l->name[l->n], sizeof(l->name[0]), "%s", n->str);
        for (char *c = l->name[l->n]; *c; c++) {
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        }
        l->n++;
    }
    return 0;
}

int ps_cost_types_parse(struct ps_cost_types *t, const char *text, size_t len, char *err,
                        size_t errlen)
{
    char e[256];
    struct ps_jnode *root = ps_jparse(text, len, e, sizeof(e));
    if (!root) {
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    int rc = -1;
    double v;
    if (root->type != PS_J_OBJ) {
        snprintf(err, errlen, "not a JSON object");
        goto out;
    }
    if (file_head(&t->file, root, err, errlen) != 0 ||
        name_list(&t->xen_supported, root, "xen_supported", err, errlen) != 0 ||
        name_list(&t->not_supported, root, "not_supported", err, errlen) != 0 ||
        name_list(&t->nitro_excluded, root, "nitro_excluded", err, errlen) != 0 ||
        name_list(&t->nitro, root, "nitro", err, errlen) != 0 ||
        name_list(&t->largest, root, "largest_sizes", err, errlen) != 0)
        goto out;
    if (num_member(root, "eni_target_sources", 1, 1e6, &v) != 0) {
        snprintf(err, errlen, "\"eni_target_sources\" missing or not a count");
        goto out;
    }
    t->eni_target_sources = (int)v;
    if (num_member(root, "eni_target_sources_largest", 1, 1e6, &v) != 0) {
        snprintf(err, errlen, "\"eni_target_sources_largest\" missing or not a count");
        goto out;
    }
    t->eni_target_sources_largest = (int)v;
    rc = 0;
out:
    ps_jfree(root);
    return rc;
}

/* Read a whole (small) file; the caller frees. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            if (cap >= (64u << 20)) {
                snprintf(err, errlen, "%s: larger than 64 MiB", path);
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        buf = NULL;
    } else if (!buf && !err[0]) {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    fclose(f);
    *len = n;
    return buf;
}

int ps_cost_prices_load(struct ps_cost_prices *p, const char *path, char *err, size_t errlen)
{
    size_t n;
    err[0] = 0;
    char *s = slurp(path, &n, err, errlen);
    if (!s)
        return -1;
    char e[512];
    int rc = ps_cost_prices_parse(p, s, n, e, sizeof(e));
    free(s);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, e);
    else
        snprintf(p->file.path, sizeof(p->file.path), "%s", path);
    return rc;
}

int ps_cost_types_load(struct ps_cost_types *t, const char *path, char *err, size_t errlen)
{
    size_t n;
    err[0] = 0;
    char *s = slurp(path, &n, err, errlen);
    if (!s)
        return -1;
    char e[512];
    int rc = ps_cost_types_parse(t, s, n, e, sizeof(e));
    free(s);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, e);
    else
        snprintf(t->file.path, sizeof(t->file.path), "%s", path);
    return rc;
}

int ps_cost_find_data(const char *name, char *out, size_t outlen)
{
    char dirs[3][PATH_MAX];
    int nd = 0;
    snprintf(dirs[nd++], sizeof(dirs[0]), "%s", PS_DATADIR);
    /* A build in the source tree: build/periscope -> build/../data. */
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(dirs[nd++], sizeof(dirs[0]), "%.*s/../data", PATH_MAX - 16, exe);
        }
    }
    snprintf(dirs[nd++], sizeof(dirs[0]), "data");
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < nd; i++) {
        char path[PATH_MAX + 128];
        snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
        if (access(path, R_OK) == 0) {
            snprintf(out, outlen, "%s", path);
            return 0;
        }
        if (used < outlen) {
            int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", path);
            if (w > 0)
                used += (size_t)w;
        }
    }
    return -1;
}
