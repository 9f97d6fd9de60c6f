/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal entry points between the layer decoders. Each takes the reader
 * positioned at its header and returns 0 or a drop counter id. */
#ifndef PS_DECODE_INT_H
#define PS_DECODE_INT_H

#include "core/rd.h"
#include "decode/decode.h"

#define PS_ETH_IPV4     0x0800
#define PS_ETH_ARP      0x0806
#define PS_ETH_IPV6     0x86dd
#define PS_ETH_VLAN     0x8100
#define PS_ETH_QINQ     0x88a8
#define PS_ETH_QINQ_OLD 0x9100
#define PS_ETH_TEB      0x6558 /* transparent Ethernet bridging */
#define PS_ETH_ERSPAN12 0x88be
#define PS_ETH_ERSPAN3  0x22eb
#define PS_ETH_PPP      0x880b

#define PS_IPPROTO_HOPOPTS  0
#define PS_IPPROTO_ICMP     1
#define PS_IPPROTO_IPIP     4
#define PS_IPPROTO_TCP      6
#define PS_IPPROTO_UDP      17
#define PS_IPPROTO_IPV6     41
#define PS_IPPROTO_ROUTING  43
#define PS_IPPROTO_FRAGMENT 44
#define PS_IPPROTO_GRE      47
#define PS_IPPROTO_ESP      50
#define PS_IPPROTO_AH       51
#define PS_IPPROTO_ICMPV6   58
#define PS_IPPROTO_NONE     59
#define PS_IPPROTO_DSTOPTS  60
#define PS_IPPROTO_MOBILITY 135
#define PS_IPPROTO_HIP      139
#define PS_IPPROTO_SHIM6    140

static inline void ps_count(struct ps_decoder *d, enum ps_counter_id id)
{
    d->c->v[id]++;
}

/* Count an anomaly and mark it on the packet (for its anomaly event). */
static inline void ps_anom(struct ps_decoder *d, struct ps_pkt *p, enum ps_counter_id id)
{
    d->c->v[id]++;
    p->anom |= 1ULL << (id - PS_C_ANOM__FIRST);
}

int ps_dec_ether(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);
int ps_dec_ethertype(struct ps_decoder *d, struct ps_pkt *p, uint16_t type, struct ps_rd r);
int ps_dec_ipv4(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);
int ps_dec_ipv6(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);
int ps_dec_transport(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);
int ps_dec_vxlan(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);
int ps_dec_geneve(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);
int ps_dec_gre(struct ps_decoder *d, struct ps_pkt *p, struct ps_rd r);

/* Enter a tunnel of kind `encap` whose outer IP header is the one currently
 * in `p`: checks the depth cap, records the mirror context and clears the
 * inner-packet fields. Returns 0 or PS_C_DROP_TUNNEL_DEPTH. A mirror tunnel
 * (VXLAN, GENEVE, ERSPAN) always takes over the context; GRE and IP-in-IP
 * only when no mirror tunnel was seen, so a tunnel inside mirrored traffic
 * does not hide the mirror session. */
int ps_tunnel_enter(struct ps_decoder *d, struct ps_pkt *p, enum ps_encap encap);

/* One's-complement sum of `len` bytes, added to `sum` (RFC 1071). The result
 * is in the host's byte order; fold with ps_csum_fold(). */
uint64_t ps_csum_add(uint64_t sum, const uint8_t *b, size_t len);
uint16_t ps_csum_fold(uint64_t sum);

#endif
