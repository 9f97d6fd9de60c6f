/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS record layer and handshake messages (see tls.h).
 * spec: RFC 5246 s6.2 (records), s7.4 (handshake); RFC 8446 s4, s5, D.4 */
#include <string.h>

#include "app/tls.h"
#include "app/tls_int.h"
#include "core/rd.h"

enum {
    CT_CCS = 20,
    CT_ALERT = 21,
    CT_HS = 22,
    CT_APP = 23,
    CT_HEARTBEAT = 24,
};

enum {
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_CERTIFICATE = 11,
    HS_CERT_REQUEST = 13,
    HS_SERVER_HELLO_DONE = 14,
};

/* RFC 8446 s4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* Handshake messages that span records are gathered here once complete. */
static _Thread_local uint8_t scratch[PS_APP_BUF];

void ps_tls_init(struct ps_tls *t)
{
    memset(t, 0, sizeof(*t));
}

bool ps_tls_is13(uint16_t v)
{
    /* 0x7fNN: drafts; 0xfb17 / 0xfb1a: Facebook's drafts 23 and 26 */
    return v == 0x0304 || (v >> 8) == 0x7f || v == 0xfb17 || v == 0xfb1a;
}

/* Record header: RFC 5246 s6.2.1 ContentType, ProtocolVersion, length; a
 * record is at most 2^14 + 2048 bytes (s6.2.3). Versions 3.0 to 3.4 only:
 * SSLv2 and DTLS are not parsed. */
static bool record_header(const uint8_t *h, uint8_t *type, uint32_t *len)
{
    struct ps_rd r = ps_rd_init(h, 5);
    uint8_t ty = ps_rd_u8(&r);
    uint8_t major = ps_rd_u8(&r);
    uint8_t minor = ps_rd_u8(&r);
    uint16_t l = ps_rd_be16(&r);
    *type = ty;
    *len = l;
    return ty >= CT_CCS && ty <= CT_HEARTBEAT && major == 3 && minor <= 4 && l <= 16384 + 2048;
}

bool ps_tls_probe(const uint8_t *d, size_t n)
{
    uint8_t type;
    uint32_t len;
    /* an SSL 2.0-format ClientHello offering SSL 3.0 or TLS (RFC 5246 E.2):
     * top bit of the 2-byte length set, msg_type 1, version major 3 */
    if (n >= 5 && (d[0] & 0x80) && d[2] == 1 && d[3] == 3 && d[4] <= 4) {
        uint32_t cs = n >= 7 ? ((uint32_t)d[5] << 8 | d[6]) : 3;
        return (((uint32_t)(d[0] & 0x7f) << 8) | d[1]) >= 9 + cs && cs > 0 && cs % 3 == 0;
    }
    if (n < 6 || !record_header(d, &type, &len))
        return false;
    /* a ClientHello: handshake record, message type 1, then a plausible
     * body length and client_version when present */
    if (type != CT_HS || len < 4 || d[5] != HS_CLIENT_HELLO)
        return false;
    if (n >= 9) {
        uint32_t hl = ((uint32_t)d[6] << 16) | ((uint32_t)d[7] << 8) | d[8];
        if (hl < 38 || hl > 0xffff)
            return false;
    }
    return n < 10 || d[9] == 3;
}

/* Gather `need` handshake bytes from d: the current record still holds
 * rec_left of them (its header consumed), later handshake records follow
 * with their headers. Returns 1 with *msg (into d when the bytes are
 * contiguous, else copied to out), *adv the buffer bytes they took and
 * *rem what is left of the last record; 0 when more bytes are needed; -1
 * when a record header is invalid or not a handshake record (RFC 8446 s5.1:
 * handshake messages are not interleaved with other record types). */
