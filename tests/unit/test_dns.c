/* SPDX-License-Identifier: BSD-2-Clause */
/* DNS parser: real dig queries and dnsmasq responses (dns_vectors.h, made
 * by tests/gen/dns-vectors.py), hand-made malformed messages, the probe
 * against other protocols, TCP framing, and the EVE layout, checked against
 * suricata-verify's expected fields when the corpus is present. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dns.h"
#include "core/counters.h"
#include "core/jparse.h"
#include "decode/decode.h"
#include "dns_vectors.h"
#include "output/json.h"
#include "unit.h"

static struct ps_dns_msg M;
static char J[65536];

/* The EVE object of M as a NUL-terminated string, checked to be JSON. */
static const char *eve(void)
{
    struct ps_json j;
    ps_json_init(&j, J, sizeof(J) - 3);
    ps_json_obj_begin(&j, NULL);
    ps_dns_eve(&j, &M);
    ps_json_obj_end(&j);
    CHECK(!j.overflow);
    J[j.len] = 0;
    char err[128];
    struct ps_jnode *n = ps_jparse(J, j.len, err, sizeof(err));
    CHECK(n != NULL);
    ps_jfree(n);
    return J;
}

static const char *an_rdata(unsigned i)
{
    return ps_dns_str(&M, M.an[i].rdata);
}

#define PARSE_OK(arr) CHECK_EQ(ps_dns_parse(arr, sizeof(arr), &M), 0)

/* Every prefix of a real message fails cleanly; probe never crashes. */
static void prefixes(const uint8_t *msg, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        if (ps_dns_parse(msg, n, &M) == 0) {
            fprintf(stderr, "prefix %zu/%zu parsed\n", n, len);
            CHECK(0);
        }
        (void)ps_dns_probe(msg, n);
    }
}

