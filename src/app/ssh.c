/* SPDX-License-Identifier: BSD-2-Clause */
/* SSH banners and KEXINIT, HASSH.
 * spec: RFC 4253 s4.2, s6, s7.1; RFC 4251 s5; HASSH (Salesforce).
 *
 *   SSH-protoversion-softwareversion SP comments CR LF
 *
 *   uint32    packet_length        (RFC 4253 s6: excludes itself and the MAC)
 *   byte      padding_length
 *   byte[n1]  payload; n1 = packet_length - padding_length - 1
 *   byte[n2]  random padding
 *
 *   byte      SSH_MSG_KEXINIT (20)
 *   byte[16]  cookie
 *   name-list kex_algorithms, server_host_key_algorithms,
 *             encryption c2s, s2c, mac c2s, s2c, compression c2s, s2c,
 *             languages c2s, s2c
 *   boolean   first_kex_packet_follows
 *   uint32    0 (reserved)
 */
#include "app/ssh.h"

#include <openssl/evp.h>
#include <string.h>

#include "core/rd.h"
#include "output/json.h"

enum {
    ST_BANNER = 0, /* waiting for the identification string */
    ST_PKT,        /* at a binary packet boundary */
    ST_SKIP,       /* skipping the rest of a packet */
    ST_STOP,       /* encrypted, or nothing more to learn */
};

#define MSG_KEXINIT 20
#define MSG_NEWKEYS 21
/* RFC 4253 s4.2: the identification string is at most 255 bytes with its
 * CR LF; other lines before it are not bounded there, we stop at 1024. */
#define BANNER_MAX  255
#define PRELINE_MAX 1024
/* RFC 4253 s6.1: implementations must handle 35000-byte packets. */
#define PKT_MAX 35000

void ps_ssh_init(struct ps_ssh *s)
{
    memset(s, 0, sizeof(*s));
    s->status = PS_APP_MORE;
}

bool ps_ssh_probe(const uint8_t *d, size_t n)
{
    return n >= 4 && memcmp(d, "SSH-", 4) == 0;
}

