/* SPDX-License-Identifier: BSD-2-Clause */
/* The leaf certificate's fields as Suricata's EVE prints them.
 * spec: RFC 5280 s4.1 (Certificate, TBSCertificate, Name, Validity),
 * X.690 s8.1 (DER tag and length) */
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <string.h>

#include "app/tls_int.h"
#include "core/rd.h"

/* One thread-local digest context, made on first use: no allocation per
 * digest after that. */
void ps_tls_digest(int which, const void *p, size_t n, uint8_t *md, unsigned *mdlen)
{
    static _Thread_local EVP_MD_CTX *ctx;
    static _Thread_local EVP_MD *mds[3];
    static const char *const names[3] = {"MD5", "SHA1", "SHA256"};
    *mdlen = 0;
    if (!ctx)
        ctx = EVP_MD_CTX_new();
    if (!mds[which])
        mds[which] = EVP_MD_fetch(NULL, names[which], NULL);
    if (!ctx || !mds[which] || !EVP_DigestInit_ex(ctx, mds[which], NULL) ||
        !EVP_DigestUpdate(ctx, p, n) || !EVP_DigestFinal_ex(ctx, md, mdlen))
        *mdlen = 0;
}

static const char hexl[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";

/* n bytes as hex pairs joined by ':' into out[cap] (NUL-terminated); bytes
 * that do not fit are left out. */
static void hex_colon(char *out, size_t cap, const uint8_t *p, size_t n, const char *digits)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 <= cap; i++) {
        if (i > 0) {
            if (o + 4 > cap)
                break;
            out[o++] = ':';
        }
        out[o++] = digits[p[i] >> 4];
        out[o++] = digits[p[i] & 15];
    }
    out[o] = '\0';
}

/* DER tag and definite length (X.690 s8.1.3); a child reader over the
 * contents, bad when it does not fit. */
static struct ps_rd der_tlv(struct ps_rd *r, uint8_t *tag)
{
    *tag = ps_rd_u8(r);
    uint8_t l = ps_rd_u8(r);
    size_t len = l;
    if (l & 0x80) {
        unsigned k = l & 0x7f;
        len = 0;
        if (k == 0 || k > 4)
            ps_rd_fail(r);
        for (unsigned i = 0; i < k && !r->bad; i++)
            len = (len << 8) | ps_rd_u8(r);
    }
    return ps_rd_sub(r, len);
}

/* Abbreviations after x509-parser (Suricata's X.509 code): CN, C, L, ST,
 * O, OU, DC, Email; else OpenSSL's short name, else the dotted OID. */
static const char *attr_name(const ASN1_OBJECT *o, char *buf, size_t cap)
{
    switch (OBJ_obj2nid(o)) {
    case NID_commonName:
        return "CN";
    case NID_countryName:
        return "C";
    case NID_localityName:
        return "L";
    case NID_stateOrProvinceName:
        return "ST";
    case NID_organizationName:
        return "O";
    case NID_organizationalUnitName:
        return "OU";
    case NID_domainComponent:
        return "DC";
    case NID_pkcs9_emailAddress:
        return "Email";
    case NID_undef:
        break;
    default:
        return OBJ_nid2sn(OBJ_obj2nid(o));
    }
    if (OBJ_obj2txt(buf, (int)cap, o, 1) <= 0)
        return "?";
    return buf;
}

static void put(char *out, size_t cap, uint16_t *o, const void *p, size_t n)
{
    if (n > cap - *o)
        n = cap - *o;
    memcpy(out + *o, p, n);
    *o = (uint16_t)(*o + n);
}

/* A BMPString (UCS-2, big-endian) as UTF-8. */
static void put_bmp(char *out, size_t cap, uint16_t *o, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned u = (unsigned)(p[i] << 8) | p[i + 1];
        uint8_t b[3];
        size_t k;
        if (u < 0x80) {
            b[0] = (uint8_t)u;
            k = 1;
        } else if (u < 0x800) {
            b[0] = (uint8_t)(0xc0 | (u >> 6));
            b[1] = (uint8_t)(0x80 | (u & 0x3f));
            k = 2;
        } else {
            b[0] = (uint8_t)(0xe0 | (u >> 12));
            b[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
            b[2] = (uint8_t)(0x80 | (u & 0x3f));
            k = 3;
        }
        put(out, cap, o, b, k);
    }
}

/* "C=US, O=Let's Encrypt, CN=R3": RDNs in certificate order joined by ", ",
 * attributes of one multi-valued RDN by " + ". Values are the raw string
 * bytes (the JSON writer escapes them). */
