/* SPDX-License-Identifier: BSD-2-Clause */
/* DNS message parser, EVE writer, probe and TCP framing (see dns.h). */
#include "app/dns.h"

#include <string.h>

#include "core/rd.h"
#include "output/json.h"

enum {
    T_A = 1,
    T_NS = 2,
    T_MD = 3,
    T_MF = 4,
    T_CNAME = 5,
    T_SOA = 6,
    T_MB = 7,
    T_MG = 8,
    T_MR = 9,
    T_NULL = 10,
    T_PTR = 12,
    T_MX = 15,
    T_TXT = 16,
    T_AAAA = 28,
    T_SRV = 33,
    T_DNAME = 39,
    T_OPT = 41,
    T_SSHFP = 44,
    T_SVCB = 64,
    T_HTTPS = 65,
    T_CAA = 257,
};

/* ---- text into the arena ------------------------------------------------ */

/* A string being written at the end of the arena. */
struct tb {
    struct ps_dns_msg *m;
    size_t start; /* arena offset of the first byte */
    size_t len;
    size_t cap; /* bytes available for text (NUL excluded) */
    bool cut;
};

static void tb_begin(struct tb *t, struct ps_dns_msg *m)
{
    t->m = m;
    t->start = m->arena_len;
    t->len = 0;
    size_t room = PS_DNS_ARENA - t->start; /* one byte of it for the NUL */
    t->cap = room == 0 ? 0 : room - 1 < PS_DNS_TEXT_MAX ? room - 1 : PS_DNS_TEXT_MAX;
    t->cut = false;
}

static void tb_putn(struct tb *t, const char *s, size_t n)
{
    if (t->cap - t->len < n) {
        t->cut = true;
        n = t->cap - t->len;
    }
    memcpy(t->m->arena + t->start + t->len, s, n);
    t->len += n;
}

static void tb_putc(struct tb *t, char c)
{
    tb_putn(t, &c, 1);
}

static void tb_puts(struct tb *t, const char *s)
{
    tb_putn(t, s, strlen(s));
}

/* Decimal digits of v into out[0..10) (no NUL); returns how many. */
static size_t fmt_u32(char *out, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static void tb_u32(struct tb *t, uint32_t v)
{
    char d[10];
    size_t k = fmt_u32(d, v);
    tb_putn(t, d, k);
}

static const char HEXU[] = "0123456789ABCDEF";
static const char HEXL[] = "0123456789abcdef";

static void tb_hex(struct tb *t, const uint8_t *p, size_t n, const char *digits)
{
    for (size_t i = 0; i < n && !t->cut; i++) {
        char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        tb_putn(t, h, 2);
    }
}

/* End the string: NUL-terminate, move the arena on, return its offset. An
 * empty string is the shared one at offset 0. */
static uint16_t tb_end(struct tb *t, uint16_t *len)
{
    struct ps_dns_msg *m = t->m;
    if (t->cut)
        m->anomalies |= PS_DNS_ANOM_TEXT;
    *len = (uint16_t)t->len;
    if (t->len == 0)
        return 0;
    m->arena[t->start + t->len] = 0;
    m->arena_len = (uint16_t)(t->start + t->len + 1);
    return (uint16_t)t->start;
}

/* One byte of a label in presentation form. */
static void tb_label_byte(struct tb *t, uint8_t c)
{
    switch (c) {
    case '.':
    case '\\':
    case '"':
    case ';':
    case '(':
    case ')':
    case '@':
    case '$': {
        char e[2] = {'\\', (char)c};
        tb_putn(t, e, 2);
        return;
    }
    default:
        break;
    }
    if (c > 0x20 && c < 0x7f) {
        tb_putc(t, (char)c);
        return;
    }
    char e[4] = {'\\', (char)('0' + c / 100), (char)('0' + c / 10 % 10), (char)('0' + c % 10)};
    tb_putn(t, e, 4);
}

/* A label: runs of bytes that need no escape are copied at once. */
static void tb_label(struct tb *t, const uint8_t *lab, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && ((lab[j] >= 'a' && lab[j] <= 'z') || (lab[j] >= '0' && lab[j] <= '9') ||
                         lab[j] == '-' || (lab[j] >= 'A' && lab[j] <= 'Z') || lab[j] == '_'))
            j++;
        if (j > i)
            tb_putn(t, (const char *)lab + i, j - i);
        if (j < n)
            tb_label_byte(t, lab[j++]);
        i = j;
    }
}

/* Whether n bytes are valid UTF-8 (shortest forms, no surrogates). */
static bool utf8_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* Bytes as Suricata renders them: valid UTF-8 as is, otherwise each byte
 * >= 0x80 as \xNN. `valid` is the verdict over the whole string. */
