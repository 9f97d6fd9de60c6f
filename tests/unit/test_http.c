/* SPDX-License-Identifier: BSD-2-Clause */
/* HTTP/1.x parser tests: real curl/nginx captures (tests/gen/app-captures.sh)
 * fed whole, split at every byte and a byte at a time; hand-made hostile
 * messages. Also the stream helpers the SSH tests share (unit.h). */
#include <pcap/pcap.h>
#include <stdlib.h>

#include "app/http.h"
#include "core/rd.h"
#include "decode/decode.h"
#include "output/json.h"
#include "unit.h"

/* The two byte streams of the TCP connection on `port` in a pcap, in order
 * (retransmissions and segments ahead of a hole are left out). */
int unit_tcp_stream(const char *path, uint16_t port, uint8_t *buf[2], size_t len[2], size_t cap)
{
    static struct ps_counters c;
    static struct ps_decoder d;
    static struct ps_pkt p;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    ps_decoder_init(&d, &c);
    d.check_checksums = false;
    int dlt = pcap_datalink(pc);
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint16_t cport = 0; /* the client's port: 0 until the SYN */
    uint32_t next[2] = {0, 0};
    bool started[2] = {false, false};
    len[0] = len[1] = 0;
    while (pcap_next_ex(pc, &hdr, &data) == 1) {
        if (ps_decode(&d, &p, dlt, data, hdr->caplen, hdr->len, 0) != 0 || p.proto != 6 ||
            !p.has_ports || (p.sport != port && p.dport != port) || p.l4_caplen < 14)
            continue;
        struct ps_rd r = ps_rd_init(p.l4 + 4, 10);
        uint32_t seq = ps_rd_be32(&r);
        ps_rd_skip(&r, 5);
        uint8_t flags = ps_rd_u8(&r);
        if ((flags & 0x12) == 0x02 && cport == 0)
            cport = p.sport;
        if (cport == 0)
            cport = p.dport == port ? p.sport : p.dport; /* no SYN: guess */
        int dir = p.sport == cport ? 0 : 1;
        if (flags & 0x02) {
            next[dir] = seq + 1;
            started[dir] = true;
            continue;
        }
        if (!started[dir]) {
            next[dir] = seq;
            started[dir] = true;
        }
        /* In order only: retransmissions and anything ahead are dropped. */
        if (seq != next[dir] || p.payload_len == 0 || len[dir] + p.payload_len > cap)
            continue;
        memcpy(buf[dir] + len[dir], p.payload, p.payload_len);
        len[dir] += p.payload_len;
        next[dir] += (uint32_t)p.payload_len;
    }
    pcap_close(pc);
    return 0;
}

/* Offer d[0..n) to fn like the stream layer: the first `first` bytes, then
 * `step` more each call, unconsumed bytes offered again; returns consumed. */
size_t unit_feed(const uint8_t *d, size_t n, size_t step, size_t first,
                 size_t (*fn)(void *st, const uint8_t *d, size_t n), void *st)
{
    size_t cons = 0, avail = first < n ? first : n;
    for (;;) {
        size_t window = avail - cons;
        if (window > PS_APP_BUF)
            window = PS_APP_BUF;
        size_t k = window ? fn(st, d + cons, window) : 0;
        CHECK(k <= window);
        cons += k;
        if (k == 0 && window == PS_APP_BUF)
            break; /* the stream layer would bypass the flow here */
        if (avail == n && (k == 0 || cons == n))
            break;
        if (avail < n)
            avail = avail + step < n ? avail + step : n;
    }
    return cons;
}

/* ------------------------------------------------------------------ */

#define MAXTX 16

struct rec {
    int n;
    struct ps_http_req req[MAXTX];
    struct ps_http_resp resp[MAXTX];
    bool has_req[MAXTX], has_resp[MAXTX];
    uint64_t body[MAXTX];
    bool complete[MAXTX];
    char eve[MAXTX][2048];
};

