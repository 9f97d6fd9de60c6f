/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: RFC 1035 s2.3.4, s4.1 (labels <= 63 octets, names <= 255, message
 *       header and question), RFC 6895 (record types: NULL 10, KEY 25 and
 *       the private-use range 65280-65534, where iodine's PRIVATE 65399
 *       lies), https://publicsuffix.org/list/ (format and algorithm of the
 *       public suffix list). Method: Paxson et al., "Practical Comprehensive
 *       Bounds on Surreptitious Communication Over DNS", USENIX Security
 *       2013 (compressed size of the unique names per client and domain). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "app/dns.h"
#include "core/rd.h"
#include "detect/dns_tunnel.h"
#include "detect/kv.h"
#include "flow/hash.h"

#define PROBE         8u
#define SET           128u  /* unique-subdomain hashes kept per key and window */
#define RECENT        64u   /* past SET*3/4 names: a direct-mapped cache of the recent ones */
#define BUF           1024u /* first-seen subdomain bytes kept per key and window */
#define PSL_SLOTS     32768u
#define NAME_MAX_     255u
#define NAME_TEXT_MAX 1100u /* a name as presentation text, every byte escaped as \DDD */

/* ---- public suffix list ------------------------------------------------ */

#define PSL_NORMAL    1u
#define PSL_WILDCARD  2u
#define PSL_EXCEPTION 4u

struct ps_psl {
    uint64_t seed;
    uint32_t n;
    uint64_t key[PSL_SLOTS];
    uint8_t flags[PSL_SLOTS];
};

static uint64_t hash_lower(uint64_t seed, const uint8_t *b, size_t n)
{
    uint64_t h = seed ^ 0x51ed270b27f4b3c5ULL;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = b[i] >= 'A' && b[i] <= 'Z' ? (uint8_t)(b[i] | 0x20) : b[i];
        h = (h ^ ch) * 0x100000001b3ULL;
    }
    return ps_hash_mix(h) | 1;
}

struct ps_psl *ps_psl_new(uint64_t seed)
{
    struct ps_psl *l = calloc(1, sizeof(*l));
    if (l)
        l->seed = seed;
    return l;
}

void ps_psl_free(struct ps_psl *l)
{
    free(l);
}

static uint8_t *psl_slot(struct ps_psl *l, uint64_t h, bool add)
{
    for (uint32_t i = 0; i < PSL_SLOTS; i++) {
        uint32_t s = (uint32_t)(h + i) & (PSL_SLOTS - 1);
        if (l->key[s] == h)
            return &l->flags[s];
        if (!l->key[s]) {
            if (!add || l->n >= PSL_SLOTS * 3 / 4)
                return NULL;
            l->key[s] = h;
            l->n++;
            return &l->flags[s];
        }
    }
    return NULL;
}

static uint8_t psl_get(const struct ps_psl *l, const uint8_t *s, size_t n)
{
    uint64_t h = hash_lower(l->seed, s, n);
    for (uint32_t i = 0; i < PSL_SLOTS; i++) {
        uint32_t k = (uint32_t)(h + i) & (PSL_SLOTS - 1);
        if (l->key[k] == h)
            return l->flags[k];
        if (!l->key[k])
            return 0;
    }
    return 0;
}

size_t ps_psl_load_text(struct ps_psl *l, const char *text, size_t len)
{
    size_t added = 0, i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        size_t a = i, b = a;
        i = end + 1;
        while (b < end && text[b] != ' ' && text[b] != '\t' && text[b] != '\r')
            b++;
        if (b == a || (b - a >= 2 && text[a] == '/' && text[a + 1] == '/'))
            continue;
        uint8_t flag = PSL_NORMAL;
        if (text[a] == '!') {
            flag = PSL_EXCEPTION;
            a++;
        } else if (b - a >= 2 && text[a] == '*' && text[a + 1] == '.') {
            flag = PSL_WILDCARD;
            a += 2;
        }
        if (a >= b || b - a > NAME_MAX_)
            continue;
        uint8_t *f = psl_slot(l, hash_lower(l->seed, (const uint8_t *)text + a, b - a), true);
        if (!f)
            break; /* full: the rest of the list is not loaded */
        *f |= flag;
        added++;
    }
    return added;
}

int ps_psl_load_file(struct ps_psl *l, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    static char buf[1 << 20]; /* startup only */
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    return (int)ps_psl_load_text(l, buf, n);
}

