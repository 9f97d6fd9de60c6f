/* SPDX-License-Identifier: BSD-2-Clause */
/* icmp_tunnel and dns_tunnel: payload classes, tool magics, the public
 * suffix list, and the thresholds on sequences built here. */
#include <stdlib.h>
#include <string.h>

#include "app/dns.h"
#include "detect/dns_tunnel.h"
#include "detect/icmp_tunnel.h"
#include "unit.h"

static struct ps_alert last;
static int alerts;

static void on_alert(void *ctx, const struct ps_alert *a)
{
    (void)ctx;
    last = *a;
    alerts++;
}

static const char *ev_str(const struct ps_alert *a, const char *key)
{
    for (int i = 0; i < a->ev.n; i++)
        if (strcmp(a->ev.v[i].key, key) == 0 && a->ev.v[i].is_str)
            return a->ev.v[i].str;
    return "";
}

static uint64_t ev_num(const struct ps_alert *a, const char *key)
{
    for (int i = 0; i < a->ev.n; i++)
        if (strcmp(a->ev.v[i].key, key) == 0 && !a->ev.v[i].is_str)
            return a->ev.v[i].num;
    return UINT64_MAX;
}

/* ---- ICMP -------------------------------------------------------------- */

static void payload_kinds(void)
{
    uint8_t b[100];
    /* Linux: 16-byte timeval, then 0x10, 0x11, ... */
    for (int i = 0; i < 56; i++)
        b[i] = (uint8_t)i;
    memcpy(b, "\x65\x4f\x1a\x00\x00\x00\x00\x00\x11\x22\x03\x00\x00\x00\x00\x00", 16);
    CHECK_EQ(ps_icmp_payload_kind(b, 56), PS_PING_UNIX);
    /* BSD: 8-byte timestamp, then 0x08, 0x09, ... */
    for (int i = 8; i < 56; i++)
        b[i] = (uint8_t)i;
    CHECK_EQ(ps_icmp_payload_kind(b, 56), PS_PING_UNIX);
    const char *win = "abcdefghijklmnopqrstuvwabcdefghi";
    CHECK_EQ(ps_icmp_payload_kind((const uint8_t *)win, 32), PS_PING_WINDOWS);
    memset(b, 0, sizeof(b));
    CHECK_EQ(ps_icmp_payload_kind(b, 56), PS_PING_ZERO);
    /* ping -p 4142: the timestamp, then the pattern */
    for (int i = 16; i < 56; i++)
        b[i] = i % 2 ? 0x42 : 0x41;
    b[0] = 1;
    CHECK_EQ(ps_icmp_payload_kind(b, 56), PS_PING_PATTERN);
    for (int i = 0; i < 56; i++)
        b[i] = (uint8_t)(i * 37 + 11);
    CHECK_EQ(ps_icmp_payload_kind(b, 56), PS_PING_OTHER);
    CHECK_EQ(ps_icmp_payload_kind(b, 8), PS_PING_EMPTY);
    /* magics */
    CHECK_STR(ps_icmp_tool_magic((const uint8_t *)"\xd5\x20\x08\x80xxxx", 8), "ptunnel");
    CHECK_STR(ps_icmp_tool_magic((const uint8_t *)"\xde\xad\xc0\xdexxxx", 8), "ptunnel-ng");
    CHECK_STR(ps_icmp_tool_magic((const uint8_t *)"hanc\x07xxx", 8), "hans");
    CHECK(ps_icmp_tool_magic((const uint8_t *)"hanc\x20xxx", 8) == NULL);
    CHECK(ps_icmp_tool_magic((const uint8_t *)"\xd5\x20\x08", 3) == NULL);
}

/* An IPv4 echo packet in buf: returns the ps_pkt pointing into it. */
static struct ps_pkt echo4(uint8_t *buf, bool request, uint16_t id, uint16_t seq,
                           const uint8_t *data, size_t n, uint64_t ts)
{
    struct ps_pkt p;
    memset(&p, 0, sizeof(p));
    memset(buf, 0, 28);
    buf[0] = 0x45;
    buf[9] = 1;
    static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(p.src, request ? a : b, 4);
    memcpy(p.dst, request ? b : a, 4);
    buf[20] = request ? 8 : 0;
    buf[24] = (uint8_t)(id >> 8);
    buf[25] = (uint8_t)id;
    buf[26] = (uint8_t)(seq >> 8);
    buf[27] = (uint8_t)seq;
    memcpy(buf + 28, data, n);
    p.ts_us = ts;
    p.ipver = 4;
    p.proto = 1;
    p.ip_hdr = buf;
    p.ip_len = (uint32_t)(28 + n);
    p.l4 = buf + 20;
    p.l4_caplen = 8 + n;
    p.icmp_type = buf[20];
    p.payload = buf + 24;
    p.payload_len = 4 + n;
    return p;
}

