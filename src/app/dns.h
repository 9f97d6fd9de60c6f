/* SPDX-License-Identifier: BSD-2-Clause */
/* DNS message parser (RFC 1035, 3597, 6891, 9460), its EVE writer in
 * Suricata 7's "version 2" layout, a content probe, and the DNS-over-TCP
 * stream parser (2-byte length, then the message; app.h's contract).
 *
 * The parsed message has fixed capacity and holds no pointer into the
 * packet: names and rdata are rendered as text into an arena inside the
 * struct, referenced by 16-bit offsets, each NUL-terminated. Offset 0 is
 * always the empty string. Parsing resets counters only, never the arena.
 *
 * Text forms:
 *  - names: presentation form without the trailing dot ("" for the root);
 *    letters, digits and printable punctuation are kept, the specials
 *    . \ " ; ( ) @ $ inside a label are written \c, every other byte \DDD
 *    (as dig does), so a name is always printable ASCII.
 *  - A "1.2.3.4"; AAAA as Suricata writes it, eight groups of four hex
 *    digits; CNAME/NS/PTR/DNAME a name; MX "10 mx.example.com"; SOA
 *    "mname rname serial refresh retry expire minimum"; SRV "priority
 *    weight port target"; SSHFP "algo type hexfingerprint"; CAA 'flags tag
 *    "value"'; HTTPS/SVCB "priority target key[=value]..."; TXT the strings
 *    joined, NULL the bytes, both as Suricata renders bytes (valid UTF-8
 *    kept, otherwise bytes >= 0x80 as \xNN); any other type RFC 3597
 *    "\# len HEX".
 * Because a name never contains a raw space, the space-separated fields of
 * MX/SOA/SRV text can be split back unambiguously (ps_dns_eve does). */
#ifndef PS_APP_DNS_H
#define PS_APP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

struct ps_json;

#define PS_DNS_MAX_QD    4    /* questions kept */
#define PS_DNS_MAX_AN    32   /* answers kept */
#define PS_DNS_MAX_NS    16   /* authority records kept */
#define PS_DNS_MAX_AR    16   /* additional records kept (OPT excluded) */
#define PS_DNS_MAX_OPTS  8    /* EDNS option codes kept */
#define PS_DNS_ARENA     8192 /* text arena per message */
#define PS_DNS_TEXT_MAX  1100 /* longest single string (a 255-byte name all \DDD) */
#define PS_DNS_MAX_JUMPS 16   /* compression pointers followed per name */

/* Hard errors: parsing stops; what was parsed before stays valid. */
enum ps_dns_err {
    PS_DNS_OK = 0,
    PS_DNS_ERR_HEADER,     /* shorter than the 12-byte header */
    PS_DNS_ERR_NAME_TRUNC, /* a name runs past the end of the message */
    PS_DNS_ERR_PTR_LOOP,   /* self pointer or more than PS_DNS_MAX_JUMPS jumps */
    PS_DNS_ERR_PTR_RANGE,  /* compression pointer past the end of the message */
    PS_DNS_ERR_NAME_LONG,  /* uncompressed name longer than 255 bytes */
    PS_DNS_ERR_LABEL_TYPE, /* label type 0x40 or 0x80 (extended, obsolete) */
    PS_DNS_ERR_RR_TRUNC,   /* question or record header cut (counts lie) */
    PS_DNS_ERR_RDLEN,      /* rdata length past the end of the message */
    PS_DNS_ERR__COUNT
};

/* Soft anomalies (bits of ps_dns_msg.anomalies): parsing carried on. */
#define PS_DNS_ANOM_FWD_PTR   0x01u /* a pointer to a later offset (followed) */
#define PS_DNS_ANOM_RDATA     0x02u /* rdata malformed for its type (kept as \#) */
#define PS_DNS_ANOM_MULTI_OPT 0x04u /* more than one OPT record */
#define PS_DNS_ANOM_TRAILING  0x08u /* bytes after the last counted record */
#define PS_DNS_ANOM_TEXT      0x10u /* a string was cut (arena or PS_DNS_TEXT_MAX) */
#define PS_DNS_ANOM_OPCODE    0x20u /* opcode not assigned (3, 7..15) */