static void test_vectors(void)
{
    char exp[2048];

    /* A: query as dig sends it (EDNS, 1232-byte buffer), then the answer. */
    PARSE_OK(dnsq_a);
    CHECK(!M.qr);
    CHECK_EQ(M.nqd, 1);
    CHECK_STR(ps_dns_str(&M, M.qd[0].name), "www.example.test");
    CHECK_EQ(M.qd[0].name_wire, 18);
    CHECK_EQ(M.qd[0].labels, 3);
    CHECK_EQ(M.qd[0].max_label, 7);
    CHECK_EQ(M.qd[0].type, 1);
    CHECK(M.edns.present);
    CHECK_EQ(M.edns.udp_size, 1232);
    CHECK(!M.edns.do_bit);
    CHECK_EQ(M.nar, 0); /* OPT goes to edns, not to the records */
    M.tx_id = 7;
    snprintf(exp, sizeof(exp),
             "{\"dns\":{\"type\":\"query\",\"id\":%u,\"rrname\":\"www.example.test\","
             "\"rrtype\":\"A\",\"tx_id\":7,\"opcode\":0}}",
             M.id);
    CHECK_STR(eve(), exp);

    PARSE_OK(dnsr_a);
    CHECK(M.qr);
    CHECK(M.rd);
    CHECK(M.ra);
    CHECK_EQ(M.nan, 1);
    CHECK_EQ(M.an[0].type, 1);
    CHECK_EQ(M.an[0].rdlen, 4);
    CHECK_STR(an_rdata(0), "192.0.2.10");
    CHECK_STR(ps_dns_str(&M, M.an[0].name), "www.example.test"); /* compressed */
    CHECK_EQ(M.an[0].name, M.qd[0].name); /* a pointer to the question shares its text */
    CHECK_EQ(M.an[0].name_wire, 18);
    CHECK_EQ(M.an[0].labels, 3);
    snprintf(exp, sizeof(exp),
             "{\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":%u,\"flags\":\"%x\",\"qr\":true,"
             "%s\"rd\":true,\"ra\":true,\"opcode\":0,\"rrname\":\"www.example.test\","
             "\"rrtype\":\"A\",\"rcode\":\"NOERROR\",\"answers\":[{\"rrname\":\"www.example.test\","
             "\"rrtype\":\"A\",\"ttl\":%u,\"rdata\":\"192.0.2.10\"}],\"grouped\":{\"A\":["
             "\"192.0.2.10\"]}}}",
             M.id, M.flags, M.aa ? "\"aa\":true," : "", M.an[0].ttl);
    CHECK_STR(eve(), exp);
    prefixes(dnsr_a, sizeof(dnsr_a));

    PARSE_OK(dnsr_aaaa);
    CHECK_STR(an_rdata(0), "2001:0db8:0000:0000:0000:0000:0000:0010");

    /* CNAME then A; grouped in order of first appearance. */
    PARSE_OK(dnsr_cname);
    CHECK_EQ(M.nan, 2);
    CHECK_EQ(M.an[0].type, 5);
    CHECK_STR(an_rdata(0), "www.example.test");
    CHECK_STR(an_rdata(1), "192.0.2.10");
    CHECK(strstr(eve(), "\"grouped\":{\"CNAME\":[\"www.example.test\"],\"A\":[\"192.0.2.10\"]}"));
    prefixes(dnsr_cname, sizeof(dnsr_cname));

    /* MX: our text keeps the preference, Suricata logs the exchange only. */
    PARSE_OK(dnsr_mx);
    CHECK_STR(an_rdata(0), "10 mail.example.test");
    CHECK_EQ(M.an[0].num[0], 10);
    CHECK(strstr(eve(), "\"rdata\":\"mail.example.test\"}"));
    CHECK(strstr(J, "\"grouped\":{\"MX\":[\"mail.example.test\"]}"));
    CHECK(M.nar >= 1); /* mail.example.test A in additional */

    PARSE_OK(dnsr_srv);
    CHECK_STR(an_rdata(0), "10 20 5060 sip.example.test");
    CHECK(strstr(eve(), "\"srv\":{\"priority\":10,\"weight\":20,\"port\":5060,"
                        "\"name\":\"sip.example.test\"}"));
    CHECK(strstr(J, "\"grouped\":{\"SRV\":[{\"priority\":10,"));

    /* TXT strings are joined, as Suricata 7 does. */
    PARSE_OK(dnsr_txt);
    CHECK_STR(an_rdata(0), "v=spf1 -allsecond string");
    CHECK_EQ(M.an[0].rdlen, 26);
    PARSE_OK(dnsr_odd);
    CHECK_STR(an_rdata(0), "a\tb");
    CHECK(strstr(eve(), "\"rdata\":\"a\\tb\""));

    PARSE_OK(dnsr_ptr);
    CHECK_STR(ps_dns_str(&M, M.qd[0].name), "10.2.0.192.in-addr.arpa");
    CHECK_STR(an_rdata(0), "www.example.test");

    /* NULL: the bytes of suricata-verify's dns-udp-null, same rendering. */
    PARSE_OK(dnsr_null);
    CHECK_STR(an_rdata(0), "VACKD\x03\\xc5\\xe9\x01");
    CHECK(strstr(eve(), "\"rdata\":\"VACKD\\u0003\\\\xc5\\\\xe9\\u0001\""));

    PARSE_OK(dnsr_caa);
    CHECK_STR(an_rdata(0), "0 issue \"letsencrypt.org\"");
    CHECK(!strstr(eve(), "rdata")); /* Suricata 7 logs no CAA rdata */

    PARSE_OK(dnsr_https);
    CHECK_STR(an_rdata(0), "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1 ech");
    CHECK_EQ(M.an[0].num[0], 1);

    PARSE_OK(dnsr_sshfp);
    CHECK_STR(an_rdata(0), "1 1 198c34a92fc0b2ab1da52b688c2f191d2d960c09");
    CHECK(strstr(eve(), "\"sshfp\":{\"fingerprint\":\"19:8c:34:a9:2f:c0:b2:ab:1d:a5:2b:68:8c:"
                        "2f:19:1d:2d:96:0c:09\",\"algo\":1,\"type\":1}"));

    /* Unknown type: RFC 3597 text; EVE names it by number, no rdata. */
    PARSE_OK(dnsr_unk);
    CHECK_STR(an_rdata(0), "\\# 4 DEADBEEF");
    char tb[16];
    CHECK_STR(ps_dns_type_name(M.an[0].type, tb), "TYPE65280");
    CHECK(strstr(eve(), "\"rrtype\":\"65280\",\"ttl\":"));
    CHECK(!strstr(J, "rdata"));
    CHECK(strstr(J, "\"grouped\":{}"));

    PARSE_OK(dnsr_soa);
    CHECK_STR(an_rdata(0),
              "ns1.example.test hostmaster.example.test 2018915346 3600 900 604800 60");
    CHECK(strstr(eve(), "\"soa\":{\"mname\":\"ns1.example.test\","
                        "\"rname\":\"hostmaster.example.test\",\"serial\":2018915346,"
                        "\"refresh\":3600,\"retry\":900,\"expire\":604800,\"minimum\":60}"));

    PARSE_OK(dnsr_ns);
    CHECK_STR(an_rdata(0), "ns1.example.test");
    CHECK(strstr(eve(), "\"grouped\":{\"NS\":[\"ns1.example.test\"]}"));

    PARSE_OK(dnsr_nx);
    CHECK_EQ(M.rcode, 3);
    CHECK_STR(ps_dns_rcode_name(M.rcode, tb), "NXDOMAIN");
    CHECK(strstr(eve(), "\"rcode\":\"NXDOMAIN\"}}"));
    CHECK(!strstr(J, "answers"));

    /* 40 answers: 32 kept, 8 counted as dropped. */
    PARSE_OK(dnsr_many);
    CHECK_EQ(M.ancount, 40);
    CHECK_EQ(M.nan, PS_DNS_MAX_AN);
    CHECK_EQ(M.dropped, 8);
    (void)eve();

    /* A truncated (TC) response to a 512-byte buffer still parses. */
    PARSE_OK(dnsr_tc);
    CHECK(M.tc);
    CHECK_EQ(M.nan, 29);
    CHECK(strstr(eve(), "\"tc\":true"));

    /* +dnssec: DO bit; a cookie option (10) in the query. */
    PARSE_OK(dnsq_dnssec);
    CHECK(M.edns.do_bit);
    CHECK(M.edns.nopts >= 1);
    CHECK_EQ(M.edns.opts[0], 10);
    PARSE_OK(dnsq_noedns);
    CHECK(!M.edns.present);

    /* Every real message is recognised by the probe. */
    static const struct {
        const uint8_t *p;
        size_t n;
    } all[] = {
#define V(x) {dnsq_##x, sizeof(dnsq_##x)}, {dnsr_##x, sizeof(dnsr_##x)}
        V(a),     V(aaaa), V(cname), V(mx), V(srv), V(txt),  V(ptr), V(null),   V(caa),    V(https),
        V(sshfp), V(unk),  V(soa),   V(ns), V(nx),  V(many), V(tc),  V(dnssec), V(noedns), V(odd),
#undef V
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        CHECK(ps_dns_probe(all[i].p, all[i].n));
        CHECK_EQ(ps_dns_parse(all[i].p, all[i].n, &M), 0);
        CHECK_EQ(M.anomalies, 0);
        (void)eve();
    }
}