static void icmp_detector(void)
{
    struct ps_counters c;
    memset(&c, 0, sizeof(c));
    struct ps_icmp_tunnel_config cfg;
    ps_icmp_tunnel_config_default(&cfg);
    struct ps_alert_sink sink = {on_alert, NULL};
    struct ps_icmp_tunnel *t = ps_icmp_tunnel_new(&cfg, 7, &c, sink);
    CHECK(t != NULL);
    uint8_t buf[200], data[64];

    /* 50 Linux pings, answered by the kernel: nothing */
    alerts = 0;
    for (int s = 0; s < 50; s++) {
        for (int i = 0; i < 56; i++)
            data[i] = (uint8_t)i;
        memcpy(data, &s, sizeof(s)); /* the timestamp changes */
        struct ps_pkt p = echo4(buf, true, 77, (uint16_t)s, data, 56, 1000000u + s * 1000u);
        ps_icmp_tunnel_packet(t, &p);
        p = echo4(buf, false, 77, (uint16_t)s, data, 56, 1000100u + s * 1000u);
        ps_icmp_tunnel_packet(t, &p);
    }
    CHECK_EQ(alerts, 0);

    /* fills of one byte, a new one in each packet: carry nothing */
    for (int s = 0; s < 20; s++) {
        memset(data, 0, 16);
        for (int i = 16; i < 56; i++)
            data[i] = (uint8_t)(s * 3 + 1);
        struct ps_pkt p = echo4(buf, true, (uint16_t)(1000 + s), 1, data, 56, 8000000u + s);
        ps_icmp_tunnel_packet(t, &p);
    }
    CHECK_EQ(alerts, 0);
    ps_icmp_tunnel_free(t);
    t = ps_icmp_tunnel_new(&cfg, 7, &c, sink);
    /* ping -p with a new 16-byte pattern in each packet (and a new
     * identifier): the 8th distinct one alerts */
    for (int s = 0; s < 20; s++) {
        memset(data, 0, 16);
        for (int i = 16; i < 56; i++)
            data[i] = (uint8_t)(s * 3 + i % 16);
        struct ps_pkt p = echo4(buf, true, (uint16_t)(1000 + s), 1, data, 56, 9000000u + s);
        ps_icmp_tunnel_packet(t, &p);
    }
    CHECK_EQ(alerts, 1);
    CHECK_EQ(last.sig, PS_SIG_ICMP_TUNNEL_DATA);
    CHECK_EQ(ev_num(&last, "distinct_payloads"), 8);
    CHECK_EQ(ev_num(&last, "distinct_bytes"), 128);
    CHECK_STR(ev_str(&last, "payload_kinds"), "pattern:8");

    /* replies with data of their own */
    ps_icmp_tunnel_free(t);
    t = ps_icmp_tunnel_new(&cfg, 7, &c, sink);
    alerts = 0;
    for (int s = 0; s < 5; s++) {
        memset(data, 0, 56);
        struct ps_pkt p = echo4(buf, true, 5, (uint16_t)s, data, 56, 2000000u + s);
        ps_icmp_tunnel_packet(t, &p);
        data[40] = 1; /* zeros plus one byte: still "other" only once */
        p = echo4(buf, false, 5, (uint16_t)s, data, 56, 2000001u + s);
        ps_icmp_tunnel_packet(t, &p);
    }
    CHECK_EQ(alerts, 1);
    CHECK_EQ(last.sig, PS_SIG_ICMP_TUNNEL_MISMATCH);
    CHECK_EQ(ev_num(&last, "replies_differing"), 3);
    CHECK(memcmp(last.src, "\x0a\x00\x00\x01", 4) == 0); /* said from the requester */

    /* a ptunnel magic alerts at once, and once */
    alerts = 0;
    memcpy(data, "\xd5\x20\x08\x80", 4);
    for (int s = 0; s < 3; s++) {
        struct ps_pkt p = echo4(buf, true, 9, (uint16_t)s, data, 40, 3000000u + s);
        ps_icmp_tunnel_packet(t, &p);
    }
    CHECK_EQ(alerts, 1);
    CHECK_EQ(last.sig, PS_SIG_ICMP_TUNNEL_MAGIC);
    CHECK_STR(ev_str(&last, "tool"), "ptunnel");
    ps_icmp_tunnel_free(t);

    /* a full table evicts and counts */
    cfg.capacity = 16;
    t = ps_icmp_tunnel_new(&cfg, 7, &c, sink);
    uint64_t before = c.v[PS_C_ICMP_TUNNEL_EVICTED];
    for (int s = 0; s < 40; s++) {
        struct ps_pkt p = echo4(buf, true, 1, 1, data, 0, 4000000u + s);
        p.src[3] = (uint8_t)(s + 10);
        ps_icmp_tunnel_packet(t, &p);
    }
    CHECK(c.v[PS_C_ICMP_TUNNEL_EVICTED] - before >= 24);
    ps_icmp_tunnel_free(t);

    /* config keys */
    CHECK_EQ(ps_icmp_tunnel_config_set(&cfg, "distinct=5"), 0);
    CHECK_EQ(cfg.distinct, 5);
    CHECK_EQ(ps_icmp_tunnel_config_set(&cfg, "distinct=1"), -1);
    CHECK_EQ(ps_icmp_tunnel_config_set(&cfg, "nope=1"), -1);
    CHECK_EQ(ps_icmp_tunnel_config_set(&cfg, "volume"), -1);
}

