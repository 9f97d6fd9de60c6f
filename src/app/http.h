/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP/1.x stream parser: request and response heads, bodies skipped
 * without buffering, pipelined requests paired with responses in order.
 * spec: RFC 9110 (semantics), RFC 9112 (HTTP/1.1 message syntax),
 *       RFC 9113 s3.4 (HTTP/2 prior knowledge), RFC 7230 s6.7 (Upgrade). */
#ifndef PS_APP_HTTP_H
#define PS_APP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

struct ps_json;

/* Requests waiting for their response; more are counted (pipe_overflow). */
#define PS_HTTP_PIPE 4
/* Header lines looked at per message; more are counted and ignored. */
#define PS_HTTP_MAX_HEADERS 128
/* Non-HTTP lines skipped between requests (a body sent without a length)
 * before the flow is given up. */
#define PS_HTTP_MAX_JUNK 8

/* A bounded copy of a field: `len` bytes of `s`, `trunc` when the value
 * was longer than the array (cut, not dropped). */
#define PS_HTTP_STR(name, cap) \
    struct {                   \
        uint16_t len;          \
        bool trunc;            \
        char s[cap];           \
    } name

enum ps_http_upgrade {
    PS_HTTP_UP_NONE = 0,
    PS_HTTP_UP_H2C,
    PS_HTTP_UP_WEBSOCKET,
    PS_HTTP_UP_OTHER,
};

/* The request side of a transaction. */
struct ps_http_req {
    PS_HTTP_STR(method, 24);
    PS_HTTP_STR(uri, 1024);
    PS_HTTP_STR(protocol, 16);
    PS_HTTP_STR(host, 256); /* authority of an absolute URI, else Host, without port */
    PS_HTTP_STR(user_agent, 256);
    PS_HTTP_STR(referer, 256);
    PS_HTTP_STR(xff, 64);
    PS_HTTP_STR(content_type, 64);
    int32_t port;            /* port named in Host (or the absolute URI), -1 when none */
    uint64_t content_length; /* valid when has_cl */
    bool has_cl;
    bool chunked;
    uint8_t upgrade; /* enum ps_http_upgrade asked for */
    bool is_head;
    bool is_connect;
};

/* The response side of a transaction. */
struct ps_http_resp {
    uint16_t status; /* 100..999 */
    PS_HTTP_STR(protocol, 16);
    PS_HTTP_STR(content_type, 128);
    PS_HTTP_STR(location, 256);
    PS_HTTP_STR(server, 128);
    uint64_t content_length; /* valid when has_cl */
    bool has_cl;
    bool chunked;
    uint8_t upgrade; /* enum ps_http_upgrade the 101 switched to */
};

/* What the emit callback gets: borrowed for the duration of the call. */
struct ps_http_tx {
    const struct ps_http_req *req;   /* NULL: a response whose request was not seen */
    const struct ps_http_resp *resp; /* NULL: a request that got no response */
    uint64_t body_len;               /* response body bytes seen, gaps included, as sent:
                                      * chunk framing counted up to the last-chunk
                                      * line, trailers not (Suricata's `length`) */
    bool body_complete;              /* the response body ended where its framing says */
};

typedef void (*ps_http_emit_fn)(void *ctx, const struct ps_http_tx *tx);

/* Error and anomaly counters kept in the state (the glue adds them up). */
struct ps_http_stats {
    uint32_t txs;            /* transactions emitted */
    uint32_t pipe_overflow;  /* requests not kept: the pipeline queue was full */
    uint32_t resp_unmatched; /* responses with no request to pair */
    uint32_t hdr_too_big;    /* header block larger than PS_APP_BUF: flow given up */
    uint32_t hdr_too_many;   /* header lines past PS_HTTP_MAX_HEADERS, ignored */
    uint32_t bad_start;      /* start line that is not HTTP */
    uint32_t bad_cl;         /* Content-Length invalid or conflicting */
    uint32_t te_and_cl;      /* both Transfer-Encoding and Content-Length (TE wins) */
    uint32_t bad_chunk;      /* chunk size line invalid */
    uint32_t gap_lost;       /* gap that could not be skipped: flow given up */
    uint32_t gap_skipped;    /* gap inside a body of known length, skipped */
    uint32_t truncated;      /* fields cut to their bound */
    uint32_t junk_lines;     /* non-HTTP lines skipped between requests */
};

/* Per-direction framing state. */
struct ps_http_dir {
    uint8_t st;         /* internal state */
    uint64_t remaining; /* bytes of body or chunk still to skip */
    uint64_t body_seen; /* body bytes of the current message (see body_len) */
    uint32_t scan;      /* bytes already searched for the end of a head */
};

struct ps_http {
    struct ps_http_dir d[2];
    struct ps_http_req q[PS_HTTP_PIPE]; /* pending requests, oldest at q_head */
    uint8_t q_drop[PS_HTTP_PIPE];       /* requests dropped just before each entry */
    uint8_t q_head;
    uint8_t q_len;
    uint32_t drop_tail;       /* dropped requests after the last queued one */
    struct ps_http_resp resp; /* the response being framed */
    bool resp_open;           /* resp holds a response head not emitted yet */
    bool resp_paired;         /* its request is q[q_head] (popped at emit) */
    uint8_t status;           /* enum ps_app_status */
    uint8_t proto;            /* PS_APP_HTTP, or PS_APP_HTTP2 once recognised */
    bool seen_req;            /* a valid request was seen: later junk is skipped */
    uint8_t junk;             /* junk lines skipped (at most PS_HTTP_MAX_JUNK) */
    struct ps_http_stats stats;
};

/* Reset a flow's state. Not on the packet path's hot loop (once per flow). */
void ps_http_init(struct ps_http *h);

/* Offer `n` in-order bytes of direction `dir` (0 client, 1 server) that
 * were not consumed yet; returns how many were consumed (app.h contract).
 * Emits each transaction through `emit` (may be NULL) when its response
 * body has ended, or at once for upgrades and CONNECT tunnels. Packet path;
 * no allocation. */
size_t ps_http_feed(struct ps_http *h, int dir, const uint8_t *d, size_t n, ps_http_emit_fn emit,
                    void *ctx);

/* `bytes` of direction `dir` were never seen. Inside a body of known length
 * they are skipped; anywhere else the flow is given up (status ERR). */
void ps_http_gap(struct ps_http *h, int dir, uint64_t bytes);

/* Flow end: emits the response still open (body until close) and every
 * request left without a response. */
void ps_http_flush(struct ps_http *h, ps_http_emit_fn emit, void *ctx);

enum ps_app_status ps_http_status(const struct ps_http *h);

/* True when `d` starts like an HTTP/1.x request (a known method, then a
 * space) or the HTTP/2 client preface. Needs at most 8 bytes; fewer bytes
 * that are a prefix of a method do not match. */
bool ps_http_probe(const uint8_t *d, size_t n);

/* True when `d` starts like a response ("HTTP/1."). */
bool ps_http_probe_response(const uint8_t *d, size_t n);

/* Write `"http":{...}` (Suricata 7's EVE layout) into an open object. */
void ps_http_eve(struct ps_json *j, const struct ps_http_tx *tx);

#endif
