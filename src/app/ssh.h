/* SPDX-License-Identifier: BSD-2-Clause */
/* SSH stream parser: identification strings (banners) and the clear-text
 * SSH_MSG_KEXINIT of each side, with HASSH and HASSHServer.
 * spec: RFC 4253 s4.2 (banner), s6 (binary packet), s7.1 (KEXINIT);
 *       RFC 4251 s5 (name-list); HASSH (Salesforce): MD5 of
 *       "kex;enc;mac;comp" with the client-to-server lists for the client
 *       and the server-to-client lists for the server. */
#ifndef PS_APP_SSH_H
#define PS_APP_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

struct ps_json;

/* Bytes kept of each HASSH string; the hash covers the whole string. */
#define PS_SSH_HASSH_MAX 2048
/* Bytes kept of the banner's software version and comments. */
#define PS_SSH_SOFT_MAX 128
/* Non-banner lines a server may send first (RFC 4253 s4.2) before we stop. */
#define PS_SSH_MAX_PRELINES 32

struct ps_ssh_side {
    uint8_t st;       /* internal state */
    bool banner;      /* identification string seen */
    bool kexinit;     /* KEXINIT parsed: hassh valid */
    bool newkeys;     /* SSH_MSG_NEWKEYS seen: the rest is encrypted */
    bool trunc;       /* a field below was cut to its bound */
    uint8_t prelines; /* lines before the banner (server side) */
    uint32_t skip;    /* bytes of a packet still to skip */
    char proto[16];   /* protoversion, e.g. "2.0" or "1.99" */
    char software[PS_SSH_SOFT_MAX];
    char comments[PS_SSH_SOFT_MAX];
    char hassh_md5[33]; /* hex */
    uint16_t hassh_len;
    char hassh[PS_SSH_HASSH_MAX];
    uint16_t hostkey_len;
    char hostkey_algs[256]; /* server_host_key_algorithms, cut to the array */
    bool hostkey_trunc;     /* hostkey_algs was cut */
};

struct ps_ssh_stats {
    uint32_t bad_banner;  /* first line not an identification string */
    uint32_t bad_packet;  /* packet or padding length out of range */
    uint32_t bad_kexinit; /* KEXINIT whose name-lists do not fit its packet */
    uint32_t big_kexinit; /* KEXINIT larger than the stream buffer: skipped */
    uint32_t gap;         /* gaps before the metadata was complete */
};

struct ps_ssh {
    struct ps_ssh_side side[2]; /* 0 client, 1 server */
    uint8_t status;             /* enum ps_app_status */
    struct ps_ssh_stats stats;
};

/* Reset a flow's state. */
void ps_ssh_init(struct ps_ssh *s);

/* Offer `n` in-order unconsumed bytes of direction `dir` (0 client, 1
 * server); returns how many were consumed (app.h contract). Packet path;
 * no allocation after the first KEXINIT of a thread (its digest context). */
size_t ps_ssh_feed(struct ps_ssh *s, int dir, const uint8_t *d, size_t n);

/* `bytes` of direction `dir` were never seen: skipped when inside a packet
 * being skipped, else the direction stops (its metadata stays as it is). */
void ps_ssh_gap(struct ps_ssh *s, int dir, uint64_t bytes);

/* MORE; DONE once both KEXINITs were parsed, or both sides are encrypted
 * or cannot say more (SSH-1); ERR when the client's first line is not SSH. */
enum ps_app_status ps_ssh_status(const struct ps_ssh *s);

/* True when `d` starts with "SSH-" (needs 4 bytes). */
bool ps_ssh_probe(const uint8_t *d, size_t n);

/* Write `"ssh":{"client":{...},"server":{...}}` (Suricata 7's EVE layout)
 * into an open object. */
void ps_ssh_eve(struct ps_json *j, const struct ps_ssh *s);

#endif
