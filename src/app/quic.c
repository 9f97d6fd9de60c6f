/* SPDX-License-Identifier: BSD-2-Clause */
/* QUIC long headers and Initial decryption (see quic.h).
 * spec: RFC 9000 s17 (packet formats), s19 (frames), RFC 9001 s5 (Initial
 * secrets, header protection, AEAD), RFC 9369 s3 (v2), RFC 8999 s6 (VN). */
#include "app/quic.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "core/rd.h"

/* Long header packet types, normalised to v1's numbering (RFC 9000 s17.2). */
enum { PT_INITIAL = 0, PT_0RTT = 1, PT_HANDSHAKE = 2, PT_RETRY = 3 };

/* Initial salts: RFC 9001 s5.2 (v1), RFC 9369 s3.3.1 (v2), and the drafts
 * (draft-ietf-quic-tls-23 for 23..28, -29 for 29..32). */
static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_d23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                     0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};

struct qver {
    const uint8_t *salt;
    bool v2; /* "quicv2 " labels and v2 packet type bits */
};

static bool version_info(uint32_t v, struct qver *out)
{
    if (v == PS_QUIC_V1) {
        *out = (struct qver){salt_v1, false};
    } else if (v == PS_QUIC_V2) {
        *out = (struct qver){salt_v2, true};
    } else if (v >= 0xff00001du && v <= 0xff000020u) {
        *out = (struct qver){salt_d29, false};
    } else if (v >= 0xff000017u && v <= 0xff00001cu) {
        *out = (struct qver){salt_d23, false};
    } else {
        return false;
    }
    return true;
}

bool ps_quic_version_known(uint32_t version)
{
    struct qver vi;
    return version_info(version, &vi);
}

/* RFC 9369 s3.2: v2 types are Initial 0b01, 0-RTT 0b10, Handshake 0b11,
 * Retry 0b00; map them onto v1's 0..3. */
static int packet_type(uint8_t first, bool v2)
{
    int bits = (first >> 4) & 3;
    return v2 ? ((bits + 3) & 3) : bits;
}

/* ---- OpenSSL contexts, one set per thread, made on first use ---- */

static _Thread_local struct {
    bool tried;
    bool ok;
    EVP_KDF_CTX *kdf;
    EVP_CIPHER_CTX *gcm;
    EVP_CIPHER_CTX *ecb;
    EVP_CIPHER *aes_gcm;
    EVP_CIPHER *aes_ecb;
} tl;

void ps_quic_thread_cleanup(void)
{
    EVP_KDF_CTX_free(tl.kdf);
    EVP_CIPHER_CTX_free(tl.gcm);
    EVP_CIPHER_CTX_free(tl.ecb);
    EVP_CIPHER_free(tl.aes_gcm);
    EVP_CIPHER_free(tl.aes_ecb);
    memset(&tl, 0, sizeof(tl));
}

static bool crypto_ready(void)
{
    if (tl.tried)
        return tl.ok;
    tl.tried = true;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf) {
        tl.kdf = EVP_KDF_CTX_new(kdf);
        EVP_KDF_free(kdf);
    }
    tl.gcm = EVP_CIPHER_CTX_new();
    tl.ecb = EVP_CIPHER_CTX_new();
    tl.aes_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    tl.aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    tl.ok = tl.kdf && tl.gcm && tl.ecb && tl.aes_gcm && tl.aes_ecb;
    /* Bind the ciphers once: per packet only the key changes, and
     * re-binding a cipher costs more than the decryption itself. */
    tl.ok = tl.ok && EVP_DecryptInit_ex(tl.gcm, tl.aes_gcm, NULL, NULL, NULL) == 1 &&
            EVP_EncryptInit_ex(tl.ecb, tl.aes_ecb, NULL, NULL, NULL) == 1 &&
            EVP_CIPHER_CTX_set_padding(tl.ecb, 0) == 1;
    return tl.ok;
}

/* HKDF (RFC 5869) with SHA-256, extract-only or expand-only. */
static bool hkdf(int mode, const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
                 const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    OSSL_PARAM p[6];
    size_t i = 0;
    p[i++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    p[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    p[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    if (salt)
        p[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info)
        p[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    p[i] = OSSL_PARAM_construct_end();
    EVP_KDF_CTX_reset(tl.kdf);
    return EVP_KDF_derive(tl.kdf, out, out_len, p) == 1;
}

/* HKDF-Expand-Label (RFC 8446 s7.1) with an empty context. */
static bool expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
    uint8_t info[2 + 1 + 6 + 32 + 1];
    size_t ln = strlen(label);
    size_t n = 0;
    info[n++] = (uint8_t)(len >> 8);
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + ln);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ln);
    n += ln;
    info[n++] = 0;
    return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, NULL, 0, info, n, out, len);
}

