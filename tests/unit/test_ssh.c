/* SPDX-License-Identifier: BSD-2-Clause */
/* SSH parser tests: OpenSSH's and dropbear's clients against dropbear
 * (tests/gen/app-captures.sh, whose .hassh files hold the HASSH values
 * computed there with Python's hashlib), resumability at every byte,
 * suricata-verify's ssh-hassh expectations, and hostile packets. */
#include <stdlib.h>

#include "app/ssh.h"
#include "output/json.h"
#include "unit.h"

#define CAP (64 * 1024)
static uint8_t b0[CAP], b1[CAP];
static struct ps_ssh S;

struct drive {
    struct ps_ssh *s;
    int dir;
};

static size_t drive_fn(void *st, const uint8_t *d, size_t n)
{
    struct drive *dv = st;
    return ps_ssh_feed(dv->s, dv->dir, d, n);
}

/* Client's first `first` bytes, server's, then alternating steps (the real
 * conversation interleaves: the server sends its KEXINIT before the
 * client's arrives). */
static void run(const size_t len[2], size_t first, size_t step)
{
    struct drive d0 = {&S, 0}, d1 = {&S, 1};
    ps_ssh_init(&S);
    unit_feed(b0, len[0], step, first, drive_fn, &d0);
    unit_feed(b1, len[1], step, first, drive_fn, &d1);
}

static bool load(const char *path, uint16_t port, size_t len[2])
{
    uint8_t *b[2] = {b0, b1};
    if (unit_tcp_stream(path, port, b, len, CAP) != 0) {
        fprintf(stderr, "note: %s missing, skipped\n", path);
        return false;
    }
    CHECK(len[0] > 0 && len[1] > 0);
    return true;
}

static void eve(char *out, size_t cap)
{
    struct ps_json j;
    ps_json_init(&j, out, cap - 1);
    ps_json_obj_begin(&j, NULL);
    ps_ssh_eve(&j, &S);
    ps_json_obj_end(&j);
    CHECK(!j.overflow);
    out[j.overflow ? 0 : j.len] = '\0';
}

/* "client MD5 STRING" / "server MD5 STRING" lines of a .hassh file. */
static bool read_hassh(const char *path, char md5[2][33], char *str[2], size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char side[16];
    bool ok = true;
    for (int i = 0; i < 2 && ok; i++) {
        ok = fscanf(f, "%15s %32s ", side, md5[i]) == 2 && fgets(str[i], (int)cap, f) != NULL;
        if (ok)
            str[i][strcspn(str[i], "\n")] = '\0';
        ok = ok && strcmp(side, i ? "server" : "client") == 0;
    }
    fclose(f);
    return ok;
}

static char expect_s[2][4096];

static void check_capture(const char *pcap, const char *hassh, uint16_t port, const char *csoft,
                          const char *ssoft)
{
    size_t len[2];
    char md5[2][33], *str[2] = {expect_s[0], expect_s[1]};
    if (!load(pcap, port, len))
        return;
    CHECK(read_hassh(hassh, md5, str, sizeof(expect_s[0])));
    CHECK(ps_ssh_probe(b0, len[0]));
    CHECK(ps_ssh_probe(b1, len[1]));
    run(len, len[0], len[0]);
    CHECK_EQ(ps_ssh_status(&S), PS_APP_DONE);
    CHECK_STR(S.side[0].proto, "2.0");
    CHECK_STR(S.side[0].software, csoft);
    CHECK_STR(S.side[1].proto, "2.0");
    CHECK_STR(S.side[1].software, ssoft);
    for (int i = 0; i < 2; i++) {
        CHECK(S.side[i].kexinit);
        CHECK_STR(S.side[i].hassh_md5, md5[i]);
        CHECK_STR(S.side[i].hassh, str[i]);
    }
    CHECK(strncmp(S.side[1].hostkey_algs, "ssh-ed25519", 11) == 0 ||
          strstr(S.side[1].hostkey_algs, "ssh-ed25519") != NULL);
    static char ref[8192], out[8192];
    eve(ref, sizeof(ref));
    /* Every cut, and a byte at a time: the same record. */
    size_t mx = len[0] > len[1] ? len[0] : len[1];
    int bad = 0;
    for (size_t k = 0; k <= mx; k++) {
        run(len, k, mx);
        eve(out, sizeof(out));
        if (strcmp(out, ref) != 0 || ps_ssh_status(&S) != PS_APP_DONE)
            bad++;
    }
    CHECK_EQ(bad, 0);
    run(len, 1, 1);
    eve(out, sizeof(out));
    CHECK_STR(out, ref);
}

