/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP/1.x stream parser.
 * spec: RFC 9112 s2-s7 (message syntax and framing), RFC 9110 s7.8 and
 *       s15.2.2 (Upgrade, 101), RFC 9110 s9.3.6 (CONNECT), RFC 9113 s3.4.
 *
 *   HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
 *   request-line = method SP request-target SP HTTP-version
 *   status-line  = HTTP-version SP status-code SP [ reason-phrase ]
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk   = 1*"0" [ chunk-ext ] CRLF, then trailer-section CRLF
 *
 * A message head is parsed once it is whole (the contract lets us leave
 * its bytes unconsumed); bodies are counted and skipped, never buffered.
 * RFC 9112 s2.2 lets a recipient accept a bare LF as a line terminator and
 * ignore empty lines before a request-line: both are accepted here. */
#include "app/http.h"

#include <string.h>

#include "core/rd.h"
#include "output/json.h"

enum {
    ST_HEAD = 0,   /* waiting for a whole message head */
    ST_BODY_CL,    /* skipping `remaining` body bytes */
    ST_CHUNK_SIZE, /* waiting for a chunk-size line */
    ST_CHUNK_DATA, /* skipping `remaining` chunk bytes */
    ST_CHUNK_CRLF, /* the CRLF after chunk data */
    ST_TRAILERS,   /* trailer section after the last chunk */
    ST_BODY_CLOSE, /* response body delimited by the connection's close */
    ST_WAIT,       /* request side after CONNECT/Upgrade: waits for the response */
    ST_STOP,       /* nothing more to parse in this direction */
};

/* A chunk-size line longer than this is not a chunk-size line. */
#define CHUNK_LINE_MAX 1024

/* Methods recognised by the probe (RFC 9110 s9, RFC 5789, RFC 4918). */
static const char *const methods[] = {
    "GET",      "POST",      "HEAD",  "PUT",  "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE",   "LOCK",    "UNLOCK",  "PRI",
};

void ps_http_init(struct ps_http *h)
{
    memset(h, 0, sizeof(*h));
    h->proto = PS_APP_HTTP;
    h->status = PS_APP_MORE;
}

enum ps_app_status ps_http_status(const struct ps_http *h)
{
    return (enum ps_app_status)h->status;
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* RFC 9110 s5.6.2: tchar. */
static bool tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const uint8_t *a, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != (uint8_t)lit[i])
            return false;
    return true;
}

static bool starts(const uint8_t *d, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n >= m && memcmp(d, lit, m) == 0;
}

bool ps_http_probe(const uint8_t *d, size_t n)
{
    if (starts(d, n, "PRI * HTTP/2.0"))
        return true;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t m = strlen(methods[i]);
        if (n > m && memcmp(d, methods[i], m) == 0 && d[m] == ' ')
            return true;
    }
    return false;
}

bool ps_http_probe_response(const uint8_t *d, size_t n)
{
    return starts(d, n, "HTTP/1.");
}

/* Copy a field value into its bounded slot. */
static void put(struct ps_http *h, char *dst, size_t cap, uint16_t *len, bool *trunc,
                const uint8_t *s, size_t n)
{
    *trunc = n > cap;
    if (*trunc) {
        n = cap;
        h->stats.truncated++;
    }
    memcpy(dst, s, n);
    *len = (uint16_t)n;
}

#define PUT(h, f, src, n) put((h), (f).s, sizeof((f).s), &(f).len, &(f).trunc, (src), (n))

/* Strip optional whitespace at both ends (RFC 9110 s5.5 OWS). */
static void trim(const uint8_t **s, size_t *n)
{
    while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

/* Content-Length (RFC 9112 s6.3 rule 5): digits only; a repeated header or
 * a comma list must carry one value. Returns false when invalid. */
static bool parse_cl(const uint8_t *s, size_t n, bool *has, uint64_t *out)
{
    size_t i = 0;
    while (i < n) {
        uint64_t v = 0;
        size_t digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > (UINT64_MAX - 9) / 10)
                return false;
            v = v * 10 + (uint64_t)(s[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || (*has && *out != v))
            return false;
        *has = true;
        *out = v;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < n && s[i] != ',')
            return false;
        i++;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
    }
    return *has;
}

