/* SPDX-License-Identifier: BSD-2-Clause */
/* The flow table: direction-free keys (lower address and port first) that
 * include the mirror VNI and VLAN ids, a fixed number of preallocated flows,
 * a random hash seed, per-protocol and TCP-state timeouts kept as one LRU
 * list per timeout class, and a counted policy when full. One table per
 * worker; nothing is allocated after ps_flow_table_init(). */
#ifndef PS_FLOW_FLOW_H
#define PS_FLOW_FLOW_H

#include "core/counters.h"
#include "core/packet.h"
#include "flow/session.h"
#include "stream/tcp.h"

struct ps_flow_key {
    uint8_t lo[16]; /* lower (address, port) end */
    uint8_t hi[16];
    uint16_t plo;
    uint16_t phi;
    uint32_t vni; /* mirror VNI or ERSPAN session id; 0 without */
    uint16_t vlan[2];
    uint8_t proto;
    uint8_t ipver;
    uint8_t nvlan;
    uint8_t encap; /* mirror encapsulation: VNIs of VXLAN and GENEVE differ */
};

enum ps_flow_tclass {
    PS_TC_TCP_NEW = 0, /* TCP before both directions were seen */
    PS_TC_TCP_EST,
    PS_TC_TCP_CLOSED, /* RST, or FIN in both directions */
    PS_TC_UDP,
    PS_TC_ICMP,
    PS_TC_OTHER,
    PS_TC__COUNT
};

enum ps_flow_end {
    PS_END_TIMEOUT = 0,
    PS_END_CLOSED,
    PS_END_EVICTED,
    PS_END_SHUTDOWN,
};

const char *ps_flow_end_name(enum ps_flow_end e);

/* Per-direction counters of one aggregation interval (flow log records). */
struct ps_flow_iv {
    uint64_t bytes;
    uint32_t pkts;
    uint32_t first_s; /* seconds */
    uint32_t last_s;
    uint8_t aws_flags; /* tcp-flags as VPC Flow Logs define them, OR-ed */
};

struct ps_flow {
    struct ps_flow_key key;
    uint32_t hash;       /* low bits of the key hash, checked before the key */
    uint32_t hnext;      /* bucket chain (index, 0 = end) */
    uint32_t prev, next; /* LRU list of the timeout class (index, 0 = none) */
    uint8_t tclass;      /* enum ps_flow_tclass */
    bool in_use;
    bool init_is_lo; /* the first packet went from key.lo to key.hi */
    bool has_cookie;
    uint8_t flags[2];  /* TCP flags OR-ed; [0] to server (initiator's side) */
    uint8_t icmp_type; /* of the first packet */
    uint8_t icmp_code;
    uint32_t sess[2];     /* mirror session ref per direction (0 = none) */
    uint32_t flow_cookie; /* GWLB flow cookie of the first packet */
    uint64_t id;
    uint64_t first_us;
    uint64_t last_us;
    uint64_t lru_us; /* last_us when placed on its LRU list */
    uint64_t pkts[2];
    uint64_t bytes[2]; /* IP bytes as the headers state them */
    uint64_t trunc_pkts;
    uint64_t dup_pkts;  /* second mirrored copies, not in pkts/bytes */
    uint64_t iv_window; /* aggregation window of iv[] (seconds / interval) */
    struct {
        uint32_t id;    /* identity of a recent mirrored packet (0 = none) */
        uint32_t sess;  /* the mirror session it came through */
        uint32_t ts_us; /* its time, low 32 bits (differences wrap correctly) */
    } recent[2];        /* finds the second copy when both ends are mirrored */
    uint8_t recent_next;
    uint8_t last_dir;  /* direction of the latest packet (0 from the initiator) */
    uint8_t app_proto; /* enum ps_app_proto recognised (0 = none yet) */
    uint8_t app_state; /* src/app/applayer.c */
    uint8_t vis_tls;   /* src/app/visibility.c: what a TLS/QUIC handshake showed */
    uint8_t vis_hint;  /* src/app/visibility.c: what the first payload looked like */
    uint32_t app;      /* application parser slot + 1 (0 = none) */
    struct ps_flow_iv iv[2];
    struct ps_tcpseq tseq[2]; /* TCP sequence space seen, per direction */
    uint64_t missing[2];      /* TCP bytes never mirrored, per direction (at the end) */
};

/* Called for every flow that ends, and for every direction with traffic in
 * a finished aggregation interval. Both may be NULL. */
struct ps_flow_sink {
    void (*end)(void *ctx, struct ps_flow *f, enum ps_flow_end why); /* may finish f's counts */
    void (*interval)(void *ctx, const struct ps_flow *f, int dir, const struct ps_flow_iv *iv);
    void *ctx;
};

struct ps_flow_config {
    uint32_t capacity;                /* flows held at once */
    uint64_t timeout_s[PS_TC__COUNT]; /* idle timeouts per class, seconds */
    uint32_t interval_s;              /* flow log aggregation interval, seconds */
    bool evict_when_full;             /* else drop the packet and count */
    uint32_t dedup_window_ms;         /* second copies from another session within this are
                                         duplicates (0 = off) */
    bool deterministic;               /* flow ids count from 1 */
};

void ps_flow_config_default(struct ps_flow_config *cfg);

struct ps_flow_table {
    struct ps_flow *f; /* capacity + 1 entries; index 0 is the nil flow */
    uint32_t *bucket;  /* nbucket heads */
    uint32_t mask;     /* nbucket - 1 */
    uint32_t capacity;
    uint32_t fresh;     /* next never-used slot (capacity + 1 when none) */
    uint32_t free_head; /* freed slots, threaded through hnext */
    uint32_t used;
    uint32_t head[PS_TC__COUNT];
    uint32_t tail[PS_TC__COUNT];
    uint64_t timeout_us[PS_TC__COUNT];
    uint32_t interval_s;
    bool evict;
    uint64_t dedup_us;
    uint64_t seed;
    uint64_t next_id;
    uint64_t next_sweep_us; /* capture time of the next idle sweep */
    struct ps_counters *c;
    struct ps_flow_sink sink;
};

/* Allocate the whole table. Returns -1 on allocation failure. */
int ps_flow_table_init(struct ps_flow_table *t, const struct ps_flow_config *cfg, uint64_t seed,
                       struct ps_counters *c, struct ps_flow_sink sink);
void ps_flow_table_free(struct ps_flow_table *t);

/* Account a decoded packet with an IP layer to its flow, creating it when
 * new. `sess` is the packet's mirror session ref. Expires at most a few idle
 * flows first. Returns the flow, or NULL when the table was full and the
 * policy dropped it (counted in drop.flow.full). Packet path. */
struct ps_flow *ps_flow_update(struct ps_flow_table *t, const struct ps_pkt *p, uint32_t sess);

/* End flows idle at `now_us`, at most `max` of them (0 = no limit).
 * Returns true when it stopped at `max` with idle flows left. */
bool ps_flow_expire(struct ps_flow_table *t, uint64_t now_us, uint32_t max);

/* End every flow with reason shutdown (end of input). */
void ps_flow_flush(struct ps_flow_table *t);

/* Build the direction-free key of `p`; returns true if p's source is key.lo. */
bool ps_flow_key_make(const struct ps_pkt *p, struct ps_flow_key *k);

/* VPC Flow Logs tcp-flags value of one packet's flags (FIN 1, SYN 2, RST 4,
 * SYN-ACK 18; ACK and PSH alone are not logged). */
uint8_t ps_aws_tcp_flags(uint8_t th);

#endif