static void tb_bytes(struct tb *t, const uint8_t *p, size_t n, bool valid)
{
    if (valid) {
        tb_putn(t, (const char *)p, n);
        return;
    }
    for (size_t i = 0; i < n && !t->cut; i++) {
        if (p[i] < 0x80) {
            tb_putc(t, (char)p[i]);
        } else {
            char e[4] = {'\\', 'x', HEXL[p[i] >> 4], HEXL[p[i] & 15]};
            tb_putn(t, e, 4);
        }
    }
}

/* ---- names -------------------------------------------------------------- */

struct name_info {
    uint16_t wire;
    uint8_t labels;
    uint8_t max_label;
};

/* Read a (possibly compressed) name at r, rendering it into t. r moves past
 * the name as it appears at that position (up to and including the first
 * pointer). Labels may come from anywhere in msg[0..len). */
static int read_name(const uint8_t *msg, size_t len, struct ps_rd *r, struct tb *t,
                     struct name_info *ni, struct ps_dns_msg *m)
{
    struct ps_rd c = *r;
    bool jumped = false;
    unsigned jumps = 0;
    size_t wire = 1;
    ni->labels = 0;
    ni->max_label = 0;
    for (;;) {
        uint8_t l = ps_rd_u8(&c);
        if (c.bad)
            return PS_DNS_ERR_NAME_TRUNC;
        if ((l & 0xc0) == 0xc0) {
            uint8_t lo = ps_rd_u8(&c);
            if (c.bad)
                return PS_DNS_ERR_NAME_TRUNC;
            size_t here = (size_t)(c.p - msg) - 2;
            if (!jumped) {
                *r = c;
                jumped = true;
            }
            size_t off = ((size_t)(l & 0x3f) << 8) | lo;
            if (off == here || ++jumps > PS_DNS_MAX_JUMPS)
                return PS_DNS_ERR_PTR_LOOP;
            if (off >= len)
                return PS_DNS_ERR_PTR_RANGE;
            if (off > here && m)
                m->anomalies |= PS_DNS_ANOM_FWD_PTR;
            c = ps_rd_init(msg, len);
            ps_rd_skip(&c, off);
            continue;
        }
        if (l & 0xc0)
            return PS_DNS_ERR_LABEL_TYPE;
        if (l == 0)
            break;
        wire += (size_t)l + 1;
        if (wire > 255)
            return PS_DNS_ERR_NAME_LONG;
        const uint8_t *lab = ps_rd_bytes(&c, l);
        if (!lab)
            return PS_DNS_ERR_NAME_TRUNC;
        if (t) {
            if (ni->labels)
                tb_putc(t, '.');
            tb_label(t, lab, l);
        }
        ni->labels++;
        if (l > ni->max_label)
            ni->max_label = l;
    }
    if (!jumped)
        *r = c;
    ni->wire = (uint16_t)wire;
    return 0;
}

/* A name inside rdata, appended to t. */
static int rdata_name(const uint8_t *msg, size_t len, struct ps_rd *r, struct tb *t,
                      struct ps_dns_msg *m)
{
    struct name_info ni;
    return read_name(msg, len, r, t, &ni, m);
}

/* ---- rdata -------------------------------------------------------------- */

static void ipv4_text(struct tb *t, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            tb_putc(t, '.');
        tb_u32(t, a[i]);
    }
}

static void rfc3597(struct tb *t, const uint8_t *p, size_t n)
{
    tb_puts(t, "\\# ");
    tb_u32(t, (uint32_t)n);
    if (n) {
        tb_putc(t, ' ');
        tb_hex(t, p, n, HEXU);
    }
}

static const char *svc_key_name(uint16_t k)
{
    static const char *const names[] = {
        "mandatory", "alpn",     "no-default-alpn", "port",  "ipv4hint",
        "ech",       "ipv6hint", "dohpath",         "ohttp", "tls-supported-groups"};
    return k < sizeof(names) / sizeof(names[0]) ? names[k] : NULL;
}

/* SVCB/HTTPS (RFC 9460): "priority target key[=value]...". Values for
 * alpn, port and ipv4hint; other keys by name only. */
static bool svcb_text(const uint8_t *msg, size_t len, struct ps_rd *r, struct tb *t,
                      struct ps_dns_rr *rr, struct ps_dns_msg *m, int *err)
{
    uint16_t prio = ps_rd_be16(r);
    if (r->bad)
        return false;
    rr->num[0] = prio;
    tb_u32(t, prio);
    tb_putc(t, ' ');
    size_t mark = t->len;
    *err = rdata_name(msg, len, r, t, m);
    if (*err)
        return false;
    if (t->len == mark)
        tb_putc(t, '.');
    while (r->left && !r->bad) {
        uint16_t key = ps_rd_be16(r);
        uint16_t vlen = ps_rd_be16(r);
        struct ps_rd v = ps_rd_sub(r, vlen);
        if (r->bad)
            return false;
        tb_putc(t, ' ');
        const char *kn = svc_key_name(key);
        if (kn) {
            tb_puts(t, kn);
        } else {
            tb_puts(t, "key");
            tb_u32(t, key);
        }
        if (key == 1) { /* alpn: length-prefixed ids, comma-separated */
            tb_putc(t, '=');
            bool first = true;
            while (v.left) {
                uint8_t n = ps_rd_u8(&v);
                const uint8_t *id = ps_rd_bytes(&v, n);
                if (!id)
                    return false;
                if (!first)
                    tb_putc(t, ',');
                first = false;
                for (size_t i = 0; i < n; i++)
                    tb_label_byte(t, id[i]);
            }
        } else if (key == 3 && vlen == 2) {
            tb_putc(t, '=');
            tb_u32(t, ps_rd_be16(&v));
        } else if (key == 4 && vlen % 4 == 0) {
            tb_putc(t, '=');
            for (size_t i = 0; v.left; i++) {
                if (i)
                    tb_putc(t, ',');
                ipv4_text(t, ps_rd_bytes(&v, 4));
            }
        }
    }
    return !r->bad;
}

