/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS parser: the project's own openssl captures (tests/pcaps/tls, values
 * from openssl x509 in expected.txt), the third-party corpus when present
 * (suricata-verify's expected JA3/JA3S/JA4 and certificate fields), crafted
 * hostile records, and every way of cutting a stream into segments. */
#include <stdlib.h>
#include <unistd.h>

#include "app/tls.h"
#include "core/jparse.h"
#include "core/rd.h"
#include "decode/decode.h"
#include "unit.h"

#define CORPUS    "../shared/corpus/suricata-verify/tests/"
#define MAX_FLOWS 12

/* A flow's two directions as the stream layer would offer them: in-order
 * bytes (retransmissions dropped by sequence number), at most PS_APP_BUF
 * unconsumed. */
struct sdir {
    bool seq_known;
    uint32_t next_seq;
    size_t len;
    bool stuck; /* the buffer was full and the parser took nothing */
    uint8_t buf[PS_APP_BUF];
};

struct flow {
    uint8_t cli[16], srv[16];
    uint16_t cport, sport;
    struct ps_tls t;
    struct sdir d[2];
};

static struct flow flows[MAX_FLOWS];
static int nflows;
static struct ps_counters C;
static struct ps_decoder D;
static struct ps_pkt P;

/* Offer bytes to the parser through the bounded buffer; `chunk` limits how
 * many new bytes arrive per call (1 = byte by byte). */
static void offer(struct ps_tls *t, struct sdir *s, int dir, const uint8_t *p, size_t n,
                  size_t chunk)
{
    while (n > 0) {
        size_t room = PS_APP_BUF - s->len;
        size_t k = n < room ? n : room;
        if (k > chunk)
            k = chunk;
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        p += k;
        n -= k;
        size_t used = ps_tls_feed(t, dir, s->buf, s->len);
        if (used > s->len) {
            CHECK(used <= s->len);
            used = s->len;
        }
        if (used == 0 && s->len == PS_APP_BUF) {
            s->stuck = true;
            return;
        }
        memmove(s->buf, s->buf + used, s->len - used);
        s->len -= used;
        if (ps_tls_status(t) != PS_APP_MORE)
            return;
    }
}

static struct flow *find_flow(bool syn_only, int *dir)
{
    for (int i = 0; i < nflows; i++) {
        struct flow *f = &flows[i];
        if (f->cport == P.sport && f->sport == P.dport && !memcmp(f->cli, P.src, 16) &&
            !memcmp(f->srv, P.dst, 16)) {
            *dir = 0;
            return f;
        }
        if (f->cport == P.dport && f->sport == P.sport && !memcmp(f->cli, P.dst, 16) &&
            !memcmp(f->srv, P.src, 16)) {
            *dir = 1;
            return f;
        }
    }
    if (nflows == MAX_FLOWS || (syn_only && !(P.tcp_flags & 0x02)))
        return NULL;
    struct flow *f = &flows[nflows++];
    memset(f, 0, sizeof(*f));
    ps_tls_init(&f->t);
    /* the SYN's sender is the client; without one, the first sender */
    bool synack = (P.tcp_flags & 0x12) == 0x12;
    memcpy(f->cli, synack ? P.dst : P.src, 16);
    memcpy(f->srv, synack ? P.src : P.dst, 16);
    f->cport = synack ? P.dport : P.sport;
    f->sport = synack ? P.sport : P.dport;
    *dir = synack ? 1 : 0;
    return f;
}

/* A classic pcap file read whole (the unit build has no capture source):
 * the next record's bytes, or NULL at the end or on damage. */
static uint8_t *file;
static size_t file_len, file_pos;
static bool file_swap;

static uint32_t u32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return file_swap ? __builtin_bswap32(v) : v;
}

static const uint8_t *next_rec(uint32_t *caplen, uint32_t *len)
{
    if (file_len - file_pos < 16)
        return NULL;
    *caplen = u32(file + file_pos + 8);
    *len = u32(file + file_pos + 12);
    file_pos += 16;
    if (file_len - file_pos < *caplen)
        return NULL;
    file_pos += *caplen;
    return file + file_pos - *caplen;
}

