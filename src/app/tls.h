/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS 1.0 to 1.3 handshake parser: records per direction, ClientHello,
 * ServerHello (HelloRetryRequest), Certificate (server and client),
 * CertificateRequest; JA3, JA3S and JA4 (the TLS client fingerprint only);
 * the leaf certificate's subject, issuer, serial, validity and SHA-1
 * fingerprint through OpenSSL; and the EVE "tls" object.
 *
 * spec: RFC 5246 (TLS 1.2), RFC 8446 (TLS 1.3), RFC 6066 (SNI), RFC 7301
 * (ALPN), RFC 8701 (GREASE), draft-ietf-tls-esni (ECH, extension 0xfe0d),
 * Salesforce JA3, FoxIO JA4 (BSD-3-Clause part only).
 *
 * Memory: everything lives in struct ps_tls (fixed size, strings inline with
 * caps). A handshake message that spans records is gathered into a
 * per-thread scratch buffer only once it is complete: records are left
 * unconsumed in the stream buffer (app.h) until then. A message that cannot
 * fit in PS_APP_BUF is counted and skipped. */
#ifndef PS_APP_TLS_H
#define PS_APP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "output/json.h"

#define PS_TLS_MAX_CIPHERS 128 /* JA3/JA4 lists beyond this are cut (flagged) */
#define PS_TLS_MAX_EXTS    64
#define PS_TLS_MAX_GROUPS  32
#define PS_TLS_MAX_PFMTS   8
#define PS_TLS_MAX_SIGALGS 40
#define PS_TLS_MAX_SEXTS   24
#define PS_TLS_SNI_MAX     256  /* bytes kept of the host name (DNS max 253) */
#define PS_TLS_ALPN_MAX    128  /* bytes of the client's ALPN list kept (u8 len + name) */
#define PS_TLS_SALPN_MAX   32   /* bytes of the server's chosen protocol */
#define PS_TLS_DN_MAX      320  /* subject / issuer text */
#define PS_TLS_SERIAL_MAX  100  /* "AB:CD:..." (33 bytes of serial) */
#define PS_TLS_FP_LEN      60   /* SHA-1 "aa:bb:..." 59 chars + NUL */
#define PS_TLS_JA3_MAX     2048 /* buffer a caller gives ps_tls_ja3() */

/* The leaf certificate of one side. */
struct ps_tls_cert {
    bool present;      /* a non-empty Certificate message was seen */
    bool parse_failed; /* the leaf did not parse as X.509 (OpenSSL) */
    uint16_t chain_len;
    uint16_t subject_len;
    uint16_t issuer_len;
    char subject[PS_TLS_DN_MAX]; /* "C=US, O=Let's Encrypt, CN=R3": not NUL-terminated */
    char issuer[PS_TLS_DN_MAX];
    char serial[PS_TLS_SERIAL_MAX];  /* upper-case hex bytes joined by ':', NUL-terminated */
    char fingerprint[PS_TLS_FP_LEN]; /* SHA-1 of the DER, lower-case hex with ':' */
    char notbefore[20];              /* "2016-11-16T00:00:00" UTC */
    char notafter[20];
};

/* What one connection's handshake showed. Lists keep wire order and at most
 * their cap; n_* count every value seen (JA4 counts use the full count). */
struct ps_tls_info {
    /* ClientHello */
    bool have_ch;
    bool lists_cut;          /* a list exceeded its cap: JA3/JA4 are approximate */
    bool sni_present;        /* server_name extension with a host_name */
    bool ech;                /* encrypted_client_hello (0xfe0d) offered */
    bool ch_ticket;          /* session_ticket extension carrying a ticket */
    bool ch_psk;             /* pre_shared_key offered */
    uint8_t ch_sid_len;      /* legacy session id length */
    uint8_t ch_sid[32];      /* legacy session id (to recognise a resumed one) */
    uint16_t ch_version;     /* legacy_version */
    uint16_t ch_max_version; /* highest non-GREASE supported_versions value, 0 if none */
    uint16_t n_ciphers, n_exts, n_groups, n_pfmts, n_sigalgs;
    uint16_t ciphers[PS_TLS_MAX_CIPHERS];
    uint16_t exts[PS_TLS_MAX_EXTS];
    uint16_t groups[PS_TLS_MAX_GROUPS];
    uint8_t pfmts[PS_TLS_MAX_PFMTS];
    uint16_t sigalgs[PS_TLS_MAX_SIGALGS];
    uint16_t sni_len;
    uint16_t alpn_len; /* bytes in alpn: the wire list (u8 length + name)* */
    uint8_t n_alpn;    /* protocols fully kept in alpn */
    char sni[PS_TLS_SNI_MAX];
    uint8_t alpn[PS_TLS_ALPN_MAX];
    /* ServerHello */
    bool have_sh;
    bool hrr;            /* a HelloRetryRequest was seen (the fields are the real ServerHello's) */
    bool sh_psk;         /* server accepted a PSK (TLS 1.3 resumption) */
    bool sid_resumed;    /* server echoed the client's non-empty session id (<= 1.2) */
    bool abbreviated;    /* <= 1.2: server ChangeCipherSpec without a Certificate */
    uint16_t sh_version; /* legacy_version */
    uint16_t version;    /* negotiated: supported_versions, else sh_version */
    uint16_t sh_cipher;
    uint16_t n_sexts;
    uint16_t sexts[PS_TLS_MAX_SEXTS];
    uint8_t salpn_len;
    char salpn[PS_TLS_SALPN_MAX];
    /* Certificates and mutual TLS */
    bool cert_requested;     /* CertificateRequest seen (<= 1.2) */
    bool client_cert_empty;  /* client answered with an empty Certificate */
    bool client_cert_hidden; /* TLS 1.3: any client certificate is encrypted */
    struct ps_tls_cert server_cert;
    struct ps_tls_cert client_cert;
};