/* CAA (RFC 8659): 'flags tag "value"'. */
static bool caa_text(struct ps_rd *r, struct tb *t, struct ps_dns_rr *rr)
{
    uint8_t flags = ps_rd_u8(r);
    uint8_t tlen = ps_rd_u8(r);
    const uint8_t *tag = ps_rd_bytes(r, tlen);
    if (!tag || tlen == 0)
        return false;
    rr->num[0] = flags;
    tb_u32(t, flags);
    tb_putc(t, ' ');
    for (size_t i = 0; i < tlen; i++)
        tb_label_byte(t, tag[i]);
    tb_puts(t, " \"");
    size_t n = r->left;
    const uint8_t *v = ps_rd_bytes(r, n);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"' || v[i] == '\\') {
            char e[2] = {'\\', (char)v[i]};
            tb_putn(t, e, 2);
        } else if (v[i] >= 0x20 && v[i] < 0x7f) {
            tb_putc(t, (char)v[i]);
        } else {
            tb_label_byte(t, v[i]);
        }
    }
    tb_putc(t, '"');
    return true;
}

/* Render the rdata of rr (rd bounded by rdlen) into t. Returns a hard error
 * (a name inside the rdata), or 0; rdata malformed for its type falls back
 * to RFC 3597 with an anomaly. */
static int rdata_text(const uint8_t *msg, size_t len, struct ps_rd rd, struct tb *t,
                      struct ps_dns_rr *rr, struct ps_dns_msg *m)
{
    struct ps_rd r = rd;
    bool ok = true;
    int err = 0;
    switch (rr->type) {
    case T_A:
        ok = r.left == 4;
        if (ok)
            ipv4_text(t, ps_rd_bytes(&r, 4));
        break;
    case T_AAAA:
        ok = r.left == 16;
        if (ok) {
            const uint8_t *a = ps_rd_bytes(&r, 16);
            for (int i = 0; i < 16; i += 2) {
                if (i)
                    tb_putc(t, ':');
                tb_hex(t, a + i, 2, HEXL);
            }
        }
        break;
    case T_NS:
    case T_MD:
    case T_MF:
    case T_CNAME:
    case T_MB:
    case T_MG:
    case T_MR:
    case T_PTR:
    case T_DNAME:
        err = rdata_name(msg, len, &r, t, m);
        ok = !err && r.left == 0;
        break;
    case T_MX:
        rr->num[0] = ps_rd_be16(&r);
        ok = !r.bad;
        if (ok) {
            tb_u32(t, rr->num[0]);
            tb_putc(t, ' ');
            rr->sub = (uint16_t)t->len;
            err = rdata_name(msg, len, &r, t, m);
            ok = !err && r.left == 0;
        }
        break;
    case T_SOA:
        err = rdata_name(msg, len, &r, t, m);
        if (!err) {
            tb_putc(t, ' ');
            err = rdata_name(msg, len, &r, t, m);
        }
        for (int i = 0; i < 5 && !err; i++) {
            rr->num[i] = ps_rd_be32(&r);
            tb_putc(t, ' ');
            tb_u32(t, rr->num[i]);
        }
        ok = !err && !r.bad && r.left == 0;
        break;
    case T_SRV:
        for (int i = 0; i < 3; i++) {
            rr->num[i] = ps_rd_be16(&r);
            tb_u32(t, rr->num[i]);
            tb_putc(t, ' ');
        }
        rr->sub = (uint16_t)t->len;
        ok = !r.bad;
        if (ok) {
            err = rdata_name(msg, len, &r, t, m);
            ok = !err && r.left == 0;
        }
        break;
    case T_TXT: {
        /* The strings joined, as Suricata 7 logs them. Validate first so
         * the rendering is decided over the joined bytes. */
        struct ps_rd s = r;
        bool valid = true;
        while (s.left) {
            uint8_t n = ps_rd_u8(&s);
            const uint8_t *p = ps_rd_bytes(&s, n);
            if (!p) {
                ok = false;
                break;
            }
            valid = valid && utf8_ok(p, n);
        }
        while (ok && r.left) {
            uint8_t n = ps_rd_u8(&r);
            tb_bytes(t, ps_rd_bytes(&r, n), n, valid);
        }
        break;
    }
    case T_NULL: {
        size_t n = r.left;
        const uint8_t *p = ps_rd_bytes(&r, n);
        tb_bytes(t, p, n, utf8_ok(p, n));
        break;
    }
    case T_SSHFP:
        rr->num[0] = ps_rd_u8(&r);
        rr->num[1] = ps_rd_u8(&r);
        ok = !r.bad && r.left > 0;
        if (ok) {
            tb_u32(t, rr->num[0]);
            tb_putc(t, ' ');
            tb_u32(t, rr->num[1]);
            tb_putc(t, ' ');
            size_t n = r.left;
            tb_hex(t, ps_rd_bytes(&r, n), n, HEXL);
        }
        break;
    case T_SVCB:
    case T_HTTPS:
        ok = svcb_text(msg, len, &r, t, rr, m, &err);
        break;
    case T_CAA:
        ok = caa_text(&r, t, rr);
        break;
    default:
        rfc3597(t, rd.p, rd.left);
        return 0;
    }
    if (err)
        return err;
    if (!ok) {
        m->anomalies |= PS_DNS_ANOM_RDATA;
        rr->raw = true;
        memset(rr->num, 0, sizeof(rr->num));
        rr->sub = 0;
        t->len = 0;
        t->cut = false;
        rfc3597(t, rd.p, rd.left);
    }
    return 0;
}

