/* SPDX-License-Identifier: BSD-2-Clause */
/* JA3, JA3S, JA4 (TLS client) and the EVE "tls" object.
 * spec: Salesforce JA3 (README: SSLVersion,Cipher,SSLExtension,
 * EllipticCurve,EllipticCurvePointFormat, decimal, '-' joined, GREASE
 * removed); FoxIO JA4 technical_details/JA4.md (BSD-3-Clause part only). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/tls_int.h"

struct sb {
    char *p;
    size_t cap; /* including the NUL */
    size_t len;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
    if (b->cap == 0)
        return;
    if (n > b->cap - 1 - b->len)
        n = b->cap - 1 - b->len;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_u(struct sb *b, unsigned v)
{
    char d[20];
    size_t n = ps_fmt_u64(d, v);
    sb_put(b, d, n);
}

static const char hexl[] = "0123456789abcdef";

static void sb_hex16(struct sb *b, uint16_t v)
{
    char d[4] = {hexl[v >> 12], hexl[(v >> 8) & 15], hexl[(v >> 4) & 15], hexl[v & 15]};
    sb_put(b, d, 4);
}

/* '-' joined decimal values, GREASE left out. */
static void sb_list(struct sb *b, const uint16_t *a, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (ps_tls_grease(a[i]))
            continue;
        if (!first)
            sb_put(b, "-", 1);
        sb_u(b, a[i]);
        first = false;
    }
}

static size_t kept(uint16_t n, size_t cap)
{
    return n < cap ? n : cap;
}

static void md5_hex(const char *s, size_t n, char out[33])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len;
    ps_tls_digest(PS_TLS_MD5, s, n, md, &len);
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = len == 16 ? hexl[md[i] >> 4] : '0';
        out[2 * i + 1] = len == 16 ? hexl[md[i] & 15] : '0';
    }
    out[32] = '\0';
}

bool ps_tls_ja3(const struct ps_tls_info *ti, char *str, size_t cap, char md5[33])
{
    struct sb b = {str, cap, 0};
    if (cap)
        str[0] = '\0';
    md5[0] = '\0';
    if (!ti->have_ch)
        return false;
    sb_u(&b, ti->ch_version);
    sb_put(&b, ",", 1);
    sb_list(&b, ti->ciphers, kept(ti->n_ciphers, PS_TLS_MAX_CIPHERS));
    sb_put(&b, ",", 1);
    sb_list(&b, ti->exts, kept(ti->n_exts, PS_TLS_MAX_EXTS));
    sb_put(&b, ",", 1);
    sb_list(&b, ti->groups, kept(ti->n_groups, PS_TLS_MAX_GROUPS));
    sb_put(&b, ",", 1);
    for (size_t i = 0; i < kept(ti->n_pfmts, PS_TLS_MAX_PFMTS); i++) {
        if (i > 0)
            sb_put(&b, "-", 1);
        sb_u(&b, ti->pfmts[i]);
    }
    md5_hex(str, b.len, md5);
    return true;
}

bool ps_tls_ja3s(const struct ps_tls_info *ti, char *str, size_t cap, char md5[33])
{
    struct sb b = {str, cap, 0};
    if (cap)
        str[0] = '\0';
    md5[0] = '\0';
    if (!ti->have_sh)
        return false;
    sb_u(&b, ti->sh_version);
    sb_put(&b, ",", 1);
    sb_u(&b, ti->sh_cipher);
    sb_put(&b, ",", 1);
    sb_list(&b, ti->sexts, kept(ti->n_sexts, PS_TLS_MAX_SEXTS));
    md5_hex(str, b.len, md5);
    return true;
}

static int cmp16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* SHA-256 of s, first 12 hex digits; "000000000000" for an empty list. */
static void hash12(const char *s, size_t n, char out[13])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (n > 0)
        ps_tls_digest(PS_TLS_SHA256, s, n, md, &len);
    for (unsigned i = 0; i < 6; i++) {
        out[2 * i] = len ? hexl[md[i] >> 4] : '0';
        out[2 * i + 1] = len ? hexl[md[i] & 15] : '0';
    }
    out[12] = '\0';
}

/* Sorted, GREASE-free, comma-joined hex of a (skipping SNI and ALPN when
 * skip_ids); returns how many were written. */