size_t ps_psl_registered(const struct ps_psl *l, const uint8_t *name, size_t len)
{
    size_t pos[128];
    size_t n = 0;
    pos[n++] = 0;
    for (size_t i = 0; i < len && n < 128; i++)
        if (name[i] == '.' && i + 1 < len)
            pos[n++] = i + 1;
    /* the prevailing rule: an exception, else the longest rule; default "*" */
    size_t ps = n - 1; /* label index where the public suffix starts */
    bool found = false;
    for (size_t i = 0; l && i < n; i++) {
        uint8_t f = psl_get(l, name + pos[i], len - pos[i]);
        if (f & PSL_EXCEPTION) {
            ps = i + 1;
            found = true;
            break;
        }
    }
    for (size_t i = 0; l && !found && i < n; i++) {
        uint8_t f = psl_get(l, name + pos[i], len - pos[i]);
        uint8_t w = i + 1 < n ? psl_get(l, name + pos[i + 1], len - pos[i + 1]) : 0;
        if ((f & PSL_NORMAL) || (w & PSL_WILDCARD)) {
            ps = i;
            found = true;
        }
    }
    if (ps == 0 || ps >= n)
        return 0;
    return pos[ps - 1];
}

/* ---- detector ---------------------------------------------------------- */

enum qclass {
    QT_A,
    QT_AAAA,
    QT_TXT,
    QT_CNAME,
    QT_MX,
    QT_SRV,
    QT_NULL,
    QT_PRIVATE,
    QT_KEY,
    QT_OTHER,
    QT__N
};
static const char *const qclass_name[QT__N] = {"A",   "AAAA", "TXT",     "CNAME", "MX",
                                               "SRV", "NULL", "PRIVATE", "KEY",   "other"};

static enum qclass qclass_of(uint16_t t)
{
    switch (t) {
    case 1:
        return QT_A;
    case 28:
        return QT_AAAA;
    case 16:
        return QT_TXT;
    case 5:
        return QT_CNAME;
    case 15:
        return QT_MX;
    case 33:
        return QT_SRV;
    case 10:
        return QT_NULL;
    case 25:
        return QT_KEY;
    default:
        return t >= 65280 && t <= 65534 ? QT_PRIVATE : QT_OTHER;
    }
}

struct window {
    uint64_t start_us;
    uint32_t queries, responses, nxdomain;
    uint32_t qtypes[QT__N];
    uint32_t unique;     /* unique subdomains (past SET*3/4 every new hash counts) */
    uint32_t long_names; /* unique subdomains with a label >= long_label */
    uint32_t odd_names;  /* unique subdomains with bytes outside [a-z0-9-.] */
    uint32_t max_label;
    uint32_t raw_bytes; /* bytes of all unique subdomains */
    uint32_t info;      /* last compressed estimate */
    uint32_t info_at;   /* unique count when it was computed */
    uint16_t buf_len;
    uint32_t set[SET];
    uint32_t recent[RECENT];
    uint8_t buf[BUF];
};

struct dkey {
    uint64_t key; /* 0: free */
    uint64_t last_us;
    uint8_t ipver;
    uint8_t client[16];
    char domain[64];
    bool alerted;
    uint64_t episode_queries;
    uint64_t long_start_us;
    uint32_t long_info; /* compressed bytes of the closed windows of the long window */
    struct window w;
};

struct ps_dns_tunnel {
    struct ps_dns_tunnel_config cfg;
    struct ps_counters *c;
    struct ps_alert_sink sink;
    uint64_t seed;
    uint32_t mask;
    struct dkey *tab;
    struct ps_psl *psl;
    z_stream z;
    bool z_ok;
    uint8_t zout[BUF + 64];
};

void ps_dns_tunnel_config_default(struct ps_dns_tunnel_config *c)
{
    c->capacity = 4096;
    c->window_s = 60;
    /* detection.md s2.3 starts at >= 30 unique subdomains and >= 400 B
     * compressed per 60 s; 20 here, because the signs of encoding gate the
     * alert (a dns2tcp transfer of the DoH-tunnel dataset makes 28 unique
     * names in all, and 1,500 Homepage hosts put 190 unique names under
     * sourceforge.net with none of the signs). Paxson's 4 kB per day for the
     * slow window (here per hour, so that one capture can show it). Entropy:
     * sourceforge.net's project names measure 4.48 bits, base32 and base64
     * labels 4.6-5.7. */
    c->min_unique = 20;
    c->min_info = 400;
    c->long_window_s = 3600;
    c->long_info = 4096;
    c->min_signs = 2;
    c->long_label = 32;
    c->entropy_centibits = 460;
    c->idle_s = 900;
    c->psl_path = PS_PSL_DEFAULT_PATH;
}