static bool load_pcap(const char *path, int *dlt)
{
    FILE *f = fopen(path, "rb");
    free(file);
    file = NULL;
    file_len = file_pos = 0;
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    file = malloc(n > 0 ? (size_t)n : 1);
    if (file && n >= 24 && fread(file, 1, (size_t)n, f) == (size_t)n)
        file_len = (size_t)n;
    fclose(f);
    if (file_len < 24)
        return false;
    file_swap = false;
    uint32_t magic = u32(file);
    if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
        file_swap = true;
    else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d)
        return false;
    *dlt = (int)u32(file + 20);
    file_pos = 24;
    return true;
}

/* Read every TCP flow of a capture into flows[]; false when the file is
 * missing. */
static bool run_pcap(const char *path, size_t chunk)
{
    const uint8_t *data;
    uint32_t caplen, len;
    int dlt;
    nflows = 0;
    if (!load_pcap(path, &dlt))
        return false;
    ps_decoder_init(&D, &C);
    while ((data = next_rec(&caplen, &len)) != NULL) {
        if (ps_decode(&D, &P, dlt, data, caplen, len, 0) != 0 || P.proto != 6 || !P.l4)
            continue;
        int dir;
        struct flow *f = find_flow(false, &dir);
        if (!f)
            continue;
        struct ps_rd th = ps_rd_init(P.l4, 8);
        (void)ps_rd_be32(&th);
        uint32_t seq = ps_rd_be32(&th);
        struct sdir *s = &f->d[dir];
        if (P.tcp_flags & 0x02) {
            s->seq_known = true;
            s->next_seq = seq + 1;
            continue;
        }
        if (P.payload_len == 0)
            continue;
        if (!s->seq_known) {
            s->seq_known = true;
            s->next_seq = seq;
        }
        if (seq != s->next_seq)
            continue; /* a retransmission (these captures have no loss) */
        s->next_seq = seq + (uint32_t)P.payload_len;
        if (ps_tls_status(&f->t) == PS_APP_MORE)
            offer(&f->t, s, dir, P.payload, P.payload_len, chunk);
    }
    return true;
}

/* The first flow on server port `port` (0 = any) whose ClientHello was seen. */
static struct flow *tls_flow(uint16_t port, int nth)
{
    for (int i = 0; i < nflows; i++)
        if ((port == 0 || flows[i].sport == port) && flows[i].t.info.have_ch && nth-- == 0)
            return &flows[i];
    return NULL;
}

static char ja3s[PS_TLS_JA3_MAX], ja3h[33];

static const char *ja3(const struct ps_tls_info *ti, bool server)
{
    if (server)
        ps_tls_ja3s(ti, ja3s, sizeof(ja3s), ja3h);
    else
        ps_tls_ja3(ti, ja3s, sizeof(ja3s), ja3h);
    return ja3s;
}

static char strbuf[PS_TLS_DN_MAX + 1];

static const char *str(const char *s, size_t n)
{
    memcpy(strbuf, s, n);
    strbuf[n] = '\0';
    return strbuf;
}

static const char *version(const struct ps_tls_info *ti)
{
    static char v[24];
    ps_tls_version_str(ti->version, v);
    return v;
}

/* ------------------------------------------------ the project's captures */

static char expected[16][2][160];
static int nexpected;

static const char *want(const char *key)
{
    for (int i = 0; i < nexpected; i++)
        if (!strcmp(expected[i][0], key))
            return expected[i][1];
    return "(missing)";
}

static void load_expected(void)
{
    FILE *f = fopen("tests/pcaps/tls/expected.txt", "r");
    char line[400];
    nexpected = 0;
    CHECK(f != NULL);
    while (f && nexpected < 16 && fgets(line, sizeof(line), f)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *v = eq + 1;
        v[strcspn(v, "\n")] = '\0';
        if (strlen(line) >= sizeof(expected[0][0]) || strlen(v) >= sizeof(expected[0][1]))
            continue;
        memcpy(expected[nexpected][0], line, strlen(line) + 1);
        memcpy(expected[nexpected][1], v, strlen(v) + 1);
        nexpected++;
    }
    if (f)
        fclose(f);
}