/* Header for hand-made messages: id 0x1234, flags, counts. */
static size_t hdr(uint8_t *b, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    const uint16_t v[6] = {0x1234, flags, qd, an, ns, ar};
    for (int i = 0; i < 6; i++) {
        b[2 * i] = (uint8_t)(v[i] >> 8);
        b[2 * i + 1] = (uint8_t)v[i];
    }
    return 12;
}

static size_t put(uint8_t *b, size_t o, const char *bytes, size_t n)
{
    memcpy(b + o, bytes, n);
    return o + n;
}

static void test_malformed(void)
{
    uint8_t b[1024];
    size_t n;

    CHECK_EQ(ps_dns_parse(dnsr_a, 11, &M), PS_DNS_ERR_HEADER);
    CHECK_STR(ps_dns_err_name(PS_DNS_ERR_HEADER), "trunc_header");
    CHECK_STR(ps_dns_err_name(PS_DNS_ERR_PTR_LOOP), "ptr_loop");

    /* Self pointer. */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n, "\xc0\x0c\x00\x01\x00\x01", 6);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_PTR_LOOP);
    CHECK(!ps_dns_probe(b, n));

    /* Two pointers pointing at each other (12 -> 14 -> 12). */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n, "\xc0\x0e\xc0\x0c\x00\x01\x00\x01", 8);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_PTR_LOOP);

    /* A label then a pointer back to it: stopped by the jump cap before the
     * name reaches 255 bytes. */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n,
            "\x03"
            "abc\xc0\x0c\x00\x01\x00\x01",
            10);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_PTR_LOOP);
    /* Long labels and a pointer back: the name length cap comes first. */
    n = hdr(b, 0, 1, 0, 0, 0);
    b[n++] = 63;
    memset(b + n, 'z', 63);
    n += 63;
    n = put(b, n, "\xc0\x0c\x00\x01\x00\x01", 6);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_NAME_LONG);

    /* Forward pointer: followed, flagged. */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n,
            "\xc0\x12\x00\x01\x00\x01\x03"
            "foo\x00",
            11);
    CHECK_EQ(ps_dns_parse(b, n, &M), 0);
    CHECK_STR(ps_dns_str(&M, M.qd[0].name), "foo");
    CHECK(M.anomalies & PS_DNS_ANOM_FWD_PTR);
    CHECK(M.anomalies & PS_DNS_ANOM_TRAILING);

    /* Pointer past the end. */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n, "\xc0\xff\x00\x01\x00\x01", 6);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_PTR_RANGE);

    /* Reserved label types 0x40 and 0x80. */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n, "\x41\x00\x00\x01\x00\x01", 6);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_LABEL_TYPE);

    /* Names of exactly 255 bytes parse; 256 do not. 63+63+63+61 labels. */
    for (int extra = 0; extra < 2; extra++) {
        n = hdr(b, 0, 1, 0, 0, 0);
        const int lens[4] = {63, 63, 63, 61 + extra};
        for (int l = 0; l < 4; l++) {
            b[n++] = (uint8_t)lens[l];
            memset(b + n, 'a' + l, (size_t)lens[l]);
            n += (size_t)lens[l];
        }
        n = put(b, n, "\x00\x00\x01\x00\x01", 5);
        if (extra == 0) {
            CHECK_EQ(ps_dns_parse(b, n, &M), 0);
            CHECK_EQ(M.qd[0].name_wire, 255);
            CHECK_EQ(M.qd[0].name_len, 253);
            CHECK_EQ(M.qd[0].max_label, 63);
        } else {
            CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_NAME_LONG);
        }
    }

    /* Lying counts: more answers or questions than the message holds. */
    memcpy(b, dnsr_a, sizeof(dnsr_a));
    b[7] = 5;
    CHECK_EQ(ps_dns_parse(b, sizeof(dnsr_a), &M), PS_DNS_ERR_NAME_TRUNC);
    CHECK_EQ(M.nan, 2); /* the A, then the OPT read as an answer, stay */
    CHECK_STR(an_rdata(0), "192.0.2.10");
    memcpy(b, dnsr_a, sizeof(dnsr_a));
    b[11] = 0; /* no additional: the OPT is trailing bytes */
    CHECK_EQ(ps_dns_parse(b, sizeof(dnsr_a), &M), 0);
    CHECK(M.anomalies & PS_DNS_ANOM_TRAILING);

    /* rdata length past the end. A record: name ptr, type, class, ttl,
     * rdlen. */
    n = hdr(b, 0x8180, 0, 1, 0, 0);
    n = put(b, n, "\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x09\x01\x02\x03\x04", 15);
    CHECK_EQ(ps_dns_parse(b, n, &M), PS_DNS_ERR_RDLEN);
    /* Fixed part cut. */
    CHECK_EQ(ps_dns_parse(b, n - 8, &M), PS_DNS_ERR_RR_TRUNC);
    /* A with 5 bytes: kept as RFC 3597, flagged. */
    n = hdr(b, 0x8180, 0, 1, 0, 0);
    n = put(b, n, "\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x05\x01\x02\x03\x04\x05", 16);
    CHECK_EQ(ps_dns_parse(b, n, &M), 0);
    CHECK(M.anomalies & PS_DNS_ANOM_RDATA);
    CHECK_STR(an_rdata(0), "\\# 5 0102030405");
    CHECK(M.an[0].raw);
    CHECK(strstr(eve(), "\"rrtype\":\"A\",\"ttl\":60}]"));
    CHECK(strstr(J, "\"grouped\":{}"));
    /* A malformed SOA (cut after the names) is not logged as an object. */
    n = hdr(b, 0x8180, 0, 1, 0, 0);
    n = put(b, n, "\x00\x00\x06\x00\x01\x00\x00\x00\x3c\x00\x04\x00\x00\x00\x00", 15);
    CHECK_EQ(ps_dns_parse(b, n, &M), 0);
    CHECK(M.an[0].raw);
    CHECK(!strstr(eve(), "soa"));
    CHECK_STR(ps_dns_str(&M, M.an[0].name), ""); /* root */

    /* Escaping: a dot, a space, a backslash, 0xff and a quote in labels. */
    n = hdr(b, 0, 1, 0, 0, 0);
    n = put(b, n,
            "\x05"
            "a.b c\x03\\\xff\"\x01*\x00\x00\x01\x00\x01",
            18);
    CHECK_EQ(ps_dns_parse(b, n, &M), 0);
    CHECK_STR(ps_dns_str(&M, M.qd[0].name), "a\\.b\\032c.\\\\\\255\\\".*");

    /* EDNS extended rcode: BADVERS (16) = header 0 | ext 1 << 4. Suricata
     * names the header's 4 bits only. */
    n = hdr(b, 0x8100, 0, 0, 0, 1);
    n = put(b, n, "\x00\x00\x29\x04\xd0\x01\x00\x80\x00\x00\x04\x00\x0c\x00\x00", 15);
    CHECK_EQ(ps_dns_parse(b, n, &M), 0);
    CHECK(M.edns.present);
    CHECK_EQ(M.edns.udp_size, 1232);
    CHECK_EQ(M.edns.ext_rcode, 1);
    CHECK(M.edns.do_bit);
    CHECK_EQ(M.rcode, 16);
    char tb[16];
    CHECK_STR(ps_dns_rcode_name(M.rcode, tb), "BADVERS/BADSIG");
    CHECK_STR(ps_dns_rcode_name(12, tb), "12");
    CHECK_EQ(M.edns.nopts, 1);
    CHECK_EQ(M.edns.opts[0], 12);
    CHECK(strstr(eve(), "\"rcode\":\"NOERROR\""));

    /* Every prefix of the real messages fails cleanly. */
    prefixes(dnsr_soa, sizeof(dnsr_soa));
    prefixes(dnsr_https, sizeof(dnsr_https));
    prefixes(dnsr_srv, sizeof(dnsr_srv));

    /* Arena: a message of many long TXT answers cuts text, never writes
     * past the arena. 32 answers of 255-byte strings. */
    static uint8_t big[12 + 32 * (1 + 10 + 256)];
    n = hdr(big, 0x8180, 0, 32, 0, 0);
    for (int i = 0; i < 32; i++) {
        n = put(big, n, "\x00\x00\x10\x00\x01\x00\x00\x00\x3c\x01\x00\xff", 12);
        memset(big + n, 'x', 255);
        n += 255;
    }
    CHECK_EQ(ps_dns_parse(big, n, &M), 0);
    CHECK_EQ(M.nan, 32);
    CHECK(M.anomalies & PS_DNS_ANOM_TEXT);
    CHECK(M.arena_len <= PS_DNS_ARENA);
    CHECK_EQ(M.an[0].rdata_len, 255);
    (void)eve();
}

