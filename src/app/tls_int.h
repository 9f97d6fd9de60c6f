/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to the TLS parser (tls.c, tls_hello.c, tls_cert.c, ja.c). */
#ifndef PS_APP_TLS_INT_H
#define PS_APP_TLS_INT_H

#include "app/tls.h"

/* RFC 8701 s2: GREASE values are 0x?A?A with both bytes equal. */
static inline bool ps_tls_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Fill c from one DER certificate: 0, or -1 when OpenSSL cannot parse it
 * (c then holds the SHA-1 fingerprint only). One d2i_X509 per call. */
int ps_tls_cert_parse(struct ps_tls_cert *c, const uint8_t *der, size_t len);

/* Digest of n bytes with OpenSSL EVP (which: PS_TLS_MD5, _SHA1, _SHA256)
 * into md[EVP_MAX_MD_SIZE]; *mdlen 0 on failure. A thread-local context:
 * no allocation after the first call. */
void ps_tls_digest(int which, const void *p, size_t n, uint8_t *md, unsigned *mdlen);

enum { PS_TLS_MD5 = 0, PS_TLS_SHA1 = 1, PS_TLS_SHA256 = 2 };

#endif
