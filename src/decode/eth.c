/* SPDX-License-Identifier: BSD-2-Clause */
/* Ethernet II, 802.1Q and 802.1ad VLAN tags, ARP.
 * spec: IEEE 802.3, IEEE 802.1Q (C-tag 0x8100, S-tag 0x88a8; 0x9100 as seen in the wild) */
#include "decode/decode_int.h"

#define MAX_VLAN 2

int ps_dec_ethertype(struct ps_decoder *d, struct ps_pkt *p, uint16_t type, struct ps_rd r)
{
    for (;;) {
        switch (type) {
        case PS_ETH_IPV4:
            return ps_dec_ipv4(d, p, r);
        case PS_ETH_IPV6:
            return ps_dec_ipv6(d, p, r);
        case PS_ETH_VLAN:
        case PS_ETH_QINQ:
        case PS_ETH_QINQ_OLD: {
            /* TCI: PCP(3) DEI(1) VID(12), then the next type. */
            uint16_t tci = ps_rd_be16(&r);
            type = ps_rd_be16(&r);
            if (r.bad)
                return PS_C_DROP_ETH_TRUNC;
            if (p->nvlan >= MAX_VLAN)
                return PS_C_DROP_VLAN_DEPTH;
            p->vlan[p->nvlan++] = tci & 0x0fff;
            ps_count(d, PS_C_DEC_VLAN);
            continue;
        }
        case PS_ETH_ARP:
            ps_count(d, PS_C_DEC_ARP);
            p->is_arp = true;
            return 0;
        default:
            /* 802.3 length field, LLDP, MPLS, ...: counted, carried no flow. */
            ps_count(d, PS_C_DEC_OTHER_L2);
            p->is_arp = true;
            return 0;
        }
    }
}

int ps_dec_ether(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    ps_rd_skip(&r, 6);                       /* destination MAC */
    const uint8_t *src = ps_rd_bytes(&r, 6); /* not identity in a mirror; ND checks use it */
    uint16_t type = ps_rd_be16(&r);
    if (r.bad)
        return PS_C_DROP_ETH_TRUNC;
    ps_count(d, PS_C_DEC_ETH);
    p->l2_src = src;
    return ps_dec_ethertype(d, p, type, r);
}