static void test_probe(void)
{
    static const char http_get[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
    static const char http_post[] = "POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
    static const char http_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    CHECK(!ps_dns_probe((const uint8_t *)http_get, sizeof(http_get) - 1));
    CHECK(!ps_dns_probe_tcp((const uint8_t *)http_get, sizeof(http_get) - 1));
    CHECK(!ps_dns_probe((const uint8_t *)http_post, sizeof(http_post) - 1));
    CHECK(!ps_dns_probe((const uint8_t *)http_resp, sizeof(http_resp) - 1));
    /* TLS ClientHello and ServerHello record starts, then filler. */
    uint8_t b[1300];
    static const uint8_t tls_ch[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
                                     0x00, 0x01, 0xfc, 0x03, 0x03};
    static const uint8_t tls_sh[] = {0x16, 0x03, 0x03, 0x00, 0x7a, 0x02,
                                     0x00, 0x00, 0x76, 0x03, 0x03};
    static const uint8_t tls_app[] = {0x17, 0x03, 0x03, 0x00, 0x35};
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(b); i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    memcpy(b, tls_ch, sizeof(tls_ch));
    CHECK(!ps_dns_probe(b, 517));
    memcpy(b, tls_sh, sizeof(tls_sh));
    CHECK(!ps_dns_probe(b, 127));
    memcpy(b, tls_app, sizeof(tls_app));
    CHECK(!ps_dns_probe(b, 58));
    /* QUIC v1 Initial: long header, version 1, 8-byte DCID. */
    static const uint8_t quic[] = {0xc3, 0x00, 0x00, 0x00, 0x01, 0x08};
    memcpy(b, quic, sizeof(quic));
    CHECK(!ps_dns_probe(b, 1200));
    /* QUIC short header and random payloads of many sizes. */
    int accepted = 0;
    for (int t = 0; t < 20000; t++) {
        size_t n = 20 + (size_t)(t % 1200);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            b[i] = (uint8_t)(x >> 16);
        }
        if (t & 1)
            b[0] = 0x40 | (b[0] & 0x3f); /* QUIC short header */
        accepted += ps_dns_probe(b, n);
    }
    CHECK_EQ(accepted, 0);
}