static void test_captures(void)
{
    check_capture("tests/pcaps/app/ssh-openssh.pcap", "tests/pcaps/app/ssh-openssh.hassh", 22,
                  "OpenSSH_9.2p1", "dropbear_2022.83");
    CHECK(strncmp(S.side[0].comments, "Debian-", 7) == 0);
    check_capture("tests/pcaps/app/ssh-dropbear.pcap", "tests/pcaps/app/ssh-dropbear.hassh", 2222,
                  "dropbear_2022.83", "dropbear_2022.83");
    static char out[8192];
    eve(out, sizeof(out));
    CHECK(strncmp(out,
                  "{\"ssh\":{\"client\":{\"proto_version\":\"2.0\",\"software_version\":"
                  "\"dropbear_2022.83\",\"hassh\":{\"hash\":\"",
                  90) == 0);
    CHECK(strstr(out, "},\"server\":{\"proto_version\":\"2.0\",\"software_version\":"
                      "\"dropbear_2022.83\",\"hassh\":{\"hash\":\"") != NULL);
}

/* suricata-verify ssh-hassh, ssh-hassh-reassembled and ssh-banner-only (if
 * the corpus is here): what their test.yaml files expect. */
static void test_corpus(void)
{
    static const struct {
        const char *t, *c, *s;
    } v[] = {
        {"ssh-hassh", "2dd6531c7e89d3c925db9214711be76a", "6832f1ce43d4397c2c0a3e2f8c94334e"},
        {"ssh-hassh-reassembled", "3cc67862bceac0f334c62ad1b76895b4",
         "3cc67862bceac0f334c62ad1b76895b4"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char p[256];
        size_t len[2];
        snprintf(p, sizeof(p), "/work/shared/corpus/suricata-verify/tests/%s/input.pcap", v[i].t);
        FILE *f = fopen(p, "rb");
        if (!f) {
            fprintf(stderr, "note: corpus absent, %s skipped\n", v[i].t);
            continue;
        }
        fclose(f);
        if (!load(p, 22, len))
            continue;
        run(len, len[0], len[0]);
        CHECK_STR(S.side[0].hassh_md5, v[i].c);
        CHECK_STR(S.side[1].hassh_md5, v[i].s);
    }
    /* ssh-banner-only: the versions its test.yaml expects. */
    size_t len[2];
    const char *p = "/work/shared/corpus/suricata-verify/tests/ssh-banner-only/input.pcap";
    FILE *f = fopen(p, "rb");
    if (!f)
        return;
    fclose(f);
    if (!load(p, 22, len))
        return;
    run(len, len[0], len[0]);
    CHECK_STR(S.side[0].proto, "2.0");
    CHECK_STR(S.side[0].software, "OpenSSH_for_Windows_7.7");
    CHECK_STR(S.side[1].proto, "2.0");
    CHECK_STR(S.side[1].software, "OpenSSH_7.4");
}

static size_t feeds(int dir, const char *s)
{
    return ps_ssh_feed(&S, dir, (const uint8_t *)s, strlen(s));
}

/* A KEXINIT packet into out: ten name-lists; `lie` added to list `which`'s
 * length field. Returns its size. */
static size_t kexinit_pkt(uint8_t *out, const char *lists[10], int which, uint32_t lie)
{
    size_t o = 6;
    out[5] = 20;
    memset(out + o, 0xcc, 16);
    o += 16;
    for (int i = 0; i < 10; i++) {
        uint32_t n = (uint32_t)strlen(lists[i]), w = n + (i == which ? lie : 0);
        out[o] = (uint8_t)(w >> 24);
        out[o + 1] = (uint8_t)(w >> 16);
        out[o + 2] = (uint8_t)(w >> 8);
        out[o + 3] = (uint8_t)w;
        memcpy(out + o + 4, lists[i], n);
        o += 4 + n;
    }
    out[o++] = 0;
    memset(out + o, 0, 4);
    o += 4;
    uint8_t pad = (uint8_t)(8 - (o % 8));
    if (pad < 4)
        pad += 8;
    memset(out + o, 0, pad);
    o += pad;
    uint32_t plen = (uint32_t)(o - 4);
    out[0] = (uint8_t)(plen >> 24);
    out[1] = (uint8_t)(plen >> 16);
    out[2] = (uint8_t)(plen >> 8);
    out[3] = (uint8_t)plen;
    out[4] = pad;
    return o;
}

static void test_handmade(void)
{
    static const char *lists[10] = {
        "curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes256-ctr", "hmac-sha2-256",
        "hmac-sha1",         "none",        "zlib",       "",           "",
    };
    static uint8_t pkt[2048];
    /* Lines before the server's banner; banner without comments; the
     * HASSH of a hand-made KEXINIT (value from `printf ... | md5sum`). */
    ps_ssh_init(&S);
    CHECK_EQ(feeds(1, "Welcome\r\nto the host\r\nSSH-1.99-Srv_1.0\r\n"), 40);
    CHECK(S.side[1].banner);
    CHECK_STR(S.side[1].proto, "1.99");
    CHECK_STR(S.side[1].software, "Srv_1.0");
    CHECK_EQ(S.side[1].prelines, 2);
    size_t n = kexinit_pkt(pkt, lists, -1, 0);
    CHECK_EQ(ps_ssh_feed(&S, 1, pkt, n), n);
    CHECK(S.side[1].kexinit);
    CHECK_STR(S.side[1].hassh, "curve25519-sha256;aes256-ctr;hmac-sha1;zlib");
    CHECK_STR(S.side[1].hassh_md5, "1d28bf246fed683b2556414dbd13cd28");
    CHECK_EQ(ps_ssh_status(&S), PS_APP_MORE);
    feeds(0, "SSH-2.0-Cli\n");
    CHECK_EQ(ps_ssh_feed(&S, 0, pkt, n), n);
    CHECK_STR(S.side[0].hassh, "curve25519-sha256;aes128-ctr;hmac-sha2-256;none");
    CHECK_STR(S.side[0].hassh_md5, "e97d07603350d1111ec2b64bf25413c9");
    CHECK_EQ(ps_ssh_status(&S), PS_APP_DONE);

    /* Lying name-list lengths: no HASSH, counted, never a read past. */
    for (uint32_t lie = 1; lie < 5000; lie = lie * 3 + 1) {
        for (int which = 0; which < 10; which++) {
            ps_ssh_init(&S);
            feeds(0, "SSH-2.0-x\r\n");
            n = kexinit_pkt(pkt, lists, which, lie);
            CHECK_EQ(ps_ssh_feed(&S, 0, pkt, n), n);
            CHECK(!S.side[0].kexinit);
        }
    }
    ps_ssh_init(&S);
    feeds(0, "SSH-2.0-x\r\n");
    n = kexinit_pkt(pkt, lists, 3, 0xfffffff0u);
    CHECK_EQ(ps_ssh_feed(&S, 0, pkt, n), n);
    CHECK(!S.side[0].kexinit);
    CHECK_EQ(S.stats.bad_kexinit, 1);

    /* A truncated KEXINIT waits; a packet length out of range stops. */
    ps_ssh_init(&S);
    feeds(0, "SSH-2.0-x\r\n");
    n = kexinit_pkt(pkt, lists, -1, 0);
    CHECK_EQ(ps_ssh_feed(&S, 0, pkt, n - 1), 0);
    CHECK_EQ(ps_ssh_feed(&S, 0, pkt, n), n);
    ps_ssh_init(&S);
    feeds(0, "SSH-2.0-x\r\n");
    static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 4, 20, 0, 0};
    ps_ssh_feed(&S, 0, huge, sizeof(huge));
    CHECK_EQ(S.stats.bad_packet, 1);
    static const uint8_t badpad[] = {0, 0, 0, 12, 200, 20, 0, 0};
    ps_ssh_feed(&S, 1, (const uint8_t *)"SSH-2.0-y\r\n", 11);
    ps_ssh_feed(&S, 1, badpad, sizeof(badpad));
    CHECK_EQ(S.stats.bad_packet, 2);
    CHECK_EQ(ps_ssh_status(&S), PS_APP_DONE); /* both sides stopped */

    /* Other packets are skipped, NEWKEYS ends a side (encrypted after). */
    ps_ssh_init(&S);
    feeds(0, "SSH-2.0-x\r\n");
    static const uint8_t ignore[] = {0, 0, 0, 12, 10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t newkeys[] = {0, 0, 0, 12, 10, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(ps_ssh_feed(&S, 0, ignore, sizeof(ignore)), sizeof(ignore));
    CHECK_EQ(ps_ssh_feed(&S, 0, newkeys, sizeof(newkeys)), sizeof(newkeys));
    CHECK(S.side[0].newkeys);
    CHECK_EQ(ps_ssh_status(&S), PS_APP_MORE);

    /* SSH-1.5: no binary packets to read on that side. */
    ps_ssh_init(&S);
    feeds(0, "SSH-1.5-Old\n");
    feeds(1, "SSH-1.5-Old\n");
    CHECK_EQ(ps_ssh_status(&S), PS_APP_DONE);

    /* Not SSH: the client's first bytes decide at once. */
    ps_ssh_init(&S);
    CHECK_EQ(feeds(0, "GET / HTTP/1.1\r\n"), 16);
    CHECK_EQ(ps_ssh_status(&S), PS_APP_ERR);
    ps_ssh_init(&S);
    CHECK_EQ(feeds(0, "GE"), 0);
    CHECK_EQ(ps_ssh_status(&S), PS_APP_MORE);
    /* A server that only talks: too many lines. */
    ps_ssh_init(&S);
    for (int i = 0; i < 40; i++)
        feeds(1, "motd line\r\n");
    CHECK(S.stats.bad_banner >= 1);

    /* Over-long and odd banners: bounded and escaped. */
    ps_ssh_init(&S);
    char ban[300];
    memset(ban, 'A', sizeof(ban));
    memcpy(ban, "SSH-2.0-", 8);
    ban[200] = ' ';
    ban[250] = '\n';
    CHECK_EQ(ps_ssh_feed(&S, 0, (const uint8_t *)ban, 251), 251);
    CHECK_EQ(strlen(S.side[0].software), PS_SSH_SOFT_MAX - 1);
    CHECK(S.side[0].trunc);
    ps_ssh_init(&S);
    feeds(0, "SSH-2.0-\"q\x01\r\n");
    static char out[1024];
    eve(out, sizeof(out));
    CHECK_STR(out, "{\"ssh\":{\"client\":{\"proto_version\":\"2.0\","
                   "\"software_version\":\"\\\"q\\u0001\"}}}");
    /* A gap before the KEXINIT stops that side. */
    ps_ssh_gap(&S, 0, 100);
    CHECK_EQ(S.stats.gap, 1);

    CHECK(ps_ssh_probe((const uint8_t *)"SSH-", 4));
    CHECK(!ps_ssh_probe((const uint8_t *)"SSH", 3));
    CHECK(!ps_ssh_probe((const uint8_t *)"ssh-", 4));
}

void test_ssh(void)
{
    test_captures();
    test_corpus();
    test_handmade();
}