static int gather(const uint8_t *d, size_t n, uint32_t rec_left, size_t need, uint8_t *out,
                  const uint8_t **msg, size_t *adv, uint32_t *rem)
{
    size_t pos = 0, got = 0;
    uint32_t left = rec_left;
    for (;;) {
        if (left > 0) {
            size_t take = need - got < left ? need - got : left;
            if (n - pos < take)
                return 0;
            if (got == 0 && take == need) {
                *msg = d + pos;
                *adv = pos + take;
                *rem = left - (uint32_t)take;
                return 1;
            }
            memcpy(out + got, d + pos, take);
            got += take;
            pos += take;
            left -= (uint32_t)take;
            if (got == need) {
                *msg = out;
                *adv = pos;
                *rem = left;
                return 1;
            }
        }
        if (n - pos < 5)
            return 0;
        uint8_t type;
        if (!record_header(d + pos, &type, &left) || type != CT_HS)
            return -1;
        pos += 5;
    }
}

/* ServerHello, RFC 8446 s4.1.3 / RFC 5246 s7.4.1.3. */
static int server_hello(struct ps_tls_info *ti, const uint8_t *msg, size_t len)
{
    struct ps_rd r = ps_rd_init(msg, len);
    uint16_t ver = ps_rd_be16(&r);
    const uint8_t *random = ps_rd_bytes(&r, 32);
    uint8_t sid_len = ps_rd_u8(&r);
    const uint8_t *sid = ps_rd_bytes(&r, sid_len);
    uint16_t cipher = ps_rd_be16(&r);
    (void)ps_rd_u8(&r); /* compression */
    if (r.bad)
        return -1;
    bool hrr = memcmp(random, hrr_random, 32) == 0;
    ti->have_sh = true;
    ti->hrr |= hrr;
    ti->sh_version = ver;
    ti->version = ver;
    ti->sh_cipher = cipher;
    ti->n_sexts = 0;
    ti->salpn_len = 0;
    ti->sh_psk = false;
    ti->sid_resumed =
        sid_len > 0 && sid_len == ti->ch_sid_len && sid && memcmp(sid, ti->ch_sid, sid_len) == 0;
    if (r.left == 0)
        return 0;
    struct ps_rd exts = ps_rd_sub(&r, ps_rd_be16(&r));
    while (exts.left > 0 && !exts.bad) {
        uint16_t type = ps_rd_be16(&exts);
        struct ps_rd e = ps_rd_sub(&exts, ps_rd_be16(&exts));
        if (exts.bad)
            break;
        if (ti->n_sexts < PS_TLS_MAX_SEXTS)
            ti->sexts[ti->n_sexts] = type;
        ti->n_sexts++;
        if (type == 43) { /* supported_versions: the selected version */
            uint16_t v = ps_rd_be16(&e);
            if (!e.bad)
                ti->version = v;
        } else if (type == 41) {
            ti->sh_psk = true;
        } else if (type == 16) { /* ALPN: one protocol */
            struct ps_rd l = ps_rd_sub(&e, ps_rd_be16(&e));
            uint8_t n = ps_rd_u8(&l);
            const uint8_t *p = ps_rd_bytes(&l, n);
            if (p) {
                size_t k = n < PS_TLS_SALPN_MAX ? n : PS_TLS_SALPN_MAX;
                memcpy(ti->salpn, p, k);
                ti->salpn_len = (uint8_t)k;
            }
        }
    }
    if (ti->n_sexts > PS_TLS_MAX_SEXTS)
        ti->lists_cut = true;
    return exts.bad || r.bad ? -1 : 0;
}

/* Certificate (RFC 5246 s7.4.2): certificate_list<0..2^24-1> of
 * ASN.1Cert<1..2^24-1>. Only the TLS <= 1.2 form is ever in clear text. */
static int certificate(struct ps_tls *t, struct ps_tls_cert *c, const uint8_t *msg, size_t len,
                       bool client)
{
    struct ps_rd r = ps_rd_init(msg, len);
    struct ps_rd list = ps_rd_sub(&r, ps_rd_be24(&r));
    if (r.bad)
        return -1;
    if (list.left == 0) {
        if (client)
            t->info.client_cert_empty = true;
        return 0;
    }
    uint32_t n = 0;
    while (list.left > 0) {
        uint32_t l = ps_rd_be24(&list);
        const uint8_t *der = ps_rd_bytes(&list, l);
        if (!der)
            return -1;
        if (n == 0 && !c->present) {
            c->present = true;
            if (ps_tls_cert_parse(c, der, l) != 0) {
                c->parse_failed = true;
                t->cert_fail++;
            }
        }
        n++;
    }
    if (c->chain_len == 0)
        c->chain_len = (uint16_t)(n > 0xffff ? 0xffff : n);
    return 0;
}

