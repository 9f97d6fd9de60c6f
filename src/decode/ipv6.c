/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv6 and its extension-header chain.
 * spec: RFC 8200 (s3 header, s4 extension headers, s4.5 fragment header),
 *       RFC 4302 (AH length in 4-byte units), RFC 6946 (atomic fragments)
 *
 *   | Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                   Source Address (16 bytes)                   |
 *   |                Destination Address (16 bytes)                 |
 *
 * The chain is walked to the transport header with a cap on the number of
 * headers. A chain cut by the capture on a truncated copy is decoded as far
 * as it goes; a chain that overruns a complete packet is malformed. */
#include <string.h>

#include "decode/decode_int.h"

#define MAX_EXTHDR 16

int ps_dec_ipv6(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    const uint8_t *hdr = r.p;
    uint32_t vtf = ps_rd_be32(&r);
    uint16_t plen = ps_rd_be16(&r);
    uint8_t nh = ps_rd_u8(&r);
    uint8_t hlim = ps_rd_u8(&r);
    const uint8_t *src = ps_rd_bytes(&r, 16);
    const uint8_t *dst = ps_rd_bytes(&r, 16);
    if (r.bad)
        return PS_C_DROP_IPV6_TRUNC;
    if ((vtf >> 28) != 6)
        return PS_C_DROP_IPV6_INVALID;
    ps_count(d, PS_C_DEC_IPV6);

    size_t len = plen;
    if (plen == 0) {
        /* Jumbogram (RFC 2675) or BIG TCP: the captured length stands. */
        ps_count(d, PS_C_ANOM_IPV6_JUMBO);
        len = r.left;
    }
    bool trunc = len > r.left;
    if (trunc) {
        ps_count(d, PS_C_ANOM_IPV6_TRUNC);
        if (!p->truncated)
            ps_count(d, PS_C_DEC_TRUNC);
        p->truncated = true;
    } else {
        r.left = len; /* trim padding */
    }

    p->ipver = 6;
    memcpy(p->src, src, 16);
    memcpy(p->dst, dst, 16);
    p->ip_len = (uint32_t)(len + 40);
    p->ip_hdr = hdr;
    p->ttl = hlim;
    p->ip4_opts = NULL;
    p->ip4_opts_len = 0;
    p->ip4_opts_bad = false;
    p->ip_id = 0;
    p->frag_off = 0;
    p->more_frags = false;

    for (int n = 0;; n++) {
        switch (nh) {
        case PS_IPPROTO_HOPOPTS:
        case PS_IPPROTO_ROUTING:
        case PS_IPPROTO_DSTOPTS:
        case PS_IPPROTO_MOBILITY:
        case PS_IPPROTO_HIP:
        case PS_IPPROTO_SHIM6:
        case PS_IPPROTO_AH:
        case PS_IPPROTO_FRAGMENT:
            break;
        default:
            p->proto = nh;
            return ps_dec_transport(d, p, r);
        }
        if (n >= MAX_EXTHDR)
            return PS_C_DROP_IPV6_EXTHDR;
        ps_count(d, PS_C_DEC_IPV6_EXT);
        uint8_t cur = nh;
        nh = ps_rd_u8(&r);
        uint8_t hl = ps_rd_u8(&r);
        if (cur == PS_IPPROTO_FRAGMENT) {
            uint16_t off_m = ps_rd_be16(&r);
            ps_rd_skip(&r, 4); /* identification */
            if (r.bad)
                goto cut;
            p->frag_off = off_m & 0xfff8;
            p->more_frags = off_m & 1;
            if (off_m & 0xfff9) { /* offset or M flag: a real fragment */
                ps_count(d, PS_C_DEC_IPV6_FRAG);
                p->proto = nh;
                p->is_fragment = true;
                return 0;
            }
            continue; /* atomic fragment (RFC 6946): carry on */
        }
        size_t hlen = cur == PS_IPPROTO_AH ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
        if (!ps_rd_skip(&r, hlen - 2))
            goto cut;
    }
cut:
    if (!trunc)
        return PS_C_DROP_IPV6_EXTHDR;
    p->proto = PS_IPPROTO_NONE; /* transport unknown: the copy ends first */
    return 0;
}
