/* SPDX-License-Identifier: BSD-2-Clause */
/* Packet-level detectors: IPv4 options, IPv6 extension headers, router
 * advertisement floods and neighbour-advertisement spoofing; and the alert
 * path all detectors share (deduplication, then the output). Fixed tables,
 * nothing allocated per packet. */
#ifndef PS_DETECT_DETECT_H
#define PS_DETECT_DETECT_H

#include "core/counters.h"
#include "core/packet.h"
#include "detect/alert.h"
#include "detect/dns_tunnel.h"
#include "detect/icmp_tunnel.h"

struct ps_detect_config {
    uint32_t dedupe_s;         /* one alert per signature, source, destination per this */
    uint32_t ra_window_s;      /* router advertisement counting window */
    uint32_t ra_max;           /* RAs per window from all sources of one session */
    uint32_t ra_max_sources;   /* distinct RA sources per window */
    uint32_t nd_flip_window_s; /* window for binding changes */
    uint32_t nd_flips;         /* binding changes of one address within the window */
    uint32_t nd_mass_window_s;
    uint32_t nd_mass_targets; /* distinct targets of unsolicited NAs from one MAC */
    uint32_t nd_flood;        /* unsolicited overriding NAs per window in one session */
    uint32_t ipv6_max_ext;    /* extension headers in one chain */
    bool anomaly_events;      /* write anomaly events (rate-limited) */
    uint32_t anomaly_rate;    /* anomaly events per name per second of capture */
    struct ps_icmp_tunnel_config icmp_tunnel;
    struct ps_dns_tunnel_config dns_tunnel;
};

void ps_detect_config_default(struct ps_detect_config *c);

/* Output hooks, set by the pipeline. */
struct ps_detect_out {
    void (*alert)(void *ctx, const struct ps_alert *a);
    void (*anomaly)(void *ctx, const struct ps_pkt *p, const char *name);
    void *ctx;
};

struct ps_detect;

struct ps_detect *ps_detect_new(const struct ps_detect_config *c, uint64_t seed,
                                struct ps_counters *cnt, struct ps_detect_out out);
void ps_detect_free(struct ps_detect *d);

/* The sink for detectors elsewhere (defrag): deduplicates, then writes. */
struct ps_alert_sink ps_detect_sink(struct ps_detect *d);

/* Run the per-packet detectors on a decoded packet. Packet path. */
void ps_detect_packet(struct ps_detect *d, const struct ps_pkt *p);

/* The tunnel detectors (icmp_tunnel, dns_tunnel) on a packet of a flow, once
 * per packet (not for a mirror's second copy). Packet path. */
void ps_detect_tunnels(struct ps_detect *d, const struct ps_pkt *p);

/* A DNS message the application layer parsed (UDP or TCP, any port), in
 * packet p: scored by dns_tunnel. */
struct ps_dns_msg;
void ps_detect_dns(struct ps_detect *d, const struct ps_dns_msg *m, const struct ps_pkt *p);

#endif