static void check_cert(const struct ps_tls_cert *c, const char *who)
{
    char k[40];
    CHECK(c->present && !c->parse_failed);
    snprintf(k, sizeof(k), "%s.subject", who);
    CHECK_STR(str(c->subject, c->subject_len), want(k));
    snprintf(k, sizeof(k), "%s.issuerdn", who);
    CHECK_STR(str(c->issuer, c->issuer_len), want(k));
    snprintf(k, sizeof(k), "%s.serial", who);
    CHECK_STR(c->serial, want(k));
    snprintf(k, sizeof(k), "%s.fingerprint", who);
    CHECK_STR(c->fingerprint, want(k));
    snprintf(k, sizeof(k), "%s.notbefore", who);
    CHECK_STR(c->notbefore, want(k));
    snprintf(k, sizeof(k), "%s.notafter", who);
    CHECK_STR(c->notafter, want(k));
    CHECK_EQ(c->chain_len, 2); /* openssl sends the CA too */
}

static void check_common(const struct ps_tls *t)
{
    const struct ps_tls_info *i = &t->info;
    CHECK_EQ(ps_tls_status(t), PS_APP_DONE);
    CHECK_STR(str(i->sni, i->sni_len), "www.example.test");
    CHECK_EQ(i->n_alpn, 2);
    /* TLS 1.3 sends the chosen protocol in EncryptedExtensions */
    CHECK_EQ(i->salpn_len, ps_tls_is13(i->version) ? 0 : 2);
    CHECK(!memcmp(i->salpn, "h2", i->salpn_len));
    CHECK_EQ(t->malformed + t->oversize + t->cert_fail, 0);
}

static void test_own_captures(void)
{
    load_expected();
    static const size_t chunks[] = {1, 7, 100, 1460, PS_APP_BUF};
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        struct flow *f;
        CHECK(run_pcap("tests/pcaps/tls/tls12.pcap", chunks[c]));
        CHECK((f = tls_flow(4433, 0)) != NULL);
        if (f) {
            const struct ps_tls_info *i = &f->t.info;
            check_common(&f->t);
            CHECK_STR(version(i), "TLS 1.2");
            check_cert(&i->server_cert, "server");
            CHECK(!i->cert_requested && !i->client_cert.present);
        }
        CHECK(run_pcap("tests/pcaps/tls/tls12-mtls.pcap", chunks[c]));
        CHECK((f = tls_flow(4433, 0)) != NULL);
        if (f) {
            const struct ps_tls_info *i = &f->t.info;
            check_common(&f->t);
            check_cert(&i->server_cert, "server");
            CHECK(i->cert_requested);
            check_cert(&i->client_cert, "client");
        }
        CHECK(run_pcap("tests/pcaps/tls/tls12-mtls-empty.pcap", chunks[c]));
        CHECK((f = tls_flow(4433, 0)) != NULL);
        if (f) {
            const struct ps_tls_info *i = &f->t.info;
            check_common(&f->t);
            CHECK(i->cert_requested && i->client_cert_empty && !i->client_cert.present);
        }
        for (int m = 0; m < 2; m++) {
            CHECK(run_pcap(m ? "tests/pcaps/tls/tls13-mtls.pcap" : "tests/pcaps/tls/tls13.pcap",
                           chunks[c]));
            CHECK((f = tls_flow(4433, 0)) != NULL);
            if (f) {
                const struct ps_tls_info *i = &f->t.info;
                check_common(&f->t);
                CHECK_STR(version(i), "TLS 1.3");
                CHECK_EQ(i->ch_max_version, 0x0304);
                CHECK(i->client_cert_hidden && !i->server_cert.present);
                CHECK(!i->cert_requested);
                CHECK_EQ(i->sh_version, 0x0303);
            }
        }
    }
}

/* ------------------------------------------------ EVE */