static void on_tx(void *ctx, const struct ps_http_tx *tx)
{
    struct rec *r = ctx;
    if (r->n >= MAXTX)
        return;
    int i = r->n++;
    r->has_req[i] = tx->req != NULL;
    r->has_resp[i] = tx->resp != NULL;
    if (tx->req)
        r->req[i] = *tx->req;
    if (tx->resp)
        r->resp[i] = *tx->resp;
    r->body[i] = tx->body_len;
    r->complete[i] = tx->body_complete;
    struct ps_json j;
    ps_json_init(&j, r->eve[i], sizeof(r->eve[i]) - 1);
    ps_json_obj_begin(&j, NULL);
    ps_http_eve(&j, tx);
    ps_json_obj_end(&j);
    CHECK(!j.overflow);
    r->eve[i][j.len] = '\0';
    if (getenv("DUMP_EVE"))
        printf("%s\n", r->eve[i]);
}

struct drive {
    struct ps_http *h;
    int dir;
    struct rec *r;
};

static size_t drive_fn(void *st, const uint8_t *d, size_t n)
{
    struct drive *dv = st;
    return ps_http_feed(dv->h, dv->dir, d, n, on_tx, dv->r);
}

static size_t feed(struct ps_http *h, int dir, const void *d, size_t n, struct rec *r)
{
    struct drive dv = {h, dir, r};
    return unit_feed(d, n, n, n, drive_fn, &dv);
}

static size_t feeds(struct ps_http *h, int dir, const char *s, struct rec *r)
{
    return feed(h, dir, s, strlen(s), r);
}

#define CAP (256 * 1024)
static uint8_t sbuf0[CAP], sbuf1[CAP];

/* A capture's connection on `port`: false (and a note) when it is missing. */
static bool load(const char *path, uint16_t port, size_t len[2])
{
    uint8_t *b[2] = {sbuf0, sbuf1};
    if (unit_tcp_stream(path, port, b, len, CAP) != 0) {
        fprintf(stderr, "note: %s missing, skipped\n", path);
        return false;
    }
    CHECK(len[0] > 0 && len[1] > 0);
    return true;
}

/* Run both streams (client first) with a given first cut and step. */
static void run(struct ps_http *h, const size_t len[2], size_t first, size_t step, struct rec *r)
{
    struct drive d0 = {h, 0, r}, d1 = {h, 1, r};
    memset(r, 0, sizeof(*r));
    ps_http_init(h);
    size_t c0 = unit_feed(sbuf0, len[0], step, first, drive_fn, &d0);
    size_t c1 = unit_feed(sbuf1, len[1], step, first, drive_fn, &d1);
    if (ps_http_status(h) == PS_APP_MORE) {
        CHECK_EQ(c0, len[0]);
        CHECK_EQ(c1, len[1]);
    }
    ps_http_flush(h, on_tx, r);
}

#define FSTR(f) ((void)0, (f).s[(f).len < sizeof((f).s) ? (f).len : 0] = '\0', (f).s)

static struct ps_http H;
static struct rec R, R2;

