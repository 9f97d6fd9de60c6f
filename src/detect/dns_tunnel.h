/* SPDX-License-Identifier: BSD-2-Clause */
/* dns_tunnel: DNS tunnelling and exfiltration through query names.
 *
 * Scored per (client, registered domain, window) as Paxson et al. (USENIX
 * Security 2013) bound the information a client can move: the unique
 * subdomains it asks for under one registered domain and their compressed
 * size (zlib on a bounded buffer of the first-seen names), with the signs
 * that separate encoded data from a busy but ordinary domain (long labels,
 * the character entropy of the names, characters outside letters, digits
 * and hyphen, record types tunnels use, NXDOMAIN share). Registered domains
 * come from the public suffix list, loaded once at startup. PTR lookups and
 * names under .arpa are not scored (reverse lookups are unique by nature).
 *
 * The detector takes an observation (client, time, query name, type, rcode,
 * answers), so it does not depend on one DNS parser; ps_dns_tunnel_msg takes
 * the messages the application layer parsed (src/app/dns.c). Fixed tables: keys are
 * evicted least-recently-seen within a probe window, and counted. */
#ifndef PS_DETECT_DNS_TUNNEL_H
#define PS_DETECT_DNS_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/packet.h"
#include "detect/alert.h"

#define PS_PSL_DEFAULT_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

struct ps_dns_tunnel_config {
    uint32_t capacity;      /* (client, domain) keys at once (rounded up to a power of two) */
    uint32_t window_s;      /* scoring window */
    uint32_t min_unique;    /* unique subdomains in a window */
    uint32_t min_info;      /* compressed bytes of those subdomains in a window */
    uint32_t long_window_s; /* low-and-slow window */
    uint32_t long_info;     /* compressed bytes per long window */
    uint32_t min_signs;  /* signs of encoding needed (of long, entropy, charset, types, nxdomain) */
    uint32_t long_label; /* a label this long is a long label */
    uint32_t entropy_centibits; /* character entropy of the names, bits x 100 */
    uint32_t idle_s;            /* a key idle this long starts a new episode */
    const char *psl_path;       /* public suffix list; NULL or "" = last two labels */
};

void ps_dns_tunnel_config_default(struct ps_dns_tunnel_config *c);
/* "key=value" from --dns-tunnel; returns 0, or -1 for an unknown key or bad value. */
int ps_dns_tunnel_config_set(struct ps_dns_tunnel_config *c, const char *kv);

/* One DNS message, as any parser can give it. */
struct ps_dns_obs {
    uint64_t ts_us;
    uint8_t ipver;
    const uint8_t
        *client; /* 16 bytes: the querier (source of a query, destination of a response) */
    const uint8_t *server; /* 16 bytes */
    uint16_t client_port, server_port;
    const uint8_t *qname; /* labels joined by '.', no trailing dot, bytes as on the wire */
    size_t qname_len;
    uint16_t qtype;
    bool response;
    uint8_t rcode;
    uint16_t answers;
    uint32_t answer_bytes; /* message bytes after the question */
};

/* The public suffix list in a fixed table. */
struct ps_psl;
struct ps_psl *ps_psl_new(uint64_t seed);
void ps_psl_free(struct ps_psl *l);
/* Add the rules of a list in the publicsuffix.org format; returns rules added. */
size_t ps_psl_load_text(struct ps_psl *l, const char *text, size_t len);
int ps_psl_load_file(struct ps_psl *l, const char *path); /* rules added, or -1 */
/* Offset in name of its registered domain (public suffix plus one label);
 * 0 when the name is itself a registered domain or a public suffix. */
size_t ps_psl_registered(const struct ps_psl *l, const uint8_t *name, size_t len);

struct ps_dns_tunnel;

struct ps_dns_tunnel *ps_dns_tunnel_new(const struct ps_dns_tunnel_config *c, uint64_t seed,
                                        struct ps_counters *cnt, struct ps_alert_sink sink);
void ps_dns_tunnel_free(struct ps_dns_tunnel *t);

/* Score one message; p gives the alert its mirror context. */
void ps_dns_tunnel_observe(struct ps_dns_tunnel *t, const struct ps_dns_obs *o,
                           const struct ps_pkt *p);

/* A message the application layer's DNS parser (src/app/dns.h) parsed from
 * packet p (UDP or TCP): its first question is observed. The names are the
 * parser's presentation text (non-printing bytes escaped), which the
 * features take as they are. */
struct ps_dns_msg;
void ps_dns_tunnel_msg(struct ps_dns_tunnel *t, const struct ps_dns_msg *m, const struct ps_pkt *p);

#endif
