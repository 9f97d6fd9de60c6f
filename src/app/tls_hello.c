/* SPDX-License-Identifier: BSD-2-Clause */
/* ClientHello: the fields JA3, JA4 and the EVE record need.
 * spec: RFC 8446 s4.1.2, s4.2; RFC 5246 s7.4.1.2; RFC 6066 s3 (SNI);
 * RFC 7301 s3.1 (ALPN); RFC 8422 s5.1 (groups, point formats) */
#include <string.h>

#include "app/tls_int.h"
#include "core/rd.h"

enum {
    EXT_SNI = 0,
    EXT_GROUPS = 10,
    EXT_PFMTS = 11,
    EXT_SIGALGS = 13,
    EXT_ALPN = 16,
    EXT_TICKET = 35,
    EXT_PSK = 41,
    EXT_VERSIONS = 43,
    EXT_ECH = 0xfe0d,
};

/* Append the u16 values of r to a[cap], counting them all in *n. */
static void u16_list(struct ps_rd *r, uint16_t *a, size_t cap, uint16_t *n, bool *cut)
{
    while (r->left >= 2) {
        uint16_t v = ps_rd_be16(r);
        if (*n < cap)
            a[*n] = v;
        else
            *cut = true;
        if (*n < UINT16_MAX)
            (*n)++;
    }
    if (r->left)
        ps_rd_fail(r); /* an odd length */
}

/* server_name: ServerNameList<1..2^16-1> of {NameType, HostName<1..2^16-1>};
 * the first host_name (type 0) is kept. */
static void sni(struct ps_tls_info *ti, struct ps_rd *e)
{
    struct ps_rd l = ps_rd_sub(e, ps_rd_be16(e));
    while (l.left > 0 && !l.bad) {
        uint8_t type = ps_rd_u8(&l);
        uint16_t n = ps_rd_be16(&l);
        const uint8_t *p = ps_rd_bytes(&l, n);
        if (p && type == 0 && !ti->sni_present) {
            size_t k = n < PS_TLS_SNI_MAX ? n : PS_TLS_SNI_MAX;
            memcpy(ti->sni, p, k);
            ti->sni_len = (uint16_t)k;
            ti->sni_present = true;
        }
    }
    if (l.bad)
        ps_rd_fail(e);
}

/* ALPN: ProtocolNameList<2..2^16-1> of ProtocolName<1..2^8-1>; the wire
 * list is kept up to whole names that fit. */
static void alpn(struct ps_tls_info *ti, struct ps_rd *e)
{
    struct ps_rd l = ps_rd_sub(e, ps_rd_be16(e));
    while (l.left > 0 && !l.bad) {
        uint8_t n = ps_rd_u8(&l);
        const uint8_t *p = ps_rd_bytes(&l, n);
        if (!p)
            break;
        if ((size_t)ti->alpn_len + 1 + n <= PS_TLS_ALPN_MAX) {
            ti->alpn[ti->alpn_len] = n;
            memcpy(ti->alpn + ti->alpn_len + 1, p, n);
            ti->alpn_len = (uint16_t)(ti->alpn_len + 1 + n);
            ti->n_alpn++;
        } else if (ti->n_alpn == 0) {
            ti->lists_cut = true;
        }
    }
    if (l.bad)
        ps_rd_fail(e);
}

static void extension(struct ps_tls_info *ti, uint16_t type, struct ps_rd *e)
{
    switch (type) {
    case EXT_SNI:
        sni(ti, e);
        break;
    case EXT_GROUPS: {
        struct ps_rd l = ps_rd_sub(e, ps_rd_be16(e));
        u16_list(&l, ti->groups, PS_TLS_MAX_GROUPS, &ti->n_groups, &ti->lists_cut);
        if (l.bad)
            ps_rd_fail(e);
        break;
    }
    case EXT_PFMTS: {
        struct ps_rd l = ps_rd_sub(e, ps_rd_u8(e));
        while (l.left > 0) {
            uint8_t v = ps_rd_u8(&l);
            if (ti->n_pfmts < PS_TLS_MAX_PFMTS)
                ti->pfmts[ti->n_pfmts] = v;
            else
                ti->lists_cut = true;
            ti->n_pfmts++;
        }
        break;
    }
    case EXT_SIGALGS: {
        struct ps_rd l = ps_rd_sub(e, ps_rd_be16(e));
        u16_list(&l, ti->sigalgs, PS_TLS_MAX_SIGALGS, &ti->n_sigalgs, &ti->lists_cut);
        if (l.bad)
            ps_rd_fail(e);
        break;
    }
    case EXT_ALPN:
        alpn(ti, e);
        break;
    case EXT_TICKET:
        ti->ch_ticket = e->left > 0;
        break;
    case EXT_PSK:
        ti->ch_psk = true;
        break;
    case EXT_VERSIONS: {
        struct ps_rd l = ps_rd_sub(e, ps_rd_u8(e));
        while (l.left >= 2) {
            uint16_t v = ps_rd_be16(&l);
            if (!ps_tls_grease(v) && v > ti->ch_max_version)
                ti->ch_max_version = v;
        }
        break;
    }
    case EXT_ECH:
        ti->ech = true;
        break;
    default:
        break;
    }
}

int ps_tls_client_hello(struct ps_tls_info *ti, const uint8_t *msg, size_t len)
{
    struct ps_rd m = ps_rd_init(msg, len);
    uint8_t type = ps_rd_u8(&m);
    struct ps_rd r = ps_rd_sub(&m, ps_rd_be24(&m));
    if (m.bad || type != 1)
        return -1;
    ti->have_ch = true;
    ti->ch_version = ps_rd_be16(&r);
    (void)ps_rd_skip(&r, 32); /* random */
    uint8_t sid_len = ps_rd_u8(&r);
    const uint8_t *sid = ps_rd_bytes(&r, sid_len);
    if (sid && sid_len <= sizeof(ti->ch_sid)) {
        memcpy(ti->ch_sid, sid, sid_len);
        ti->ch_sid_len = sid_len;
    }
    struct ps_rd cs = ps_rd_sub(&r, ps_rd_be16(&r));
    u16_list(&cs, ti->ciphers, PS_TLS_MAX_CIPHERS, &ti->n_ciphers, &ti->lists_cut);
    (void)ps_rd_skip(&r, ps_rd_u8(&r)); /* compression methods */
    if (r.bad || cs.bad)
        return -1;
    if (r.left == 0)
        return 0; /* no extensions (RFC 5246 s7.4.1.2 allows it) */
    struct ps_rd exts = ps_rd_sub(&r, ps_rd_be16(&r));
    while (exts.left > 0 && !exts.bad) {
        uint16_t et = ps_rd_be16(&exts);
        struct ps_rd e = ps_rd_sub(&exts, ps_rd_be16(&exts));
        if (exts.bad)
            break;
        if (ti->n_exts < PS_TLS_MAX_EXTS)
            ti->exts[ti->n_exts] = et;
        else
            ti->lists_cut = true;
        if (ti->n_exts < UINT16_MAX)
            ti->n_exts++;
        extension(ti, et, &e);
        if (e.bad)
            return -1;
    }
    return exts.bad || r.bad ? -1 : 0;
}