int ps_dns_tunnel_config_set(struct ps_dns_tunnel_config *c, const char *kv)
{
    static const struct ps_kv_key keys[] = {
        {"capacity", offsetof(struct ps_dns_tunnel_config, capacity), 16, 1u << 20},
        {"window", offsetof(struct ps_dns_tunnel_config, window_s), 1, 86400},
        {"unique", offsetof(struct ps_dns_tunnel_config, min_unique), 2, 1u << 20},
        {"info", offsetof(struct ps_dns_tunnel_config, min_info), 1, 1u << 30},
        {"long-window", offsetof(struct ps_dns_tunnel_config, long_window_s), 1, 86400 * 7},
        {"long-info", offsetof(struct ps_dns_tunnel_config, long_info), 1, 1u << 30},
        {"signs", offsetof(struct ps_dns_tunnel_config, min_signs), 0, 5},
        {"long-label", offsetof(struct ps_dns_tunnel_config, long_label), 1, 63},
        {"entropy", offsetof(struct ps_dns_tunnel_config, entropy_centibits), 0, 800},
        {"idle", offsetof(struct ps_dns_tunnel_config, idle_s), 1, 86400 * 7},
    };
    const char *eq = strchr(kv, '=');
    if (eq && (size_t)(eq - kv) == 3 && memcmp(kv, "psl", 3) == 0) {
        c->psl_path = eq + 1;
        return 0;
    }
    return ps_kv_set_u32(c, keys, sizeof(keys) / sizeof(keys[0]), kv);
}

struct ps_dns_tunnel *ps_dns_tunnel_new(const struct ps_dns_tunnel_config *c, uint64_t seed,
                                        struct ps_counters *cnt, struct ps_alert_sink sink)
{
    struct ps_dns_tunnel *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cfg = *c;
    t->cfg.psl_path = NULL; /* not kept: the list is loaded now */
    t->c = cnt;
    t->sink = sink;
    t->seed = seed;
    uint32_t cap = 16;
    while (cap < c->capacity && cap < (1u << 20))
        cap <<= 1;
    t->mask = cap - 1;
    t->tab = calloc(cap, sizeof(*t->tab));
    t->psl = ps_psl_new(seed ^ 0x9b1);
    if (!t->tab || !t->psl) {
        ps_dns_tunnel_free(t);
        return NULL;
    }
    if (c->psl_path && *c->psl_path && ps_psl_load_file(t->psl, c->psl_path) <= 0)
        cnt->v[PS_C_DNS_TUNNEL_NO_PSL]++;
    /* raw deflate; its memory is allocated here, once */
    t->z_ok = deflateInit2(&t->z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    return t;
}

void ps_dns_tunnel_free(struct ps_dns_tunnel *t)
{
    if (!t)
        return;
    if (t->z_ok)
        deflateEnd(&t->z);
    ps_psl_free(t->psl);
    free(t->tab);
    free(t);
}

/* log2(x) in 1/65536 units, x >= 1 (no libm). */
static uint64_t log2_q16(uint64_t x)
{
    uint64_t ip = 63 - (uint64_t)__builtin_clzll(x);
    /* mantissa in Q32: x / 2^ip in [1, 2) */
    uint64_t m = ip >= 32 ? x >> (ip - 32) : x << (32 - ip);
    uint64_t frac = 0;
    for (int b = 15; b >= 0; b--) {
        m = (uint64_t)(((unsigned __int128)m * m) >> 32);
        if (m >= (2ULL << 32)) {
            m >>= 1;
            frac |= 1ULL << b;
        }
    }
    return ip << 16 | frac;
}

/* Shannon entropy of the bytes of the names (dots left out), bits x 100. */
static uint32_t entropy_centibits(const uint8_t *b, size_t n)
{
    uint32_t cnt[256] = {0};
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] != '.') {
            cnt[b[i]]++;
            total++;
        }
    if (total < 2)
        return 0;
    /* H = log2(N) - (1/N) sum c log2 c */
    uint64_t s = 0;
    for (int i = 0; i < 256; i++)
        if (cnt[i] > 1)
            s += cnt[i] * log2_q16(cnt[i]);
    uint64_t h = log2_q16(total) - s / total;
    return (uint32_t)(h * 100 >> 16);
}