static void test_eve(void)
{
    struct flow *f;
    if (!run_pcap("tests/pcaps/tls/tls12-mtls.pcap", PS_APP_BUF) || !(f = tls_flow(4433, 0))) {
        CHECK(0);
        return;
    }
    char buf[8192], err[128];
    struct ps_json j;
    ps_json_init(&j, buf, sizeof(buf));
    ps_json_obj_begin(&j, NULL);
    ps_tls_eve(&j, &f->t.info);
    ps_json_obj_end(&j);
    CHECK(!j.overflow);
    struct ps_jnode *n = ps_jparse(buf, j.len, err, sizeof(err));
    CHECK(n != NULL);
    ps_jfree(n);
    buf[j.len < sizeof(buf) ? j.len : sizeof(buf) - 1] = '\0';
    CHECK(strstr(buf, "\"tls\":{\"subject\":\"C=US, ST=Test State,") != NULL);
    CHECK(strstr(buf, "\"version\":\"TLS 1.2\"") != NULL);
    CHECK(strstr(buf, "\"sni\":\"www.example.test\"") != NULL);
    CHECK(strstr(buf, "\"client_alpns\":[\"h2\",\"http/1.1\"]") != NULL);
    CHECK(strstr(buf, "\"server_alpns\":[\"h2\"]") != NULL);
    CHECK(strstr(buf, "\"client_cert_requested\":true") != NULL);
    CHECK(strstr(buf, "\"client_cert_status\":\"sent\"") != NULL);
    CHECK(strstr(buf, "\"client_cert\":{\"subject\":\"C=US, O=Periscope Test, CN=client") != NULL);
    CHECK(strstr(buf, "\"ja4\":\"t12d") != NULL);
    /* a buffer too small is marked, never overrun */
    ps_json_init(&j, buf, 100);
    ps_tls_eve(&j, &f->t.info);
    CHECK(j.overflow && j.len <= 100);

    if (!run_pcap("tests/pcaps/tls/tls13-mtls.pcap", PS_APP_BUF) || !(f = tls_flow(4433, 0))) {
        CHECK(0);
        return;
    }
    ps_json_init(&j, buf, sizeof(buf));
    ps_tls_eve(&j, &f->t.info);
    buf[j.len < sizeof(buf) ? j.len : sizeof(buf) - 1] = '\0';
    CHECK(strstr(buf, "\"client_cert_status\":\"not_visible\"") != NULL);
    CHECK(strstr(buf, "\"version\":\"TLS 1.3\"") != NULL);
    CHECK(strstr(buf, "\"subject\"") == NULL);
}

/* ------------------------------------------------ corpus (skipped when absent) */

static int corpus_skipped;

static bool corpus(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), CORPUS "%s", rel);
    if (!run_pcap(path, 1460)) {
        corpus_skipped++;
        return false;
    }
    return true;
}