static void test_get(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-get.pcap", 41001, len))
        return;
    CHECK(ps_http_probe(sbuf0, len[0]));
    CHECK(ps_http_probe_response(sbuf1, len[1]));
    CHECK(!ps_http_probe(sbuf1, len[1]));
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(H.stats.resp_unmatched, 0);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_STR(FSTR(R.req[0].method), "GET");
    CHECK_STR(FSTR(R.req[0].uri), "/index.html?q=1");
    CHECK_STR(FSTR(R.req[0].host), "10.10.0.2");
    CHECK_STR(FSTR(R.req[0].user_agent), "periscope-test/1.0");
    CHECK_STR(FSTR(R.req[0].referer), "http://10.10.0.2/from");
    CHECK_STR(FSTR(R.req[0].xff), "192.0.2.7");
    CHECK_STR(FSTR(R.req[0].protocol), "HTTP/1.1");
    CHECK_EQ(R.resp[0].status, 200);
    CHECK_STR(FSTR(R.resp[0].content_type), "text/html");
    CHECK_EQ(R.resp[0].content_length, 441);
    CHECK_EQ(R.body[0], 441);
    CHECK(R.complete[0]);
    CHECK_STR(R.eve[0], "{\"http\":{\"hostname\":\"10.10.0.2\",\"url\":\"/index.html?q=1\","
                        "\"http_user_agent\":\"periscope-test/1.0\",\"xff\":\"192.0.2.7\","
                        "\"http_content_type\":\"text/html\","
                        "\"http_refer\":\"http://10.10.0.2/from\",\"http_method\":\"GET\","
                        "\"protocol\":\"HTTP/1.1\",\"status\":200,"
                        "\"length\":441}}");

    /* Resumable: every cut of both streams, then a byte at a time. */
    size_t mx = len[0] > len[1] ? len[0] : len[1];
    int bad = 0;
    for (size_t k = 0; k <= mx; k++) {
        run(&H, len, k, mx, &R2);
        if (R2.n != 1 || strcmp(R2.eve[0], R.eve[0]) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
    run(&H, len, 1, 1, &R2);
    CHECK_EQ(R2.n, 1);
    CHECK_STR(R2.eve[0], R.eve[0]);
}

static void test_post(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-post.pcap", 41002, len))
        return;
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 1);
    CHECK_STR(FSTR(R.req[0].method), "POST");
    CHECK(R.req[0].has_cl);
    CHECK_EQ(R.req[0].content_length, 21);
    CHECK_STR(FSTR(R.req[0].content_type), "application/x-www-form-urlencoded");
    CHECK_EQ(R.resp[0].status, 200);
    CHECK_EQ(R.body[0], 7); /* "posted\n" */

    if (!load("tests/pcaps/app/http-post.pcap", 41003, len))
        return;
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 1);
    CHECK(R.req[0].chunked);
    CHECK(!R.req[0].has_cl);
    CHECK(H.d[0].body_seen > 3000 && H.d[0].body_seen < 3100); /* with its framing */
    uint64_t req_body = H.d[0].body_seen;
    CHECK_EQ(R.resp[0].status, 200);
    run(&H, len, 1, 1, &R2);
    CHECK_EQ(R2.n, 1);
    CHECK_EQ(H.d[0].body_seen, req_body);
    CHECK_STR(R2.eve[0], R.eve[0]);
}

static void test_chunked(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-chunked.pcap", 41004, len))
        return;
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 1);
    CHECK(R.resp[0].chunked);
    CHECK(!R.resp[0].has_cl);
    CHECK_STR(FSTR(R.resp[0].content_type), "text/plain");
    CHECK(R.complete[0]);
    /* Suricata's `length` (libhtp's message length): the body as sent, chunk
     * framing included, without the CRLF that ends the (empty) trailers. */
    const uint8_t *eoh = memmem(sbuf1, len[1], "\r\n\r\n", 4);
    CHECK(eoh != NULL);
    if (eoh)
        CHECK_EQ(R.body[0], len[1] - (size_t)(eoh + 4 - sbuf1) - 2);
    CHECK(R.body[0] > 0 && R.body[0] < 20000); /* gzip of 20000 repetitive bytes */
    size_t mx = len[1], bad = 0;
    for (size_t k = 0; k <= mx; k++) {
        run(&H, len, k, 7, &R2);
        if (R2.n != 1 || strcmp(R2.eve[0], R.eve[0]) != 0 || !R2.complete[0])
            bad++;
    }
    CHECK_EQ(bad, 0);
}

static void test_keepalive(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-keepalive.pcap", 41005, len))
        return;
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 4);
    CHECK_STR(FSTR(R.req[0].method), "GET");
    CHECK_EQ(R.resp[0].status, 200);
    CHECK_EQ(R.body[0], 441);
    CHECK_STR(FSTR(R.req[1].method), "HEAD");
    CHECK_EQ(R.resp[1].status, 200);
    CHECK_EQ(R.resp[1].content_length, 441);
    CHECK_EQ(R.body[1], 0); /* RFC 9112 s6.3: no body after HEAD */
    CHECK_STR(FSTR(R.req[2].uri), "/missing");
    CHECK_EQ(R.resp[2].status, 404);
    CHECK_STR(FSTR(R.req[3].uri), "/old");
    CHECK_EQ(R.resp[3].status, 301);
    CHECK_STR(FSTR(R.resp[3].location), "http://10.10.0.2/index.html");
    CHECK(strstr(R.eve[3], "\"redirect\":\"http://10.10.0.2/index.html\"") != NULL);
    for (int i = 0; i < 4; i++)
        CHECK(R.complete[i]);
}