/* Per direction record state. */
struct ps_tls_dir {
    uint32_t rec_left; /* payload bytes of the current record not consumed yet */
    uint32_t hs_skip;  /* handshake bytes still to skip (an oversize message) */
    uint8_t rec_type;  /* content type of the current record */
    bool ccs;          /* ChangeCipherSpec seen: later records are encrypted */
    bool appdata;      /* an application_data record was seen */
    bool alert;        /* an alert record was seen */
};

/* Per-flow state: 2816 bytes on x86-64. */
struct ps_tls {
    struct ps_tls_dir d[2];
    bool err;         /* not TLS, or a record layer beyond recovery */
    bool done;        /* handshake metadata complete: the rest is opaque */
    bool shd;         /* ServerHelloDone seen */
    bool hrr_pending; /* the last ServerHello was a HelloRetryRequest */
    uint32_t hellos;  /* ClientHello messages (more than one: HRR or renegotiation) */
    /* error counters, for the caller's global counters */
    uint32_t malformed; /* records or handshake messages that do not parse */
    uint32_t oversize;  /* handshake messages larger than PS_APP_BUF, skipped */
    uint32_t cert_fail; /* certificates OpenSSL could not parse */
    struct ps_tls_info info;
};

void ps_tls_init(struct ps_tls *t);

/* Feed `n` unconsumed, in-order bytes of direction `dir` (0 client, 1
 * server); returns how many were consumed (app.h). Packet path; no
 * allocation except OpenSSL's d2i_X509 once per certificate. */
size_t ps_tls_feed(struct ps_tls *t, int dir, const uint8_t *d, size_t n);

enum ps_app_status ps_tls_status(const struct ps_tls *t);

/* A TLS record header carrying the start of a ClientHello: for recognising
 * TLS on any port from the first client bytes (at least 6). */
bool ps_tls_probe(const uint8_t *d, size_t n);

/* Parse one complete ClientHello handshake message (type byte, 24-bit
 * length, body) into ti (for QUIC's CRYPTO frames too). Returns 0, or -1
 * when it does not parse (ti then holds what came before the fault). */
int ps_tls_client_hello(struct ps_tls_info *ti, const uint8_t *msg, size_t len);

/* JA3 string into str (cap >= PS_TLS_JA3_MAX for every case) and its MD5 in
 * lower-case hex into md5[33]. Returns false without a ClientHello. */
bool ps_tls_ja3(const struct ps_tls_info *ti, char *str, size_t cap, char md5[33]);
bool ps_tls_ja3s(const struct ps_tls_info *ti, char *str, size_t cap, char md5[33]);

/* JA4 ("t13d1516h2_8daaf6152771_e5627efa2ab1"), proto 't' or 'q'. out is
 * "" without a ClientHello. */
void ps_tls_ja4(const struct ps_tls_info *ti, char proto, char out[40]);

/* TLS 1.3 or one of its drafts (0x7fNN, 0xfb17, 0xfb1a). */
bool ps_tls_is13(uint16_t v);

/* Version the way Suricata names it: "TLSv1", "TLS 1.2", "TLS 1.3",
 * "TLS 1.3 draft-28", "SSLv3", or "0x%04x". */
void ps_tls_version_str(uint16_t v, char out[24]);

/* The "tls":{...} object in Suricata 7's EVE layout plus our own fields. */
void ps_tls_eve(struct ps_json *j, const struct ps_tls_info *ti);

#endif
