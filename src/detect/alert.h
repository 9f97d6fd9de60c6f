/* SPDX-License-Identifier: BSD-2-Clause */
/* Alerts: the fixed list of detectors and signatures, and the alert record a
 * detector fills. Each alert names its detector and carries evidence: the
 * numbers that crossed a threshold, the bytes that disagreed. */
#ifndef PS_DETECT_ALERT_H
#define PS_DETECT_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"

/* X(id, sid, detector, severity (1 high .. 3 low), "signature") */
#define PS_SIGNATURES(X)                                                                         \
    X(FRAG_OVERLAP_CONFLICT, 9001001, "frag_overlap", 1,                                         \
      "IP fragments overlap with different bytes: reassembly depends on the target OS")          \
    X(FRAG_OVERLAP_SAME, 9001002, "frag_overlap", 2, "IP fragments overlap with the same bytes") \
    X(FRAG_OVERSIZE, 9001101, "frag_oversize", 1,                                                \
      "IP fragments reassemble past 65535 bytes (ping of death)")                                \
    X(FRAG_TINY_FIRST, 9001201, "frag_tiny", 2,                                                  \
      "first IP fragment too small to hold the transport header (RFC 1858, RFC 3128)")           \
    X(FRAG_TCP_OFFSET1, 9001202, "frag_tiny", 1,                                                 \
      "TCP fragment at offset 8 rewrites the TCP header (RFC 1858)")                             \
    X(FRAG_TOO_MANY, 9001203, "frag_tiny", 2,                                                    \
      "IP datagram cut into more fragments than reassembly keeps: tiny fragments")               \
    X(FRAG_FLOOD, 9001301, "frag_flood", 2, "incomplete IP datagrams piling up from one source") \
    X(IP_LSRR, 9002001, "ip_source_route", 1, "IPv4 loose source route option")                  \
    X(IP_SSRR, 9002002, "ip_source_route", 1, "IPv4 strict source route option")                 \
    X(IP_RR, 9002101, "ip_options", 3, "IPv4 record route option")                               \
    X(IP_TS, 9002102, "ip_options", 3, "IPv4 timestamp option")                                  \
    X(IP_OPT_UNKNOWN, 9002103, "ip_options", 2, "IPv4 option of an unknown or obsolete type")    \
    X(IP_OPT_MALFORMED, 9002104, "ip_options", 2,                                                \
      "IPv4 option malformed (RFC 791, RFC 6274 s3.13)")                                         \
    X(IP_OPT_FRAG_CHANGE, 9002105, "ip_options", 2,                                              \
      "IPv4 options differ between fragments of one datagram")                                   \
    X(IPV6_RH0, 9003001, "ipv6_rh0", 1, "IPv6 routing header type 0 (RFC 5095)")                 \
    X(IPV6_CHAIN_FRAG, 9003101, "ipv6_exthdr", 1,                                                \
      "IPv6 header chain not all in the first fragment (RFC 7112)")                              \
    X(IPV6_HBH_NOT_FIRST, 9003102, "ipv6_exthdr", 2,                                             \
      "IPv6 hop-by-hop options header not first (RFC 8200 s4.3)")                                \
    X(IPV6_EXT_DUP, 9003103, "ipv6_exthdr", 2, "IPv6 extension header repeated (RFC 8200 s4.1)") \
    X(IPV6_EXT_ORDER, 9003104, "ipv6_exthdr", 3,                                                 \
      "IPv6 extension headers out of the recommended order (RFC 8200 s4.1)")                     \
    X(IPV6_EXT_MANY, 9003105, "ipv6_exthdr", 2, "too many IPv6 extension headers")               \
    X(IPV6_PADDING, 9003106, "ipv6_exthdr", 2,                                                   \
      "IPv6 options padding oversized or not zero (RFC 4942 s2.1.9.5)")                          \
    X(IPV6_UNKNOWN_OPT, 9003107, "ipv6_exthdr", 3,                                               \
      "IPv6 option of an unknown type in hop-by-hop or destination options (covert channel?)")   \
    X(IPV6_RA_FLOOD, 9003201, "ipv6_ra_flood", 2, "IPv6 router advertisements at flood rate")    \
    X(IPV6_ND_FLIP, 9003301, "ipv6_nd_spoof", 1,                                                 \
      "IPv6 neighbour advertisements move an address between link-layer addresses")              \
    X(ICMP_TUNNEL_MAGIC, 9004001, "icmp_tunnel", 1,                                              \
      "ICMP echo payload starts with a tunnel tool's magic (ptunnel, ptunnel-ng, hans)")         \
    X(ICMP_TUNNEL_DATA, 9004002, "icmp_tunnel", 1,                                               \
      "ICMP echo carries changing payloads that no operating system's ping sends")               \
    X(ICMP_TUNNEL_MISMATCH, 9004003, "icmp_tunnel", 2,                                           \
      "ICMP echo replies do not return the request's data (RFC 792, RFC 4443)")                  \
    X(DNS_TUNNEL, 9004101, "dns_tunnel", 1,                                                      \
      "DNS tunnel or exfiltration: many unique encoded names under one domain")                  \
    X(DNS_TUNNEL_SLOW, 9004102, "dns_tunnel", 2,                                                 \
      "DNS exfiltration, low and slow: encoded names under one domain for long")                 \
    X(IPV6_ND_MASS, 9003302, "ipv6_nd_spoof", 2,                                                 \
      "IPv6 unsolicited neighbour advertisements for many addresses from one link-layer address")

enum ps_sig {
#define PS_X(id, sid, det, sev, msg) PS_SIG_##id,
    PS_SIGNATURES(PS_X)
#undef PS_X
        PS_SIG__COUNT
};

struct ps_sig_info {
    uint32_t sid;
    const char *detector;
    uint8_t severity;
    const char *msg;
};

extern const struct ps_sig_info ps_sig_table[PS_SIG__COUNT];

/* Evidence: a few named numbers and strings, bounded. */
#define PS_EV_MAX 12

struct ps_evidence {
    uint8_t n;
    struct {
        const char *key; /* a literal */
        bool is_str;
        uint64_t num;
        char str[200]; /* ASCII the detector composed (hex, addresses, names) */
    } v[PS_EV_MAX];
};

struct ps_alert {
    enum ps_sig sig;
    uint64_t ts_us;
    uint8_t ipver;
    uint8_t proto;
    uint8_t src[16];
    uint8_t dst[16];
    bool has_ports;
    uint16_t sport;
    uint16_t dport;
    struct ps_mirror m;
    struct ps_evidence ev;
};

/* Start an alert about packet p (addresses, ports, mirror context). */
void ps_alert_from_pkt(struct ps_alert *a, enum ps_sig sig, const struct ps_pkt *p);
void ps_ev_num(struct ps_alert *a, const char *key, uint64_t v);
void ps_ev_str(struct ps_alert *a, const char *key, const char *s);
/* Bytes as lowercase hex, at most 64 bytes shown. */
void ps_ev_hex(struct ps_alert *a, const char *key, const uint8_t *b, size_t n);

/* Where alerts go: the pipeline sets this. */
struct ps_alert_sink {
    void (*emit)(void *ctx, const struct ps_alert *a);
    void *ctx;
};

#endif
