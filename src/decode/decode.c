/* SPDX-License-Identifier: BSD-2-Clause */
/* Decoding entry point: link types, tunnel bookkeeping and the checksum. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "decode/decode_int.h"

const char *ps_encap_name(enum ps_encap e)
{
    switch (e) {
    case PS_ENCAP_VXLAN:
        return "vxlan";
    case PS_ENCAP_GENEVE:
        return "geneve";
    case PS_ENCAP_ERSPAN:
        return "erspan";
    case PS_ENCAP_GRE:
        return "gre";
    case PS_ENCAP_IPIP:
        return "ipip";
    case PS_ENCAP_NONE:
        break;
    }
    return "none";
}

void ps_decoder_init(struct ps_decoder *d, struct ps_counters *c)
{
    memset(d, 0, sizeof(*d));
    d->c = c;
    d->check_checksums = true;
    d->max_tunnel_depth = 8;
    d->udp_port_kind[4789] = PS_UDP_PORT_VXLAN;
    d->udp_port_kind[6081] = PS_UDP_PORT_GENEVE;
}

bool ps_decode_dlt_supported(int dlt)
{
    switch (dlt) {
    case PS_DLT_NULL:
    case PS_DLT_EN10MB:
    case PS_DLT_RAW:
    case PS_DLT_RAW_BSD:
    case PS_DLT_RAW_LT:
    case PS_DLT_IPV4:
    case PS_DLT_IPV6:
    case PS_DLT_LINUX_SLL:
    case PS_DLT_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

/* Raw IP: the version nibble says which. */
static int dec_raw(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    uint8_t v = ps_rd_peek(&r, 0) >> 4;
    if (v == 6)
        return ps_dec_ipv6(d, p, r);
    return ps_dec_ipv4(d, p, r);
}

/* Linux cooked capture v1: 16 bytes, protocol last. */
static int dec_sll(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    ps_rd_skip(&r, 14); /* packet type, ARPHRD, address length, address */
    uint16_t proto = ps_rd_be16(&r);
    if (r.bad)
        return PS_C_DROP_ETH_TRUNC;
    ps_count(d, PS_C_DEC_SLL);
    return ps_dec_ethertype(d, p, proto, r);
}

/* Linux cooked capture v2: 20 bytes, protocol first. */
static int dec_sll2(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    uint16_t proto = ps_rd_be16(&r);
    ps_rd_skip(&r, 18); /* reserved, ifindex, ARPHRD, type, address */
    if (r.bad)
        return PS_C_DROP_ETH_TRUNC;
    ps_count(d, PS_C_DEC_SLL2);
    return ps_dec_ethertype(d, p, proto, r);
}

/* BSD loopback: a 4-byte address family in the capturing host's order. */
static int dec_null(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r)
{
    uint32_t fam = ps_rd_le32(&r);
    if (r.bad)
        return PS_C_DROP_ETH_TRUNC;
    if (fam > 0xffff) /* written big-endian */
        fam = ((fam >> 24) & 0xff) | ((fam >> 8) & 0xff00);
    if (fam == 2)
        return ps_dec_ipv4(d, p, r);
    if (fam == 24 || fam == 28 || fam == 30)
        return ps_dec_ipv6(d, p, r);
    ps_count(d, PS_C_DEC_OTHER_L2);
    p->is_arp = true;
    return 0;
}

/* Clear what describes the innermost packet: a tunnel or a reassembled
 * datagram starts a new one; decoders set only what they find. */
static void clear_inner(struct ps_pkt *p)
{
    p->ipver = 0;
    p->proto = 0;
    p->ip_len = 0;
    p->is_fragment = false;
    p->has_ports = false;
    p->sport = p->dport = 0;
    p->tcp_flags = 0;
    p->icmp_type = p->icmp_code = 0;
    p->ip4_opts = NULL;
    p->ip4_opts_len = 0;
    p->ip4_opts_bad = false;
    p->final_dst = NULL;
    p->ip_hdr = NULL;
    p->ext_n = 0;
    p->l4 = p->payload = NULL;
    p->l4_caplen = p->payload_len = 0;
}

/* A new packet: reset only what a decoder may leave unset. */
static void reset_packet(struct ps_pkt *p, uint64_t ts_us, uint32_t caplen, uint32_t wirelen)
{
    memset(&p->m, 0, sizeof(p->m));
    p->ts_us = ts_us;
    p->caplen = caplen;
    p->wirelen = wirelen;
    p->tunnel_depth = 0;
    p->nvlan = 0;
    p->truncated = false;
    p->is_arp = false;
    p->l2_src = NULL;
    p->anom = 0;
    clear_inner(p);
}