struct ps_dns_rr {
    uint16_t name;      /* arena offset of the owner name text */
    uint16_t name_len;  /* its text length */
    uint16_t name_wire; /* uncompressed wire length of the name (1..255) */
    uint8_t labels;     /* label count */
    uint8_t max_label;  /* longest label in bytes */
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;       /* 0 for questions */
    uint16_t rdlen;     /* rdata length on the wire (0 for questions) */
    uint16_t rdata;     /* arena offset of the rdata text */
    uint16_t rdata_len; /* its text length */
    uint16_t sub;       /* MX/SRV: offset in the rdata text of the target name */
    bool raw;           /* rdata malformed for its type: text is RFC 3597 */
    uint32_t num[5];    /* SOA serial..minimum; SRV prio, weight, port; MX
                           preference; SSHFP algo, type; CAA flags; SVCB prio */
};

struct ps_dns_edns {
    bool present;
    bool do_bit;
    uint8_t version;
    uint8_t ext_rcode; /* upper 8 bits of the 12-bit rcode */
    uint16_t udp_size;
    uint8_t nopts; /* option codes seen (may exceed the stored ones) */
    uint16_t opts[PS_DNS_MAX_OPTS];
};

struct ps_dns_msg {
    uint16_t id;
    uint16_t flags; /* the whole second header word */
    bool qr, aa, tc, rd, ra, z, ad, cd;
    uint8_t opcode;
    uint16_t rcode;                              /* header rcode | EDNS extended rcode << 4 */
    uint16_t qdcount, ancount, nscount, arcount; /* as stated in the header */
    uint8_t nqd, nan, nns, nar;                  /* records kept */
    uint16_t dropped;  /* records parsed but not kept (a cap was reached) */
    uint8_t anomalies; /* PS_DNS_ANOM_* */
    uint64_t tx_id;    /* set by the caller for the EVE record; parse keeps it */
    struct ps_dns_edns edns;
    struct ps_dns_rr qd[PS_DNS_MAX_QD];
    struct ps_dns_rr an[PS_DNS_MAX_AN];
    struct ps_dns_rr ns[PS_DNS_MAX_NS];
    struct ps_dns_rr ar[PS_DNS_MAX_AR];
    /* Owner names already rendered, by wire offset: an answer whose name
     * is a pointer to one of them shares its text (internal). */
    uint8_t ncache;
    struct {
        uint16_t off, name, name_len, name_wire;
        uint8_t labels, max_label;
    } cache[4];
    uint16_t arena_len;
    char arena[PS_DNS_ARENA];
};

/* Parse one message; 0 or a PS_DNS_ERR_* code. */
int ps_dns_parse(const uint8_t *msg, size_t len, struct ps_dns_msg *m);

/* The text at an arena offset (names and rdata of records). */
static inline const char *ps_dns_str(const struct ps_dns_msg *m, uint16_t off)
{
    return m->arena + off;
}

/* Counter-style name of an error ("name_trunc", ...); "ok" for 0. */
const char *ps_dns_err_name(int err);

/* Plausibly a DNS message? Header sanity, counts consistent with the
 * length, and the first question parses. For recognising DNS by content. */
bool ps_dns_probe(const uint8_t *d, size_t n);

/* The same for the first message of a TCP stream (2-byte length first);
 * only the bytes present are looked at. */
bool ps_dns_probe_tcp(const uint8_t *d, size_t n);

/* "A", "AAAA", ..., "TYPE65280" for types without a mnemonic. */
const char *ps_dns_type_name(uint16_t t, char buf[16]);

/* "NOERROR", "NXDOMAIN", ..., decimal for unassigned codes. */
const char *ps_dns_rcode_name(unsigned rcode, char buf[16]);

/* Write the "dns":{...} object in Suricata 7's EVE version 2 layout: a
 * query writes its first question (ps_dns_eve_query for the others), a
 * response the answer object. */
void ps_dns_eve(struct ps_json *j, const struct ps_dns_msg *m);
void ps_dns_eve_query(struct ps_json *j, const struct ps_dns_msg *m, unsigned qi);

/* DNS over TCP: per-flow state, both directions. */
struct ps_dns_tcp {
    uint32_t skip[2];   /* bytes still to skip of a message too large to buffer */
    uint64_t msgs;      /* messages parsed */
    uint64_t bad;       /* messages that failed to parse (or length 0) */
    uint64_t oversized; /* messages skipped: larger than PS_APP_BUF */
};

typedef void (*ps_dns_emit_fn)(void *ctx, int dir, const struct ps_dns_msg *m);

/* Consume whole length-prefixed messages from d[0..n) (direction dir),
 * parse each into *scratch and call emit for each one that parsed. Returns
 * the bytes consumed; the rest (a partial message) is to be offered again. */
size_t ps_dns_tcp_feed(struct ps_dns_tcp *st, int dir, const uint8_t *d, size_t n,
                       struct ps_dns_msg *scratch, ps_dns_emit_fn emit, void *ctx);

#endif