/* ---- records ------------------------------------------------------------ */

static void parse_opt(struct ps_dns_msg *m, uint16_t rclass, uint32_t ttl, struct ps_rd rd,
                      uint8_t name_labels)
{
    if (m->edns.present || name_labels) {
        m->anomalies |= PS_DNS_ANOM_MULTI_OPT;
        if (m->edns.present)
            return;
    }
    m->edns.present = true;
    m->edns.udp_size = rclass;
    m->edns.ext_rcode = (uint8_t)(ttl >> 24);
    m->edns.version = (uint8_t)(ttl >> 16);
    m->edns.do_bit = (ttl & 0x8000) != 0;
    while (rd.left) {
        uint16_t code = ps_rd_be16(&rd);
        uint16_t olen = ps_rd_be16(&rd);
        if (rd.bad || !ps_rd_skip(&rd, olen)) {
            m->anomalies |= PS_DNS_ANOM_RDATA;
            break;
        }
        if (m->edns.nopts < PS_DNS_MAX_OPTS)
            m->edns.opts[m->edns.nopts] = code;
        if (m->edns.nopts < 255)
            m->edns.nopts++;
    }
}

/* The owner name of a kept record. A pointer to the start of a name
 * rendered before (the usual answer pointing at the question) shares that
 * text; otherwise the name is rendered and remembered by its offset. */
static int owner_name(const uint8_t *msg, size_t len, struct ps_rd *r, struct ps_dns_msg *m,
                      struct ps_dns_rr *rr)
{
    uint8_t b0 = ps_rd_peek(r, 0);
    size_t key = (size_t)(r->p - msg);
    if ((b0 & 0xc0) == 0xc0 && r->left >= 2) {
        key = ((size_t)(b0 & 0x3f) << 8) | ps_rd_peek(r, 1);
        for (unsigned i = 0; i < m->ncache; i++) {
            if (m->cache[i].off != key)
                continue;
            ps_rd_skip(r, 2);
            rr->name = m->cache[i].name;
            rr->name_len = m->cache[i].name_len;
            rr->name_wire = m->cache[i].name_wire;
            rr->labels = m->cache[i].labels;
            rr->max_label = m->cache[i].max_label;
            return 0;
        }
    }
    struct tb t;
    struct name_info ni;
    tb_begin(&t, m);
    int err = read_name(msg, len, r, &t, &ni, m);
    if (err)
        return err;
    bool cut = t.cut;
    rr->name = tb_end(&t, &rr->name_len);
    rr->name_wire = ni.wire;
    rr->labels = ni.labels;
    rr->max_label = ni.max_label;
    if (!cut) {
        unsigned i = m->ncache < 4 ? m->ncache++ : (unsigned)(key & 3);
        m->cache[i].off = (uint16_t)key;
        m->cache[i].name = rr->name;
        m->cache[i].name_len = rr->name_len;
        m->cache[i].name_wire = rr->name_wire;
        m->cache[i].labels = rr->labels;
        m->cache[i].max_label = rr->max_label;
    }
    return 0;
}

/* One question (is_q) or resource record. `keep` is where to store it, or
 * NULL when its section is full (still parsed, then counted as dropped).
 * Returns 0, a PS_DNS_ERR_* code, or -1 for an OPT record (consumed into
 * m->edns, not kept). */