struct tcp_seen {
    int n;
    uint16_t ids[16];
    int dirs[16];
};

static void on_msg(void *ctx, int dir, const struct ps_dns_msg *m)
{
    struct tcp_seen *s = ctx;
    if (s->n < 16) {
        s->ids[s->n] = m->id;
        s->dirs[s->n] = dir;
    }
    s->n++;
}

/* Offer `stream` in chunks of `step` the way the stream layer does: bytes
 * not consumed are offered again with more appended. */
static void tcp_run(struct ps_dns_tcp *st, int dir, const uint8_t *stream, size_t len, size_t step,
                    struct tcp_seen *seen)
{
    static uint8_t buf[PS_APP_BUF];
    size_t have = 0, off = 0;
    while (off < len) {
        size_t take = len - off < step ? len - off : step;
        if (take > sizeof(buf) - have)
            take = sizeof(buf) - have;
        memcpy(buf + have, stream + off, take);
        have += take;
        off += take;
        size_t used = ps_dns_tcp_feed(st, dir, buf, have, &M, on_msg, seen);
        CHECK(used <= have);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    CHECK_EQ(have, 0);
}

static size_t frame(uint8_t *out, const uint8_t *msg, size_t n)
{
    out[0] = (uint8_t)(n >> 8);
    out[1] = (uint8_t)n;
    memcpy(out + 2, msg, n);
    return n + 2;
}

static void test_tcp(void)
{
    static uint8_t s[50000];
    size_t n = 0;
    n += frame(s + n, dnsr_a, sizeof(dnsr_a));
    n += frame(s + n, dnsr_mx, sizeof(dnsr_mx));
    n += frame(s + n, dnsr_many, sizeof(dnsr_many));
    static const size_t steps[] = {1, 2, 3, 7, 100, 5000};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct ps_dns_tcp st = {0};
        struct tcp_seen seen = {0};
        tcp_run(&st, 1, s, n, steps[i], &seen);
        CHECK_EQ(seen.n, 3);
        CHECK_EQ(st.msgs, 3);
        CHECK_EQ(st.bad, 0);
        CHECK_EQ(seen.ids[0], (dnsr_a[0] << 8) | dnsr_a[1]);
        CHECK_EQ(seen.ids[2], (dnsr_many[0] << 8) | dnsr_many[1]);
        CHECK_EQ(seen.dirs[1], 1);
    }
    CHECK(ps_dns_probe_tcp(s, n));
    CHECK(ps_dns_probe_tcp(s, 2 + 40)); /* only the first question present */
    CHECK(!ps_dns_probe_tcp(s, 2 + 20));
    /* A zero-length frame and garbage count as bad; a 40000-byte message
     * is skipped without being buffered; the next message still parses. */
    n = 0;
    n += frame(s + n, dnsr_a, 0);
    n += frame(s + n, (const uint8_t *)"junk!", 5);
    s[n++] = 40000 >> 8;
    s[n++] = 40000 & 0xff;
    memset(s + n, 0x41, 40000);
    n += 40000;
    n += frame(s + n, dnsq_a, sizeof(dnsq_a));
    struct ps_dns_tcp st = {0};
    struct tcp_seen seen = {0};
    tcp_run(&st, 0, s, n, 4096, &seen);
    CHECK_EQ(st.bad, 2);
    CHECK_EQ(st.oversized, 1);
    CHECK_EQ(st.msgs, 1);
    CHECK_EQ(seen.n, 1);
    CHECK_EQ(seen.dirs[0], 0);
    CHECK_EQ(st.skip[0], 0);
}