/* Transfer-Encoding: chunked only when it is the final coding (s6.3 rule 4). */
static bool te_chunked(const uint8_t *s, size_t n)
{
    size_t end = n, start = n;
    while (start > 0 && s[start - 1] != ',')
        start--;
    const uint8_t *t = s + start;
    size_t m = end - start;
    trim(&t, &m);
    return ieq(t, m, "chunked");
}

static uint8_t upgrade_kind(const uint8_t *s, size_t n)
{
    /* The first protocol named decides (RFC 9110 s7.8: in preference order). */
    size_t m = 0;
    while (m < n && s[m] != ',' && s[m] != '/' && s[m] != ' ')
        m++;
    if (ieq(s, m, "h2c"))
        return PS_HTTP_UP_H2C;
    if (ieq(s, m, "websocket"))
        return PS_HTTP_UP_WEBSOCKET;
    return n ? PS_HTTP_UP_OTHER : PS_HTTP_UP_NONE;
}

/* Host (RFC 9110 s7.2): uri-host [ ":" port ], an IPv6 literal in brackets.
 * The host is kept in lower case (it is case-insensitive), brackets kept. */
static void set_host(struct ps_http *h, struct ps_http_req *r, const uint8_t *s, size_t n)
{
    size_t hn = n;
    const uint8_t *colon = NULL;
    if (n > 0 && s[0] == '[') {
        const uint8_t *rb = memchr(s, ']', n);
        if (rb) {
            hn = (size_t)(rb - s) + 1;
            if (hn < n && s[hn] == ':')
                colon = s + hn;
        }
    } else {
        colon = memchr(s, ':', n);
        if (colon)
            hn = (size_t)(colon - s);
    }
    PUT(h, r->host, s, hn);
    for (size_t i = 0; i < r->host.len; i++)
        r->host.s[i] = (char)lower((uint8_t)r->host.s[i]);
    r->port = -1;
    if (colon) {
        size_t i = (size_t)(colon - s) + 1;
        int32_t p = 0;
        size_t digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 6) {
            p = p * 10 + (s[i] - '0');
            i++;
            digits++;
        }
        if (digits > 0 && i == n && p <= 65535)
            r->port = p;
    }
}

/* One head line: [s, s+n) without its line terminator. */
struct line {
    const uint8_t *s;
    size_t n;
};

/* Next line of a head reader, its CR stripped. */
static bool next_line(struct ps_rd *r, struct line *l)
{
    if (r->left == 0)
        return false;
    const uint8_t *nl = memchr(r->p, '\n', r->left);
    size_t n = nl ? (size_t)(nl - r->p) : r->left;
    l->s = ps_rd_bytes(r, n);
    l->n = n;
    if (nl)
        ps_rd_skip(r, 1);
    if (l->n > 0 && l->s[l->n - 1] == '\r')
        l->n--;
    return true;
}

/* Split "name: value"; false for a line that is not a field line. */
static bool split_field(const struct line *l, struct line *name, struct line *val)
{
    const uint8_t *c = memchr(l->s, ':', l->n);
    if (!c || c == l->s)
        return false;
    name->s = l->s;
    name->n = (size_t)(c - l->s);
    for (size_t i = 0; i < name->n; i++)
        if (!tchar(name->s[i]))
            return false; /* RFC 9112 s5.1: no whitespace before the colon */
    val->s = c + 1;
    val->n = l->n - name->n - 1;
    trim(&val->s, &val->n);
    return true;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 s2.3). */
static bool is_version(const uint8_t *s, size_t n)
{
    return n == 8 && memcmp(s, "HTTP/", 5) == 0 && s[5] >= '0' && s[5] <= '9' && s[6] == '.' &&
           s[7] >= '0' && s[7] <= '9';
}

