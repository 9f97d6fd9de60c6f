/* SPDX-License-Identifier: BSD-2-Clause */
/* Packet decoding: link layer to transport, through any nesting of mirror
 * tunnels (VXLAN, GENEVE, ERSPAN, GRE, IP-in-IP). Runs on the packet path:
 * allocates nothing, reads only through struct ps_rd. */
#ifndef PS_DECODE_DECODE_H
#define PS_DECODE_DECODE_H

#include "core/counters.h"
#include "core/packet.h"

/* Link types we decode (values of pcap_datalink()). */
#define PS_DLT_NULL       0
#define PS_DLT_EN10MB     1
#define PS_DLT_RAW        12
#define PS_DLT_RAW_BSD    14
#define PS_DLT_LINUX_SLL  113
#define PS_DLT_RAW_LT     101
#define PS_DLT_IPV4       228
#define PS_DLT_IPV6       229
#define PS_DLT_LINUX_SLL2 276

#define PS_UDP_PORT_NONE   0
#define PS_UDP_PORT_VXLAN  1
#define PS_UDP_PORT_GENEVE 2

struct ps_decoder {
    struct ps_counters *c;        /* borrowed; the worker's counters */
    bool check_checksums;         /* verify checksums of complete packets */
    uint8_t max_tunnel_depth;     /* tunnels unwrapped at most (default 8) */
    uint8_t udp_port_kind[65536]; /* PS_UDP_PORT_* by UDP destination port */
};

/* Set defaults: VXLAN on 4789, GENEVE on 6081, checksums checked, depth 8. */
void ps_decoder_init(struct ps_decoder *d, struct ps_counters *c);

/* Decode one captured packet of link type `dlt` into `p` (which is reset).
 * Returns 0 when the packet was decoded (possibly with anomalies counted), or
 * the id of the drop counter that explains why not; the caller counts it.
 * Borrows `data` for as long as `p` is used. */
int ps_decode(struct ps_decoder *d, struct ps_pkt *p, int dlt, const uint8_t *data, uint32_t caplen,
              uint32_t wirelen, uint64_t ts_us);

/* Decode a reassembled IP datagram (its IP header first) as the innermost
 * packet of p: the mirror context, VLANs and capture fields of p stay, the
 * inner fields are replaced. Returns 0 or a drop counter id. */
int ps_decode_reassembled(struct ps_decoder *d, struct ps_pkt *p, const uint8_t *data, size_t len);

/* Decode the payload of a UDP datagram received on a socket (VXLAN when
 * kind is PS_UDP_PORT_VXLAN, GENEVE when PS_UDP_PORT_GENEVE) whose outer
 * addresses (family ver, 4 or 6) the socket reported: the mirror context is
 * what the packet would have had if captured whole. */
int ps_decode_udp_payload(struct ps_decoder *d, struct ps_pkt *p, int kind, uint8_t ver,
                          const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
                          const uint8_t *data, uint32_t len, uint64_t ts_us);

/* True when ps_decode() knows the link type. */
bool ps_decode_dlt_supported(int dlt);

#endif