/* ---- suricata-verify captures ------------------------------------------- */

/* The UDP payload of packet number `cnt` (1-based) of a corpus pcap into
 * out; its length, or -1 when the corpus or the packet is absent. */
static long corpus_udp(const char *rel, unsigned cnt, uint8_t *out, size_t cap)
{
    const char *root = getenv("PS_CORPUS");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root ? root : "/work/shared/corpus", rel);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    static struct ps_decoder dec;
    static struct ps_counters c;
    ps_decoder_init(&dec, &c);
    dec.check_checksums = false;
    struct pcap_pkthdr *h;
    const u_char *data;
    long got = -1;
    for (unsigned i = 1; pcap_next_ex(pc, &h, &data) == 1; i++) {
        if (i != cnt)
            continue;
        struct ps_pkt p;
        if (ps_decode(&dec, &p, pcap_datalink(pc), data, h->caplen, h->len, 0) == 0 &&
            p.proto == 17 && p.payload_len <= cap) {
            memcpy(out, p.payload, p.payload_len);
            got = (long)p.payload_len;
        }
        break;
    }
    pcap_close(pc);
    return got;
}

static int corpus_skipped;

static bool corpus_msg(const char *rel, unsigned cnt, bool dns_like)
{
    static uint8_t b[2048];
    long n = corpus_udp(rel, cnt, b, sizeof(b));
    if (n < 0) {
        corpus_skipped++;
        return false;
    }
    CHECK_EQ(ps_dns_parse(b, (size_t)n, &M), 0);
    CHECK_EQ(ps_dns_probe(b, (size_t)n), dns_like);
    return true;
}