/* ---- DNS --------------------------------------------------------------- */

static size_t reg(const struct ps_psl *l, const char *name)
{
    return ps_psl_registered(l, (const uint8_t *)name, strlen(name));
}

static void psl(void)
{
    static const char list[] = "// comment\n"
                               "com\n"
                               "uk\n"
                               "co.uk\n"
                               "*.ck\n"
                               "!www.ck\n"
                               "github.io\n"
                               "in-addr.arpa\n"
                               "\n";
    struct ps_psl *l = ps_psl_new(3);
    CHECK_EQ(ps_psl_load_text(l, list, sizeof(list) - 1), 7);
    CHECK_EQ(reg(l, "a.b.example.com"), 4);     /* example.com */
    CHECK_EQ(reg(l, "example.com"), 0);         /* itself */
    CHECK_EQ(reg(l, "com"), 0);                 /* a public suffix */
    CHECK_EQ(reg(l, "www.bbc.co.uk"), 4);       /* bbc.co.uk */
    CHECK_EQ(reg(l, "x.y.foo.ck"), 2);          /* *.ck: y.foo.ck */
    CHECK_EQ(reg(l, "a.www.ck"), 2);            /* !www.ck: www.ck */
    CHECK_EQ(reg(l, "docs.proj.github.io"), 5); /* proj.github.io */
    CHECK_EQ(reg(l, "WWW.Example.COM"), 4);     /* case-blind */
    CHECK_EQ(reg(l, "host.unlisted-tld"), 0);   /* default rule: last label */
    CHECK_EQ(reg(l, "a.b.host.unlisted-tld"), 4);
    ps_psl_free(l);
    /* the Debian list, when installed */
    l = ps_psl_new(3);
    if (ps_psl_load_file(l, PS_PSL_DEFAULT_PATH) > 5000) {
        CHECK_EQ(reg(l, "x.t.tunnel-lab.net"), 4);
        CHECK_EQ(reg(l, "foo.bar.s3.amazonaws.com"), 4); /* bar.s3.amazonaws.com */
    }
    ps_psl_free(l);
}

static void query(struct ps_dns_tunnel *t, const char *name, uint16_t qtype, uint64_t ts)
{
    static const uint8_t cl[16] = {10, 0, 0, 1}, sv[16] = {10, 0, 0, 53};
    struct ps_dns_obs o = {.ts_us = ts,
                           .ipver = 4,
                           .client = cl,
                           .server = sv,
                           .client_port = 40000,
                           .server_port = 53,
                           .qname = (const uint8_t *)name,
                           .qname_len = strlen(name),
                           .qtype = qtype};
    struct ps_pkt p;
    memset(&p, 0, sizeof(p));
    p.ts_us = ts;
    p.ipver = 4;
    p.proto = 17;
    ps_dns_tunnel_observe(t, &o, &p);
}

/* A detector with the default thresholds and no public suffix list. */
static struct ps_dns_tunnel *new_dns(struct ps_counters *c, struct ps_dns_tunnel_config *cfg)
{
    memset(c, 0, sizeof(*c));
    ps_dns_tunnel_config_default(cfg);
    cfg->psl_path = NULL;
    struct ps_alert_sink sink = {on_alert, NULL};
    return ps_dns_tunnel_new(cfg, 5, c, sink);
}