static void update_done(struct ps_tls *t)
{
    const struct ps_tls_info *i = &t->info;
    if (!i->have_ch)
        return;
    if (t->d[0].alert || t->d[1].alert) {
        t->done = true; /* a failed handshake: nothing more to learn */
        return;
    }
    if (!i->have_sh)
        return;
    if (ps_tls_is13(i->version)) {
        /* the server's flight after ServerHello is encrypted (after a
         * HelloRetryRequest the client first sends a new ClientHello) */
        if (!t->hrr_pending && (t->d[1].ccs || t->d[1].appdata))
            t->done = true;
        return;
    }
    bool server = t->shd || t->d[1].ccs || t->d[1].appdata;
    bool client = t->d[0].ccs || t->d[0].appdata;
    if (server && client)
        t->done = true;
}

static void handshake(struct ps_tls *t, int dir, const uint8_t *m, size_t len)
{
    struct ps_tls_info *i = &t->info;
    uint8_t type = m[0];
    const uint8_t *body = m + 4;
    size_t blen = len - 4;
    int rc = 0;
    if (dir == 0 && type == HS_CLIENT_HELLO) {
        t->hellos++;
        /* the first ClientHello is the fingerprint (JA3/JA4 conventions);
         * the second after a HelloRetryRequest is not parsed again */
        if (!i->have_ch)
            rc = ps_tls_client_hello(i, m, len);
    } else if (dir == 1 && type == HS_SERVER_HELLO) {
        rc = server_hello(i, body, blen);
        /* server_hello() read the random only when it returns 0 */
        t->hrr_pending = rc == 0 && memcmp(body + 2, hrr_random, 32) == 0;
        if (rc == 0 && ps_tls_is13(i->version))
            i->client_cert_hidden = true;
    } else if (type == HS_CERTIFICATE) {
        if (dir == 1)
            rc = certificate(t, &i->server_cert, body, blen, false);
        else
            rc = certificate(t, &i->client_cert, body, blen, true);
    } else if (dir == 1 && type == HS_CERT_REQUEST) {
        i->cert_requested = true;
    } else if (dir == 1 && type == HS_SERVER_HELLO_DONE) {
        t->shd = true;
    }
    if (rc != 0)
        t->malformed++;
}

static void record_seen(struct ps_tls *t, int dir, uint8_t type)
{
    struct ps_tls_dir *s = &t->d[dir];
    if (type == CT_CCS) {
        s->ccs = true;
        /* <= 1.2: a server that goes to ChangeCipherSpec without a
         * Certificate resumed a session (abbreviated handshake) */
        if (dir == 1 && t->info.have_sh && !ps_tls_is13(t->info.version) &&
            !t->info.server_cert.present)
            t->info.abbreviated = true;
    } else if (type == CT_APP) {
        s->appdata = true;
    } else if (type == CT_ALERT) {
        s->alert = true;
    }
    update_done(t);
}

/* A handshake record is encrypted after this direction's ChangeCipherSpec,
 * except in TLS 1.3 where encrypted records are application_data and the
 * ChangeCipherSpec is a compatibility dummy (RFC 8446 D.4). */
static bool opaque(const struct ps_tls *t, const struct ps_tls_dir *s)
{
    if (s->rec_type != CT_HS)
        return true;
    return s->ccs && !(t->info.have_sh && ps_tls_is13(t->info.version));
}

/* An SSL 2.0-format ClientHello (RFC 5246 E.2), which old clients send to
 * offer TLS: 2-byte header with the top bit set, msg_type 1, version,
 * cipher_spec_length, session_id_length, challenge_length, then 3-byte
 * cipher specs (a TLS suite is 0x00 and its 2 bytes). Returns the bytes it
 * takes, 0 when more are needed or it is not one. */
