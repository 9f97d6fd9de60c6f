/* SPDX-License-Identifier: BSD-2-Clause */
/* GENEVE, as a Gateway Load Balancer delivers it, with the AWS options.
 * spec: RFC 8926 s3.4 (header), s3.5 (options); AWS GWLB option class 0x0108
 *
 *   |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *   |        Virtual Network Identifier (VNI)       |    Reserved   |
 *   |                    Variable-Length Options                    |
 * Option:
 *   |          Option Class         |      Type     |R|R|R| Length  |
 *   |                 Variable-Length Option Data                   |
 *
 * Opt Len and each option Length count 4-byte words. GWLB sends protocol
 * IPv4 or IPv6 (not Ethernet) and three options: type 1 the endpoint id
 * (8 bytes), type 2 the attachment id (8), type 3 the flow cookie (4). */
#include "decode/decode_int.h"

#define GWLB_CLASS  0x0108
#define MAX_OPTIONS 32

int ps_dec_geneve(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    uint8_t vo = ps_rd_u8(&r);
    uint8_t oc = ps_rd_u8(&r);
    uint16_t ptype = ps_rd_be16(&r);
    uint32_t vni = ps_rd_be24(&r);
    ps_rd_u8(&r);
    if (r.bad || (vo >> 6) != 0) /* RFC 8926 s3.4: version 0 only */
        return PS_C_DROP_GENEVE_INVALID;
    struct ps_rd opts = ps_rd_sub(&r, (size_t)(vo & 0x3f) * 4);
    if (opts.bad)
        return PS_C_DROP_GENEVE_INVALID;
    ps_count(d, PS_C_DEC_GENEVE);

    uint64_t endpoint = 0, attachment = 0;
    uint32_t cookie = 0;
    unsigned seen = 0;
    bool critical = (oc & 0x40) != 0;
    for (int n = 0; opts.left && n < MAX_OPTIONS; n++) {
        uint16_t cls = ps_rd_be16(&opts);
        uint8_t type = ps_rd_u8(&opts);
        uint8_t len = ps_rd_u8(&opts) & 0x1f;
        struct ps_rd data = ps_rd_sub(&opts, (size_t)len * 4);
        if (opts.bad)
            return PS_C_DROP_GENEVE_INVALID;
        if (cls == GWLB_CLASS && (type & 0x7f) == 1 && data.left == 8) {
            endpoint = ps_rd_be64(&data);
            seen |= 1;
        } else if (cls == GWLB_CLASS && (type & 0x7f) == 2 && data.left == 8) {
            attachment = ps_rd_be64(&data);
            seen |= 2;
        } else if (cls == GWLB_CLASS && (type & 0x7f) == 3 && data.left == 4) {
            cookie = ps_rd_be32(&data);
            seen |= 4;
        } else if (type & 0x80) {
            critical = true; /* a critical option we do not understand */
        }
    }
    if (critical)
        ps_anom(d, p, PS_C_ANOM_GENEVE_CRIT);

    int rc = ps_tunnel_enter(d, p, PS_ENCAP_GENEVE);
    if (rc)
        return rc;
    p->m.has_vni = true;
    p->m.vni = vni;
    if (seen == 7) {
        ps_count(d, PS_C_DEC_GWLB);
        p->m.has_gwlb = true;
        p->m.gwlb_endpoint = endpoint;
        p->m.gwlb_attachment = attachment;
        p->m.flow_cookie = cookie;
    } else if (seen) {
        ps_anom(d, p, PS_C_ANOM_GWLB_PARTIAL);
    }

    switch (ptype) {
    case PS_ETH_TEB:
        return ps_dec_ether(d, p, r);
    default:
        return ps_dec_ethertype(d, p, ptype, r); /* IP, ARP, or counted as other */
    }
}
