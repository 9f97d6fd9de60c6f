/* SPDX-License-Identifier: BSD-2-Clause */
/* Visibility of a flow: how much of it periscope could inspect (one class)
 * and what the mirror lost of it (flags). The application layer notes what
 * it learns as the flow goes (two bytes of struct ps_flow: vis_tls and
 * vis_hint); the outputs ask for the class and flags when the flow ends.
 *
 * Classes: cleartext (payload parsed: HTTP, DNS, ICMP), tls (metadata
 * only), tls-mutual (a client certificate was sent or requested, TLS <= 1.2),
 * tls-ech (encrypted ClientHello offered), quic, doh (TLS or QUIC to a known
 * resolver name or address, data/doh-resolvers.txt), dot (TLS on TCP 853),
 * doq (QUIC on UDP 853), ipsec (ESP, IKE on UDP 500/4500), wireguard,
 * openvpn, ssh, encrypted-unknown (unrecognised payload of high byte
 * entropy), unknown (unrecognised payload of low entropy), none (no payload).
 * Flags: truncated, one-sided, gaps, duplicated. */
#ifndef PS_APP_VISIBILITY_H
#define PS_APP_VISIBILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

struct ps_tls_info;

enum ps_vis_class {
    PS_VIS_NONE = 0,
    PS_VIS_CLEARTEXT,
    PS_VIS_TLS,
    PS_VIS_TLS_MUTUAL,
    PS_VIS_TLS_ECH,
    PS_VIS_QUIC,
    PS_VIS_DOH,
    PS_VIS_DOT,
    PS_VIS_DOQ,
    PS_VIS_IPSEC,
    PS_VIS_WIREGUARD,
    PS_VIS_OPENVPN,
    PS_VIS_SSH,
    PS_VIS_ENCRYPTED_UNKNOWN,
    PS_VIS_UNKNOWN,
    PS_VIS__COUNT
};

enum {
    PS_VIS_F_TRUNCATED = 1,
    PS_VIS_F_ONE_SIDED = 2,
    PS_VIS_F_GAPS = 4,
    PS_VIS_F_DUPLICATED = 8,
    PS_VIS_F__COUNT = 4
};

/* ps_flow.vis_hint: what the first payload of a flow looked like. */
enum {
    PS_VIS_H_NONE = 0, /* no payload seen */
    PS_VIS_H_LOW,      /* low byte entropy, no known protocol */
    PS_VIS_H_HIGH,     /* high byte entropy, no known protocol */
    PS_VIS_H_WIREGUARD,
    PS_VIS_H_OPENVPN,
    PS_VIS_H_IKE,
};

/* The first payload of flow f (direction dir): protocol patterns and a
 * byte-entropy estimate, kept in f->vis_hint. Once per flow. */
void ps_vis_note_payload(struct ps_flow *f, int dir, const uint8_t *d, size_t n);

/* A TLS or QUIC handshake's metadata: ECH, client certificate, DoH name. */
void ps_vis_note_tls(struct ps_flow *f, const struct ps_tls_info *ti);

/* Shannon entropy of d[0..n) in bits per byte, times 1000 (0..8000). */
uint32_t ps_vis_entropy_milli(const uint8_t *d, size_t n);

/* Is `host` (length n) a known DoH resolver name? Is the address one? */
bool ps_vis_doh_name(const char *host, size_t n);
bool ps_vis_doh_addr(uint8_t ipver, const uint8_t *a);

enum ps_vis_class ps_vis_class(const struct ps_flow *f);
unsigned ps_vis_flags(const struct ps_flow *f);
const char *ps_vis_class_name(enum ps_vis_class c);
/* Name of flag bit i (0..PS_VIS_F__COUNT-1). */
const char *ps_vis_flag_name(unsigned i);
/* "truncated,gaps": the flags joined by commas (empty when none). */
const char *ps_vis_flags_str(unsigned flags, char out[64]);

/* The compiled-in resolver list, one "name X" / "suffix .X" / "addr A"
 * entry per index; NULL past the end (the unit test compares it with
 * data/doh-resolvers.txt). */
const char *ps_vis_doh_entry(size_t i);

#endif
