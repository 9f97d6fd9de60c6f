/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper shared by test_quic.c and fuzz_quic.c: protect a QUIC Initial
 * packet the way a sender does (RFC 9001 s5.3 AEAD, s5.4 header protection)
 * so that tests can build Initials carrying chosen frames. Test code only:
 * allocates OpenSSL contexts per call. */
#ifndef PS_TESTS_QUIC_BUILD_H
#define PS_TESTS_QUIC_BUILD_H

#include <openssl/evp.h>
#include <string.h>

#include "app/quic.h"

/* Write an Initial of `version` from `dir` (0 client, 1 server) into out:
 * DCID `dcid`, an 8-byte SCID, no token, packet number `pn` on `pn_len`
 * (1..4) bytes, `payload` (frames) padded with PADDING to at least
 * `pad_to` bytes of packet. Keys come from `key_dcid` (the client's
 * original DCID). Returns the packet length, 0 on error or when it does
 * not fit in cap. */
static inline size_t qb_initial(uint8_t *out, size_t cap, uint32_t version, int dir,
                                const uint8_t *dcid, size_t dcid_len, const uint8_t *key_dcid,
                                size_t key_dcid_len, uint32_t pn, size_t pn_len,
                                const uint8_t *payload, size_t plen, size_t pad_to)
{
    struct ps_quic_keys k;
    if (pn_len < 1 || pn_len > 4 || dcid_len > 20 ||
        ps_quic_derive_keys(version, key_dcid, key_dcid_len, dir, &k) != 0)
        return 0;
    size_t hdr_fixed = 1 + 4 + 1 + dcid_len + 1 + 8 + 1 + 2; /* token len 0, 2-byte length */
    size_t body = plen;
    if (body + pn_len < 4)
        body = 4 - pn_len; /* RFC 9001 s5.4.2: room for the sample */
    if (hdr_fixed + pn_len + body + 16 < pad_to)
        body = pad_to - hdr_fixed - pn_len - 16;
    size_t total = hdr_fixed + pn_len + body + 16;
    if (total > cap || pn_len + body + 16 > 0x3fff)
        return 0;
    size_t o = 0;
    uint8_t type_bits = version == PS_QUIC_V2 ? 1 : 0;
    out[o++] = (uint8_t)(0xc0 | (type_bits << 4) | (pn_len - 1));
    out[o++] = (uint8_t)(version >> 24);
    out[o++] = (uint8_t)(version >> 16);
    out[o++] = (uint8_t)(version >> 8);
    out[o++] = (uint8_t)version;
    out[o++] = (uint8_t)dcid_len;
    memcpy(out + o, dcid, dcid_len);
    o += dcid_len;
    out[o++] = 8;
    memset(out + o, 0x5c, 8);
    o += 8;
    out[o++] = 0; /* token length */
    size_t rest = pn_len + body + 16;
    out[o++] = (uint8_t)(0x40 | (rest >> 8));
    out[o++] = (uint8_t)rest;
    size_t pn_off = o;
    for (size_t i = 0; i < pn_len; i++)
        out[o++] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
    uint8_t *pt = out + o;
    memcpy(pt, payload, plen);
    memset(pt + plen, 0, body - plen);
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)((uint64_t)pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c != NULL;
    ok = ok && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce) == 1;
    ok = ok && EVP_EncryptUpdate(c, NULL, &n, out, (int)o) == 1;
    ok = ok && EVP_EncryptUpdate(c, pt, &n, pt, (int)body) == 1;
    ok = ok && EVP_EncryptFinal_ex(c, pt + body, &n) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, pt + body) == 1;
    uint8_t mask[32];
    ok = ok && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL) == 1;
    ok = ok && EVP_EncryptUpdate(c, mask, &n, out + pn_off + 4, 16) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return 0;
    out[0] ^= mask[0] & 0x0f;
    for (size_t i = 0; i < pn_len; i++)
        out[pn_off + i] ^= mask[1 + i];
    return total;
}

/* A CRYPTO frame (RFC 9000 s19.6) with 4-byte varint offset and 2-byte
 * length into out; returns its length. */
static inline size_t qb_crypto(uint8_t *out, uint32_t off, const uint8_t *data, uint16_t len)
{
    size_t o = 0;
    out[o++] = 0x06;
    out[o++] = (uint8_t)(0x80 | ((off >> 24) & 0x3f));
    out[o++] = (uint8_t)(off >> 16);
    out[o++] = (uint8_t)(off >> 8);
    out[o++] = (uint8_t)off;
    out[o++] = (uint8_t)(0x40 | ((len >> 8) & 0x3f));
    out[o++] = (uint8_t)len;
    memcpy(out + o, data, len);
    return o + len;
}

#endif
