/* SPDX-License-Identifier: BSD-2-Clause */
/* Traffic Mirroring semantics as AWS defines them, as a pure library (no
 * sockets): filters (ingress and egress rule lists, rule number order, first
 * match decides, accept or reject, protocol, CIDRs, port ranges for TCP and
 * UDP only, no rule = nothing mirrored, the amazon-dns network service),
 * sessions (session number priority, the first session whose filter accepts
 * mirrors the packet and only once, packet length, VNI, at most 3 per
 * source), targets, and the traffic AWS never mirrors. Loaded from the JSON
 * of `aws ec2 describe-traffic-mirror-{filters,sessions,targets}` or built
 * from periscope's own rule lines. Fixed capacities; nothing is allocated
 * after loading. Sources: ../shared/docs/aws-mirroring.md sections 1.6-2.4. */
#ifndef PS_MIRROR_FILTER_H
#define PS_MIRROR_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS_MF_MAX_RULES    10 /* rules per filter: an AWS hard quota */
#define PS_MF_MAX_FILTERS  64
#define PS_MF_MAX_SESSIONS 64
#define PS_MF_MAX_TARGETS  32
#define PS_MF_MAX_SOURCES  32
#define PS_MF_MAX_ADDRS    8 /* addresses of one target (an NLB's, or --target repeated) */
#define PS_MF_PER_SOURCE   3 /* sessions per source ENI: an AWS hard quota */
#define PS_MF_MAX_DNS      8
#define PS_MF_MAX_PKTLEN   8500 /* PacketLength 1..8500 */
#define PS_MF_MAX_SESSNUM  32766

enum ps_mdir { PS_MDIR_INGRESS = 0, PS_MDIR_EGRESS = 1 };

struct ps_mcidr {
    uint8_t ver; /* 4 or 6 */
    uint8_t prefix;
    uint8_t addr[16];
};

struct ps_mrule {
    uint32_t number;
    bool accept;
    int16_t proto; /* -1: any protocol */
    struct ps_mcidr src, dst;
    bool has_sport, has_dport;
    uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
};

struct ps_mfilter {
    char id[64];
    struct ps_mrule rule[2][PS_MF_MAX_RULES]; /* [enum ps_mdir], sorted by number */
    int nrule[2];
    bool amazon_dns;
};

struct ps_mtarget {
    char id[160];                    /* tmt-..., or the --target given on the command line */
    char alias[3][160];              /* its NetworkInterfaceId, NetworkLoadBalancerArn, vpce id */
    char addr[PS_MF_MAX_ADDRS][256]; /* HOST[:PORT] as given; resolved by the agent */
    int naddr;
};

struct ps_msession {
    char id[64];
    char eni[64];
    char filter_id[64];
    char target_id[160];
    int filter, target, source; /* indexes, set by ps_mconfig_finish */
    uint32_t number;
    uint32_t packet_length; /* 0: the whole packet */
    uint32_t vni;
    bool has_vni;
};

struct ps_msource {
    char eni[64];
    char ifname[64];
    int session[PS_MF_PER_SOURCE]; /* sorted by session number */
    int nsession;
};

struct ps_mconfig {
    struct ps_mfilter filter[PS_MF_MAX_FILTERS];
    int nfilter;
    struct ps_msession session[PS_MF_MAX_SESSIONS];
    int nsession;
    struct ps_mtarget target[PS_MF_MAX_TARGETS];
    int ntarget;
    struct ps_msource source[PS_MF_MAX_SOURCES];
    int nsource;
    struct ps_mcidr dns[PS_MF_MAX_DNS]; /* Amazon DNS resolver addresses (/32, /128) */
    int ndns;
    int unmapped; /* sessions whose ENI has no local interface (skipped) */
};

/* What AWS never mirrors [aws-mirroring.md 1.7]. */
enum ps_mnever {
    PS_MNEVER_NONE = 0,
    PS_MNEVER_ARP,
    PS_MNEVER_DHCP,
    PS_MNEVER_IMDS,
    PS_MNEVER_NTP,
    PS_MNEVER_WINACT,
    PS_MNEVER__COUNT
};

/* The fields of one frame that filters look at. */
struct ps_mpkt {
    bool ip;     /* IPv4 or IPv6 */
    uint8_t ver; /* 4 or 6 */
    uint8_t proto;
    uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
    uint16_t sport, dport;
    bool has_ports;  /* TCP or UDP with ports (not a non-first fragment) */
    uint8_t never;   /* enum ps_mnever */
    bool amazon_dns; /* DNS to or from an Amazon DNS address */
};