static void test_corpus(void)
{
    const char *txt = "suricata-verify/tests/dns/v2/dns-udp-eve-txt/input.pcap";
    if (corpus_msg(txt, 1, true)) {
        M.tx_id = 0;
        CHECK_STR(eve(), "{\"dns\":{\"type\":\"query\",\"id\":28243,\"rrname\":\"google.com\","
                         "\"rrtype\":\"TXT\",\"tx_id\":0,\"opcode\":0}}");
    }
    if (corpus_msg(txt, 2, true)) {
        CHECK_STR(eve(), "{\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":28243,"
                         "\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,"
                         "\"rrname\":\"google.com\",\"rrtype\":\"TXT\",\"rcode\":\"NOERROR\","
                         "\"answers\":[{\"rrname\":\"google.com\",\"rrtype\":\"TXT\",\"ttl\":3217,"
                         "\"rdata\":\"v=spf1 include:_spf.google.com ~all\"}],\"grouped\":{"
                         "\"TXT\":[\"v=spf1 include:_spf.google.com ~all\"]}}}");
    }
    if (corpus_msg(txt, 4, true)) {
        (void)eve();
        CHECK(strstr(J, "\"id\":39372,\"flags\":\"8180\""));
        CHECK(strstr(J, "\"rrname\":\"textsecure-service-ca.whispersystems.org\",\"rrtype\":\"A\","
                        "\"ttl\":5,\"rdata\":\"34.197.178.240\""));
        CHECK(strstr(J, "\"grouped\":{\"A\":[\"34.197.178.240\"]}"));
    }
    if (corpus_msg("suricata-verify/tests/dns/v2/dns-udp-null/input.pcap", 2, true)) {
        CHECK(strstr(eve(), "\"rrtype\":\"NULL\""));
        CHECK(strstr(J, "\"rdata\":\"VACKD\\u0003\\\\xc5\\\\xe9\\u0001\""));
    }
    if (corpus_msg("suricata-verify/tests/dns/v2/dns-invalid-opcode/input.pcap", 2, false)) {
        CHECK(M.anomalies & PS_DNS_ANOM_OPCODE);
        CHECK(strstr(eve(), "\"id\":1,\"flags\":\"c800\",\"qr\":true,\"opcode\":9,"
                            "\"rrname\":\"suricata.io\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\","));
        CHECK(strstr(J, "\"ttl\":0,\"rdata\":\"127.0.0.1\""));
    }
    /* A forward pointer in the second question (Suricata accepts it). */
    if (corpus_msg("suricata-verify/tests/dns/dns-forward-pointer/input.pcap", 1, true)) {
        CHECK_EQ(M.nqd, 2);
        CHECK(M.anomalies & PS_DNS_ANOM_FWD_PTR);
        CHECK_STR(ps_dns_str(&M, M.qd[0].name), "codemonkey.net");
        CHECK_STR(ps_dns_str(&M, M.qd[1].name), "codemonkey.net");
        CHECK_EQ(M.id, 36356);
    }
    if (corpus_msg("suricata-verify/tests/dns/dns-forward-pointer/input.pcap", 2, true)) {
        CHECK_STR(an_rdata(0), "152.53.82.239");
        CHECK_EQ(M.an[0].ttl, 300);
    }
    if (corpus_skipped)
        printf("note unit/dns: %d corpus checks skipped (corpus absent)\n", corpus_skipped);
}

void test_dns(void)
{
    test_vectors();
    test_malformed();
    test_probe();
    test_tcp();
    test_corpus();
}
