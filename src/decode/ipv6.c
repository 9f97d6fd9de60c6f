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

static bool is_ext(uint8_t nh)
{
    switch (nh) {
    case PS_IPPROTO_HOPOPTS:
    case PS_IPPROTO_ROUTING:
    case PS_IPPROTO_DSTOPTS:
    case PS_IPPROTO_MOBILITY:
    case PS_IPPROTO_HIP:
    case PS_IPPROTO_SHIM6:
    case PS_IPPROTO_AH:
    case PS_IPPROTO_FRAGMENT:
        return true;
    default:
        return false;
    }
}

static void add_ext(struct ps_pkt *p, uint8_t type, uint16_t off, size_t len)
{
    if (p->ext_n < sizeof(p->ext) / sizeof(p->ext[0])) {
        p->ext[p->ext_n].type = type;
        p->ext[p->ext_n].off = off;
        p->ext[p->ext_n].len = (uint16_t)len;
        p->ext_n++;
    }
}

/* RFC 7112 s5 (RFC 8200 s4.5): the first fragment holds the whole header
 * chain and the upper-layer header. r is the first fragment's payload (the
 * headers after the Fragment header), nh the first of them. */
static bool chain_complete(struct ps_rd r, uint8_t nh)
{
    for (int n = 0; n < MAX_EXTHDR && is_ext(nh); n++) {
        uint8_t cur = nh;
        nh = ps_rd_u8(&r);
        uint8_t hl = ps_rd_u8(&r);
        size_t hlen = cur == PS_IPPROTO_FRAGMENT ? 8
                      : cur == PS_IPPROTO_AH     ? ((size_t)hl + 2) * 4
                                                 : ((size_t)hl + 1) * 8;
        if (r.bad || !ps_rd_skip(&r, hlen - 2))
            return false;
    }
    size_t need = nh == PS_IPPROTO_TCP      ? 20
                  : nh == PS_IPPROTO_UDP    ? 8
                  : nh == PS_IPPROTO_ICMPV6 ? 4
                                            : 0;
    return r.left >= need;
}

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
        ps_anom(d, p, PS_C_ANOM_IPV6_JUMBO);
        len = r.left;
    }
    bool trunc = len > r.left;
    if (trunc) {
        ps_anom(d, p, PS_C_ANOM_IPV6_TRUNC);
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
    p->final_dst = NULL;
    p->ip_id = 0;
    p->frag_off = 0;
    p->more_frags = false;

    p->ext_n = 0;
    p->v6_ext_overflow = false;
    p->v6_atomic = false;
    p->v6_chain_cut = false;
    p->ip_hdr_len = 40;
    for (int n = 0;; n++) {
        if (!is_ext(nh)) {
            p->proto = nh;
            return ps_dec_transport(d, p, r);
        }
        if (n >= MAX_EXTHDR) {
            /* Over the cap: the packet is decoded without its transport
             * header, and the detectors see a chain too long to follow. */
            ps_anom(d, p, PS_C_ANOM_IPV6_EXT_CAP);
            p->v6_ext_overflow = true;
            p->proto = PS_IPPROTO_NONE;
            return 0;
        }
        ps_count(d, PS_C_DEC_IPV6_EXT);
        uint8_t cur = nh;
        uint16_t at = (uint16_t)(r.p - hdr);
        nh = ps_rd_u8(&r);
        uint8_t hl = ps_rd_u8(&r);
        size_t hlen = cur == PS_IPPROTO_FRAGMENT ? 8
                      : cur == PS_IPPROTO_AH     ? ((size_t)hl + 2) * 4
                                                 : ((size_t)hl + 1) * 8;
        if (cur == PS_IPPROTO_FRAGMENT) {
            uint16_t off_m = ps_rd_be16(&r);
            uint32_t id = ps_rd_be32(&r);
            if (r.bad)
                goto cut;
            add_ext(p, cur, at, hlen);
            if (!(off_m & 0xfff9)) {
                /* Atomic fragment (RFC 6946): processed in isolation. */
                p->v6_atomic = true;
                ps_anom(d, p, PS_C_ANOM_IPV6_ATOMIC);
                continue;
            }
            ps_count(d, PS_C_DEC_IPV6_FRAG);
            if ((off_m & 1) && !trunc && r.left % 8) /* RFC 8200 s4.5 */
                ps_anom(d, p, PS_C_ANOM_FRAG_LEN);
            p->frag_off = off_m & 0xfff8;
            p->more_frags = off_m & 1;
            p->frag_id = id;
            p->proto = nh;
            p->is_fragment = true;
            size_t used = (size_t)(r.p - hdr); /* header and chain so far */
            p->frag_len = p->ip_len > used ? (uint32_t)(p->ip_len - used) : 0;
            p->payload = r.p;
            p->payload_len = r.left;
            if (p->frag_off == 0 && !trunc)
                p->v6_chain_cut = !chain_complete(r, nh);
            return 0;
        }
        struct ps_rd body = ps_rd_sub(&r, hlen - 2);
        if (r.bad)
            goto cut;
        add_ext(p, cur, at, hlen); /* recorded once wholly captured */
        if (cur == PS_IPPROTO_ROUTING && hl >= 2) {
            /* Type 0 with segments left: the last address is the final
             * destination for checksums (RFC 8200 s8.1). */
            uint8_t rtype = ps_rd_u8(&body);
            uint8_t left = ps_rd_u8(&body);
            if (rtype == 0 && left && ps_rd_skip(&body, 4 + ((size_t)hl / 2 - 1) * 16))
                p->final_dst = ps_rd_bytes(&body, 16);
        }
    }
cut:
    if (!trunc)
        return PS_C_DROP_IPV6_EXTHDR;
    p->proto = PS_IPPROTO_NONE; /* transport unknown: the copy ends first */
    return 0;
}