static size_t sslv2_hello(struct ps_tls_info *ti, const uint8_t *d, size_t n)
{
    struct ps_rd r = ps_rd_init(d, n);
    uint16_t len = ps_rd_be16(&r) & 0x7fff;
    struct ps_rd m = ps_rd_sub(&r, len);
    uint8_t type = ps_rd_u8(&m);
    uint16_t ver = ps_rd_be16(&m);
    uint16_t cs = ps_rd_be16(&m);
    (void)ps_rd_be16(&m); /* session id length */
    (void)ps_rd_be16(&m); /* challenge length */
    struct ps_rd c = ps_rd_sub(&m, cs);
    if (r.bad || m.bad || type != 1 || (ver >> 8) != 3 || cs % 3 != 0)
        return 0;
    ti->have_ch = true;
    ti->ch_version = ver;
    while (c.left >= 3) {
        uint8_t hi = ps_rd_u8(&c);
        uint16_t v = ps_rd_be16(&c);
        if (hi != 0)
            continue;
        if (ti->n_ciphers < PS_TLS_MAX_CIPHERS)
            ti->ciphers[ti->n_ciphers++] = v;
        else
            ti->lists_cut = true;
    }
    return 2 + (size_t)len;
}

size_t ps_tls_feed(struct ps_tls *t, int dir, const uint8_t *d, size_t n)
{
    dir = dir ? 1 : 0;
    struct ps_tls_dir *s = &t->d[dir];
    size_t pos = 0;
    if (dir == 0 && !t->info.have_ch && t->d[0].rec_type == 0 && n >= 3 && (d[0] & 0x80) &&
        d[2] == 1) {
        size_t k = sslv2_hello(&t->info, d, n);
        if (k == 0 && n < 2 + (size_t)(((d[0] & 0x7f) << 8) | d[1]))
            return 0; /* wait for the whole hello */
        if (k == 0) {
            t->malformed++;
            t->err = true;
            return n;
        }
        t->hellos++;
        pos = k;
    }
    while (!t->err && !t->done && pos < n) {
        if (s->rec_left == 0) {
            uint8_t type;
            uint32_t len;
            if (n - pos < 5)
                break;
            if (!record_header(d + pos, &type, &len)) {
                t->malformed++;
                t->err = true;
                break;
            }
            pos += 5;
            s->rec_type = type;
            s->rec_left = len;
            record_seen(t, dir, type);
            continue;
        }
        size_t avail = n - pos;
        if (opaque(t, s) || s->hs_skip > 0) {
            size_t take = s->rec_left < avail ? s->rec_left : avail;
            if (!opaque(t, s) && s->hs_skip < take)
                take = s->hs_skip;
            if (!opaque(t, s))
                s->hs_skip -= (uint32_t)take;
            pos += take;
            s->rec_left -= (uint32_t)take;
            continue;
        }
        uint8_t hb[4];
        const uint8_t *m;
        size_t adv, need = 4;
        uint32_t rem;
        int rc = gather(d + pos, avail, s->rec_left, 4, hb, &m, &adv, &rem);
        if (rc > 0) {
            need = 4 + (((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3]);
            if (need > PS_APP_BUF - 5)
                rc = 2; /* can never be complete in the stream buffer */
            else
                rc = gather(d + pos, avail, s->rec_left, need, scratch, &m, &adv, &rem);
        }
        if (rc < 0) {
            t->malformed++;
            t->err = true;
            break;
        }
        if (rc == 0 && !(pos == 0 && n >= PS_APP_BUF))
            break; /* wait for the rest */
        if (rc == 0 && need == 4) {
            t->malformed++; /* a full buffer without a handshake header */
            t->err = true;
            break;
        }
        if (rc != 1) {
            /* larger than what the stream layer can hold: skip it */
            t->oversize++;
            s->hs_skip = (uint32_t)need;
            continue;
        }
        handshake(t, dir, m, need);
        pos += adv;
        s->rec_left = rem;
        update_done(t);
    }
    return t->done || t->err ? n : pos;
}

enum ps_app_status ps_tls_status(const struct ps_tls *t)
{
    if (t->err)
        return PS_APP_ERR;
    return t->done ? PS_APP_DONE : PS_APP_MORE;
}