static void dn(const X509_NAME *name, char *out, size_t cap, uint16_t *len)
{
    *len = 0;
    int prev_set = -1;
    for (int i = 0; i < X509_NAME_entry_count(name); i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        int set = X509_NAME_ENTRY_set(e);
        if (i > 0)
            put(out, cap, len, set == prev_set ? " + " : ", ", set == prev_set ? 3 : 2);
        prev_set = set;
        char oid[64];
        const char *k = attr_name(X509_NAME_ENTRY_get_object(e), oid, sizeof(oid));
        put(out, cap, len, k, strlen(k));
        put(out, cap, len, "=", 1);
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
        const uint8_t *p = ASN1_STRING_get0_data(v);
        size_t n = (size_t)ASN1_STRING_length(v);
        if (ASN1_STRING_type(v) == V_ASN1_BMPSTRING)
            put_bmp(out, cap, len, p, n);
        else
            put(out, cap, len, p, n);
    }
}

static void digits(char *o, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "2016-11-16T00:00:00" (UTC, as the certificate states it) */
static void when(const ASN1_TIME *t, char out[20])
{
    struct tm tm;
    out[0] = '\0';
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || tm.tm_year + 1900 < 0)
        return;
    memcpy(out, "0000-00-00T00:00:00", 20);
    digits(out, (unsigned)(tm.tm_year + 1900), 4);
    digits(out + 5, (unsigned)tm.tm_mon + 1, 2);
    digits(out + 8, (unsigned)tm.tm_mday, 2);
    digits(out + 11, (unsigned)tm.tm_hour, 2);
    digits(out + 14, (unsigned)tm.tm_min, 2);
    digits(out + 17, (unsigned)tm.tm_sec, 2);
}

/* The TBSCertificate fields Suricata logs, found by walking the DER
 * (RFC 5280 s4.1): Certificate SEQUENCE { tbsCertificate SEQUENCE {
 * [0] version OPTIONAL, serialNumber INTEGER, signature AlgorithmIdentifier,
 * issuer Name, validity SEQUENCE { notBefore, notAfter }, subject Name,
 * subjectPublicKeyInfo SEQUENCE, ... }, signatureAlgorithm SEQUENCE,
 * signatureValue BIT STRING }. The names and times are then decoded by
 * OpenSSL (d2i_X509_NAME, d2i_ASN1_TIME). A whole d2i_X509 also decodes the
 * public key, which costs OpenSSL 3 a few hundred microseconds per
 * certificate: too slow for a sensor, and nothing we log needs it. */
struct tlv {
    const uint8_t *start; /* the tag */
    size_t len;           /* tag, length and contents */
    struct ps_rd in;      /* the contents */
    uint8_t tag;
};

static bool next(struct ps_rd *r, struct tlv *t)
{
    t->start = r->p;
    size_t before = r->left;
    t->in = der_tlv(r, &t->tag);
    t->len = before - r->left;
    return !r->bad && !t->in.bad;
}

static bool name(const struct tlv *t, char *out, size_t cap, uint16_t *len)
{
    const unsigned char *p = t->start;
    X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)t->len);
    if (!n)
        return false;
    dn(n, out, cap, len);
    X509_NAME_free(n);
    return true;
}

static bool validity(struct ps_rd v, char nb[20], char na[20])
{
    char *out[2] = {nb, na};
    for (int i = 0; i < 2; i++) {
        struct tlv t;
        if (!next(&v, &t))
            return false;
        const unsigned char *p = t.start;
        ASN1_TIME *tm = d2i_ASN1_TIME(NULL, &p, (long)t.len);
        if (!tm)
            return false;
        when(tm, out[i]);
        ASN1_TIME_free(tm);
    }
    return true;
}

int ps_tls_cert_parse(struct ps_tls_cert *c, const uint8_t *der, size_t len)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen;
    ps_tls_digest(PS_TLS_SHA1, der, len, md, &mdlen);
    hex_colon(c->fingerprint, sizeof(c->fingerprint), md, mdlen, hexl);
    if (len > 0x7fffffff)
        return -1;
    struct ps_rd r = ps_rd_init(der, len);
    struct tlv cert, tbs, f[6], alg, sig;
    if (!next(&r, &cert) || cert.tag != 0x30 || !next(&cert.in, &tbs) || tbs.tag != 0x30 ||
        !next(&cert.in, &alg) || alg.tag != 0x30 || !next(&cert.in, &sig) || sig.tag != 0x03)
        return -1;
    /* version (optional), serial, signature, issuer, validity, subject, key */
    int k = 0;
    if (!next(&tbs.in, &f[0]))
        return -1;
    if (f[0].tag == 0xa0 && !next(&tbs.in, &f[0]))
        return -1;
    for (k = 1; k < 6; k++)
        if (!next(&tbs.in, &f[k]))
            return -1;
    static const uint8_t tags[6] = {0x02, 0x30, 0x30, 0x30, 0x30, 0x30};
    for (k = 0; k < 6; k++)
        if (f[k].tag != tags[k])
            return -1;
    if (!name(&f[2], c->issuer, sizeof(c->issuer), &c->issuer_len) ||
        !name(&f[4], c->subject, sizeof(c->subject), &c->subject_len) ||
        !validity(f[3].in, c->notbefore, c->notafter))
        return -1;
    /* the serial's content octets as Suricata prints them (leading 00 kept) */
    hex_colon(c->serial, sizeof(c->serial), f[0].in.p, f[0].in.left, hexu);
    return 0;
}