static void test_8080(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-8080.pcap", 41006, len))
        return;
    CHECK(ps_http_probe(sbuf0, len[0])); /* found by content, not port */
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 1);
    CHECK_STR(FSTR(R.req[0].host), "10.10.0.2");
    CHECK_EQ(R.req[0].port, 8080);
    CHECK(strstr(R.eve[0], "\"hostname\":\"10.10.0.2\",\"http_port\":8080,") != NULL);
}

static void test_pipeline(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-pipeline.pcap", 41007, len))
        return;
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 3);
    CHECK_STR(FSTR(R.req[0].uri), "/index.html");
    CHECK_EQ(R.resp[0].status, 200);
    CHECK_STR(FSTR(R.req[1].uri), "/missing");
    CHECK_EQ(R.resp[1].status, 404);
    CHECK_STR(FSTR(R.req[2].uri), "/big.txt");
    CHECK_EQ(R.resp[2].status, 200);
    CHECK_EQ(R.body[2], 20000);
    CHECK_EQ(H.stats.pipe_overflow, 0);
    run(&H, len, 3, 5, &R2);
    CHECK_EQ(R2.n, 3);
    for (int i = 0; i < 3 && i < R2.n; i++)
        CHECK_STR(R2.eve[i], R.eve[i]);
}

static void test_h2(void)
{
    size_t len[2];
    if (!load("tests/pcaps/app/http-h2c.pcap", 41008, len))
        return;
    CHECK(ps_http_probe(sbuf0, len[0]));
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    CHECK_EQ(feed(&H, 0, sbuf0, len[0], &R), len[0]);
    CHECK_EQ(ps_http_status(&H), PS_APP_DONE);
    CHECK_EQ(H.proto, PS_APP_HTTP2);
    CHECK_EQ(R.n, 0);
    /* The preface split before its end still waits, then is recognised. */
    ps_http_init(&H);
    CHECK_EQ(ps_http_feed(&H, 0, sbuf0, 10, on_tx, &R), 0);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);

    /* Upgrade: h2c answered by 101. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0,
          "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
          "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"
          "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
          &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    feeds(&H, 1, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
          &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_DONE);
    CHECK_EQ(H.proto, PS_APP_HTTP2);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.resp[0].status, 101);
    CHECK_EQ(R.req[0].upgrade, PS_HTTP_UP_H2C);

    /* Upgrade asked, declined (200): the client side goes on. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", &R);
    feeds(&H, 0, "GET /2 HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 204 No Content\r\n\r\n", &R);
    CHECK_EQ(R.n, 2);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_EQ(H.proto, PS_APP_HTTP);
}

static void test_upgrades(void)
{
    /* WebSocket: logged, then DONE; still HTTP for the app_proto. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0,
          "GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x85",
          &R);
    feeds(&H, 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_DONE);
    CHECK_EQ(H.proto, PS_APP_HTTP);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.resp[0].upgrade, PS_HTTP_UP_WEBSOCKET);

    /* CONNECT: tunnel bytes sent before the 200 are not parsed as HTTP. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "CONNECT a.example:443 HTTP/1.1\r\nHost: other\r\n\r\n\x16\x03\x01\x02", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    feeds(&H, 1, "HTTP/1.1 200 Connection established\r\n\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_DONE);
    CHECK_EQ(R.n, 1);
    CHECK_STR(FSTR(R.req[0].host), "a.example"); /* from the authority-form target */
    CHECK_EQ(R.req[0].port, 443);

    /* CONNECT refused: HTTP goes on. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "CONNECT a:443 HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n", &R);
    feeds(&H, 0, "GET http://b.example:8000/x HTTP/1.1\r\nHost: ignored\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_EQ(R.n, 2);
    CHECK_STR(FSTR(R.req[1].host), "b.example"); /* absolute-form wins over Host */
    CHECK_EQ(R.req[1].port, 8000);
}