static int parse_rr(const uint8_t *msg, size_t len, struct ps_rd *r, struct ps_dns_msg *m,
                    struct ps_dns_rr *keep, bool is_q, bool is_ar)
{
    struct ps_dns_rr tmp = {0};
    struct ps_dns_rr *rr = keep ? keep : &tmp;
    struct tb t;
    struct name_info ni;
    memset(rr, 0, sizeof(*rr));
    int err = keep ? owner_name(msg, len, r, m, rr) : read_name(msg, len, r, NULL, &ni, m);
    if (err)
        return err;
    if (!keep)
        rr->labels = ni.labels;
    rr->type = ps_rd_be16(r);
    rr->rclass = ps_rd_be16(r);
    if (is_q)
        return r->bad ? PS_DNS_ERR_RR_TRUNC : 0;
    rr->ttl = ps_rd_be32(r);
    rr->rdlen = ps_rd_be16(r);
    if (r->bad)
        return PS_DNS_ERR_RR_TRUNC;
    struct ps_rd rd = ps_rd_sub(r, rr->rdlen);
    if (r->bad)
        return PS_DNS_ERR_RDLEN;
    if (is_ar && rr->type == T_OPT) {
        /* Not kept as a record; its (root) name used no arena. */
        parse_opt(m, rr->rclass, rr->ttl, rd, rr->labels);
        return -1;
    }
    if (!keep) {
        /* Dropped records still have their names checked. */
        switch (rr->type) {
        case T_NS:
        case T_CNAME:
        case T_PTR:
        case T_DNAME:
            return rdata_name(msg, len, &rd, NULL, m);
        default:
            return 0;
        }
    }
    tb_begin(&t, m);
    err = rdata_text(msg, len, rd, &t, rr, m);
    if (err)
        return err;
    rr->rdata = tb_end(&t, &rr->rdata_len);
    return 0;
}

static int parse_section(const uint8_t *msg, size_t len, struct ps_rd *r, struct ps_dns_msg *m,
                         unsigned count, struct ps_dns_rr *arr, uint8_t *nkept, unsigned cap,
                         bool is_q, bool is_ar)
{
    for (unsigned i = 0; i < count; i++) {
        struct ps_dns_rr *slot = *nkept < cap ? &arr[*nkept] : NULL;
        int rc = parse_rr(msg, len, r, m, slot, is_q, is_ar);
        if (rc > 0)
            return rc;
        if (rc < 0)
            continue;
        if (slot)
            (*nkept)++;
        else if (m->dropped < UINT16_MAX)
            m->dropped++;
    }
    return 0;
}

int ps_dns_parse(const uint8_t *msg, size_t len, struct ps_dns_msg *m)
{
    struct ps_rd r = ps_rd_init(msg, len);
    m->id = ps_rd_be16(&r);
    m->flags = ps_rd_be16(&r);
    m->qdcount = ps_rd_be16(&r);
    m->ancount = ps_rd_be16(&r);
    m->nscount = ps_rd_be16(&r);
    m->arcount = ps_rd_be16(&r);
    m->nqd = m->nan = m->nns = m->nar = 0;
    m->dropped = 0;
    m->anomalies = 0;
    memset(&m->edns, 0, sizeof(m->edns));
    m->arena_len = 1;
    m->arena[0] = 0;
    m->ncache = 0;
    uint16_t f = m->flags;
    m->qr = f & 0x8000;
    m->opcode = (f >> 11) & 15;
    m->aa = f & 0x0400;
    m->tc = f & 0x0200;
    m->rd = f & 0x0100;
    m->ra = f & 0x0080;
    m->z = f & 0x0040;
    m->ad = f & 0x0020;
    m->cd = f & 0x0010;
    m->rcode = f & 15;
    if (r.bad)
        return PS_DNS_ERR_HEADER;
    if (m->opcode == 3 || m->opcode > 6)
        m->anomalies |= PS_DNS_ANOM_OPCODE;
    int err =
        parse_section(msg, len, &r, m, m->qdcount, m->qd, &m->nqd, PS_DNS_MAX_QD, true, false);
    if (!err)
        err =
            parse_section(msg, len, &r, m, m->ancount, m->an, &m->nan, PS_DNS_MAX_AN, false, false);
    if (!err)
        err =
            parse_section(msg, len, &r, m, m->nscount, m->ns, &m->nns, PS_DNS_MAX_NS, false, false);
    if (!err)
        err =
            parse_section(msg, len, &r, m, m->arcount, m->ar, &m->nar, PS_DNS_MAX_AR, false, true);
    if (m->edns.present)
        m->rcode = (uint16_t)(m->rcode | (m->edns.ext_rcode << 4));
    if (!err && r.left)
        m->anomalies |= PS_DNS_ANOM_TRAILING;
    return err;
}