/* Compressed size of the window's names, scaled to all unique bytes when
 * the buffer holds only the first of them. */
static uint32_t info_estimate(struct ps_dns_tunnel *t, struct window *w)
{
    if (!w->buf_len)
        return 0;
    uint32_t z = w->buf_len;
    if (t->z_ok && deflateReset(&t->z) == Z_OK) {
        t->z.next_in = w->buf;
        t->z.avail_in = w->buf_len;
        t->z.next_out = t->zout;
        t->z.avail_out = sizeof(t->zout);
        if (deflate(&t->z, Z_FINISH) == Z_STREAM_END)
            z = (uint32_t)t->z.total_out;
    }
    if (w->raw_bytes > w->buf_len)
        z = (uint32_t)((uint64_t)z * w->raw_bytes / w->buf_len);
    w->info = z;
    w->info_at = w->unique;
    return z;
}

static struct dkey *lookup(struct ps_dns_tunnel *t, const struct ps_dns_obs *o, const uint8_t *dom,
                           size_t dlen, uint32_t vni)
{
    uint64_t w[4];
    memcpy(w, o->client, 16);
    w[2] = hash_lower(t->seed, dom, dlen);
    w[3] = (uint64_t)vni << 8 | o->ipver;
    uint64_t key = ps_hash_words(t->seed, w, 4) | 1;
    int found;
    struct dkey *victim =
        ps_kv_slot(t->tab, sizeof(*t->tab), t->mask, key, PROBE, key, offsetof(struct dkey, key),
                   offsetof(struct dkey, last_us), &found);
    if (found)
        return victim;
    if (victim->key)
        t->c->v[PS_C_DNS_TUNNEL_EVICTED]++;
    memset(victim, 0, sizeof(*victim));
    victim->key = key;
    victim->ipver = o->ipver;
    memcpy(victim->client, o->client, 16);
    size_t n = dlen < sizeof(victim->domain) - 1 ? dlen : sizeof(victim->domain) - 1;
    for (size_t i = 0; i < n; i++) /* printable for the evidence */
        victim->domain[i] = dom[i] > 32 && dom[i] < 127 ? (char)dom[i] : '?';
    victim->w.start_us = o->ts_us;
    victim->long_start_us = o->ts_us;
    t->c->v[PS_C_DNS_TUNNEL_KEYS]++;
    return victim;
}

static uint32_t signs_of(const struct ps_dns_tunnel *t, const struct window *w, uint32_t ent,
                         char *names, size_t cap)
{
    uint32_t s = 0;
    size_t n = 0;
    names[0] = 0;
#define SIGN(cond, name)                                                                         \
    if (cond) {                                                                                  \
        s++;                                                                                     \
        n += (size_t)snprintf(names + n, n < cap ? cap - n : 0, "%s%s", s > 1 ? "," : "", name); \
    }
    uint32_t rare = w->qtypes[QT_NULL] + w->qtypes[QT_PRIVATE] + w->qtypes[QT_KEY];
    uint32_t tun =
        rare + w->qtypes[QT_TXT] + w->qtypes[QT_CNAME] + w->qtypes[QT_MX] + w->qtypes[QT_SRV];
    uint32_t msgs = w->queries ? w->queries : w->responses;
    SIGN(w->long_names * 4 >= w->unique && w->unique, "long_labels");
    SIGN(ent >= t->cfg.entropy_centibits, "entropy");
    SIGN(w->odd_names * 10 >= w->unique && w->unique, "charset");
    SIGN(msgs && (rare * 10 >= msgs || tun * 2 >= msgs), "record_types");
    SIGN(w->responses >= 10 && w->nxdomain * 2 >= w->responses, "nxdomain");
#undef SIGN
    return s;
}