/* Why a frame was or was not mirrored (ps_mirror_decide). */
enum ps_mverdict {
    PS_MV_MIRROR = 0,
    PS_MV_NO_MATCH,   /* no session's filter accepted it (incl. no rules) */
    PS_MV_NEVER,      /* AWS never mirrors it (ARP, DHCP, IMDS, NTP, KMS) */
    PS_MV_AMAZON_DNS, /* Amazon DNS, and no session's filter has amazon-dns */
    PS_MV__COUNT
};

void ps_mconfig_init(struct ps_mconfig *c);

/* Load the JSON printed by describe-traffic-mirror-filters, -sessions and
 * -targets (len bytes of text). Return 0, or -1 with a message in err. */
int ps_mconfig_load_filters(struct ps_mconfig *c, const char *text, size_t len, char *err,
                            size_t errlen);
int ps_mconfig_load_sessions(struct ps_mconfig *c, const char *text, size_t len, char *err,
                             size_t errlen);
int ps_mconfig_load_targets(struct ps_mconfig *c, const char *text, size_t len, char *err,
                            size_t errlen);

/* Filter `id`, created empty when absent; NULL when full. */
struct ps_mfilter *ps_mconfig_filter(struct ps_mconfig *c, const char *id);

/* One rule in periscope's own words, the fields of the AWS rule:
 *   "ingress|egress NUMBER accept|reject [protocol N|tcp|udp|icmp|icmpv6|all]
 *    [source CIDR] [destination CIDR] [source-port LO[-HI]]
 *    [destination-port LO[-HI]]"
 * CIDRs default to 0.0.0.0/0 (or ::/0 when the other one is IPv6). */
int ps_mfilter_add_rule_text(struct ps_mfilter *f, const char *text, char *err, size_t errlen);

/* Add a session by hand (periscope's own config); number 1..32766, packet
 * length 0 (whole) or 1..8500. */
int ps_mconfig_add_session(struct ps_mconfig *c, const char *id, const char *eni,
                           const char *filter_id, const char *target_id, uint32_t number,
                           uint32_t packet_length, int64_t vni, char *err, size_t errlen);

/* Target `id` (created when absent); add an address HOST[:PORT]. */
int ps_mconfig_target_addr(struct ps_mconfig *c, const char *id, const char *addr, char *err,
                           size_t errlen);

/* "ENI=IFACE": the local interface for a source NetworkInterfaceId. */
int ps_mconfig_map(struct ps_mconfig *c, const char *spec, char *err, size_t errlen);

/* An Amazon DNS resolver address (169.254.169.253 and fd00:ec2::253 are
 * always in; add the VPC+2 address of the VPC). */
int ps_mconfig_add_dns(struct ps_mconfig *c, const char *addr, char *err, size_t errlen);

/* Link sessions to filters, targets and sources, check the quotas (3
 * sessions per source, unique session numbers per source, every target has
 * an address) and give a VNI to sessions without one. Sessions whose ENI is
 * not mapped are skipped and counted in c->unmapped. */
int ps_mconfig_finish(struct ps_mconfig *c, char *err, size_t errlen);

/* Parse an Ethernet frame (caplen bytes) into p. Returns 0, or -1 when it is
 * too short for its own headers (p->ip false, never mirrored by a rule). */
int ps_mpkt_parse(const struct ps_mconfig *c, const uint8_t *frame, uint32_t caplen,
                  struct ps_mpkt *p);

/* Filter verdict for a packet in a direction: true = accept (mirror). */
bool ps_mfilter_accepts(const struct ps_mfilter *f, enum ps_mdir dir, const struct ps_mpkt *p);

/* The session (index into c->session) that mirrors this packet of source
 * `source`, or -1 with the reason in *why. include_never: also mirror what
 * AWS never mirrors (then it goes through the filters like any packet; a
 * non-IP frame such as ARP goes to the source's first session). */
int ps_mirror_decide(const struct ps_mconfig *c, int source, enum ps_mdir dir,
                     const struct ps_mpkt *p, bool include_never, enum ps_mverdict *why);

/* Flow hash of the inner packet, the same for both directions: the 5-tuple
 * for TCP, UDP and ICMP, the 3-tuple for other IP protocols. */
uint32_t ps_mpkt_flow_hash(const struct ps_mpkt *p);

/* Outer UDP source port for that hash (49152..65535). */
static inline uint16_t ps_mirror_sport(uint32_t h)
{
    return (uint16_t)(49152u + (h % 16384u));
}

/* Parse "A.B.C.D[/N]" or "X::Y[/N]"; -1 when malformed. */
int ps_mcidr_parse(struct ps_mcidr *c, const char *s);

extern const char *const ps_mnever_name[PS_MNEVER__COUNT];
extern const char *const ps_mverdict_name[PS_MV__COUNT];

#endif
