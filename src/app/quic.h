/* SPDX-License-Identifier: BSD-2-Clause */
/* QUIC: long headers, Version Negotiation, and the Initial packets of v1,
 * v2 and drafts 23 to 32, decrypted with the keys every observer can derive
 * from the client's Destination Connection ID, to recover the TLS
 * ClientHello (and the server's chosen cipher from its ServerHello).
 * spec: RFC 9000 (QUIC), RFC 9001 (QUIC-TLS, s5 Initial secrets), RFC 9369
 * (QUIC v2), RFC 8999 (version-independent properties).
 *
 * One struct ps_quic per flow, fed one UDP payload at a time. It holds no
 * pointer into packet memory: CRYPTO data is copied into bounded buffers,
 * keys are derived once per connection and kept in the state. Decryption
 * uses OpenSSL contexts owned by the calling thread (made on first use). */
#ifndef PS_APP_QUIC_H
#define PS_APP_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "output/json.h"

#define PS_QUIC_V1      0x00000001u
#define PS_QUIC_V2      0x6b3343cfu
#define PS_QUIC_DRAFT29 0xff00001du

#define PS_QUIC_CID_MAX     20   /* RFC 9000 s17.2: at most 20 bytes in v1 */
#define PS_QUIC_CH_MAX      8192 /* ClientHello bytes kept; bigger ones are given up */
#define PS_QUIC_SH_MAX      2048 /* ServerHello bytes kept (a PQ key share is ~1.1 KiB) */
#define PS_QUIC_VN_MAX      8    /* versions kept from a Version Negotiation packet */
#define PS_QUIC_MIN_INITIAL 1200 /* RFC 9000 s14.1: client Initial datagrams */
#define PS_QUIC_REKEY_MAX   3    /* key derivations per flow after the first (Retry, VN, ...) */

/* Initial packet protection keys of one direction (RFC 9001 s5.1). */
struct ps_quic_keys {
    uint8_t key[16]; /* AES-128-GCM key */
    uint8_t iv[12];  /* AEAD IV, XORed with the packet number */
    uint8_t hp[16];  /* AES-128-ECB header protection key */
};

/* CRYPTO stream of one direction at the Initial level, reassembled by
 * offset; `have` marks the bytes received. */
struct ps_quic_crypto {
    uint32_t contig;  /* bytes present from offset 0 */
    uint32_t msg_len; /* handshake message length with its 4-byte header; 0 = not yet known */
    bool complete;    /* contig >= msg_len */
    bool given_up;    /* message larger than the buffer, or not the expected type */
};

struct ps_quic {
    uint32_t first_version; /* version of the first long header (0 = none yet) */
    uint32_t version;       /* version of the client's Initial (0 = none seen yet) */
    uint8_t dcid_len;       /* the client's Initial DCID: the key input */
    uint8_t dcid[PS_QUIC_CID_MAX];
    bool keys_ok[2]; /* keys[dir] derived for key_version[dir] and dcid */
    uint32_t key_version[2];
    struct ps_quic_keys keys[2];
    int64_t largest_pn[2]; /* largest Initial packet number per direction, -1 = none */

    bool seen_long;      /* a valid long-header packet was seen */
    bool short_seen;     /* a short-header (1-RTT) packet was seen */
    bool retry_seen;     /* the server sent a Retry */
    bool retry_pending;  /* ... and the client has not used its new DCID yet */
    uint8_t rekeys;      /* key inputs taken after the first (bounded) */
    bool handshake_seen; /* a Handshake packet was seen (the Initial phase is over) */
    uint8_t vn_count;    /* versions offered in Version Negotiation (kept) */
    uint32_t vn_versions[PS_QUIC_VN_MAX];
    uint16_t server_cipher; /* cipher suite of the ServerHello, 0 = not seen */
    uint64_t close_error;   /* error code of a CONNECTION_CLOSE in an Initial */
    bool close_seen;

    /* Counters (per flow; the caller may add them to its own). */
    uint32_t pkts_initial;    /* Initial packets that decrypted */
    uint32_t decrypt_failed;  /* Initial packets that did not decrypt */
    uint32_t unknown_version; /* long-header packets of a version we do not know */
    uint32_t malformed;       /* headers or frames that did not parse */
    uint32_t ch_oversize;     /* ClientHellos bigger than PS_QUIC_CH_MAX (given up) */

    struct ps_quic_crypto cs[2];         /* CRYPTO stream state, 0 = client, 1 = server */
    uint8_t ch[PS_QUIC_CH_MAX];          /* client CRYPTO bytes (the ClientHello) */
    uint8_t sh[PS_QUIC_SH_MAX];          /* server CRYPTO bytes (the ServerHello) */
    uint8_t ch_have[PS_QUIC_CH_MAX / 8]; /* bitmap of client bytes received */
    uint8_t sh_have[PS_QUIC_SH_MAX / 8];
};

/* Reset a flow's state. Not on the per-packet path (once per flow). */
void ps_quic_init(struct ps_quic *q);

/* Feed one UDP payload (`dir` 0 = client, 1 = server; `d` borrowed for the
 * call). Parses every coalesced packet, decrypts Initials until the
 * ClientHello is complete, records Version Negotiation. Returns
 * PS_APP_DONE when there is nothing more to learn (ClientHello complete and
 * the ServerHello, a Handshake or a short-header packet seen; or the
 * ClientHello given up), PS_APP_ERR while no packet of a known version or
 * Version Negotiation has been seen (not QUIC we can read), else
 * PS_APP_MORE. Packet path: at most one AES-GCM decryption per Initial. */
int ps_quic_feed(struct ps_quic *q, int dir, const uint8_t *d, size_t n);

/* True when `d` looks like the start of a QUIC conversation: a client
 * Initial of a known version with sane lengths in a datagram of at least
 * 1200 bytes, or a Version Negotiation packet. Reads at most the header. */
bool ps_quic_probe(const uint8_t *d, size_t n);

/* The complete ClientHello handshake message (type, 24-bit length, body),
 * borrowed from q, or NULL while incomplete. */
const uint8_t *ps_quic_client_hello(const struct ps_quic *q, size_t *len);

/* The QUIC-specific members of Suricata's "quic" object, written into an
 * object the caller has opened: "version" as Suricata prints it (lowercase
 * hex, "1" for v1, "6b3343cf" for v2), and when the server offered other
 * versions "version_negotiation": ["1", ...] (a periscope addition). */
void ps_quic_eve(struct ps_json *j, const struct ps_quic *q);

/* Initial keys of direction `dir` (0 = client "client in", 1 = server
 * "server in") for `version` and the client's original DCID. Returns 0, or
 * -1 for an unknown version or a crypto failure. Once per connection. */
int ps_quic_derive_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, int dir,
                        struct ps_quic_keys *k);

/* True for the versions whose Initials this module decrypts. */
bool ps_quic_version_known(uint32_t version);

/* Free the calling thread's OpenSSL contexts (at worker exit). */
void ps_quic_thread_cleanup(void);

#endif
