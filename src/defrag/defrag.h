/* SPDX-License-Identifier: BSD-2-Clause */
/* IPv4 and IPv6 reassembly with fixed capacity, overlap detection and the
 * target-based overlap policies (first, last, bsd, linux, windows, solaris)
 * per destination CIDR; the default drops a datagram on any overlap, as
 * RFC 5722 asks for IPv6 and Linux does for both. Reassembled datagrams go
 * back through the decoder, so a payload cannot hide in fragments.
 * spec: RFC 791 s3.2, RFC 815, RFC 8200 s4.5, RFC 5722, RFC 1858, RFC 3128,
 *       Novak 2005 "Target-Based Fragmentation Reassembly" (the policies) */
#ifndef PS_DEFRAG_DEFRAG_H
#define PS_DEFRAG_DEFRAG_H

#include "core/counters.h"
#include "core/packet.h"
#include "detect/alert.h"

enum ps_frag_policy {
    PS_POLICY_DROP = 0, /* any overlap: the whole datagram is discarded */
    PS_POLICY_FIRST,
    PS_POLICY_LAST,
    PS_POLICY_BSD,
    PS_POLICY_LINUX,
    PS_POLICY_WINDOWS,
    PS_POLICY_SOLARIS,
    PS_POLICY__COUNT
};

const char *ps_frag_policy_name(enum ps_frag_policy p);
/* Policy by name; -1 when unknown. */
int ps_frag_policy_parse(const char *name);

#define PS_DEFRAG_MAX_CIDRS 64

struct ps_defrag_cidr {
    uint8_t ver;
    uint8_t prefix;
    uint8_t addr[16];
    uint8_t policy;
};

struct ps_defrag_config {
    uint32_t max_trackers;    /* datagrams in reassembly at once */
    uint32_t max_frags;       /* fragments per datagram */
    uint32_t memcap;          /* bytes of fragment data held, in all */
    uint32_t timeout_s;       /* an incomplete datagram is given up after this */
    uint32_t flood_threshold; /* incomplete datagrams pending from one source */
    uint8_t policy;           /* default enum ps_frag_policy */
    uint32_t ncidr;
    struct ps_defrag_cidr cidr[PS_DEFRAG_MAX_CIDRS];
};

void ps_defrag_config_default(struct ps_defrag_config *c);

/* Parse "POLICY" (the default) or "CIDR=POLICY" into c. Returns 0 or -1. */
int ps_defrag_config_policy(struct ps_defrag_config *c, const char *arg);

struct ps_defrag; /* opaque: tables allocated by ps_defrag_new() */

/* Allocate every table. NULL on allocation failure. */
struct ps_defrag *ps_defrag_new(const struct ps_defrag_config *c, uint64_t seed,
                                struct ps_counters *cnt, struct ps_alert_sink alerts);
void ps_defrag_free(struct ps_defrag *df);

/* Add fragment p (p->is_fragment, decoded up to its fragment payload).
 * Returns the length of the reassembled datagram (its IP header first) in
 * *out, borrowed until the next call, or 0 while incomplete or dropped.
 * Packet path. */
size_t ps_defrag_add(struct ps_defrag *df, const struct ps_pkt *p, const uint8_t **out);

/* Give up datagrams idle past the timeout (at most max; 0 = all due). */
void ps_defrag_expire(struct ps_defrag *df, uint64_t now_us, uint32_t max);

/* End of input: give up everything pending. */
void ps_defrag_flush(struct ps_defrag *df);

/* Datagrams pending now. */
uint32_t ps_defrag_pending(const struct ps_defrag *df);

/* Reassemble fragments under a policy into out (for tests and evidence):
 * offs/lens/data in arrival order; returns bytes written (the end). */
size_t ps_defrag_policy_apply(enum ps_frag_policy pol, uint32_t n, const uint32_t *offs,
                              const uint32_t *lens, const uint8_t *const *data, uint8_t *out,
                              size_t cap);

#endif