const char *ps_dns_err_name(int err)
{
    static const char *const names[PS_DNS_ERR__COUNT] = {
        "ok",        "trunc_header", "trunc_name", "ptr_loop",  "ptr_range",
        "name_long", "label_type",   "trunc_rr",   "bad_rdlen",
    };
    return err >= 0 && err < PS_DNS_ERR__COUNT ? names[err] : "unknown";
}

/* ---- names of types and rcodes ------------------------------------------ */

static const struct {
    uint16_t t;
    const char *name;
} TYPES[] = {
    {1, "A"},       {2, "NS"},        {3, "MD"},          {4, "MF"},     {5, "CNAME"},
    {6, "SOA"},     {7, "MB"},        {8, "MG"},          {9, "MR"},     {10, "NULL"},
    {11, "WKS"},    {12, "PTR"},      {13, "HINFO"},      {14, "MINFO"}, {15, "MX"},
    {16, "TXT"},    {17, "RP"},       {18, "AFSDB"},      {19, "X25"},   {20, "ISDN"},
    {21, "RT"},     {22, "NSAP"},     {23, "NSAPPTR"},    {24, "SIG"},   {25, "KEY"},
    {26, "PX"},     {27, "GPOS"},     {28, "AAAA"},       {29, "LOC"},   {30, "NXT"},
    {33, "SRV"},    {34, "ATMA"},     {35, "NAPTR"},      {36, "KX"},    {37, "CERT"},
    {38, "A6"},     {39, "DNAME"},    {41, "OPT"},        {42, "APL"},   {43, "DS"},
    {44, "SSHFP"},  {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},  {48, "DNSKEY"},
    {49, "DHCID"},  {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},  {55, "HIP"},
    {59, "CDS"},    {60, "CDNSKEY"},  {64, "SVCB"},       {65, "HTTPS"}, {99, "SPF"},
    {249, "TKEY"},  {250, "TSIG"},    {251, "IXFR"},      {252, "AXFR"}, {253, "MAILB"},
    {254, "MAILA"}, {255, "ANY"},     {256, "URI"},       {257, "CAA"},
};

static const char *type_known(uint16_t t)
{
    for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++)
        if (TYPES[i].t == t)
            return TYPES[i].name;
    return NULL;
}

const char *ps_dns_type_name(uint16_t t, char buf[16])
{
    const char *n = type_known(t);
    if (n)
        return n;
    memcpy(buf, "TYPE", 4);
    buf[4 + fmt_u32(buf + 4, t)] = 0;
    return buf;
}

/* Suricata writes unknown types as the bare number. */
static const char *eve_type_name(uint16_t t, char buf[16])
{
    const char *n = type_known(t);
    if (n)
        return n;
    buf[fmt_u32(buf, t)] = 0;
    return buf;
}

const char *ps_dns_rcode_name(unsigned rcode, char buf[16])
{
    static const char *const names[] = {
        "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",         "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",        NULL,
        NULL,       NULL,      NULL,       NULL,       "BADVERS/BADSIG", "BADKEY",
        "BADTIME",  "BADMODE", "BADNAME",  "BADALG",   "BADTRUNC",       "BADCOOKIE",
    };
    if (rcode < sizeof(names) / sizeof(names[0]) && names[rcode])
        return names[rcode];
    buf[fmt_u32(buf, rcode)] = 0;
    return buf;
}

/* ---- probe -------------------------------------------------------------- */

bool ps_dns_probe(const uint8_t *d, size_t n)
{
    struct ps_rd r = ps_rd_init(d, n);
    (void)ps_rd_be16(&r);
    uint16_t f = ps_rd_be16(&r);
    uint16_t qd = ps_rd_be16(&r);
    uint32_t an = ps_rd_be16(&r);
    uint32_t ns = ps_rd_be16(&r);
    uint32_t ar = ps_rd_be16(&r);
    if (r.bad)
        return false;
    unsigned opcode = (f >> 11) & 15;
    if (opcode == 3 || opcode > 6)
        return false;
    if (!(f & 0x8000) && (f & 15) != 0) /* a query carries no rcode */
        return false;
    if (qd < 1 || qd > PS_DNS_MAX_QD)
        return false;
    /* A question is at least 5 bytes, a record at least 11. */
    if ((size_t)qd * 5 + (an + ns + ar) * 11 > n - 12)
        return false;
    struct name_info ni;
    if (read_name(d, n, &r, NULL, &ni, NULL) != 0)
        return false;
    uint16_t qtype = ps_rd_be16(&r);
    uint16_t qclass = ps_rd_be16(&r) & 0x7fff; /* mDNS unicast-response bit */
    if (r.bad || qtype == 0)
        return false;
    return qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255;
}

bool ps_dns_probe_tcp(const uint8_t *d, size_t n)
{
    struct ps_rd r = ps_rd_init(d, n);
    uint16_t mlen = ps_rd_be16(&r);
    if (r.bad || mlen < 17)
        return false;
    return ps_dns_probe(r.p, r.left < mlen ? r.left : mlen);
}

/* ---- EVE ---------------------------------------------------------------- */

