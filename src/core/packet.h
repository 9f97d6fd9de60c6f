/* SPDX-License-Identifier: BSD-2-Clause */
/* The decoded view of one packet. Filled in place by the decoders from the
 * capture buffer, which it borrows: no payload byte is copied. One instance
 * per worker, reused for every packet. */
#ifndef PS_CORE_PACKET_H
#define PS_CORE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ps_encap {
    PS_ENCAP_NONE = 0,
    PS_ENCAP_VXLAN,
    PS_ENCAP_GENEVE,
    PS_ENCAP_ERSPAN,
    PS_ENCAP_GRE,
    PS_ENCAP_IPIP,
};

const char *ps_encap_name(enum ps_encap e);

/* Where a packet came from: the tunnel that delivered the mirrored copy.
 * For nested tunnels the innermost tunnel that names a session wins (for the
 * GWLB double encapsulation that is the VXLAN of the mirror session, whose
 * outer source is the mirrored ENI), while the GWLB options of the outer
 * GENEVE are kept. */
struct ps_mirror {
    uint8_t encap;            /* enum ps_encap; NONE for plain traffic */
    uint8_t outer_ver;        /* 4 or 6: family of source/dest; 0 when unknown */
    bool has_vni;             /* VXLAN VNI or GENEVE VNI present */
    bool has_gwlb;            /* all of endpoint, attachment, cookie present */
    bool has_erspan_id;       /* ERSPAN session id present */
    uint16_t erspan_id;       /* ERSPAN type II/III session id (10 bits) */
    uint32_t vni;             /* 24-bit VNI */
    uint8_t src[16];          /* outer source address (IPv4 in the first 4 bytes) */
    uint8_t dst[16];          /* outer destination address */
    uint64_t gwlb_endpoint;   /* GENEVE class 0x0108 type 1 */
    uint64_t gwlb_attachment; /* GENEVE class 0x0108 type 2 */
    uint32_t flow_cookie;     /* GENEVE class 0x0108 type 3 (per flow, not per session) */
};

/* TCP flag bits as on the wire. */
#define PS_TH_FIN 0x01
#define PS_TH_SYN 0x02
#define PS_TH_RST 0x04
#define PS_TH_PSH 0x08
#define PS_TH_ACK 0x10
#define PS_TH_URG 0x20
#define PS_TH_ECE 0x40
#define PS_TH_CWR 0x80

struct ps_pkt {
    uint64_t ts_us;   /* capture time, microseconds since the epoch */
    uint32_t caplen;  /* bytes captured */
    uint32_t wirelen; /* bytes on the wire (outermost) */

    struct ps_mirror m;   /* mirror context */
    uint8_t tunnel_depth; /* tunnels unwrapped so far */

    uint8_t nvlan;    /* VLAN tags of the innermost frame, 0..2 */
    uint16_t vlan[2]; /* VLAN ids, outermost first */

    /* Innermost IP packet: what flows are made of. */
    uint8_t ipver;   /* 4, 6, or 0 when the packet had no IP layer */
    uint8_t proto;   /* IP protocol of the transport header */
    uint8_t src[16]; /* IPv4 in the first 4 bytes, rest zero */
    uint8_t dst[16];
    const uint8_t *final_dst; /* source routing: the route's last address (checksums), or NULL */
    uint32_t ip_len;          /* IP length as its header states (bytes accounted) */
    bool truncated;           /* captured bytes end before ip_len */
    bool is_fragment;         /* IP fragment: to reassembly, not to flows */
    bool has_ports;           /* sport/dport were captured */
    uint16_t sport;
    uint16_t dport;
    uint8_t tcp_flags; /* 0 unless TCP with the flags byte captured */
    uint8_t icmp_type;
    uint8_t icmp_code;
    bool is_arp; /* ARP or other non-IP frame: counted, no flow */

    /* Innermost IP header details kept for the detectors (borrowed). */
    const uint8_t *ip4_opts; /* IPv4 options, NULL when none */
    uint8_t ip4_opts_len;    /* bytes of options (IHL*4 - 20) */
    bool ip4_opts_bad;       /* an option's length was invalid */
    uint16_t ip_id;          /* IPv4 identification */
    uint16_t frag_off;       /* fragment offset in bytes */
    bool more_frags;         /* MF (IPv4) or M (IPv6) */
    uint32_t frag_id;        /* IPv4 identification or IPv6 fragment header id */
    uint32_t frag_len;       /* fragment payload bytes its header declares */
    uint8_t ip_hdr_len;      /* IPv4 header bytes (IHL*4); 40 for IPv6 */
    bool v6_atomic;          /* IPv6 atomic fragment (RFC 6946) */
    bool v6_ext_overflow;    /* more extension headers than the decoder follows */
    bool v6_chain_cut;       /* first fragment without the whole header chain (RFC 7112) */
    uint8_t ext_n;           /* IPv6 extension headers walked */
    struct {
        uint8_t type; /* header type (next-header value that named it) */
        uint16_t off; /* offset from ip_hdr */
        uint16_t len; /* bytes */
    } ext[16];
    const uint8_t *l2_src; /* innermost Ethernet source address (6 bytes), or NULL */
    uint64_t anom;         /* anomalies of this packet: bit (id - PS_C_ANOM__FIRST) */
    uint8_t ttl;           /* TTL or hop limit */
    const uint8_t *ip_hdr; /* innermost IP header (borrowed) */

    const uint8_t *l4;      /* transport header (borrowed) */
    size_t l4_caplen;       /* captured bytes from l4 on */
    const uint8_t *payload; /* transport payload (borrowed), may be cut */
    size_t payload_len;     /* captured payload bytes */
};

#endif
