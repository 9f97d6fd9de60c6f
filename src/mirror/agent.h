/* SPDX-License-Identifier: BSD-2-Clause */
/* The mirror agent: captures the source interfaces of a ps_mconfig (both
 * directions, AF_PACKET TPACKET_V3 rings), applies the sessions and filters
 * of mirror/filter.h and sends each chosen frame as AWS Traffic Mirroring
 * does: VXLAN over UDP 4789, VNI of the session, outer source port a hash of
 * the inner flow, frame cut to the session's packet length. It never blocks
 * the traffic it copies: the kernel ring is bounded, a full ring or socket
 * buffer or an exhausted budget skips and counts. */
#ifndef PS_MIRROR_AGENT_H
#define PS_MIRROR_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "mirror/filter.h"

struct ps_magent_opts {
    struct ps_mconfig *cfg; /* finished (ps_mconfig_finish) */
    bool include_never;     /* also mirror what AWS never mirrors */
    uint64_t max_pps;       /* 0: no limit */
    unsigned cpu_pct;       /* 0: no limit; else CPU % of one core */
    unsigned ring_mb;       /* ring per source interface (default 32) */
    unsigned resolve_s;     /* re-resolve target names every S s (default 60) */
    unsigned stats_s;       /* stats line every S s (default 60; 0 = only at exit) */
    const char *metrics;    /* [ADDR:]PORT for Prometheus text, or NULL */
    uint32_t mark;          /* SO_MARK of our output (default 0x70736d31) */
    uint64_t max_packets;   /* stop after mirroring this many (0: run until a signal) */
    bool quiet;
};

/* Run until SIGTERM or SIGINT (or max_packets). Returns the exit status. */
int ps_mirror_run(const struct ps_magent_opts *o);

#endif