/* Cut a line at its next SP; returns the token before it. */
static struct line token(struct line *l)
{
    struct line t = {l->s, 0};
    while (t.n < l->n && l->s[t.n] != ' ')
        t.n++;
    size_t skip = t.n < l->n ? t.n + 1 : t.n;
    l->s += skip;
    l->n -= skip;
    return t;
}

static void give_up(struct ps_http *h)
{
    h->status = PS_APP_ERR;
    h->d[0].st = h->d[1].st = ST_STOP;
}

/* The request slot new requests go into, or NULL when the queue is full. */
static struct ps_http_req *q_tail(struct ps_http *h)
{
    if (h->q_len == PS_HTTP_PIPE)
        return NULL;
    return &h->q[(h->q_head + h->q_len) % PS_HTTP_PIPE];
}

static void q_pop(struct ps_http *h)
{
    h->q_drop[h->q_head] = 0;
    h->q_head = (uint8_t)((h->q_head + 1) % PS_HTTP_PIPE);
    h->q_len--;
}

static void emit_tx(struct ps_http *h, ps_http_emit_fn emit, void *ctx,
                    const struct ps_http_req *rq, const struct ps_http_resp *rs, bool complete)
{
    struct ps_http_tx tx = {rq, rs, rs ? h->d[1].body_seen : 0, complete};
    h->stats.txs++;
    if (emit)
        emit(ctx, &tx);
}

/* The response message ended (or the flow did): emit and pop its request. */
static void resp_end(struct ps_http *h, ps_http_emit_fn emit, void *ctx, bool complete)
{
    if (!h->resp_open)
        return;
    emit_tx(h, emit, ctx, h->resp_paired ? &h->q[h->q_head] : NULL, &h->resp, complete);
    if (h->resp_paired)
        q_pop(h);
    h->resp_open = false;
    h->resp_paired = false;
}

/* A message's body ended in direction `dir`. */
static void msg_end(struct ps_http *h, int dir, ps_http_emit_fn emit, void *ctx)
{
    h->d[dir].st = ST_HEAD;
    h->d[dir].remaining = 0;
    if (dir == 1)
        resp_end(h, emit, ctx, true);
}

/* Set the framing of a body after its head. `close_ok`: a body without
 * length runs to the close (responses); requests have none (s6.3 rule 7). */
static void frame_body(struct ps_http *h, int dir, bool chunked, bool has_cl, uint64_t cl, bool te,
                       bool close_ok)
{
    struct ps_http_dir *dd = &h->d[dir];
    dd->body_seen = 0;
    dd->remaining = 0;
    if (chunked)
        dd->st = ST_CHUNK_SIZE;
    else if (te && close_ok)
        dd->st = ST_BODY_CLOSE; /* rule 4: a coding other than chunked, last */
    else if (te)
        give_up(h); /* rule 4: a request so framed cannot be delimited */
    else if (has_cl && cl > 0) {
        dd->st = ST_BODY_CL;
        dd->remaining = cl;
    } else if (!has_cl && close_ok)
        dd->st = ST_BODY_CLOSE;
    else
        dd->st = ST_HEAD;
}

/* Find the end of a head: the empty line ("\r\n\r\n" or "\n\n", mixed
 * forms too). Returns its length, or 0 when not there yet. */
