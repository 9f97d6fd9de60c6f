/* SPDX-License-Identifier: BSD-2-Clause */
/* Packets mirrored twice. When both ends of a conversation are mirrored
 * (two ENIs), each packet arrives once from each: an egress copy and an
 * ingress copy, through two mirror sources. A fixed direct-mapped table of
 * recent inner-packet identities (addresses, IP id and length, protocol, the
 * first 16 bytes of the transport header) finds the second copy within a
 * short window when it came through another mirror source. */
#ifndef PS_FLOW_DEDUP_H
#define PS_FLOW_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/packet.h"

struct ps_dedup_slot {
    uint64_t id; /* identity hash, 0 = empty */
    uint64_t ts_us;
    uint32_t sess; /* mirror session ref of the copy seen */
};

struct ps_dedup {
    struct ps_dedup_slot *s;
    uint32_t mask;
    uint64_t window_us;
    uint64_t seed;
};

/* slots rounded up to a power of two; window in microseconds (0 = off).
 * Returns -1 on allocation failure. */
int ps_dedup_init(struct ps_dedup *d, uint32_t slots, uint64_t window_us, uint64_t seed);
void ps_dedup_free(struct ps_dedup *d);

/* True when p (decoded, with an IP layer, from mirror session sess != 0) is
 * a copy of a packet seen from another session within the window. */
bool ps_dedup_check(struct ps_dedup *d, const struct ps_pkt *p, uint32_t sess);

#endif
