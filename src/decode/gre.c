/* SPDX-License-Identifier: BSD-2-Clause */
/* GRE, PPTP's enhanced GRE, and ERSPAN type I, II and III carried by it.
 * spec: RFC 2784 and RFC 2890 (GRE, key and sequence), RFC 2637 s4.1
 *       (enhanced GRE, version 1), draft-foschiano-erspan-03 (ERSPAN)
 *
 *   |C|R|K|S|s|Recur|  Flags  | Ver |         Protocol Type         |
 *   |      Checksum (optional)      |       Reserved1 (Optional)    |
 *   |                         Key (optional)                        |
 *   |                 Sequence Number (Optional)                    |
 *
 * ERSPAN I: protocol 0x88be without the S bit, the mirrored frame follows.
 * ERSPAN II: 0x88be with S, 8-byte header, version 1:
 *   | Ver=1 |          VLAN         | COS | En|T|    Session ID     |
 *   |      Reserved         |                  Index                |
 * ERSPAN III: 0x22eb, 12-byte header, version 2, then an optional 8-byte
 * platform-specific sub-header when the O bit (last bit) is set:
 *   | Ver=2 |          VLAN         | COS |BSO|T|    Session ID     |
 *   |                          Timestamp                            |
 *   |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 * FT 0 is an Ethernet frame, FT 2 an IP packet; others are not decoded. */
#include "decode/decode_int.h"

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_A 0x0080 /* enhanced GRE: acknowledgment present */

/* PPP inside enhanced GRE (PPTP): optional address/control, then protocol. */
static int dec_ppp(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    if (ps_rd_peek(&r, 0) == 0xff && ps_rd_peek(&r, 1) == 0x03)
        ps_rd_skip(&r, 2);
    uint16_t proto = ps_rd_u8(&r);
    if (!(proto & 1)) /* protocol field not compressed: two bytes */
        proto = (uint16_t)((proto << 8) | ps_rd_u8(&r));
    if (r.bad)
        return PS_C_DROP_GRE_INVALID;
    if (proto == 0x0021)
        return ps_dec_ipv4(d, p, r);
    if (proto == 0x0057)
        return ps_dec_ipv6(d, p, r);
    ps_anom(d, p, PS_C_ANOM_GRE_PROTO);
    return 0;
}

static int dec_erspan(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r, uint16_t ptype,
                      bool seq)
{
    int rc = ps_tunnel_enter(d, p, PS_ENCAP_ERSPAN);
    if (rc)
        return rc;
    if (ptype == PS_ETH_ERSPAN12 && !seq) {
        ps_count(d, PS_C_DEC_ERSPAN1);
        return ps_dec_ether(d, p, r);
    }
    uint16_t w0 = ps_rd_be16(&r);
    uint16_t w1 = ps_rd_be16(&r);
    if (r.bad)
        return PS_C_DROP_ERSPAN_INVALID;
    unsigned ver = w0 >> 12;
    unsigned ft = 0; /* frame type: 0 Ethernet, 2 IP (type III only) */
    /* En (type II) / BSO (type III) are bits 3-4 of the second 16-bit word.
     * For type II, En 3 means the VLAN tag was kept in the frame; otherwise
     * a non-zero VLAN field is the mirrored frame's VLAN, stripped from it. */
    unsigned en = (w1 >> 11) & 3;
    if (ptype == PS_ETH_ERSPAN12) {
        if (ver != 1)
            return PS_C_DROP_ERSPAN_INVALID;
        ps_rd_skip(&r, 4); /* reserved, index */
        ps_count(d, PS_C_DEC_ERSPAN2);
    } else {
        if (ver != 2)
            return PS_C_DROP_ERSPAN_INVALID;
        ps_rd_skip(&r, 6); /* timestamp, SGT */
        uint16_t w5 = ps_rd_be16(&r);
        ft = (w5 >> 10) & 0x1f;
        if (w5 & 1) /* O: platform-specific sub-header present */
            ps_rd_skip(&r, 8);
        ps_count(d, PS_C_DEC_ERSPAN3);
        en = 3; /* type III has BSO here, not En: tags stay in the frame */
    }
    if (r.bad)
        return PS_C_DROP_ERSPAN_INVALID;
    p->m.has_erspan_id = true;
    p->m.erspan_id = w1 & 0x03ff;
    uint16_t vlan = w0 & 0x0fff;
    if (vlan && en != 3)
        p->vlan[p->nvlan++] = vlan; /* first tag of the inner packet */
    if (ft == 0)
        return ps_dec_ether(d, p, r);
    if (ft == 2)
        return ps_rd_peek(&r, 0) >> 4 == 6 ? ps_dec_ipv6(d, p, r) : ps_dec_ipv4(d, p, r);
    ps_anom(d, p, PS_C_ANOM_ERSPAN_FT);
    return 0;
}

int ps_dec_gre(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    uint16_t flags = ps_rd_be16(&r);
    uint16_t ptype = ps_rd_be16(&r);
    if (r.bad)
        return PS_C_DROP_GRE_INVALID;
    unsigned ver = flags & 7;
    if (ver > 1 || (flags & GRE_R))
        return PS_C_DROP_GRE_INVALID;
    if (flags & GRE_C)
        ps_rd_skip(&r, 4);
    if (flags & GRE_K)
        ps_rd_skip(&r, 4);
    if (flags & GRE_S)
        ps_rd_skip(&r, 4);
    if (ver == 1 && (flags & GRE_A))
        ps_rd_skip(&r, 4);
    if (r.bad)
        return PS_C_DROP_GRE_INVALID;
    ps_count(d, PS_C_DEC_GRE);
    if (ver == 1 && r.left == 0)
        return 0; /* enhanced GRE acknowledgment without payload (RFC 2637 s4.1) */

    if (ptype == PS_ETH_ERSPAN12 || ptype == PS_ETH_ERSPAN3)
        return dec_erspan(d, p, r, ptype, (flags & GRE_S) != 0);

    int rc = ps_tunnel_enter(d, p, PS_ENCAP_GRE);
    if (rc)
        return rc;
    switch (ptype) {
    case PS_ETH_IPV4:
        return ps_dec_ipv4(d, p, r);
    case PS_ETH_IPV6:
        return ps_dec_ipv6(d, p, r);
    case PS_ETH_TEB:
        return ps_dec_ether(d, p, r);
    case PS_ETH_PPP:
        return dec_ppp(d, p, r);
    default:
        return ps_dec_ethertype(d, p, ptype, r); /* VLAN, ARP, or counted as other */
    }
}