/* The i-th space-separated field of s[0..n) (names hold no raw space). */
static size_t field(const char *s, size_t n, unsigned i, size_t *flen)
{
    size_t p = 0;
    for (; i > 0 && p < n; p++)
        if (s[p] == ' ')
            i--;
    size_t e = p;
    while (e < n && s[e] != ' ')
        e++;
    *flen = e - p;
    return p;
}

static void eve_strn(struct ps_json *j, const char *key, const char *s, size_t n)
{
    ps_json_strn(j, key, (const uint8_t *)s, n);
}

/* Whether Suricata 7 logs this type's rdata as a string. */
static bool rdata_is_string(uint16_t t)
{
    switch (t) {
    case T_A:
    case T_AAAA:
    case T_CNAME:
    case T_MX:
    case T_NS:
    case T_PTR:
    case T_TXT:
    case T_NULL:
        return true;
    default:
        return false;
    }
}

/* The rdata object of SOA, SRV and SSHFP (key NULL inside "grouped"). */
static void eve_rdata_obj(struct ps_json *j, const char *key, const struct ps_dns_msg *m,
                          const struct ps_dns_rr *rr)
{
    const char *s = ps_dns_str(m, rr->rdata);
    size_t n = rr->rdata_len, fl, fo;
    ps_json_obj_begin(j, key);
    if (rr->type == T_SOA) {
        fo = field(s, n, 0, &fl);
        eve_strn(j, "mname", s + fo, fl);
        fo = field(s, n, 1, &fl);
        eve_strn(j, "rname", s + fo, fl);
        ps_json_u64(j, "serial", rr->num[0]);
        ps_json_u64(j, "refresh", rr->num[1]);
        ps_json_u64(j, "retry", rr->num[2]);
        ps_json_u64(j, "expire", rr->num[3]);
        ps_json_u64(j, "minimum", rr->num[4]);
    } else if (rr->type == T_SRV) {
        ps_json_u64(j, "priority", rr->num[0]);
        ps_json_u64(j, "weight", rr->num[1]);
        ps_json_u64(j, "port", rr->num[2]);
        eve_strn(j, "name", s + rr->sub, n - rr->sub);
    } else {
        /* SSHFP: fingerprint as colon-separated lowercase hex. */
        char fp[PS_DNS_TEXT_MAX + PS_DNS_TEXT_MAX / 2];
        size_t w = 0;
        fo = field(s, n, 2, &fl);
        for (size_t i = 0; i + 1 < fl; i += 2) {
            if (w)
                fp[w++] = ':';
            fp[w++] = s[fo + i];
            fp[w++] = s[fo + i + 1];
        }
        fp[w] = 0;
        ps_json_ascii(j, "fingerprint", fp);
        ps_json_u64(j, "algo", rr->num[0]);
        ps_json_u64(j, "type", rr->num[1]);
    }
    ps_json_obj_end(j);
}

/* Whether the rdata of this record is logged, as a string or an object
 * (not when malformed: Suricata would not have parsed the message). */
static bool rdata_logged(const struct ps_dns_rr *rr)
{
    return !rr->raw && (rdata_is_string(rr->type) || rr->type == T_SOA || rr->type == T_SRV ||
                        rr->type == T_SSHFP);
}

/* rdata value of a string type: MX is logged as its exchange name only. */
static void eve_rdata_str(struct ps_json *j, const char *key, const struct ps_dns_msg *m,
                          const struct ps_dns_rr *rr)
{
    const char *s = ps_dns_str(m, rr->rdata);
    size_t off = rr->type == T_MX ? rr->sub : 0;
    if (off > rr->rdata_len)
        off = rr->rdata_len;
    eve_strn(j, key, s + off, rr->rdata_len - off);
}

static void eve_rr(struct ps_json *j, const struct ps_dns_msg *m, const struct ps_dns_rr *rr)
{
    char tb[16];
    ps_json_obj_begin(j, NULL);
    eve_strn(j, "rrname", ps_dns_str(m, rr->name), rr->name_len);
    ps_json_ascii(j, "rrtype", eve_type_name(rr->type, tb));
    ps_json_u64(j, "ttl", rr->ttl);
    /* Types Suricata 7 does not render get no rdata. */
    if (rdata_logged(rr) && rdata_is_string(rr->type))
        eve_rdata_str(j, "rdata", m, rr);
    else if (rdata_logged(rr))
        eve_rdata_obj(j, rr->type == T_SOA ? "soa" : rr->type == T_SRV ? "srv" : "sshfp", m, rr);
    ps_json_obj_end(j);
}