static size_t head_end(struct ps_http_dir *dd, const uint8_t *d, size_t n)
{
    size_t i = dd->scan > 2 ? dd->scan - 2 : 0;
    for (; i < n; i++) {
        if (d[i] != '\n')
            continue;
        if (i + 1 < n && d[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && d[i + 1] == '\r' && d[i + 2] == '\n')
            return i + 3;
    }
    dd->scan = (uint32_t)(n < UINT32_MAX ? n : UINT32_MAX);
    return 0;
}

static bool parse_request(struct ps_http *h, const uint8_t *d, size_t n)
{
    struct ps_rd r = ps_rd_init(d, n);
    struct line l, name, val;
    next_line(&r, &l);
    struct line m = token(&l);
    struct line uri = token(&l);
    struct line ver = l;
    if (m.n == 3 && memcmp(m.s, "PRI", 3) == 0 && ver.n == 8 && memcmp(ver.s, "HTTP/2.0", 8) == 0) {
        h->proto = PS_APP_HTTP2; /* RFC 9113 s3.4: the preface, prior knowledge */
        h->status = PS_APP_DONE;
        return true;
    }
    if (m.n == 0 || uri.n == 0 || !is_version(ver.s, ver.n)) {
        h->stats.bad_start++;
        return false;
    }
    for (size_t i = 0; i < m.n; i++)
        if (!tchar(m.s[i])) {
            h->stats.bad_start++;
            return false;
        }

    struct ps_http_req tmp, *rq = q_tail(h);
    if (!rq)
        rq = &tmp; /* parsed for framing, then dropped */
    memset(rq, 0, sizeof(*rq));
    rq->port = -1;
    PUT(h, rq->method, m.s, m.n);
    PUT(h, rq->uri, uri.s, uri.n);
    PUT(h, rq->protocol, ver.s, ver.n);
    rq->is_head = m.n == 4 && memcmp(m.s, "HEAD", 4) == 0;
    rq->is_connect = m.n == 7 && memcmp(m.s, "CONNECT", 7) == 0;

    /* absolute-form (RFC 9112 s3.2.2): the authority in the URI wins. */
    bool abs_host = false;
    if (rq->is_connect) {
        /* authority-form (s3.2.3): the target is host:port. */
        set_host(h, rq, uri.s, uri.n);
        abs_host = true;
    } else if (uri.n > 7 &&
               (ieq(uri.s, 7, "http://") || (uri.n > 8 && ieq(uri.s, 8, "https://")))) {
        size_t a = uri.s[4] == ':' ? 7 : 8, e = a;
        while (e < uri.n && uri.s[e] != '/' && uri.s[e] != '?' && uri.s[e] != '#')
            e++;
        const uint8_t *at = memchr(uri.s + a, '@', e - a);
        if (at)
            a = (size_t)(at - uri.s) + 1;
        set_host(h, rq, uri.s + a, e - a);
        abs_host = true;
    }

    bool bad_cl = false, te = false;
    int nh = 0;
    while (next_line(&r, &l)) {
        if (l.n == 0)
            break;
        if (++nh > PS_HTTP_MAX_HEADERS) {
            h->stats.hdr_too_many++;
            break;
        }
        if (!split_field(&l, &name, &val))
            continue; /* obs-fold or junk: ignored (s5.2 allows replacing by SP) */
        if (ieq(name.s, name.n, "host")) {
            if (!abs_host)
                set_host(h, rq, val.s, val.n);
        } else if (ieq(name.s, name.n, "user-agent"))
            PUT(h, rq->user_agent, val.s, val.n);
        else if (ieq(name.s, name.n, "referer"))
            PUT(h, rq->referer, val.s, val.n);
        else if (ieq(name.s, name.n, "x-forwarded-for"))
            PUT(h, rq->xff, val.s, val.n);
        else if (ieq(name.s, name.n, "content-type"))
            PUT(h, rq->content_type, val.s, val.n);
        else if (ieq(name.s, name.n, "content-length"))
            bad_cl |= !parse_cl(val.s, val.n, &rq->has_cl, &rq->content_length);
        else if (ieq(name.s, name.n, "transfer-encoding")) {
            te = true;
            rq->chunked = te_chunked(val.s, val.n);
        } else if (ieq(name.s, name.n, "upgrade"))
            rq->upgrade = upgrade_kind(val.s, val.n);
    }
    if (te && rq->has_cl)
        h->stats.te_and_cl++;
    if (bad_cl && !te) {
        /* RFC 9112 s6.3 rule 6: unrecoverable framing error. */
        h->stats.bad_cl++;
        give_up(h);
        return true;
    }
    bool is_connect = rq->is_connect, upgrade = rq->upgrade != PS_HTTP_UP_NONE;
    bool chunked = rq->chunked, has_cl = rq->has_cl;
    uint64_t cl = rq->content_length;
    if (rq == &tmp) {
        h->stats.pipe_overflow++;
        h->drop_tail++;
    } else {
        h->q_drop[(h->q_head + h->q_len) % PS_HTTP_PIPE] =
            (uint8_t)(h->drop_tail > 255 ? 255 : h->drop_tail);
        h->drop_tail = 0;
        h->q_len++;
    }
    frame_body(h, 0, chunked, has_cl && !te, cl, te, false);
    /* The bytes after CONNECT or an Upgrade belong to another protocol if
     * the server agrees: wait for its answer (RFC 9110 s9.3.6, s7.8). */
    if (h->d[0].st == ST_HEAD && (is_connect || upgrade))
        h->d[0].st = ST_WAIT;
    return true;
}

/* Pair a new response head with the oldest request waiting (in order). */
static void pair_response(struct ps_http *h)
{
    h->resp_paired = false;
    if (h->q_len > 0 && h->q_drop[h->q_head] > 0) {
        h->q_drop[h->q_head]--;
    } else if (h->q_len > 0) {
        h->resp_paired = true;
    } else if (h->drop_tail > 0) {
        h->drop_tail--;
    } else {
        h->stats.resp_unmatched++;
    }
}

static bool parse_response(struct ps_http *h, const uint8_t *d, size_t n, ps_http_emit_fn emit,
                           void *ctx)
{
    struct ps_rd r = ps_rd_init(d, n);
    struct line l, name, val;
    next_line(&r, &l);
    struct line ver = token(&l);
    struct line code = token(&l);
    if (!is_version(ver.s, ver.n) || code.n != 3 || code.s[0] < '1' || code.s[0] > '9' ||
        code.s[1] < '0' || code.s[1] > '9' || code.s[2] < '0' || code.s[2] > '9') {
        h->stats.bad_start++;
        return false;
    }
    struct ps_http_resp *rs = &h->resp;
    memset(rs, 0, sizeof(*rs));
    rs->status = (uint16_t)((code.s[0] - '0') * 100 + (code.s[1] - '0') * 10 + (code.s[2] - '0'));
    PUT(h, rs->protocol, ver.s, ver.n);

    bool bad_cl = false, te = false;
    int nh = 0;
    while (next_line(&r, &l)) {
        if (l.n == 0)
            break;
        if (++nh > PS_HTTP_MAX_HEADERS) {
            h->stats.hdr_too_many++;
            break;
        }
        if (!split_field(&l, &name, &val))
            continue;
        if (ieq(name.s, name.n, "content-type"))
            PUT(h, rs->content_type, val.s, val.n);
        else if (ieq(name.s, name.n, "location"))
            PUT(h, rs->location, val.s, val.n);
        else if (ieq(name.s, name.n, "server"))
            PUT(h, rs->server, val.s, val.n);
        else if (ieq(name.s, name.n, "content-length"))
            bad_cl |= !parse_cl(val.s, val.n, &rs->has_cl, &rs->content_length);
        else if (ieq(name.s, name.n, "transfer-encoding")) {
            te = true;
            rs->chunked = te_chunked(val.s, val.n);
        } else if (ieq(name.s, name.n, "upgrade"))
            rs->upgrade = upgrade_kind(val.s, val.n);
    }
    if (te && rs->has_cl)
        h->stats.te_and_cl++;

    /* 1xx other than 101 are interim: the final response is still to come
     * and keeps the request (RFC 9110 s15.2). */
    if (rs->status < 200 && rs->status != 101)
        return true;

    pair_response(h);
    h->resp_open = true;
    const struct ps_http_req *rq = h->resp_paired ? &h->q[h->q_head] : NULL;
    bool ok2xx = rs->status >= 200 && rs->status < 300;
    if (rs->status == 101 || (rq && rq->is_connect && ok2xx)) {
        /* The connection now carries another protocol: log and stop. */
        if (rs->status == 101 &&
            (rs->upgrade == PS_HTTP_UP_H2C ||
             (rs->upgrade == PS_HTTP_UP_NONE && rq && rq->upgrade == PS_HTTP_UP_H2C)))
            h->proto = PS_APP_HTTP2;
        h->d[1].body_seen = 0;
        resp_end(h, emit, ctx, true);
        h->status = PS_APP_DONE;
        return true;
    }
    if (h->d[0].st == ST_WAIT)
        h->d[0].st = ST_HEAD; /* the server declined the upgrade */
    if (bad_cl && !te) {
        h->stats.bad_cl++;
        give_up(h);
        return true;
    }
    /* RFC 9112 s6.3 rules 1-2: no body after HEAD, 1xx, 204, 304. */
    bool nobody = (rq && rq->is_head) || rs->status == 204 || rs->status == 304;
    if (nobody)
        frame_body(h, 1, false, false, 0, false, false);
    else
        frame_body(h, 1, rs->chunked, rs->has_cl && !te, rs->content_length, te, true);
    if (h->d[1].st == ST_HEAD)
        resp_end(h, emit, ctx, true);
    return true;
}

/* Chunk-size line: 1*HEXDIG [ chunk-ext ] CRLF (RFC 9112 s7.1). Returns
 * bytes consumed, 0 to wait for more (or after giving up). */
static size_t chunk_size(struct ps_http *h, struct ps_http_dir *dd, const uint8_t *d, size_t n)
{
    const uint8_t *nl = memchr(d, '\n', n < CHUNK_LINE_MAX ? n : CHUNK_LINE_MAX);
    if (!nl) {
        if (n >= CHUNK_LINE_MAX) {
            h->stats.bad_chunk++;
            give_up(h);
        }
        return 0;
    }
    size_t len = (size_t)(nl - d), i = 0;
    uint64_t v = 0;
    for (; i < len; i++) {
        uint8_t c = lower(d[i]);
        int x = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (x < 0)
            break;
        if (v >> 60) {
            h->stats.bad_chunk++; /* 2^64 bytes or more */
            give_up(h);
            return 0;
        }
        v = (v << 4) | (uint64_t)x;
    }
    if (i == 0 || (i < len && d[i] != ';' && d[i] != ' ' && d[i] != '\t' && d[i] != '\r')) {
        h->stats.bad_chunk++;
        give_up(h);
        return 0;
    }
    dd->remaining = v;
    dd->st = v ? ST_CHUNK_DATA : ST_TRAILERS;
    dd->body_seen += len + 1;
    return len + 1;
}

/* Skip up to `remaining` body bytes. */
static size_t skip_body(struct ps_http_dir *dd, size_t n)
{
    size_t k = dd->remaining < n ? (size_t)dd->remaining : n;
    dd->remaining -= k;
    dd->body_seen += k;
    return k;
}

/* After a valid request, a line that is not one (a POST body sent without
 * Content-Length, as some clients do) is skipped, a few times: the server
 * answers it with an error that is then emitted without a request. */
static bool skip_junk(struct ps_http *h, int dir)
{
    if (dir != 0 || !h->seen_req || h->junk >= PS_HTTP_MAX_JUNK)
        return false;
    h->junk++;
    h->stats.junk_lines++;
    return true;
}

/* A whole head is in [d, d+n): parse it as a request or a response. */
static void head(struct ps_http *h, int dir, const uint8_t *d, size_t n, ps_http_emit_fn emit,
                 void *ctx)
{
    bool ok = dir == 0 ? parse_request(h, d, n) : parse_response(h, d, n, emit, ctx);
    if (ok && dir == 0)
        h->seen_req = true;
    else if (!ok && !skip_junk(h, dir))
        give_up(h);
}

/* Garbage detection before a head is whole: the first bytes must be able
 * to start a request-line (a method token, then SP) or a status-line. */
static bool start_plausible(int dir, const uint8_t *d, size_t n)
{
    if (dir == 1) {
        size_t m = n < 5 ? n : 5;
        return memcmp(d, "HTTP/", m) == 0;
    }
    for (size_t i = 0; i < n && i < 25; i++) {
        if (d[i] == ' ')
            return i > 0;
        if (!tchar(d[i]))
            return false;
    }
    return n < 25;
}

/* One step in direction `dir`; returns bytes consumed (0: wait). */
static size_t step(struct ps_http *h, int dir, const uint8_t *d, size_t n, ps_http_emit_fn emit,
                   void *ctx)
{
    struct ps_http_dir *dd = &h->d[dir];
    size_t k;
    switch (dd->st) {
    case ST_HEAD:
        if (d[0] == '\r' || d[0] == '\n')
            return 1; /* empty lines between messages (RFC 9112 s2.2) */
        if (!start_plausible(dir, d, n)) {
            const uint8_t *nl = memchr(d, '\n', n);
            if (nl && skip_junk(h, dir))
                return (size_t)(nl - d) + 1;
            if (!nl && n < PS_APP_BUF && dir == 0 && h->seen_req && h->junk < PS_HTTP_MAX_JUNK)
                return 0; /* maybe junk: wait for its end */
            h->stats.bad_start++;
            give_up(h);
            return 0;
        }
        k = head_end(dd, d, n);
        if (k == 0) {
            if (n >= PS_APP_BUF) {
                h->stats.hdr_too_big++;
                give_up(h);
            }
            return 0;
        }
        dd->scan = 0;
        head(h, dir, d, k, emit, ctx);
        return k;
    case ST_BODY_CL:
        k = skip_body(dd, n);
        if (dd->remaining == 0)
            msg_end(h, dir, emit, ctx);
        return k;
    case ST_CHUNK_SIZE:
        return chunk_size(h, dd, d, n);
    case ST_CHUNK_DATA:
        k = skip_body(dd, n);
        if (dd->remaining == 0)
            dd->st = ST_CHUNK_CRLF;
        return k;
    case ST_CHUNK_CRLF:
        if (d[0] == '\n')
            k = 1;
        else if (n < 2)
            return 0;
        else if (d[0] == '\r' && d[1] == '\n')
            k = 2;
        else {
            h->stats.bad_chunk++;
            give_up(h);
            return 0;
        }
        dd->st = ST_CHUNK_SIZE;
        dd->body_seen += k;
        return k;
    case ST_TRAILERS:
        /* trailer-section CRLF: an empty line, or field lines then one. */
        if (d[0] == '\n')
            k = 1;
        else if (d[0] == '\r' && n < 2)
            return 0;
        else if (d[0] == '\r' && d[1] == '\n')
            k = 2;
        else {
            k = head_end(dd, d, n);
            if (k == 0) {
                if (n >= PS_APP_BUF) {
                    h->stats.hdr_too_big++;
                    give_up(h);
                }
                return 0;
            }
            dd->scan = 0;
        }
        msg_end(h, dir, emit, ctx);
        return k;
    case ST_BODY_CLOSE:
        dd->body_seen += n;
        return n;
    case ST_WAIT:
    default:
        return 0;
    }
}

size_t ps_http_feed(struct ps_http *h, int dir, const uint8_t *d, size_t n, ps_http_emit_fn emit,
                    void *ctx)
{
    dir = dir ? 1 : 0;
    struct ps_http_dir *dd = &h->d[dir];
    /* A gap may have ended a body exactly: close its message first. */
    if (h->status == PS_APP_MORE && dd->st == ST_BODY_CL && dd->remaining == 0)
        msg_end(h, dir, emit, ctx);
    size_t off = 0;
    while (off < n && h->status == PS_APP_MORE) {
        size_t k = step(h, dir, d + off, n - off, emit, ctx);
        if (k == 0)
            break;
        off += k;
    }
    return h->status == PS_APP_MORE ? off : n;
}

void ps_http_gap(struct ps_http *h, int dir, uint64_t bytes)
{
    struct ps_http_dir *dd = &h->d[dir ? 1 : 0];
    if (h->status != PS_APP_MORE || bytes == 0)
        return;
    switch (dd->st) {
    case ST_BODY_CL:
    case ST_CHUNK_DATA:
        if (bytes <= dd->remaining) {
            dd->remaining -= bytes;
            dd->body_seen += bytes;
            if (dd->st == ST_CHUNK_DATA && dd->remaining == 0)
                dd->st = ST_CHUNK_CRLF;
            h->stats.gap_skipped++;
            return;
        }
        break;
    case ST_BODY_CLOSE:
        dd->body_seen += bytes;
        h->stats.gap_skipped++;
        return;
    default:
        break;
    }
    h->stats.gap_lost++;
    give_up(h);
}

void ps_http_flush(struct ps_http *h, ps_http_emit_fn emit, void *ctx)
{
    struct ps_http_dir *rd = &h->d[1];
    bool complete = rd->st == ST_BODY_CLOSE || (rd->st == ST_BODY_CL && rd->remaining == 0);
    resp_end(h, emit, ctx, complete);
    while (h->q_len > 0) {
        emit_tx(h, emit, ctx, &h->q[h->q_head], NULL, false);
        q_pop(h);
    }
    h->drop_tail = 0;
    h->d[0].st = h->d[1].st = ST_STOP;
}

/* Content-Type without its parameters, as Suricata logs it. */
static size_t media_type_len(const char *s, size_t n)
{
    const char *semi = memchr(s, ';', n);
    size_t m = semi ? (size_t)(semi - s) : n;
    while (m > 0 && (s[m - 1] == ' ' || s[m - 1] == '\t'))
        m--;
    return m;
}

#define EVE_STR(j, key, f)                                             \
    do {                                                               \
        if ((f).len)                                                   \
            ps_json_strn((j), (key), (const uint8_t *)(f).s, (f).len); \
    } while (0)

void ps_http_eve(struct ps_json *j, const struct ps_http_tx *tx)
{
    const struct ps_http_req *rq = tx->req;
    const struct ps_http_resp *rs = tx->resp;
    bool trunc = false;
    ps_json_obj_begin(j, "http");
    if (rq) {
        EVE_STR(j, "hostname", rq->host);
        if (rq->port >= 0)
            ps_json_u64(j, "http_port", (uint64_t)rq->port);
        EVE_STR(j, "url", rq->uri);
        EVE_STR(j, "http_user_agent", rq->user_agent);
        EVE_STR(j, "xff", rq->xff);
        trunc |= rq->host.trunc || rq->uri.trunc || rq->user_agent.trunc || rq->referer.trunc ||
                 rq->xff.trunc || rq->method.trunc;
    }
    if (rs) {
        size_t m = media_type_len(rs->content_type.s, rs->content_type.len);
        if (m)
            ps_json_strn(j, "http_content_type", (const uint8_t *)rs->content_type.s, m);
        trunc |= rs->content_type.trunc || rs->location.trunc || rs->server.trunc;
    }
    if (rq) {
        EVE_STR(j, "http_refer", rq->referer);
        EVE_STR(j, "http_method", rq->method);
        EVE_STR(j, "protocol", rq->protocol);
    } else if (rs) {
        EVE_STR(j, "protocol", rs->protocol);
    }
    if (rs) {
        ps_json_u64(j, "status", rs->status);
        EVE_STR(j, "redirect", rs->location);
        ps_json_u64(j, "length", tx->body_len);
    }
    if (trunc)
        ps_json_bool(j, "truncated", true);
    ps_json_obj_end(j);
}