static void copy_cut(char *dst, size_t cap, const uint8_t *src, size_t n, bool *trunc)
{
    if (n >= cap) {
        n = cap - 1;
        *trunc = true;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void update_status(struct ps_ssh *s)
{
    if (s->status != PS_APP_MORE)
        return;
    const struct ps_ssh_side *c = &s->side[0], *v = &s->side[1];
    if ((c->kexinit && v->kexinit) || (c->st == ST_STOP && v->st == ST_STOP))
        s->status = PS_APP_DONE;
}

/* A whole line [d, d+n) without its LF: the banner, or a line before it. */
static void banner_line(struct ps_ssh *s, int dir, const uint8_t *d, size_t n)
{
    struct ps_ssh_side *sd = &s->side[dir];
    if (n > 0 && d[n - 1] == '\r')
        n--;
    if (!ps_ssh_probe(d, n)) {
        /* RFC 4253 s4.2: the server MAY send other lines first. */
        if (dir == 1 && ++sd->prelines <= PS_SSH_MAX_PRELINES)
            return;
        s->stats.bad_banner++;
        sd->st = ST_STOP;
        if (dir == 0)
            s->status = PS_APP_ERR;
        return;
    }
    /* SSH-protoversion-softwareversion [SP comments] */
    const uint8_t *p = d + 4;
    size_t left = n - 4;
    const uint8_t *dash = memchr(p, '-', left);
    size_t pv = dash ? (size_t)(dash - p) : left;
    copy_cut(sd->proto, sizeof(sd->proto), p, pv, &sd->trunc);
    if (dash) {
        p = dash + 1;
        left -= pv + 1;
        const uint8_t *sp = memchr(p, ' ', left);
        size_t sv = sp ? (size_t)(sp - p) : left;
        copy_cut(sd->software, sizeof(sd->software), p, sv, &sd->trunc);
        if (sp)
            copy_cut(sd->comments, sizeof(sd->comments), sp + 1, left - sv - 1, &sd->trunc);
    }
    sd->banner = true;
    /* Only 2.0 and 1.99 (RFC 4253 s5.1) speak the binary packet protocol. */
    if (strcmp(sd->proto, "2.0") == 0 || strcmp(sd->proto, "1.99") == 0)
        sd->st = ST_PKT;
    else
        sd->st = ST_STOP;
}

/* A per-thread digest context: created once, reused for every KEXINIT. */
static EVP_MD_CTX *md5_ctx(void)
{
    static _Thread_local EVP_MD_CTX *ctx;
    if (!ctx)
        ctx = EVP_MD_CTX_new();
    return ctx;
}

/* Append a piece of the HASSH string: to the kept copy (bounded) and to the
 * digest (whole). */
static void hassh_add(struct ps_ssh_side *sd, EVP_MD_CTX *ctx, const uint8_t *p, size_t n)
{
    size_t room = sizeof(sd->hassh) - 1 - sd->hassh_len;
    size_t k = n < room ? n : room;
    memcpy(sd->hassh + sd->hassh_len, p, k);
    sd->hassh_len = (uint16_t)(sd->hassh_len + k);
    sd->hassh[sd->hassh_len] = '\0';
    if (k < n)
        sd->trunc = true;
    if (ctx)
        EVP_DigestUpdate(ctx, p, n);
}

/* Parse a KEXINIT payload (after the message byte). */
static void kexinit(struct ps_ssh *s, int dir, struct ps_rd *r)
{
    struct ps_ssh_side *sd = &s->side[dir];
    struct {
        const uint8_t *p;
        uint32_t n;
    } nl[10];
    ps_rd_skip(r, 16); /* cookie */
    for (int i = 0; i < 10; i++) {
        nl[i].n = ps_rd_be32(r);
        nl[i].p = ps_rd_bytes(r, nl[i].n);
    }
    ps_rd_u8(r);   /* first_kex_packet_follows */
    ps_rd_be32(r); /* reserved */
    if (r->bad) {
        s->stats.bad_kexinit++;
        sd->kexinit = false;
        return;
    }
    /* kex; then encryption, mac, compression of this side's direction:
     * lists 2/4/6 client-to-server, 3/5/7 server-to-client. */
    const int pick[4] = {0, 2 + dir, 4 + dir, 6 + dir};
    EVP_MD_CTX *ctx = md5_ctx();
    if (ctx && !EVP_DigestInit_ex(ctx, EVP_md5(), NULL))
        ctx = NULL;
    sd->hassh_len = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            hassh_add(sd, ctx, (const uint8_t *)";", 1);
        hassh_add(sd, ctx, nl[pick[i]].p, nl[pick[i]].n);
    }
    /* Kept for the stores, not in EVE: its cut does not mark the record. */
    copy_cut(sd->hostkey_algs, sizeof(sd->hostkey_algs), nl[1].p, nl[1].n, &sd->hostkey_trunc);
    sd->hostkey_len = (uint16_t)strlen(sd->hostkey_algs);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    sd->hassh_md5[0] = '\0';
    if (ctx && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 16) {
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < 16; i++) {
            sd->hassh_md5[2 * i] = hex[md[i] >> 4];
            sd->hassh_md5[2 * i + 1] = hex[md[i] & 15];
        }
        sd->hassh_md5[32] = '\0';
    }
    sd->kexinit = true;
}

/* At a packet boundary: returns bytes consumed, 0 to wait. */
static size_t packet(struct ps_ssh *s, int dir, const uint8_t *d, size_t n)
{
    struct ps_ssh_side *sd = &s->side[dir];
    struct ps_rd r = ps_rd_init(d, n);
    uint32_t plen = ps_rd_be32(&r);
    uint8_t pad = ps_rd_u8(&r);
    uint8_t msg = ps_rd_u8(&r);
    if (r.bad)
        return 0;
    /* RFC 4253 s6: at least 4 bytes of padding, a payload byte. */
    if (plen > PKT_MAX || plen < (uint32_t)pad + 1 + 1 || pad < 4) {
        s->stats.bad_packet++;
        sd->st = ST_STOP;
        return n;
    }
    if (msg == MSG_KEXINIT && !sd->kexinit) {
        if ((size_t)plen + 4 > PS_APP_BUF) {
            s->stats.big_kexinit++;
        } else if (n < (size_t)plen + 4) {
            return 0; /* wait for the whole packet */
        } else {
            struct ps_rd pk = ps_rd_init(d + 6, plen - pad - 2);
            kexinit(s, dir, &pk);
            return (size_t)plen + 4;
        }
    } else if (msg == MSG_NEWKEYS) {
        /* RFC 4253 s7.3: everything after NEWKEYS uses the new keys. */
        sd->newkeys = true;
        sd->st = ST_STOP;
        return n;
    }
    sd->skip = plen + 4;
    sd->st = ST_SKIP;
    return 0;
}

