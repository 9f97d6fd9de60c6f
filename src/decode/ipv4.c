/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv4 with options.
 * spec: RFC 791 (header, options s3.1, fragments), RFC 1071 (checksum)
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options                    |    Padding    |
 *
 * Checks in the kernel's order (ip_rcv_core): 20 bytes present, version 4
 * and IHL >= 5, IHL*4 bytes present, total length >= IHL*4. A total length
 * beyond the captured bytes is a truncated copy, not an error: decoded as
 * far as it goes and accounted with the stated length. */
#include <string.h>

#include "decode/decode_int.h"

/* Walk the options (RFC 791 s3.1): EOL ends, NOP is one byte, every other
 * option has a length byte >= 2 that must fit. Returns false if malformed.
 * A loose or strict source route with hops left sets *final to its last
 * address: the destination of the transport checksum. */
static bool options_valid(struct ps_rd o, const uint8_t **final)
{
    while (o.left) {
        uint8_t type = ps_rd_u8(&o);
        if (type == 0) /* end of option list */
            return true;
        if (type == 1) /* no operation */
            continue;
        uint8_t len = ps_rd_u8(&o);
        struct ps_rd v = ps_rd_sub(&o, len >= 2 ? (size_t)len - 2 : 0);
        if (o.bad || len < 2)
            return false;
        if ((type == 131 || type == 137) && len >= 7) {
            uint8_t ptr = ps_rd_u8(&v);
            if (ptr <= len - 3 && (len - 3) % 4 == 0) { /* hops left */
                ps_rd_skip(&v, (size_t)len - 3 - 4);
                *final = ps_rd_bytes(&v, 4);
            }
        }
    }
    return true;
}

int ps_dec_ipv4(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    struct ps_rd h = r; /* keeps the header start for the checksum */
    const uint8_t *hdr = r.p;
    uint8_t vihl = ps_rd_u8(&r);
    ps_rd_u8(&r); /* TOS */
    uint16_t tot_len = ps_rd_be16(&r);
    uint16_t id = ps_rd_be16(&r);
    uint16_t frag = ps_rd_be16(&r);
    uint8_t ttl = ps_rd_u8(&r);
    uint8_t proto = ps_rd_u8(&r);
    ps_rd_be16(&r); /* checksum */
    const uint8_t *src = ps_rd_bytes(&r, 4);
    const uint8_t *dst = ps_rd_bytes(&r, 4);
    if (r.bad)
        return PS_C_DROP_IPV4_TRUNC;
    if ((vihl >> 4) != 4 || (vihl & 0x0f) < 5)
        return PS_C_DROP_IPV4_INVALID;
    size_t hlen = (size_t)(vihl & 0x0f) * 4;
    struct ps_rd opts = ps_rd_sub(&r, hlen - 20);
    if (opts.bad)
        return PS_C_DROP_IPV4_TRUNC;

    ps_count(d, PS_C_DEC_IPV4);
    size_t avail = hlen + r.left; /* captured bytes from the header on */
    size_t len = tot_len;
    if (tot_len == 0) {
        /* TSO / BIG TCP captures: the stack leaves the length 0. */
        ps_anom(d, p, PS_C_ANOM_IPV4_ZEROLEN);
        len = avail;
    } else if (tot_len < hlen) {
        return PS_C_DROP_IPV4_INVALID;
    }
    bool trunc = len > avail;
    if (trunc) {
        ps_anom(d, p, PS_C_ANOM_IPV4_TRUNC);
        if (!p->truncated)
            ps_count(d, PS_C_DEC_TRUNC);
        p->truncated = true;
    } else if (r.left > len - hlen) {
        r.left = len - hlen; /* trim link-layer padding */
    }

    p->ip4_opts = NULL;
    p->ip4_opts_len = 0;
    p->ip4_opts_bad = false;
    p->final_dst = NULL;
    if (hlen > 20) {
        ps_count(d, PS_C_DEC_IPV4_OPTS);
        p->ip4_opts = opts.p;
        p->ip4_opts_len = (uint8_t)(hlen - 20);
        if (!options_valid(opts, &p->final_dst)) {
            ps_anom(d, p, PS_C_ANOM_IPV4_OPT);
            p->ip4_opts_bad = true;
        }
    }
    if (d->check_checksums) {
        const uint8_t *hb = ps_rd_bytes(&h, hlen);
        if (hb && ps_csum_fold(ps_csum_add(0, hb, hlen)) != 0xffff)
            ps_anom(d, p, PS_C_ANOM_IPV4_CSUM);
    }

    p->ipver = 4;
    p->proto = proto;
    memset(p->src, 0, 16);
    memset(p->dst, 0, 16);
    memcpy(p->src, src, 4);
    memcpy(p->dst, dst, 4);
    p->ip_len = (uint32_t)len;
    p->ip_hdr = hdr;
    p->ip_id = id;
    p->ttl = ttl;
    p->frag_off = (uint16_t)((frag & 0x1fff) * 8);
    p->more_frags = (frag & 0x2000) != 0;

    /* MF set or offset non-zero: a fragment, held out of flows until the
     * defragmenter puts it back together. */
    p->ip_hdr_len = (uint8_t)hlen;
    if (frag & 0x3fff) {
        ps_count(d, PS_C_DEC_IPV4_FRAG);
        if ((frag & 0x2000) && !trunc && (len - hlen) % 8) /* RFC 791 s3.2 */
            ps_anom(d, p, PS_C_ANOM_FRAG_LEN);
        p->is_fragment = true;
        p->frag_id = id;
        p->frag_len = (uint32_t)(len - hlen);
        p->payload = r.p;
        p->payload_len = r.left;
        return 0;
    }
    return ps_dec_transport(d, p, r);
}