static size_t sorted_hex(struct sb *b, const uint16_t *a, size_t n, bool skip_ids)
{
    uint16_t v[PS_TLS_MAX_CIPHERS] = {0};
    size_t k = 0;
    for (size_t i = 0; i < n && k < PS_TLS_MAX_CIPHERS; i++) {
        if (ps_tls_grease(a[i]) || (skip_ids && (a[i] == 0x0000 || a[i] == 0x0010)))
            continue;
        v[k++] = a[i];
    }
    qsort(v, k, sizeof(v[0]), cmp16);
    for (size_t i = 0; i < k; i++) {
        if (i > 0)
            sb_put(b, ",", 1);
        sb_hex16(b, v[i]);
    }
    return k;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
    case 0x0200:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t count_nongrease(const uint16_t *a, size_t n, uint16_t total)
{
    size_t k = total;
    for (size_t i = 0; i < n; i++)
        if (ps_tls_grease(a[i]))
            k--;
    return k > 99 ? 99 : k;
}

void ps_tls_ja4(const struct ps_tls_info *ti, char proto, char out[40])
{
    out[0] = '\0';
    if (!ti->have_ch)
        return;
    size_t nc = kept(ti->n_ciphers, PS_TLS_MAX_CIPHERS);
    size_t ne = kept(ti->n_exts, PS_TLS_MAX_EXTS);
    /* section a: proto, version (highest supported_versions, else the
     * legacy version), SNI, counts without GREASE, first ALPN's first and
     * last characters (their hex digits when not alphanumeric) */
    char a[11];
    const char *ver = ja4_version(ti->ch_max_version ? ti->ch_max_version : ti->ch_version);
    size_t cc = count_nongrease(ti->ciphers, nc, ti->n_ciphers);
    size_t ec = count_nongrease(ti->exts, ne, ti->n_exts);
    char al[2] = {'0', '0'};
    if (ti->n_alpn > 0 && ti->alpn[0] > 0) {
        uint8_t f = ti->alpn[1], l = ti->alpn[ti->alpn[0]];
        if (alnum(f) && alnum(l)) {
            al[0] = (char)f;
            al[1] = (char)l;
        } else {
            al[0] = hexl[f >> 4];
            al[1] = hexl[l & 15];
        }
    }
    a[0] = proto;
    a[1] = ver[0];
    a[2] = ver[1];
    a[3] = ti->sni_present ? 'd' : 'i';
    a[4] = (char)('0' + cc / 10);
    a[5] = (char)('0' + cc % 10);
    a[6] = (char)('0' + ec / 10);
    a[7] = (char)('0' + ec % 10);
    a[8] = al[0];
    a[9] = al[1];
    a[10] = '\0';

    /* section b: sorted ciphers; section c: sorted extensions without SNI
     * and ALPN, then '_' and the signature algorithms in wire order */
    char buf[PS_TLS_MAX_CIPHERS * 5 + PS_TLS_MAX_SIGALGS * 5 + 8];
    char hb[13], hc[13];
    struct sb b = {buf, sizeof(buf), 0};
    sorted_hex(&b, ti->ciphers, nc, false);
    hash12(buf, b.len, hb);
    b.len = 0;
    size_t k = sorted_hex(&b, ti->exts, ne, true);
    size_t ns = kept(ti->n_sigalgs, PS_TLS_MAX_SIGALGS);
    if (k > 0 && ns > 0) {
        sb_put(&b, "_", 1);
        for (size_t i = 0; i < ns; i++) {
            if (i > 0)
                sb_put(&b, ",", 1);
            sb_hex16(&b, ti->sigalgs[i]);
        }
    }
    hash12(buf, k > 0 ? b.len : 0, hc);
    snprintf(out, 40, "%s_%s_%s", a, hb, hc);
}

void ps_tls_version_str(uint16_t v, char out[24])
{
    switch (v) {
    case 0:
        snprintf(out, 24, "UNDETERMINED");
        return;
    case 0x0002:
    case 0x0200:
        snprintf(out, 24, "SSLv2");
        return;
    case 0x0300:
        snprintf(out, 24, "SSLv3");
        return;
    case 0x0301:
        snprintf(out, 24, "TLSv1");
        return;
    case 0x0302:
        snprintf(out, 24, "TLS 1.1");
        return;
    case 0x0303:
        snprintf(out, 24, "TLS 1.2");
        return;
    case 0x0304:
        snprintf(out, 24, "TLS 1.3");
        return;
    default:
        break;
    }
    if ((v >> 8) == 0x7f)
        snprintf(out, 24, "TLS 1.3 draft-%u", (unsigned)(v & 0xff));
    else
        snprintf(out, 24, "0x%04x", (unsigned)v);
}

static void eve_cert(struct ps_json *j, const struct ps_tls_cert *c)
{
    if (c->parse_failed) {
        ps_json_bool(j, "cert_parse_failed", true);
        return;
    }
    ps_json_strn(j, "subject", (const uint8_t *)c->subject, c->subject_len);
    ps_json_strn(j, "issuerdn", (const uint8_t *)c->issuer, c->issuer_len);
}

static void eve_cert_rest(struct ps_json *j, const struct ps_tls_cert *c)
{
    if (c->serial[0])
        ps_json_ascii(j, "serial", c->serial);
    if (c->fingerprint[0])
        ps_json_ascii(j, "fingerprint", c->fingerprint);
}

static void eve_dates(struct ps_json *j, const struct ps_tls_cert *c)
{
    if (c->notbefore[0])
        ps_json_ascii(j, "notbefore", c->notbefore);
    if (c->notafter[0])
        ps_json_ascii(j, "notafter", c->notafter);
}

static void eve_alpns(struct ps_json *j, const struct ps_tls_info *ti)
{
    if (ti->n_alpn > 0) {
        ps_json_arr_begin(j, "client_alpns");
        size_t o = 0;
        for (unsigned i = 0; i < ti->n_alpn && o < ti->alpn_len; i++) {
            uint8_t n = ti->alpn[o];
            ps_json_strn(j, NULL, ti->alpn + o + 1, n);
            o += 1 + (size_t)n;
        }
        ps_json_arr_end(j);
    }
    if (ti->salpn_len > 0) {
        ps_json_arr_begin(j, "server_alpns");
        ps_json_strn(j, NULL, (const uint8_t *)ti->salpn, ti->salpn_len);
        ps_json_arr_end(j);
    }
}

void ps_tls_eve(struct ps_json *j, const struct ps_tls_info *ti)
{
    const struct ps_tls_cert *sc = &ti->server_cert;
    const struct ps_tls_cert *cc = &ti->client_cert;
    bool tls13 = ti->have_sh && ps_tls_is13(ti->version);
    bool resumed = ti->have_sh && ((!tls13 && (ti->sid_resumed || ti->abbreviated)) || ti->sh_psk);
    ps_json_obj_begin(j, "tls");
    if (sc->present)
        eve_cert(j, sc);
    /* Suricata logs session_resumed only without a certificate, <= 1.2 */
    if (resumed && !tls13 && !sc->present)
        ps_json_bool(j, "session_resumed", true);
    if (sc->present)
        eve_cert_rest(j, sc);
    if (ti->sni_present)
        ps_json_strn(j, "sni", (const uint8_t *)ti->sni, ti->sni_len);
    char v[24];
    ps_tls_version_str(ti->have_sh ? ti->version : 0, v);
    ps_json_ascii(j, "version", v);
    if (sc->present)
        eve_dates(j, sc);
    char s[PS_TLS_JA3_MAX], h[33];
    if (ps_tls_ja3(ti, s, sizeof(s), h)) {
        ps_json_obj_begin(j, "ja3");
        ps_json_ascii(j, "hash", h);
        ps_json_ascii(j, "string", s);
        ps_json_obj_end(j);
    }
    if (ps_tls_ja3s(ti, s, sizeof(s), h)) {
        ps_json_obj_begin(j, "ja3s");
        ps_json_ascii(j, "hash", h);
        ps_json_ascii(j, "string", s);
        ps_json_obj_end(j);
    }
    char ja4[40];
    ps_tls_ja4(ti, 't', ja4);
    if (ja4[0])
        ps_json_ascii(j, "ja4", ja4);
    eve_alpns(j, ti);
    /* our own fields */
    if (sc->present)
        ps_json_u64(j, "chain_len", sc->chain_len);
    if (ti->ech)
        ps_json_bool(j, "ech", true);
    if (ti->have_sh)
        ps_json_bool(j, "resumed", resumed);
    if (ti->hrr)
        ps_json_bool(j, "hello_retry", true);
    /* mutual TLS: "sent", "empty" (asked, declined), "none" (not seen),
     * "not_visible" (TLS 1.3 encrypts CertificateRequest and Certificate) */
    if (tls13) {
        ps_json_ascii(j, "client_cert_status", "not_visible");
    } else if (ti->have_sh) {
        ps_json_bool(j, "client_cert_requested", ti->cert_requested);
        ps_json_ascii(j, "client_cert_status",
                      cc->present             ? "sent"
                      : ti->client_cert_empty ? "empty"
                                              : "none");
        if (cc->present) {
            ps_json_obj_begin(j, "client_cert");
            eve_cert(j, cc);
            eve_cert_rest(j, cc);
            eve_dates(j, cc);
            ps_json_u64(j, "chain_len", cc->chain_len);
            ps_json_obj_end(j);
        }
    }
    ps_json_obj_end(j);
}