int ps_quic_derive_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, int dir,
                        struct ps_quic_keys *k)
{
    struct qver vi;
    static const uint8_t empty = 0;
    if (!version_info(version, &vi) || !crypto_ready() || dcid_len > 255)
        return -1;
    uint8_t initial[32], secret[32];
    /* RFC 9001 s5.2: initial_secret = HKDF-Extract(salt, client DCID).
     * A zero-length DCID is legal input to HKDF; OpenSSL wants a buffer. */
    if (!hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid_len ? dcid : &empty, dcid_len, vi.salt, 20, NULL,
              0, initial, 32))
        return -1;
    if (!expand_label(initial, dir == 0 ? "client in" : "server in", secret, 32))
        return -1;
    bool ok = vi.v2 ? expand_label(secret, "quicv2 key", k->key, 16) &&
                          expand_label(secret, "quicv2 iv", k->iv, 12) &&
                          expand_label(secret, "quicv2 hp", k->hp, 16)
                    : expand_label(secret, "quic key", k->key, 16) &&
                          expand_label(secret, "quic iv", k->iv, 12) &&
                          expand_label(secret, "quic hp", k->hp, 16);
    return ok ? 0 : -1;
}

/* ---- headers ---- */

/* RFC 9000 s16: variable-length integer; 0 and `bad` on a short read. */
static uint64_t rd_varint(struct ps_rd *r)
{
    uint8_t b = ps_rd_u8(r);
    unsigned n = 1u << (b >> 6);
    uint64_t v = b & 0x3f;
    for (unsigned i = 1; i < n; i++)
        v = (v << 8) | ps_rd_u8(r);
    return v;
}

/* One long-header packet (RFC 9000 s17.2):
 *   Header Form (1) = 1, Fixed Bit (1), Long Packet Type (2), Type-Specific (4),
 *   Version (32), DCID Length (8), DCID (0..160), SCID Length (8), SCID (0..160),
 *   Initial: Token Length (i), Token (..), Length (i), Packet Number (8..32), Payload
 *   0-RTT, Handshake: Length (i), Packet Number, Payload
 *   Retry: Retry Token (..), Retry Integrity Tag (128)
 * `pn_off` and `len` are offsets in the datagram. */
struct lhdr {
    uint8_t first;
    uint32_t version;
    int type; /* PT_*, -1 for Version Negotiation or an unknown version */
    bool v2;
    uint8_t dcid_len;
    const uint8_t *dcid;
    uint8_t scid_len;
    size_t pn_off;     /* packet number offset (Initial, 0-RTT, Handshake) */
    size_t len;        /* bytes of the whole packet */
    struct ps_rd rest; /* after SCID: VN version list */
};

/* Parse the long header at d[0..n); false when malformed. */
static bool parse_long(const uint8_t *d, size_t n, struct lhdr *h)
{
    struct ps_rd r = ps_rd_init(d, n);
    memset(h, 0, sizeof(*h));
    h->first = ps_rd_u8(&r);
    h->version = ps_rd_be32(&r);
    h->dcid_len = ps_rd_u8(&r);
    h->dcid = ps_rd_bytes(&r, h->dcid_len);
    h->scid_len = ps_rd_u8(&r);
    ps_rd_skip(&r, h->scid_len);
    if (r.bad)
        return false;
    h->type = -1;
    h->rest = r;
    if (h->version == 0) { /* RFC 8999 s6: Version Negotiation, to the end */
        h->len = n;
        return true;
    }
    struct qver vi;
    if (!version_info(h->version, &vi)) {
        h->len = n; /* its length field cannot be trusted: the rest is skipped */
        return true;
    }
    /* RFC 9000 s17.2: v1 connection IDs are at most 20 bytes. */
    if (h->dcid_len > PS_QUIC_CID_MAX || h->scid_len > PS_QUIC_CID_MAX)
        return false;
    h->v2 = vi.v2;
    h->type = packet_type(h->first, vi.v2);
    if (h->type == PT_RETRY) {
        h->len = n;
        return true;
    }
    if (h->type == PT_INITIAL) {
        uint64_t tlen = rd_varint(&r);
        if (r.bad || tlen > r.left)
            return false;
        ps_rd_skip(&r, (size_t)tlen);
    }
    uint64_t plen = rd_varint(&r);
    if (r.bad || plen > r.left || plen < 1)
        return false;
    h->pn_off = n - r.left;
    h->len = h->pn_off + (size_t)plen;
    return true;
}

