/* SPDX-License-Identifier: BSD-2-Clause */
/* icmp_tunnel: data carried in ICMP and ICMPv6 echo. Operating systems'
 * ping sends the same bytes in every request of a run (a timestamp, then a
 * fixed pattern) and the peer's kernel echoes them back unchanged; a tunnel
 * sends different bytes in every packet, answers with bytes of its own, and
 * often starts its payload with a tool's magic number. State per echo
 * conversation (requester, responder, identifier) in a fixed table; the
 * least recently seen entry of a probe window is evicted, and counted. */
#ifndef PS_DETECT_ICMP_TUNNEL_H
#define PS_DETECT_ICMP_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/packet.h"
#include "detect/alert.h"

struct ps_icmp_tunnel_config {
    uint32_t capacity;       /* conversations tracked at once (rounded up to a power of two) */
    uint32_t distinct;       /* distinct payloads no OS ping sends, in one conversation */
    uint32_t distinct_bytes; /* and the bytes they can carry (a pattern's period, data) */
    uint32_t volume;         /* bytes of such payloads (with at least 2 distinct ones) */
    uint32_t mismatches;     /* replies whose payload differs from their request's */
    uint32_t idle_s;         /* a conversation idle this long starts a new episode */
};

void ps_icmp_tunnel_config_default(struct ps_icmp_tunnel_config *c);
/* "key=value" from --icmp-tunnel; returns 0, or -1 for an unknown key or bad value. */
int ps_icmp_tunnel_config_set(struct ps_icmp_tunnel_config *c, const char *kv);

/* What an echo payload looks like. */
enum ps_ping_kind {
    PS_PING_EMPTY = 0, /* 16 bytes or fewer: nothing beyond a timestamp */
    PS_PING_UNIX,      /* timestamp, then bytes counting up from their offset (Linux, BSD, macOS) */
    PS_PING_WINDOWS,   /* "abcdefghijklmnopqrstuvw" repeated */
    PS_PING_ZERO,      /* zeros after an optional timestamp (busybox, nmap, fping) */
    PS_PING_PATTERN,   /* a pattern of at most 16 bytes repeated (ping -p) */
    PS_PING_OTHER,     /* anything else: data */
};

enum ps_ping_kind ps_icmp_payload_kind(const uint8_t *b, size_t n);
const char *ps_ping_kind_name(enum ps_ping_kind k);
/* The tunnel tool whose magic starts the payload, or NULL. */
const char *ps_icmp_tool_magic(const uint8_t *b, size_t n);

struct ps_icmp_tunnel;

struct ps_icmp_tunnel *ps_icmp_tunnel_new(const struct ps_icmp_tunnel_config *c, uint64_t seed,
                                          struct ps_counters *cnt, struct ps_alert_sink sink);
void ps_icmp_tunnel_free(struct ps_icmp_tunnel *t);

/* An ICMP (type 0/8) or ICMPv6 (128/129) echo; other packets are ignored. */
void ps_icmp_tunnel_packet(struct ps_icmp_tunnel *t, const struct ps_pkt *p);

#endif