static void emit_alert(struct ps_dns_tunnel *t, struct dkey *e, const struct ps_dns_obs *o,
                       const struct ps_pkt *p, bool slow, uint32_t ent, const char *signs)
{
    struct window *w = &e->w;
    struct ps_alert a;
    ps_alert_from_pkt(&a, slow ? PS_SIG_DNS_TUNNEL_SLOW : PS_SIG_DNS_TUNNEL, p);
    memcpy(a.src, o->client, 16);
    memcpy(a.dst, o->server, 16);
    a.proto = 17;
    a.has_ports = true;
    a.sport = o->client_port;
    a.dport = o->server_port;
    ps_ev_str(&a, "domain", e->domain);
    ps_ev_num(&a, "queries_until_alert", e->episode_queries);
    ps_ev_num(&a, "unique_subdomains", w->unique);
    ps_ev_num(&a, "info_bytes", slow ? e->long_info : w->info);
    ps_ev_num(&a, "raw_bytes", w->raw_bytes);
    ps_ev_num(&a, "entropy_centibits", ent);
    ps_ev_num(&a, "longest_label", w->max_label);
    char s[200];
    size_t n = 0;
    for (int k = 0; k < QT__N && n < sizeof(s) - 24; k++)
        if (w->qtypes[k])
            n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s:%u", n ? "," : "", qclass_name[k],
                                  w->qtypes[k]);
    ps_ev_str(&a, "record_types", s);
    ps_ev_str(&a, "signs", signs);
    snprintf(s, sizeof(s), "%u/%u", w->nxdomain, w->responses);
    ps_ev_str(&a, "nxdomain", s);
    ps_ev_num(&a, "window_s", slow ? t->cfg.long_window_s : t->cfg.window_s);
    if (slow)
        snprintf(s, sizeof(s), "info>=%u signs>=%u", t->cfg.long_info, t->cfg.min_signs);
    else
        snprintf(s, sizeof(s), "unique>=%u info>=%u signs>=%u", t->cfg.min_unique, t->cfg.min_info,
                 t->cfg.min_signs);
    ps_ev_str(&a, "thresholds", s);
    t->sink.emit(t->sink.ctx, &a);
}

static void new_window(struct dkey *e, uint64_t ts)
{
    memset(&e->w, 0, sizeof(e->w));
    e->w.start_us = ts;
}

static bool is_arpa(const uint8_t *name, size_t len)
{
    static const char arpa[] = "arpa";
    if (len < 4 || (len > 4 && name[len - 5] != '.'))
        return false;
    for (size_t i = 0; i < 4; i++)
        if ((name[len - 4 + i] | 0x20) != arpa[i])
            return false;
    return true;
}