bool ps_quic_probe(const uint8_t *d, size_t n)
{
    struct lhdr h;
    if (n < 7 || !(d[0] & 0x80) || !parse_long(d, n, &h))
        return false;
    if (h.version == 0) {
        /* RFC 8999 s6: a list of 32-bit versions; the server does not
         * echo version 0 itself. */
        if (h.rest.left < 4 || h.rest.left % 4 != 0)
            return false;
        struct ps_rd r = h.rest;
        while (r.left)
            if (ps_rd_be32(&r) == 0)
                return false;
        return true;
    }
    /* RFC 9000 s17.2.2: the fixed bit is 1; s7.2: the client's first
     * DCID is at least 8 bytes; s14.1: its datagram at least 1200 bytes;
     * RFC 9001 s5.4.2: room for the 4-byte packet number offset and the
     * 16-byte sample. A client may send 0-RTT before its Initial (the
     * datagrams are reordered, or the Initial was not mirrored yet): a 0-RTT
     * packet of a known version with such a DCID starts the flow too. */
    if (!(d[0] & 0x40) || h.dcid_len < 8 || h.len - h.pn_off < 20)
        return false;
    return h.type == PT_0RTT || (h.type == PT_INITIAL && n >= PS_QUIC_MIN_INITIAL);
}

/* ---- Initial decryption ---- */

static _Thread_local uint8_t plain_buf[65536];

/* Remove header protection and decrypt the Initial packet d[0..h->len)
 * with k (RFC 9001 s5.3, s5.4). Returns the plaintext length in
 * plain_buf, or -1. `largest` is the largest packet number seen in this
 * direction (-1 = none) for RFC 9000 s17.1 decoding; *pn gets the full
 * packet number. */
