/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP, UDP, ICMP and ICMPv6 headers, and the hand-off to tunnels carried
 * over IP (IP-in-IP, GRE) or UDP (VXLAN, GENEVE).
 * spec: RFC 9293 s3.1 (TCP header and options), RFC 768 (UDP),
 *       RFC 792 (ICMP), RFC 4443 (ICMPv6), RFC 8200 s8.1 (pseudo-header)
 *
 * Checksums are verified only on complete packets: AWS does not recompute
 * them on truncated copies. A wrong checksum is an anomaly, never a drop. */
#include <arpa/inet.h>
#include <string.h>

#include "decode/decode_int.h"

/* Pseudo-header sum for TCP/UDP/ICMPv6 (RFC 768, RFC 9293 s3.1, RFC 8200 s8.1). */
static uint64_t pseudo_sum(const struct ps_pkt *p, size_t l4len)
{
    /* With source routing the pseudo-header holds the final destination
     * (RFC 9293 s3.1, RFC 8200 s8.1), not the next hop in the header. */
    const uint8_t *dst = p->final_dst ? p->final_dst : p->dst;
    uint64_t s = ps_csum_add(0, p->src, p->ipver == 4 ? 4 : 16);
    s = ps_csum_add(s, dst, p->ipver == 4 ? 4 : 16);
    s += htons(p->proto);
    s += htons((uint16_t)(l4len & 0xffff));
    s += htons((uint16_t)(l4len >> 16));
    return s;
}

static bool tcp_options_valid(struct ps_rd o)
{
    while (o.left) {
        uint8_t kind = ps_rd_u8(&o);
        if (kind == 0)
            return true;
        if (kind == 1)
            continue;
        uint8_t len = ps_rd_u8(&o);
        if (o.bad || len < 2 || !ps_rd_skip(&o, (size_t)len - 2))
            return false;
    }
    return true;
}

static void check_l4_csum(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd all,
                          enum ps_counter_id anomaly)
{
    if (!d->check_checksums || p->truncated)
        return;
    size_t n = all.left;
    const uint8_t *b = ps_rd_bytes(&all, n);
    uint64_t s = p->proto == PS_IPPROTO_ICMP ? 0 : pseudo_sum(p, n);
    if (b && ps_csum_fold(ps_csum_add(s, b, n)) != 0xffff)
        ps_anom(d, p, anomaly);
}

static int dec_tcp(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    struct ps_rd all = r;
    ps_count(d, PS_C_DEC_TCP);
    p->sport = ps_rd_be16(&r);
    p->dport = ps_rd_be16(&r);
    if (r.bad) {
        ps_anom(d, p, PS_C_ANOM_TCP_TRUNC);
        p->sport = p->dport = 0;
        return 0;
    }
    p->has_ports = true;
    ps_rd_skip(&r, 8); /* sequence and acknowledgment numbers */
    uint8_t off = ps_rd_u8(&r);
    uint8_t flags = ps_rd_u8(&r);
    if (r.bad) {
        ps_anom(d, p, PS_C_ANOM_TCP_TRUNC);
        return 0;
    }
    p->tcp_flags = flags;
    ps_rd_skip(&r, 6); /* window, checksum, urgent pointer */
    size_t hlen = (size_t)(off >> 4) * 4;
    if (hlen < 20) {
        ps_anom(d, p, PS_C_ANOM_TCP_HLEN);
        return 0;
    }
    struct ps_rd opts = ps_rd_sub(&r, hlen - 20);
    if (r.bad) {
        ps_anom(d, p, PS_C_ANOM_TCP_TRUNC);
        return 0;
    }
    if (opts.left && !tcp_options_valid(opts))
        ps_anom(d, p, PS_C_ANOM_TCP_OPT);
    p->l4 = all.p;
    p->l4_caplen = all.left;
    p->payload = r.p;
    p->payload_len = r.left;
    check_l4_csum(d, p, all, PS_C_ANOM_TCP_CSUM);
    return 0;
}

static int dec_udp(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    struct ps_rd all = r;
    ps_count(d, PS_C_DEC_UDP);
    p->sport = ps_rd_be16(&r);
    p->dport = ps_rd_be16(&r);
    uint16_t ulen = ps_rd_be16(&r);
    uint16_t csum = ps_rd_be16(&r);
    if (r.bad) {
        ps_anom(d, p, PS_C_ANOM_UDP_TRUNC);
        if (all.left >= 4)
            p->has_ports = true;
        else
            p->sport = p->dport = 0;
        return 0;
    }
    p->has_ports = true;
    if (ulen < 8 || (!p->truncated && ulen != all.left))
        ps_anom(d, p, PS_C_ANOM_UDP_LEN);
    else if (!p->truncated && r.left > (size_t)ulen - 8)
        r.left = (size_t)ulen - 8;
    p->l4 = all.p;
    p->l4_caplen = all.left;
    p->payload = r.p;
    p->payload_len = r.left;
    /* The checksum of a tunnel's outer datagram is not verified: it covers
     * the inner packet, whose own checksums are (RFC 7348 s5 asks VXLAN
     * senders for a zero UDP checksum anyway). */
    uint8_t kind = d->udp_port_kind[p->dport];
    if ((csum != 0 || p->ipver == 6) && kind == PS_UDP_PORT_NONE)
        check_l4_csum(d, p, all, PS_C_ANOM_UDP_CSUM);

    switch (kind) {
    case PS_UDP_PORT_VXLAN:
        return ps_dec_vxlan(d, p, r);
    case PS_UDP_PORT_GENEVE:
        return ps_dec_geneve(d, p, r);
    default:
        return 0;
    }
}

static int dec_icmp(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    struct ps_rd all = r;
    ps_count(d, p->proto == PS_IPPROTO_ICMP ? PS_C_DEC_ICMP : PS_C_DEC_ICMPV6);
    p->icmp_type = ps_rd_u8(&r);
    p->icmp_code = ps_rd_u8(&r);
    ps_rd_be16(&r);
    if (r.bad) {
        ps_anom(d, p, PS_C_ANOM_ICMP_TRUNC);
        return 0;
    }
    p->l4 = all.p;
    p->l4_caplen = all.left;
    p->payload = r.p;
    p->payload_len = r.left;
    check_l4_csum(d, p, all, PS_C_ANOM_ICMP_CSUM);
    return 0;
}

int ps_dec_transport(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    int rc;
    switch (p->proto) {
    case PS_IPPROTO_TCP:
        return dec_tcp(d, p, r);
    case PS_IPPROTO_UDP:
        return dec_udp(d, p, r);
    case PS_IPPROTO_ICMP:
    case PS_IPPROTO_ICMPV6:
        return dec_icmp(d, p, r);
    case PS_IPPROTO_IPIP:
    case PS_IPPROTO_IPV6: {
        bool v6 = p->proto == PS_IPPROTO_IPV6;
        ps_count(d, PS_C_DEC_IPIP);
        rc = ps_tunnel_enter(d, p, PS_ENCAP_IPIP);
        if (rc)
            return rc;
        return v6 ? ps_dec_ipv6(d, p, r) : ps_dec_ipv4(d, p, r);
    }
    case PS_IPPROTO_GRE:
        return ps_dec_gre(d, p, r);
    default:
        ps_count(d, PS_C_DEC_OTHER_L4);
        p->l4 = r.p;
        p->l4_caplen = r.left;
        return 0;
    }
}