static void test_corpus(void)
{
    struct flow *f;
    char ja4[40];
    if (corpus("ja4-tls/input.pcap") && (f = tls_flow(0, 0))) {
        ps_tls_ja4(&f->t.info, 't', ja4);
        CHECK_STR(ja4, "t12i1810s1_27d4652c4487_06a4338d0495");
    }
    if (corpus("ja4-tls-quic/input.pcap")) {
        CHECK((f = tls_flow(0, 0)) != NULL);
        if (f) {
            ps_tls_ja4(&f->t.info, 't', ja4);
            CHECK_STR(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
        }
    }
    if (corpus("tls/tls-certs-alert/input.pcap") && (f = tls_flow(0, 0))) {
        CHECK_STR(ja3(&f->t.info, true), "771,49199,65281-0-11-16-23");
        CHECK_STR(ja3h, "5d79edf64e03689ff559a54e9d9487bc");
        CHECK_EQ(f->t.info.server_cert.chain_len, 3);
    }
    if (corpus("tls/tls13-draft28/tls13_draft28.pcap")) {
        static const char *const s1 =
            "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-"
            "49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-"
            "11-13-22-23-35-51-43-65281-0-45,23,0";
        int seen = 0;
        for (int k = 0; (f = tls_flow(0, k)) != NULL; k++) {
            const struct ps_tls_info *i = &f->t.info;
            CHECK_STR(str(i->sni, i->sni_len), "localhost");
            CHECK_STR(version(i), "TLS 1.3 draft-28");
            ja3(i, false);
            if (!strcmp(ja3h, "43202faa1c8c1760d6f7f4bd9adde4ab")) {
                CHECK_STR(ja3s, s1);
                seen |= 1;
            } else {
                CHECK_STR(ja3h, "d00857e0c8e7a7f35e446508c6233460");
                seen |= 2;
            }
        }
        CHECK_EQ(seen, 3);
    }
    if (corpus("tls/tls-altname-zero/input.pcap") && (f = tls_flow(0, 0))) {
        const struct ps_tls_cert *c = &f->t.info.server_cert;
        CHECK_STR(c->fingerprint, "8d:97:4b:41:04:3f:55:37:d0:58:90:a4:13:3b:7b:85:c6:46:81:cb");
        CHECK_STR(str(c->issuer, c->issuer_len), "C=US, O=Let's Encrypt, CN=R3");
        CHECK_STR(str(c->subject, c->subject_len), "CN=xn--j1ahhq.xn--p1ai");
        CHECK_STR(c->serial, "03:DE:23:89:7E:97:FB:86:8E:7C:C5:53:09:FE:AE:D0:AE:20");
        CHECK_STR(c->notbefore, "2022-12-01T06:47:31");
        CHECK_STR(c->notafter, "2023-03-01T06:47:30");
        CHECK_STR(version(&f->t.info), "TLSv1");
    }
    if (corpus("tls/tls-cert-issuer/tls.pcap")) {
        int n = 0, resumed = 0;
        for (int k = 0; (f = tls_flow(0, k)) != NULL; k++) {
            const struct ps_tls_cert *c = &f->t.info.server_cert;
            if (c->present && !strcmp(c->serial, "00:97:E6:47:09:8E:EA:C9:B4") &&
                !strcmp(str(c->issuer, c->issuer_len), "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS"))
                n++;
            if (!c->present && f->t.info.sid_resumed)
                resumed++;
        }
        CHECK_EQ(n, 4);
        CHECK_EQ(resumed, 1);
    }
    if (corpus("sslv2-tls-upgrade-01/ssl-v2-s1.pcap") && (f = tls_flow(0, 0))) {
        const struct ps_tls_cert *c = &f->t.info.server_cert;
        CHECK_STR(str(c->subject, c->subject_len),
                  "C=US, ST=California, L=Sunnyvale, O=NetScreen Technologies, Inc., OU=Security "
                  "Team, CN=sigdb.secteam.netscreen.com, Email=aturner@netscreen.com");
        CHECK_STR(str(c->issuer, c->issuer_len),
                  "C=US, ST=California, L=Sunnyvale, O=OneSecure, Inc., OU=Fulfillment, "
                  "CN=jumper.sv-staging.onesecure.com, Email=fulfillment@onesecure.com");
        CHECK_STR(c->serial, "55");
        CHECK_STR(c->fingerprint, "8c:90:bd:2a:b3:ae:e6:0b:d0:ea:b7:86:b0:1a:e4:b1:cc:57:ef:22");
        CHECK_STR(c->notbefore, "2003-03-29T00:57:44");
        CHECK_STR(c->notafter, "2008-03-27T00:57:44");
        CHECK_STR(version(&f->t.info), "TLSv1");
    }
    if (corpus("tls/tls-client-hello-frag-01/dump_mtu300.pcap") && (f = tls_flow(0, 0)))
        CHECK_STR(str(f->t.info.sni, f->t.info.sni_len), "www.google.com");
    if (corpus("tls-duplicate-hello/input.pcap") && (f = tls_flow(0, 0)))
        CHECK_STR(ja3(&f->t.info, false),
                  "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-"
                  "52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-"
                  "49310-51,5-10-11-13-22-23-35-51-43-65281-0-45,23,0");
    if (corpus_skipped)
        printf("skip unit/tls: %d corpus captures absent\n", corpus_skipped);
}

/* ------------------------------------------------ crafted input */

/* ClientHello: TLS 1.2 legacy, GREASE cipher 0x0a0a, ciphers 0x1301 0xc02f,
 * extensions GREASE 0x1a1a (empty), SNI "a.example", supported_groups
 * {0x2a2a, 29, 23}, ec_point_formats {0}, signature_algorithms {0x0403,
 * 0x0804}, ALPN {"h2"}, supported_versions {0x3a3a, 0x0304, 0x0303},
 * ECH (0xfe0d, 1 byte), session_ticket with 2 bytes. */
static const uint8_t ch_msg[] = {
    0x01, 0x00, 0x00, 0x80, /* ClientHello, 128 bytes */
    0x03, 0x03,             /* legacy_version */
    1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11,   12,   13, 14, 15, 16, 17,
    18,   19,   20,   21,   22,   23,   24,   25,   26,   27,   28,   29,   30, 31, 32, /* random */
    0x00,                                                 /* session id: none */
    0x00, 0x06, 0x0a, 0x0a, 0x13, 0x01, 0xc0, 0x2f,       /* cipher suites */
    0x01, 0x00,                                           /* compression: null */
    0x00, 0x51,                                           /* extensions: 81 bytes */
    0x1a, 0x1a, 0x00, 0x00,                               /* GREASE extension */
    0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09, /* SNI */
    'a',  '.',  'e',  'x',  'a',  'm',  'p',  'l',  'e',  /* */
    0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x2a, 0x2a, 0x00, 0x1d, 0x00, 0x17, /* groups */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                                     /* point formats */
    0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04,             /* sigalgs */
    0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h',  '2',                    /* ALPN */
    0x00, 0x2b, 0x00, 0x07, 0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03,       /* versions */
    0xfe, 0x0d, 0x00, 0x01, 0x00,                                           /* ECH */
    0x00, 0x23, 0x00, 0x02, 0xab, 0xcd,                                     /* session ticket */
};

static void test_client_hello(void)
{
    struct ps_tls_info ti;
    memset(&ti, 0, sizeof(ti));
    CHECK_EQ(sizeof(ch_msg), 4 + 0x80);
    CHECK_EQ(ps_tls_client_hello(&ti, ch_msg, sizeof(ch_msg)), 0);
    CHECK(ti.sni_present && ti.ech && ti.ch_ticket && !ti.ch_psk);
    CHECK_STR(str(ti.sni, ti.sni_len), "a.example");
    CHECK_EQ(ti.ch_max_version, 0x0304);
    CHECK_EQ(ti.n_ciphers, 3);
    CHECK_EQ(ti.n_exts, 9);
    /* JA3 drops GREASE: values checked by hand, MD5 by md5sum */
    CHECK_STR(ja3(&ti, false), "771,4865-49199,0-10-11-13-16-43-65037-35,29-23,0");
    CHECK_STR(ja3h, "10b89ad9298f9a6e6b7f7649b8e63747");
    /* JA4: 2 ciphers, 8 extensions; hashes of "1301,c02f" and
     * "000a,000b,000d,0023,002b,fe0d_0403,0804" (sha256sum) */
    char ja4[40];
    ps_tls_ja4(&ti, 'q', ja4);
    CHECK_STR(ja4, "q13d0208h2_c1929292aa6b_fef6e07d5fc3");

    /* every truncation fails cleanly; every single-byte change parses or fails */
    for (size_t n = 0; n < sizeof(ch_msg); n++) {
        memset(&ti, 0, sizeof(ti));
        CHECK_EQ(ps_tls_client_hello(&ti, ch_msg, n), -1);
    }
    uint8_t m[sizeof(ch_msg)];
    for (size_t k = 0; k < sizeof(ch_msg); k++) {
        memcpy(m, ch_msg, sizeof(m));
        m[k] ^= 0xff;
        memset(&ti, 0, sizeof(ti));
        int rc = ps_tls_client_hello(&ti, m, sizeof(m));
        CHECK(rc == 0 || rc == -1);
        ps_tls_ja4(&ti, 't', ja4);
        CHECK(strlen(ja4) == 0 || strlen(ja4) == 36);
    }
}

static void test_probe(void)
{
    uint8_t rec[5 + sizeof(ch_msg)] = {0x16, 0x03, 0x01, 0x00, sizeof(ch_msg)};
    memcpy(rec + 5, ch_msg, sizeof(ch_msg));
    CHECK(ps_tls_probe(rec, sizeof(rec)));
    CHECK(ps_tls_probe(rec, 6));
    CHECK(!ps_tls_probe(rec, 5));
    static const char *const not_tls[] = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07"
        "example\x03"
        "com\x00\x00\x01\x00\x01",
        "\x16\x03\x01\x00\x40\x02\x00\x00\x3c\x03\x03", /* a ServerHello */
        "\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x07\x03", /* client_version 7.3 */
        "\x16\x03\x05\x00\x40\x01\x00\x00\x3c\x03\x03", /* record version 3.5 */
        "\x16\x03\x01\x48\x01\x01\x00\x00\x3c\x03\x03", /* record too long */
    };
    /* an SSL 2.0-format ClientHello offering TLS 1.0 (RFC 5246 E.2): two
     * cipher specs, no session id, a 16-byte challenge */
    static const uint8_t v2[] = {0x80, 0x1f, 0x01, 0x03, 0x01, 0x00, 0x06, 0x00, 0x00,
                                 0x00, 0x10, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x35};
    CHECK(ps_tls_probe(v2, sizeof(v2)));
    CHECK(ps_tls_probe(v2, 5));
    uint8_t v2bad[sizeof(v2)];
    memcpy(v2bad, v2, sizeof(v2));
    v2bad[3] = 2; /* SSL 2.0 itself is not parsed */
    CHECK(!ps_tls_probe(v2bad, sizeof(v2bad)));
    memcpy(v2bad, v2, sizeof(v2));
    v2bad[6] = 5; /* cipher specs are 3 bytes each */
    CHECK(!ps_tls_probe(v2bad, sizeof(v2bad)));
    for (size_t i = 0; i < sizeof(not_tls) / sizeof(not_tls[0]); i++)
        CHECK(!ps_tls_probe((const uint8_t *)not_tls[i], strlen(not_tls[i]) + 1));
    /* random bytes: a few accidental matches at most */
    uint32_t x = 12345;
    int hits = 0;
    uint8_t r[64];
    for (int i = 0; i < 100000; i++) {
        for (size_t k = 0; k < sizeof(r); k++) {
            x = x * 1103515245u + 12345u;
            r[k] = (uint8_t)(x >> 16);
        }
        hits += ps_tls_probe(r, sizeof(r));
    }
    CHECK(hits == 0);
}