static long decrypt_initial(const uint8_t *d, const struct lhdr *h, const struct ps_quic_keys *k,
                            int64_t largest, int64_t *pn)
{
    size_t pn_off = h->pn_off;
    /* RFC 9001 s5.4.2: the sample starts 4 bytes after the packet number
     * offset; the packet must hold it, and the tag. */
    if (h->len < pn_off + 4 + 16 || h->len - pn_off < 4 + 16)
        return -1;
    uint8_t mask[32];
    int ol = 0;
    if (EVP_EncryptInit_ex(tl.ecb, NULL, NULL, k->hp, NULL) != 1 ||
        EVP_EncryptUpdate(tl.ecb, mask, &ol, d + pn_off + 4, 16) != 1 || ol != 16)
        return -1;
    uint8_t first = (uint8_t)(d[0] ^ (mask[0] & 0x0f)); /* long header: 4 bits */
    size_t pn_len = (size_t)(first & 3) + 1;
    uint8_t pnb[4];
    uint64_t trunc = 0;
    for (size_t i = 0; i < pn_len; i++) {
        pnb[i] = (uint8_t)(d[pn_off + i] ^ mask[1 + i]);
        trunc = (trunc << 8) | pnb[i];
    }
    /* RFC 9000 A.3: the packet number closest to largest + 1. */
    uint64_t expected = (uint64_t)(largest + 1);
    uint64_t win = 1ull << (pn_len * 8), hwin = win / 2, mask_w = win - 1;
    uint64_t cand = (expected & ~mask_w) | trunc;
    if (cand + hwin <= expected && cand < (1ull << 62) - win)
        cand += win;
    else if (cand > expected + hwin && cand >= win)
        cand -= win;
    *pn = (int64_t)cand;

    size_t hdr_len = pn_off + pn_len;
    size_t ct_len = h->len - hdr_len - 16;
    if (ct_len > sizeof(plain_buf))
        return -1;
    uint8_t nonce[12];
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(cand >> (8 * i));
    int n1 = 0, n2 = 0;
    /* The AAD is the unprotected header: first byte and packet number
     * unmasked, the rest as on the wire (fed in pieces, no copy). */
    if (EVP_DecryptInit_ex(tl.gcm, NULL, NULL, k->key, nonce) != 1 ||
        EVP_DecryptUpdate(tl.gcm, NULL, &n1, &first, 1) != 1 ||
        EVP_DecryptUpdate(tl.gcm, NULL, &n1, d + 1, (int)(pn_off - 1)) != 1 ||
        EVP_DecryptUpdate(tl.gcm, NULL, &n1, pnb, (int)pn_len) != 1 ||
        EVP_DecryptUpdate(tl.gcm, plain_buf, &n1, d + hdr_len, (int)ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(tl.gcm, EVP_CTRL_GCM_SET_TAG, 16, (void *)(d + hdr_len + ct_len)) !=
            1 ||
        EVP_DecryptFinal_ex(tl.gcm, plain_buf + n1, &n2) != 1)
        return -1;
    return (long)n1 + n2;
}

/* ---- CRYPTO reassembly ---- */

static void crypto_add(struct ps_quic *q, int dir, uint64_t off, const uint8_t *data, size_t n)
{
    struct ps_quic_crypto *c = &q->cs[dir];
    uint8_t *buf = dir == 0 ? q->ch : q->sh;
    uint8_t *have = dir == 0 ? q->ch_have : q->sh_have;
    size_t cap = dir == 0 ? PS_QUIC_CH_MAX : PS_QUIC_SH_MAX;
    if (c->complete || c->given_up || off >= cap)
        return;
    if (n > cap - off)
        n = cap - (size_t)off; /* the part past the buffer is judged by msg_len below */
    memcpy(buf + off, data, n);
    for (size_t i = (size_t)off; i < (size_t)off + n; i++)
        have[i >> 3] |= (uint8_t)(1u << (i & 7));
    while (c->contig < cap && (have[c->contig >> 3] & (1u << (c->contig & 7))))
        c->contig++;
    if (c->msg_len == 0 && c->contig >= 4) {
        /* RFC 8446 s4: msg_type (1), length (3). Client Initials carry a
         * ClientHello (1), server Initials a ServerHello (2). */
        uint32_t len = ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
        if (buf[0] != (dir == 0 ? 1 : 2)) {
            c->given_up = true;
            q->malformed++;
            return;
        }
        c->msg_len = len + 4;
        if (c->msg_len > cap) {
            c->given_up = true;
            if (dir == 0)
                q->ch_oversize++;
            return;
        }
    }
    if (c->msg_len && c->contig >= c->msg_len)
        c->complete = true;
}

/* ServerHello (RFC 8446 s4.1.3): legacy_version, random, session id,
 * cipher_suite. Only the cipher is kept. */
static void server_hello(struct ps_quic *q)
{
    struct ps_rd r = ps_rd_init(q->sh + 4, q->cs[1].msg_len - 4);
    ps_rd_skip(&r, 2 + 32);
    ps_rd_skip(&r, ps_rd_u8(&r));
    uint16_t cs = ps_rd_be16(&r);
    if (!r.bad)
        q->server_cipher = cs;
}

/* Frames of a decrypted Initial (RFC 9000 s19): PADDING, PING, ACK,
 * CRYPTO, CONNECTION_CLOSE; anything else ends the walk (s17.2.2 allows
 * no other frame types in Initial packets). */
static void frames(struct ps_quic *q, int dir, const uint8_t *p, size_t n)
{
    struct ps_rd r = ps_rd_init(p, n);
    while (r.left && !r.bad) {
        if (ps_rd_peek(&r, 0) == 0x00) {
            /* PADDING fills most of a client Initial: skip the run at once. */
            size_t z = 1;
            while (z < r.left && ps_rd_peek(&r, z) == 0x00)
                z++;
            ps_rd_skip(&r, z);
            continue;
        }
        uint64_t t = rd_varint(&r);
        if (t == 0x01) /* PING */
            continue;
        if (t == 0x02 || t == 0x03) { /* ACK */
            rd_varint(&r);            /* largest acknowledged */
            rd_varint(&r);            /* delay */
            uint64_t ranges = rd_varint(&r);
            rd_varint(&r); /* first range */
            /* Each range takes 2 bytes at least: the reader bounds the loop. */
            for (uint64_t i = 0; i < ranges && !r.bad; i++) {
                rd_varint(&r);
                rd_varint(&r);
            }
            if (t == 0x03) { /* ECN counts */
                rd_varint(&r);
                rd_varint(&r);
                rd_varint(&r);
            }
        } else if (t == 0x06) { /* CRYPTO */
            uint64_t off = rd_varint(&r);
            uint64_t len = rd_varint(&r);
            if (r.bad || len > r.left) {
                ps_rd_fail(&r);
                break;
            }
            const uint8_t *data = ps_rd_bytes(&r, (size_t)len);
            crypto_add(q, dir, off, data, (size_t)len);
        } else if (t == 0x1c || t == 0x1d) { /* CONNECTION_CLOSE */
            uint64_t code = rd_varint(&r);
            if (t == 0x1c)
                rd_varint(&r); /* frame type */
            uint64_t rlen = rd_varint(&r);
            if (r.bad || rlen > r.left) {
                ps_rd_fail(&r);
                break;
            }
            ps_rd_skip(&r, (size_t)rlen);
            q->close_seen = true;
            q->close_error = code;
        } else {
            break;
        }
    }
    if (r.bad)
        q->malformed++;
}

/* The client's DCID is the key input (RFC 9001 s5.2): that of its first
 * Initial. It stays the key input when the client moves to the server's
 * connection ID (RFC 9000 s7.2); it changes after a Retry (s17.2.5.2) and
 * when the client starts again in another version after Version
 * Negotiation (s6.2). */
static bool same_dcid(const struct ps_quic *q, const struct lhdr *h)
{
    return h->dcid_len == q->dcid_len && memcmp(h->dcid, q->dcid, h->dcid_len) == 0;
}

static void take_dcid(struct ps_quic *q, const struct lhdr *h)
{
    q->version = h->version;
    q->dcid_len = h->dcid_len;
    memcpy(q->dcid, h->dcid, h->dcid_len);
    q->keys_ok[0] = q->keys_ok[1] = false;
    q->retry_pending = false;
}

/* Every key input after the first counts against PS_QUIC_REKEY_MAX, so
 * that no sequence of packets costs a key derivation each. */
static bool may_rekey(struct ps_quic *q)
{
    if (q->rekeys >= PS_QUIC_REKEY_MAX)
        return false;
    q->rekeys++;
    return true;
}

static void client_dcid(struct ps_quic *q, const struct lhdr *h)
{
    if (q->version == 0)
        take_dcid(q, h);
    else if ((h->version != q->version || (q->retry_pending && !same_dcid(q, h))) && may_rekey(q))
        take_dcid(q, h);
}

/* Keys for an Initial of direction dir, derived once per (version, DCID).
 * The server may answer in another version (RFC 9368 compatible version
 * negotiation): its keys follow its own version, from the same DCID. */
static const struct ps_quic_keys *initial_keys(struct ps_quic *q, int dir, uint32_t version)
{
    if (q->version == 0)
        return NULL; /* a server Initial before any client one: no key input */
    if (q->keys_ok[dir] && q->key_version[dir] == version)
        return &q->keys[dir];
    if (q->keys_ok[dir] && !may_rekey(q))
        return NULL; /* the server alternating versions */
    if (ps_quic_derive_keys(version, q->dcid, q->dcid_len, dir, &q->keys[dir]) != 0)
        return NULL;
    q->keys_ok[dir] = true;
    q->key_version[dir] = version;
    return &q->keys[dir];
}

static void initial(struct ps_quic *q, int dir, const uint8_t *d, const struct lhdr *h)
{
    struct ps_quic_crypto *c = &q->cs[dir];
    if (dir == 0)
        client_dcid(q, h);
    if (c->complete || c->given_up)
        return; /* nothing more to learn from this direction's Initials */
    const struct ps_quic_keys *k = initial_keys(q, dir, h->version);
    if (!k) {
        if (q->version) /* keys refused (rekey bound), not merely unknown yet */
            q->decrypt_failed++;
        return;
    }
    int64_t pn;
    long pl = decrypt_initial(d, h, k, q->largest_pn[dir], &pn);
    if (pl < 0 && dir == 0 && !same_dcid(q, h) && may_rekey(q)) {
        /* A Retry we did not see: try this packet's DCID, a bounded
         * number of times per flow. */
        uint8_t saved[PS_QUIC_CID_MAX];
        uint8_t saved_len = q->dcid_len;
        memcpy(saved, q->dcid, saved_len);
        take_dcid(q, h);
        k = initial_keys(q, dir, h->version);
        pl = k ? decrypt_initial(d, h, k, q->largest_pn[dir], &pn) : -1;
        if (pl < 0) { /* not that either: back to the original DCID */
            q->dcid_len = saved_len;
            memcpy(q->dcid, saved, saved_len);
            q->keys_ok[0] = q->keys_ok[1] = false;
        }
    }
    if (pl < 0) {
        q->decrypt_failed++;
        return;
    }
    q->pkts_initial++;
    if (pn > q->largest_pn[dir])
        q->largest_pn[dir] = pn;
    frames(q, dir, plain_buf, (size_t)pl);
    if (dir == 1 && c->complete)
        server_hello(q);
}

void ps_quic_init(struct ps_quic *q)
{
    memset(q, 0, offsetof(struct ps_quic, ch));
    memset(q->ch_have, 0, sizeof(q->ch_have));
    memset(q->sh_have, 0, sizeof(q->sh_have));
    q->largest_pn[0] = q->largest_pn[1] = -1;
}

/* Nothing more to learn: the ClientHello is complete (or given up) and
 * the server side is settled (its ServerHello, or it moved on to Handshake
 * or 1-RTT packets). */
static bool done(const struct ps_quic *q)
{
    if (q->cs[0].given_up)
        return true;
    return q->cs[0].complete &&
           (q->cs[1].complete || q->cs[1].given_up || q->short_seen || q->handshake_seen);
}

int ps_quic_feed(struct ps_quic *q, int dir, const uint8_t *d, size_t n)
{
    dir = dir ? 1 : 0;
    size_t off = 0;
    while (off < n) {
        const uint8_t *p = d + off;
        size_t left = n - off;
        if (!(p[0] & 0x80)) {
            /* Short header (RFC 9000 s17.3): 1-RTT, opaque to observers.
             * It runs to the end of the datagram. */
            if (q->seen_long)
                q->short_seen = true;
            break;
        }
        struct lhdr h;
        if (!parse_long(p, left, &h)) {
            q->malformed++;
            break;
        }
        if (h.version == 0 || h.type >= 0)
            q->seen_long = true;
        if (h.version != 0 && q->first_version == 0)
            q->first_version = h.version;
        if (h.version == 0) {
            struct ps_rd r = h.rest;
            while (r.left >= 4) {
                uint32_t v = ps_rd_be32(&r);
                if (q->vn_count < PS_QUIC_VN_MAX)
                    q->vn_versions[q->vn_count++] = v;
            }
        } else if (h.type < 0) {
            q->unknown_version++;
        } else if (h.type == PT_RETRY) {
            q->retry_seen = true;
            q->retry_pending = true;
        } else if (h.type == PT_INITIAL) {
            initial(q, dir, p, &h);
        } else if (h.type == PT_HANDSHAKE) {
            q->handshake_seen = true;
        }
        off += h.len;
    }
    if (!q->seen_long)
        return PS_APP_ERR;
    return done(q) ? PS_APP_DONE : PS_APP_MORE;
}

const uint8_t *ps_quic_client_hello(const struct ps_quic *q, size_t *len)
{
    if (!q->cs[0].complete) {
        *len = 0;
        return NULL;
    }
    *len = q->cs[0].msg_len;
    return q->ch;
}

/* Suricata prints versions as lowercase hex without leading zeros, QUIC v2
 * (RFC 9369) as "v2" and gQUIC's "Qnnn" versions as their ASCII. */
static void version_str(char out[9], uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    if (v == 0x6b3343cf) {
        memcpy(out, "v2", 3);
        return;
    }
    if ((v >> 24) == 'Q' && ((v >> 16) & 0xff) >= '0' && ((v >> 16) & 0xff) <= '9' &&
        ((v >> 8) & 0xff) >= '0' && ((v >> 8) & 0xff) <= '9' && (v & 0xff) >= '0' &&
        (v & 0xff) <= '9') {
        for (int i = 0; i < 4; i++)
            out[i] = (char)(v >> (24 - 8 * i));
        out[4] = 0;
        return;
    }
    size_t n = 0;
    bool lead = true;
    for (int i = 7; i >= 0; i--) {
        unsigned nib = (v >> (4 * i)) & 0xf;
        if (lead && nib == 0 && i > 0)
            continue;
        lead = false;
        out[n++] = hex[nib];
    }
    out[n] = 0;
}

void ps_quic_eve(struct ps_json *j, const struct ps_quic *q)
{
    char s[9];
    if (q->first_version) {
        version_str(s, q->first_version);
        ps_json_ascii(j, "version", s);
    }
    if (q->vn_count) {
        ps_json_arr_begin(j, "version_negotiation");
        for (uint8_t i = 0; i < q->vn_count; i++) {
            version_str(s, q->vn_versions[i]);
            ps_json_ascii(j, NULL, s);
        }
        ps_json_arr_end(j);
    }
}