static void test_framing(void)
{
    /* 100-continue is interim; the final response pairs with the request.
     * 204 and 304 have no body; bare LF line ends are accepted. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 100 Continue\r\n\r\n", &R);
    feeds(&H, 0, "abc", &R);
    feeds(&H, 1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", &R);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.resp[0].status, 201);
    feeds(&H, 0, "GET /a HTTP/1.0\nHost: x\n\nGET /b HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 204 No Content\r\n\r\n", &R);
    CHECK_EQ(R.n, 3);
    CHECK_STR(FSTR(R.req[1].host), "x");
    CHECK_EQ(R.resp[1].status, 304);
    CHECK_EQ(R.body[1], 0);
    CHECK_EQ(R.resp[2].status, 204);

    /* No length: the body runs to the close; flush emits it. A request
     * left without a response is emitted at flush too. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "GET / HTTP/1.0\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello", &R);
    feeds(&H, 1, " world", &R);
    CHECK_EQ(R.n, 0);
    feeds(&H, 0, "GET /never HTTP/1.0\r\n\r\n", &R);
    ps_http_flush(&H, on_tx, &R);
    CHECK_EQ(R.n, 2);
    CHECK_EQ(R.body[0], 11);
    CHECK(R.complete[0]);
    CHECK(strstr(R.eve[0], "\"http_content_type\":\"text/plain\",") != NULL);
    CHECK(R.has_req[1] && !R.has_resp[1]);
    CHECK_STR(R.eve[1], "{\"http\":{\"url\":\"/never\",\"http_method\":\"GET\","
                        "\"protocol\":\"HTTP/1.0\"}}");

    /* Chunked with extensions and trailers, then another message. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1,
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
          "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n"
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          &R);
    CHECK_EQ(R.n, 2);
    CHECK_EQ(R.body[0], 9 + 5 + 2 + 3 + 10 + 2 + 3); /* framing up to "0\r\n" */
    CHECK_EQ(R.body[1], 3);
    CHECK(R.complete[0] && R.complete[1]);

    /* Transfer-Encoding with Content-Length: TE wins, counted. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0,
          "POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
          "3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
          &R);
    CHECK_EQ(H.stats.te_and_cl, 1);
    CHECK_EQ(H.q_len, 2);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
}

static void test_pipe_overflow(void)
{
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    char req[64];
    for (int i = 0; i < 6; i++) {
        int n = snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\n\r\n", i);
        feed(&H, 0, req, (size_t)n, &R);
    }
    CHECK_EQ(H.stats.pipe_overflow, 6 - PS_HTTP_PIPE);
    for (int i = 0; i < 6; i++)
        feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", &R);
    CHECK_EQ(R.n, 6);
    for (int i = 0; i < PS_HTTP_PIPE; i++) {
        snprintf(req, sizeof(req), "/%d", i);
        CHECK(R.has_req[i]);
        CHECK_STR(FSTR(R.req[i].uri), req);
    }
    CHECK(!R.has_req[4] && !R.has_req[5]); /* their requests were not kept */
    CHECK_EQ(H.stats.resp_unmatched, 0);
    /* In order again after the overflow. */
    feeds(&H, 0, "GET /again HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", &R);
    CHECK_EQ(R.n, 7);
    CHECK_STR(FSTR(R.req[6].uri), "/again");
    /* A response nobody asked for. */
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &R);
    CHECK_EQ(H.stats.resp_unmatched, 1);
    CHECK_EQ(R.n, 8);
    CHECK(!R.has_req[7]);
    CHECK_STR(R.eve[7], "{\"http\":{\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":0}}");
}