int ps_decode(struct ps_decoder *d, struct ps_pkt *p, int dlt, const uint8_t *data, uint32_t caplen,
              uint32_t wirelen, uint64_t ts_us)
{
    reset_packet(p, ts_us, caplen, wirelen);

    struct ps_rd r = ps_rd_init(data, caplen);
    switch (dlt) {
    case PS_DLT_EN10MB:
        return ps_dec_ether(d, p, r);
    case PS_DLT_RAW:
    case PS_DLT_RAW_BSD:
    case PS_DLT_RAW_LT:
        return dec_raw(d, p, r);
    case PS_DLT_IPV4:
        return ps_dec_ipv4(d, p, r);
    case PS_DLT_IPV6:
        return ps_dec_ipv6(d, p, r);
    case PS_DLT_LINUX_SLL:
        return dec_sll(d, p, r);
    case PS_DLT_LINUX_SLL2:
        return dec_sll2(d, p, r);
    case PS_DLT_NULL:
        return dec_null(d, p, r);
    default:
        return PS_C_DROP_LINKTYPE;
    }
}

int ps_decode_udp_payload(struct ps_decoder *d, struct ps_pkt *p, int kind, uint8_t ver,
                          const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
                          const uint8_t *data, uint32_t len, uint64_t ts_us)
{
    reset_packet(p, ts_us, len, len);
    /* The outer IP/UDP as the socket saw them. */
    p->ipver = ver;
    p->proto = PS_IPPROTO_UDP;
    memset(p->src, 0, 16);
    memset(p->dst, 0, 16);
    memcpy(p->src, src, ver == 4 ? 4 : 16);
    memcpy(p->dst, dst, ver == 4 ? 4 : 16);
    p->sport = sport;
    p->dport = dport;
    struct ps_rd r = ps_rd_init(data, len);
    if (kind == PS_UDP_PORT_GENEVE)
        return ps_dec_geneve(d, p, r);
    return ps_dec_vxlan(d, p, r);
}

int ps_decode_reassembled(struct ps_decoder *d, struct ps_pkt *p, const uint8_t *data, size_t len)
{
    clear_inner(p);
    p->truncated = false;
    p->anom = 0;
    struct ps_rd r = ps_rd_init(data, len);
    return ps_rd_peek(&r, 0) >> 4 == 6 ? ps_dec_ipv6(d, p, r) : ps_dec_ipv4(d, p, r);
}

int ps_tunnel_enter(struct ps_decoder *d, struct ps_pkt *p, enum ps_encap encap)
{
    if (p->tunnel_depth >= d->max_tunnel_depth)
        return PS_C_DROP_TUNNEL_DEPTH;
    p->tunnel_depth++;
    bool mirror_kind =
        encap == PS_ENCAP_VXLAN || encap == PS_ENCAP_GENEVE || encap == PS_ENCAP_ERSPAN;
    bool have_mirror = p->m.encap == PS_ENCAP_VXLAN || p->m.encap == PS_ENCAP_GENEVE ||
                       p->m.encap == PS_ENCAP_ERSPAN;
    if (mirror_kind || !have_mirror) {
        p->m.encap = (uint8_t)encap;
        p->m.outer_ver = p->ipver;
        memcpy(p->m.src, p->src, 16);
        memcpy(p->m.dst, p->dst, 16);
        /* The new layer sets its own session id; GWLB options stay. */
        p->m.has_vni = false;
        p->m.vni = 0;
        p->m.has_erspan_id = false;
        p->m.erspan_id = 0;
    }
    /* The inner packet starts afresh. */
    p->nvlan = 0;
    clear_inner(p);
    return 0;
}

uint64_t ps_csum_add(uint64_t sum, const uint8_t *b, size_t len)
{
    /* 32-bit halves of 64-bit words summed into 64 bits: no carry is lost for
     * inputs below 2^32 words, and RFC 1071 s2(B)-(C): the one's-complement
     * sum of 16-bit words does not depend on the width or byte order of the
     * units summed, as long as they start on 16-bit boundaries. */
    uint64_t s = (sum & 0xffffffffULL) + (sum >> 32);
#if defined(__SSE2__)
    /* Four 32-bit lanes widened into 64-bit lanes: 16 bytes in five
     * instructions. Lane sums cannot overflow below 2^32 blocks. */
    if (len >= 32) {
        const __m128i zero = _mm_setzero_si128();
        __m128i a0 = zero, a1 = zero;
        while (len >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)b);
            a0 = _mm_add_epi64(a0, _mm_unpacklo_epi32(v, zero));
            a1 = _mm_add_epi64(a1, _mm_unpackhi_epi32(v, zero));
            b += 16;
            len -= 16;
        }
        a0 = _mm_add_epi64(a0, a1);
        uint64_t lanes[2];
        _mm_storeu_si128((__m128i *)(void *)lanes, a0);
        s += (lanes[0] & 0xffffffffULL) + (lanes[0] >> 32) + (lanes[1] & 0xffffffffULL) +
             (lanes[1] >> 32);
    }
#endif
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        s += (w & 0xffffffffULL) + (w >> 32);
        b += 8;
        len -= 8;
    }
    while (len >= 2) {
        uint16_t w;
        memcpy(&w, b, 2);
        s += w;
        b += 2;
        len -= 2;
    }
    if (len) {
        /* A last odd byte is the high byte of a 16-bit word on the wire. */
        uint8_t pad[2] = {b[0], 0};
        uint16_t w;
        memcpy(&w, pad, 2);
        s += w;
    }
    return s;
}

uint16_t ps_csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}