void ps_dns_tunnel_observe(struct ps_dns_tunnel *t, const struct ps_dns_obs *o,
                           const struct ps_pkt *p)
{
    const uint8_t *name = o->qname;
    size_t len = o->qname_len;
    while (len && name[len - 1] == '.')
        len--;
    if (!len || len > NAME_TEXT_MAX)
        return;
    /* reverse lookups: unique by nature, never scored */
    if (o->qtype == 12 || is_arpa(name, len)) {
        t->c->v[PS_C_DNS_TUNNEL_SKIPPED]++;
        return;
    }
    t->c->v[PS_C_DNS_TUNNEL_MESSAGES]++;
    size_t reg = ps_psl_registered(t->psl, name, len);
    uint32_t vni = p && p->m.has_vni ? p->m.vni : 0;
    struct dkey *e = lookup(t, o, name + reg, len - reg, vni);
    uint64_t ts = o->ts_us;
    if (e->last_us && ts > e->last_us + (uint64_t)t->cfg.idle_s * 1000000) {
        e->alerted = false; /* a new episode */
        e->episode_queries = 0;
        e->long_info = 0;
        e->long_start_us = ts;
        new_window(e, ts);
    }
    if (ts > e->last_us)
        e->last_us = ts;
    struct window *w = &e->w;
    char signs[96];
    if (ts >= w->start_us + (uint64_t)t->cfg.window_s * 1000000) {
        /* close the window: its information counts toward the long window */
        uint32_t ent = entropy_centibits(w->buf, w->buf_len);
        uint32_t sg = signs_of(t, w, ent, signs, sizeof(signs));
        if (w->unique)
            e->long_info += info_estimate(t, w);
        if (ts >= e->long_start_us + (uint64_t)t->cfg.long_window_s * 1000000) {
            e->long_start_us = ts;
            e->long_info = 0;
        } else if (!e->alerted && e->long_info >= t->cfg.long_info && sg >= t->cfg.min_signs) {
            e->alerted = true;
            emit_alert(t, e, o, p, true, ent, signs);
        }
        new_window(e, ts);
    }

    if (o->response) {
        w->responses++;
        if (o->rcode == 3)
            w->nxdomain++;
    } else {
        w->queries++;
    }
    /* a query, or a response when this key never saw its queries (one-sided mirror) */
    if (!o->response || !w->queries) {
        e->episode_queries++;
        w->qtypes[qclass_of(o->qtype)]++;
    }
    if (!reg)
        return;          /* the registered domain itself: no subdomain */
    size_t sl = reg - 1; /* the subdomain, without the dot before the domain */
    uint64_t h64 = t->seed ^ (sl * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < sl; i++) /* case kept: encodings use it */
        h64 = (h64 ^ name[i]) * 0x100000001b3ULL;
    uint32_t h = (uint32_t)ps_hash_mix(h64) | 1;
    bool fresh;
    if (w->unique < SET * 3 / 4) { /* exact */
        uint32_t s = h & (SET - 1);
        while (w->set[s] && w->set[s] != h)
            s = (s + 1) & (SET - 1);
        fresh = !w->set[s];
        w->set[s] = h;
    } else { /* estimate: the set is full; a name seen in it or lately is not new */
        uint32_t s = h & (SET - 1);
        while (w->set[s] && w->set[s] != h)
            s = (s + 1) & (SET - 1);
        uint32_t *r = &w->recent[(h >> 7) & (RECENT - 1)];
        fresh = !w->set[s] && *r != h;
        *r = h;
    }
    if (!fresh)
        return;
    w->unique++;
    w->raw_bytes += (uint32_t)sl;
    uint32_t label = 0;
    bool odd = false;
    for (size_t i = 0; i < sl; i++) {
        uint8_t ch = name[i];
        if (ch == '.') {
            label = 0;
            continue;
        }
        if (++label > w->max_label)
            w->max_label = label;
        odd |= !((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-');
    }
    bool long_label = false;
    for (size_t i = 0, run = 0; i < sl; i++) {
        run = name[i] == '.' ? 0 : run + 1;
        long_label |= run >= t->cfg.long_label;
    }
    w->long_names += long_label;
    w->odd_names += odd;
    size_t room = BUF - w->buf_len;
    size_t take = sl + 1 < room ? sl + 1 : room;
    if (take) {
        memcpy(w->buf + w->buf_len, name, take - (take == sl + 1));
        if (take == sl + 1)
            w->buf[w->buf_len + sl] = '.';
        w->buf_len = (uint16_t)(w->buf_len + take);
    }
    if (e->alerted || w->unique < t->cfg.min_unique)
        return;
    /* compress at the threshold and then every 8 new names */
    if (w->info_at && w->unique < w->info_at + 8)
        return;
    if (info_estimate(t, w) < t->cfg.min_info)
        return;
    uint32_t ent = entropy_centibits(w->buf, w->buf_len);
    if (signs_of(t, w, ent, signs, sizeof(signs)) < t->cfg.min_signs)
        return;
    e->alerted = true;
    emit_alert(t, e, o, p, false, ent, signs);
}

/* ---- a message the application layer parsed --------------------------- */

void ps_dns_tunnel_msg(struct ps_dns_tunnel *t, const struct ps_dns_msg *m, const struct ps_pkt *p)
{
    if (!m->nqd || m->opcode != 0)
        return;
    uint32_t rd = 0;
    for (unsigned i = 0; i < m->nan; i++)
        rd += m->an[i].rdlen;
    bool resp = m->qr;
    struct ps_dns_obs o = {
        .ts_us = p->ts_us,
        .ipver = p->ipver,
        .client = resp ? p->dst : p->src,
        .server = resp ? p->src : p->dst,
        .client_port = resp ? p->dport : p->sport,
        .server_port = resp ? p->sport : p->dport,
        .qname = (const uint8_t *)ps_dns_str(m, m->qd[0].name),
        .qname_len = m->qd[0].name_len,
        .qtype = m->qd[0].type,
        .response = resp,
        .rcode = (uint8_t)(m->rcode & 0xff),
        .answers = m->ancount,
        .answer_bytes = rd,
    };
    ps_dns_tunnel_observe(t, &o, p);
}