static void test_gaps(void)
{
    /* A gap inside a body of known length is skipped. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "GET / HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789", &R);
    ps_http_gap(&H, 1, 980);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    feeds(&H, 1, "0123456789", &R);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.body[0], 1000);
    CHECK_EQ(H.stats.gap_skipped, 1);
    /* ... ending the body exactly: the message ends on the next bytes. */
    feeds(&H, 0, "GET /2 HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", &R);
    ps_http_gap(&H, 1, 50);
    feeds(&H, 0, "GET /3 HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &R);
    CHECK_EQ(R.n, 3);
    CHECK_EQ(R.body[1], 50);
    /* A gap in a chunk, then one past its end: given up. */
    feeds(&H, 0, "GET /4 HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab", &R);
    ps_http_gap(&H, 1, 4);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    ps_http_gap(&H, 1, 100);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    CHECK_EQ(H.stats.gap_lost, 1);
    /* A gap in a head: given up. */
    ps_http_init(&H);
    feeds(&H, 0, "GET / HTTP/1.1\r\nHo", &R);
    ps_http_gap(&H, 0, 10);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
}

static void test_hostile(void)
{
    /* Not HTTP: a TLS ClientHello, binary garbage, a status line as request. */
    static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03};
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    CHECK_EQ(feed(&H, 0, tls, sizeof(tls), &R), sizeof(tls));
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    CHECK_EQ(H.stats.bad_start, 1);
    CHECK(!ps_http_probe(tls, sizeof(tls)));
    ps_http_init(&H);
    feeds(&H, 0, "GET /\r\n\r\n", &R); /* HTTP/0.9: no version */
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    ps_http_init(&H);
    feeds(&H, 0, "GET / HTTP/1.1\r\n\r\n", &R);
    feeds(&H, 1, "HTTP/1.1 2x0 OK\r\n\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    ps_http_init(&H);
    feeds(&H, 1, "SSH-2.0-x\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);

    /* A POST body without Content-Length after a valid request: skipped as
     * junk, its 400 emitted without a request; too much junk gives up. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0, "POST /login HTTP/1.1\r\nHost: h\r\n\r\nlogin=foo&password=bar\r\n", &R);
    feeds(&H, 1,
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 400 Bad Request\r\n"
          "Content-Length: 0\r\nConnection: close\r\n\r\n",
          &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_EQ(H.stats.junk_lines, 1);
    CHECK_EQ(R.n, 2);
    CHECK_EQ(R.resp[0].status, 200);
    CHECK(R.has_req[0] && !R.has_req[1]);
    CHECK_EQ(R.resp[1].status, 400);
    for (int i = 0; i < PS_HTTP_MAX_JUNK - 2; i++)
        feeds(&H, 0, "a=b\r\n", &R);
    CHECK_EQ(feeds(&H, 0, "a=b", &R), 0); /* waits for the end of the line */
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_EQ(feeds(&H, 0, "a=b\r\n", &R), 5); /* the same bytes, and more */
    CHECK_EQ(H.stats.junk_lines, PS_HTTP_MAX_JUNK);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    feeds(&H, 0, "a=b\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);

    /* Conflicting Content-Length values: unrecoverable (RFC 9112 s6.3). */
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nabcde", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    CHECK_EQ(H.stats.bad_cl, 1);
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_EQ(H.d[0].st, 0);
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);

    /* A lying Content-Length: what follows is body, skipped, never parsed. */
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feeds(&H, 0,
          "POST / HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\nGET /hidden HTTP/1.1\r\n\r\n", &R);
    CHECK_EQ(H.q_len, 1);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);

    /* Chunk sizes: 2^64-1 is a size (skipped), 17 digits is not. */
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    CHECK_EQ(H.d[0].remaining, UINT64_MAX - 2);
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    CHECK_EQ(H.stats.bad_chunk, 1);
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX", &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    /* A chunk-size line that never ends. */
    static uint8_t big[48 * 1024];
    memset(big, '0', sizeof(big));
    ps_http_init(&H);
    feeds(&H, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &R);
    feed(&H, 0, big, 2000, &R);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);

    /* Endless headers: the head never ends within PS_APP_BUF. */
    static const char line[] = "X-Endless: yes\r\n";
    size_t n = 0;
    memcpy(big, "GET / HTTP/1.1\r\n", 16);
    n = 16;
    while (n + sizeof(line) < sizeof(big)) {
        memcpy(big + n, line, sizeof(line) - 1);
        n += sizeof(line) - 1;
    }
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    struct drive dv = {&H, 0, &R};
    CHECK_EQ(unit_feed(big, n, 1460, 1460, drive_fn, &dv), n);
    CHECK_EQ(ps_http_status(&H), PS_APP_ERR);
    CHECK_EQ(H.stats.hdr_too_big, 1);

    /* Many header lines within the buffer: the first ones are used. */
    n = 16;
    memcpy(big + n, "Host: many\r\n", 12);
    n += 12;
    for (int i = 0; i < 300; i++) {
        memcpy(big + n, line, sizeof(line) - 1);
        n += sizeof(line) - 1;
    }
    memcpy(big + n, "User-Agent: late\r\n\r\n", 20);
    n += 20;
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    CHECK_EQ(feed(&H, 0, big, n, &R), n);
    CHECK_EQ(H.stats.hdr_too_many, 1);
    CHECK_EQ(ps_http_status(&H), PS_APP_MORE);
    ps_http_flush(&H, on_tx, &R);
    CHECK_EQ(R.n, 1);
    CHECK_STR(FSTR(R.req[0].host), "many");
    CHECK_EQ(R.req[0].user_agent.len, 0);

    /* Over-long fields are cut and marked; bytes are escaped in EVE. */
    n = 0;
    memcpy(big, "GET /", 5);
    n = 5;
    memset(big + n, 'a', 2000);
    n += 2000;
    static const char tail[] = " HTTP/1.1\r\nUser-Agent: \"\x01\xff\r\n\r\n";
    memcpy(big + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    ps_http_init(&H);
    memset(&R, 0, sizeof(R));
    feed(&H, 0, big, n, &R);
    ps_http_flush(&H, on_tx, &R);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.req[0].uri.len, sizeof(R.req[0].uri.s));
    CHECK(R.req[0].uri.trunc);
    CHECK(strstr(R.eve[0], "\"http_user_agent\":\"\\\"\\u0001\\u00ff\"") != NULL);
    CHECK(strstr(R.eve[0], "\"truncated\":true") != NULL);

    /* Probes. */
    CHECK(ps_http_probe((const uint8_t *)"GET / HTTP/1.1", 14));
    CHECK(ps_http_probe((const uint8_t *)"OPTIONS * HTTP/1.1", 18));
    CHECK(ps_http_probe((const uint8_t *)"PRI * HTTP/2.0\r\n", 16));
    CHECK(!ps_http_probe((const uint8_t *)"GET", 3));
    CHECK(!ps_http_probe((const uint8_t *)"GETX / HTTP/1.1", 15));
    CHECK(!ps_http_probe((const uint8_t *)"", 0));
}

/* suricata-verify http-ipv6 (when the corpus is present): hostname "[::1]". */
static void test_corpus(void)
{
    size_t len[2];
    const char *p = "/work/shared/corpus/suricata-verify/tests/http-ipv6/input.pcap";
    FILE *f = fopen(p, "rb");
    if (!f) {
        fprintf(stderr, "note: corpus absent, http-ipv6 skipped\n");
        return;
    }
    fclose(f);
    if (!load(p, 8000, len))
        return;
    run(&H, len, len[0], len[0], &R);
    CHECK_EQ(R.n, 1);
    CHECK_STR(FSTR(R.req[0].host), "[::1]");
    CHECK(strstr(R.eve[0], "\"hostname\":\"[::1]\"") != NULL);
}

void test_http(void)
{
    CHECK(sizeof(struct ps_http) <= 9 * 1024);
    test_get();
    test_post();
    test_chunked();
    test_keepalive();
    test_8080();
    test_pipeline();
    test_h2();
    test_upgrades();
    test_framing();
    test_pipe_overflow();
    test_gaps();
    test_hostile();
    test_corpus();
}
