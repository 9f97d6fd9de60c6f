/* SPDX-License-Identifier: BSD-2-Clause */
/* VXLAN, as AWS Traffic Mirroring and Azure vTAP deliver it.
 * spec: RFC 7348 s5
 *
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *
 * "The I flag MUST be set to 1 for a valid VXLAN Network ID"; reserved
 * fields "MUST be set to zero on transmission and ignored on receipt". So a
 * clear I flag or non-zero reserved bits are anomalies, and the frame is
 * still decoded (Suricata drops them; AWS traffic has been seen with both). */
#include "decode/decode_int.h"

int ps_dec_vxlan(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    uint8_t flags = ps_rd_u8(&r);
    uint32_t rsv1 = ps_rd_be24(&r);
    uint32_t vni = ps_rd_be24(&r);
    uint8_t rsv2 = ps_rd_u8(&r);
    if (r.bad)
        return PS_C_DROP_VXLAN_INVALID;
    ps_count(d, PS_C_DEC_VXLAN);
    if (!(flags & 0x08))
        ps_anom(d, p, PS_C_ANOM_VXLAN_NO_I);
    if ((flags & ~0x08) || rsv1 || rsv2)
        ps_anom(d, p, PS_C_ANOM_VXLAN_RESERVED);
    int rc = ps_tunnel_enter(d, p, PS_ENCAP_VXLAN);
    if (rc)
        return rc;
    p->m.has_vni = true;
    p->m.vni = vni;
    return ps_dec_ether(d, p, r);
}