/* Record helper: type, version 3.3, payload. */
static size_t record(uint8_t *o, uint8_t type, const uint8_t *p, size_t n)
{
    o[0] = type;
    o[1] = 3;
    o[2] = 3;
    o[3] = (uint8_t)(n >> 8);
    o[4] = (uint8_t)n;
    if (n)
        memcpy(o + 5, p, n);
    return 5 + n;
}

static uint8_t big[3 * PS_APP_BUF];

static void test_hostile(void)
{
    struct ps_tls t;
    struct sdir *s = calloc(1, sizeof(*s));
    if (!s)
        return;

    /* a record length above 2^14 + 2048: not TLS any more */
    static const uint8_t longrec[] = {0x16, 0x03, 0x03, 0x48, 0x01, 0x01};
    ps_tls_init(&t);
    CHECK_EQ(ps_tls_feed(&t, 0, longrec, sizeof(longrec)), sizeof(longrec));
    CHECK_EQ(ps_tls_status(&t), PS_APP_ERR);
    CHECK_EQ(t.malformed, 1);

    /* a handshake length that lies (longer than what follows): waits,
     * consumes nothing after the record header */
    uint8_t rec[600];
    size_t n = record(rec, 22, ch_msg, sizeof(ch_msg));
    rec[5 + 3] = 0xff; /* ClientHello claims 255 bytes */
    ps_tls_init(&t);
    CHECK_EQ(ps_tls_feed(&t, 0, rec, n), 5);
    CHECK_EQ(ps_tls_status(&t), PS_APP_MORE);
    CHECK(!t.info.have_ch);
    /* ... and a following alert record is a violation of RFC 8446 s5.1 */
    static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    memmove(rec, rec + 5, n - 5);
    memcpy(rec + n - 5, alert, sizeof(alert));
    ps_tls_feed(&t, 0, rec, n - 5 + sizeof(alert));
    CHECK_EQ(ps_tls_status(&t), PS_APP_ERR);

    /* a ClientHello whose lists lie inside a consistent record: malformed
     * is counted, the flow goes on */
    n = record(rec, 22, ch_msg, sizeof(ch_msg));
    rec[5 + 4 + 2 + 32 + 1 + 1] = 0xff; /* cipher list length 0xff06 */
    ps_tls_init(&t);
    CHECK_EQ(ps_tls_feed(&t, 0, rec, n), n);
    CHECK_EQ(t.malformed, 1);
    CHECK_EQ(ps_tls_status(&t), PS_APP_MORE);

    /* a handshake message larger than the stream buffer (a Certificate of
     * 40000 bytes in three records), then ServerHelloDone in the last
     * record: counted, skipped, the next message still parsed */
    ps_tls_init(&t);
    memset(s, 0, sizeof(*s));
    size_t msg = 40000, o = 0, left = 4 + msg;
    static uint8_t hs[4 + 40000 + 4];
    memset(hs, 0x41, sizeof(hs));
    hs[0] = 11;
    hs[1] = (uint8_t)(msg >> 16);
    hs[2] = (uint8_t)(msg >> 8);
    hs[3] = (uint8_t)msg;
    memcpy(hs + 4 + msg, "\x0e\x00\x00\x00", 4);
    left += 4;
    for (size_t p = 0; left > 0;) {
        size_t k = left < 16384 ? left : 16384;
        o += record(big + o, 22, hs + p, k);
        p += k;
        left -= k;
    }
    offer(&t, s, 1, big, o, 1460);
    CHECK(!s->stuck);
    CHECK_EQ(t.oversize, 1);
    CHECK(t.shd);
    CHECK_EQ(s->len, 0);

    /* a certificate that does not parse: counted, fingerprint kept */
    static const uint8_t badcert[] = {
        11,   0, 0,  14,             /* Certificate, 14 bytes */
        0,    0, 11,                 /* list */
        0,    0, 8,                  /* one certificate of 8 bytes */
        0x30, 6, 1,  2,  3, 4, 5, 6, /* a SEQUENCE that is not X.509 */
    };
    ps_tls_init(&t);
    n = record(rec, 22, badcert, sizeof(badcert));
    CHECK_EQ(ps_tls_feed(&t, 1, rec, n), n);
    CHECK_EQ(t.cert_fail, 1);
    CHECK(t.info.server_cert.present && t.info.server_cert.parse_failed);
    CHECK_EQ(strlen(t.info.server_cert.fingerprint), 59);
    CHECK_EQ(t.info.server_cert.chain_len, 1);

    /* empty records are consumed as they come; a handshake header cut by
     * a buffer's worth of them cannot be gathered: an error, not a stall */
    ps_tls_init(&t);
    memset(s, 0, sizeof(*s));
    o = record(big, 22, ch_msg, 1);
    for (; o + 5 <= sizeof(big); o += 5)
        record(big + o, 22, NULL, 0);
    offer(&t, s, 0, big, o, PS_APP_BUF);
    CHECK(!s->stuck);
    CHECK_EQ(ps_tls_status(&t), PS_APP_ERR);
    ps_tls_init(&t);
    memset(s, 0, sizeof(*s));
    offer(&t, s, 0, big + 6, o - 6, PS_APP_BUF);
    CHECK(!s->stuck && s->len < 5);
    CHECK_EQ(ps_tls_status(&t), PS_APP_MORE);
    free(s);
}