void ps_dns_eve_query(struct ps_json *j, const struct ps_dns_msg *m, unsigned qi)
{
    char tb[16];
    ps_json_obj_begin(j, "dns");
    ps_json_ascii(j, "type", "query");
    ps_json_u64(j, "id", m->id);
    if (qi < m->nqd) {
        const struct ps_dns_rr *q = &m->qd[qi];
        eve_strn(j, "rrname", ps_dns_str(m, q->name), q->name_len);
        ps_json_ascii(j, "rrtype", eve_type_name(q->type, tb));
    }
    ps_json_u64(j, "tx_id", m->tx_id);
    if (m->z)
        ps_json_bool(j, "z", true);
    ps_json_u64(j, "opcode", m->opcode);
    ps_json_obj_end(j);
}

void ps_dns_eve(struct ps_json *j, const struct ps_dns_msg *m)
{
    if (!m->qr) {
        ps_dns_eve_query(j, m, 0);
        return;
    }
    char tb[16];
    char hex[5];
    size_t hn = 0;
    bool lead = true;
    for (int sh = 12; sh >= 0; sh -= 4) {
        unsigned nib = (m->flags >> sh) & 15;
        if (lead && nib == 0 && sh > 0)
            continue;
        lead = false;
        hex[hn++] = HEXL[nib];
    }
    hex[hn] = 0;
    ps_json_obj_begin(j, "dns");
    ps_json_u64(j, "version", 2);
    ps_json_ascii(j, "type", "answer");
    ps_json_u64(j, "id", m->id);
    ps_json_ascii(j, "flags", hex);
    if (m->qr)
        ps_json_bool(j, "qr", true);
    if (m->aa)
        ps_json_bool(j, "aa", true);
    if (m->tc)
        ps_json_bool(j, "tc", true);
    if (m->rd)
        ps_json_bool(j, "rd", true);
    if (m->ra)
        ps_json_bool(j, "ra", true);
    if (m->z)
        ps_json_bool(j, "z", true);
    ps_json_u64(j, "opcode", m->opcode);
    if (m->nqd) {
        eve_strn(j, "rrname", ps_dns_str(m, m->qd[0].name), m->qd[0].name_len);
        ps_json_ascii(j, "rrtype", eve_type_name(m->qd[0].type, tb));
    }
    /* Suricata 7 names the header rcode only (4 bits). */
    ps_json_ascii(j, "rcode", ps_dns_rcode_name(m->flags & 15, tb));
    if (m->nan) {
        ps_json_arr_begin(j, "answers");
        for (unsigned i = 0; i < m->nan; i++)
            eve_rr(j, m, &m->an[i]);
        ps_json_arr_end(j);
        /* "grouped": one array per type with logged rdata, in order of
         * first appearance. */
        ps_json_obj_begin(j, "grouped");
        for (unsigned i = 0; i < m->nan; i++) {
            uint16_t t = m->an[i].type;
            bool seen = false;
            for (unsigned k = 0; k < i && !seen; k++)
                seen = m->an[k].type == t;
            if (seen || !rdata_logged(&m->an[i]))
                continue;
            ps_json_arr_begin(j, eve_type_name(t, tb));
            for (unsigned k = i; k < m->nan; k++) {
                const struct ps_dns_rr *rr = &m->an[k];
                if (rr->type != t)
                    continue;
                if (rdata_is_string(t))
                    eve_rdata_str(j, NULL, m, rr);
                else
                    eve_rdata_obj(j, NULL, m, rr);
            }
            ps_json_arr_end(j);
        }
        ps_json_obj_end(j);
    }
    if (m->nns) {
        ps_json_arr_begin(j, "authorities");
        for (unsigned i = 0; i < m->nns; i++)
            eve_rr(j, m, &m->ns[i]);
        ps_json_arr_end(j);
    }
    ps_json_obj_end(j);
}

/* ---- DNS over TCP ------------------------------------------------------- */

size_t ps_dns_tcp_feed(struct ps_dns_tcp *st, int dir, const uint8_t *d, size_t n,
                       struct ps_dns_msg *scratch, ps_dns_emit_fn emit, void *ctx)
{
    int k = dir ? 1 : 0;
    struct ps_rd r = ps_rd_init(d, n);
    for (;;) {
        if (st->skip[k]) {
            size_t s = st->skip[k] < r.left ? st->skip[k] : r.left;
            ps_rd_skip(&r, s);
            st->skip[k] -= (uint32_t)s;
            if (st->skip[k])
                break;
        }
        if (r.left < 2)
            break;
        uint16_t mlen = (uint16_t)((ps_rd_peek(&r, 0) << 8) | ps_rd_peek(&r, 1));
        if ((size_t)mlen + 2 > PS_APP_BUF) {
            ps_rd_skip(&r, 2);
            st->skip[k] = mlen;
            st->oversized++;
            continue;
        }
        if (r.left - 2 < mlen)
            break;
        ps_rd_skip(&r, 2);
        const uint8_t *msg = ps_rd_bytes(&r, mlen);
        if (mlen == 0 || ps_dns_parse(msg, mlen, scratch) != 0) {
            st->bad++;
            continue;
        }
        st->msgs++;
        if (emit)
            emit(ctx, k, scratch);
    }
    return n - r.left;
}