static void dns_detector(void)
{
    struct ps_counters c;
    struct ps_dns_tunnel_config cfg;
    struct ps_dns_tunnel *t = new_dns(&c, &cfg);
    CHECK(t != NULL);
    char name[300];

    /* 200 word-like hosts of one domain, A queries: busy, not encoded */
    static const char *const words[] = {"alpha", "bravo", "charlie", "delta",  "echo", "foxtrot",
                                        "golf",  "hotel", "india",   "juliet", "kilo", "lima"};
    alerts = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "%s%s.sourceforge.net", words[i % 12], words[i / 12 % 12]);
        query(t, name, 1, 1000000u + (uint64_t)i * 1000);
    }
    CHECK_EQ(alerts, 0);
    /* reverse lookups are skipped */
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "%d.2.0.192.in-addr.arpa", i);
        query(t, name, 12, 2000000u + (uint64_t)i);
    }
    CHECK_EQ(alerts, 0);
    CHECK_EQ(c.v[PS_C_DNS_TUNNEL_SKIPPED], 100);

    /* base32-like data in NULL queries: alerts at the 20th unique name, once */
    uint32_t x = 12345;
    for (int i = 0; i < 60; i++) {
        size_t n = 0;
        for (int k = 0; k < 50; k++) {
            x = x * 1103515245u + 12345u;
            name[n++] = "abcdefghijklmnopqrstuvwxyz012345"[(x >> 16) & 31];
        }
        snprintf(name + n, sizeof(name) - n, ".t.tunnel-lab.net");
        query(t, name, 10, 3000000u + (uint64_t)i * 1000);
    }
    CHECK_EQ(alerts, 1);
    CHECK_EQ(last.sig, PS_SIG_DNS_TUNNEL);
    CHECK_STR(ev_str(&last, "domain"), "tunnel-lab.net");
    CHECK_EQ(ev_num(&last, "queries_until_alert"), 20);
    CHECK_EQ(ev_num(&last, "unique_subdomains"), 20);
    CHECK(ev_num(&last, "info_bytes") >= 400);
    CHECK(strstr(ev_str(&last, "signs"), "record_types") != NULL);
    CHECK_STR(ev_str(&last, "record_types"), "NULL:20");
    CHECK(memcmp(last.src, "\x0a\x00\x00\x01", 4) == 0);
    CHECK_EQ(last.dport, 53);
    ps_dns_tunnel_free(t);

    /* config keys */
    CHECK_EQ(ps_dns_tunnel_config_set(&cfg, "unique=20"), 0);
    CHECK_EQ(cfg.min_unique, 20);
    CHECK_EQ(ps_dns_tunnel_config_set(&cfg, "psl=/x"), 0);
    CHECK_STR(cfg.psl_path, "/x");
    CHECK_EQ(ps_dns_tunnel_config_set(&cfg, "unique=x"), -1);
    CHECK_EQ(ps_dns_tunnel_config_set(&cfg, "signs=6"), -1);
}

/* The UDP path parses the question of a real message layout. */
static void dns_udp(void)
{
    struct ps_counters c;
    struct ps_dns_tunnel_config cfg;
    struct ps_dns_tunnel *t = new_dns(&c, &cfg);
    static const uint8_t msg[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                  0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                  'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};
    struct ps_pkt p;
    memset(&p, 0, sizeof(p));
    p.ipver = 4;
    p.proto = 17;
    p.has_ports = true;
    p.sport = 40000;
    p.dport = 53;
    p.payload = msg;
    p.payload_len = sizeof(msg);
    /* the message as the application layer's parser gives it */
    static struct ps_dns_msg m;
    CHECK_EQ(ps_dns_parse(msg, sizeof(msg), &m), 0);
    ps_dns_tunnel_msg(t, &m, &p);
    CHECK_EQ(c.v[PS_C_DNS_TUNNEL_MESSAGES], 1);
    /* cut in the question: the parser refuses it, nothing is scored */
    CHECK(ps_dns_parse(msg, sizeof(msg) - 3, &m) != 0);
    ps_dns_tunnel_msg(t, &m, &p);
    CHECK_EQ(c.v[PS_C_DNS_TUNNEL_MESSAGES], 1);
    CHECK_EQ(c.v[PS_C_DNS_TUNNEL_KEYS], 1); /* the same client and example.com */
    ps_dns_tunnel_free(t);
}

void test_tunnels(void)
{
    payload_kinds();
    icmp_detector();
    psl();
    dns_detector();
    dns_udp();
}