/* Cut a real capture's streams at every point: the same result as whole. */
static void test_splits(void)
{
    struct flow *f;
    if (!run_pcap("tests/pcaps/tls/tls12-mtls.pcap", PS_APP_BUF) || !(f = tls_flow(4433, 0))) {
        CHECK(0);
        return;
    }
    struct ps_tls_info ref = f->t.info;
    char ja4a[40], ja4b[40];
    ps_tls_ja4(&ref, 't', ja4a);
    int diff = 0;
    for (size_t c = 1; c < 300; c += 1) {
        if (!run_pcap("tests/pcaps/tls/tls12-mtls.pcap", c) || !(f = tls_flow(4433, 0)))
            diff++;
        else {
            ps_tls_ja4(&f->t.info, 't', ja4b);
            diff += memcmp(&ref.server_cert, &f->t.info.server_cert, sizeof(ref.server_cert)) != 0;
            diff += memcmp(&ref.client_cert, &f->t.info.client_cert, sizeof(ref.client_cert)) != 0;
            diff += strcmp(ja4a, ja4b) != 0;
            diff += ps_tls_status(&f->t) != PS_APP_DONE;
        }
    }
    CHECK_EQ(diff, 0);
}

void test_tls(void)
{
    CHECK(sizeof(struct ps_tls) <= 8192);
    test_client_hello();
    test_probe();
    test_hostile();
    test_own_captures();
    test_eve();
    test_splits();
    test_corpus();
    free(file);
    file = NULL;
}