static size_t step(struct ps_ssh *s, int dir, const uint8_t *d, size_t n)
{
    struct ps_ssh_side *sd = &s->side[dir];
    switch (sd->st) {
    case ST_BANNER: {
        size_t cap = dir == 1 ? PRELINE_MAX : BANNER_MAX;
        const uint8_t *nl = memchr(d, '\n', n < cap ? n : cap);
        if (!nl) {
            if (n >= cap || (n >= 4 && dir == 0 && !ps_ssh_probe(d, n))) {
                s->stats.bad_banner++;
                sd->st = ST_STOP;
                if (dir == 0 || sd->prelines == 0)
                    s->status = PS_APP_ERR;
                return n;
            }
            return 0;
        }
        size_t len = (size_t)(nl - d);
        banner_line(s, dir, d, len);
        return len + 1;
    }
    case ST_PKT:
        return packet(s, dir, d, n);
    case ST_SKIP: {
        size_t k = sd->skip < n ? sd->skip : n;
        sd->skip -= (uint32_t)k;
        if (sd->skip == 0)
            sd->st = ST_PKT;
        return k;
    }
    default:
        return n;
    }
}

size_t ps_ssh_feed(struct ps_ssh *s, int dir, const uint8_t *d, size_t n)
{
    dir = dir ? 1 : 0;
    size_t off = 0;
    while (off < n && s->status == PS_APP_MORE) {
        size_t k;
        /* packet() may switch to ST_SKIP without consuming: loop again. */
        uint8_t before = s->side[dir].st;
        k = step(s, dir, d + off, n - off);
        if (k == 0 && s->side[dir].st == before)
            break;
        off += k;
        update_status(s);
    }
    return s->status == PS_APP_MORE ? off : n;
}

void ps_ssh_gap(struct ps_ssh *s, int dir, uint64_t bytes)
{
    struct ps_ssh_side *sd = &s->side[dir ? 1 : 0];
    if (s->status != PS_APP_MORE || sd->st == ST_STOP)
        return;
    if (sd->st == ST_SKIP && bytes <= sd->skip) {
        sd->skip -= (uint32_t)bytes;
        if (sd->skip == 0)
            sd->st = ST_PKT;
        return;
    }
    s->stats.gap++;
    sd->st = ST_STOP;
    update_status(s);
}

enum ps_app_status ps_ssh_status(const struct ps_ssh *s)
{
    return (enum ps_app_status)s->status;
}

static void eve_side(struct ps_json *j, const char *key, const struct ps_ssh_side *sd)
{
    ps_json_obj_begin(j, key);
    ps_json_str(j, "proto_version", sd->proto);
    ps_json_str(j, "software_version", sd->software);
    if (sd->kexinit) {
        ps_json_obj_begin(j, "hassh");
        ps_json_ascii(j, "hash", sd->hassh_md5);
        ps_json_strn(j, "string", (const uint8_t *)sd->hassh, sd->hassh_len);
        ps_json_obj_end(j);
    }
    if (sd->trunc)
        ps_json_bool(j, "truncated", true);
    ps_json_obj_end(j);
}

void ps_ssh_eve(struct ps_json *j, const struct ps_ssh *s)
{
    ps_json_obj_begin(j, "ssh");
    if (s->side[0].banner)
        eve_side(j, "client", &s->side[0]);
    if (s->side[1].banner)
        eve_side(j, "server", &s->side[1]);
    ps_json_obj_end(j);
}
