/* SPDX-License-Identifier: BSD-2-Clause */
/* QUIC unit tests: the RFC 9001 Appendix A and RFC 9369 Appendix A vectors
 * exactly, Initials built here with chosen CRYPTO frames (out of order,
 * split over packets, oversize), Version Negotiation, Retry, coalesced
 * packets, the probe, and the real captures of ../shared/corpus (skipped
 * when absent). */
#include <pcap/pcap.h>
#include <stdlib.h>

#include "app/quic.h"
#include "decode/decode.h"
#include "quic_build.h"
#include "unit.h"

/* RFC 9001 A.2: the client Initial, DCID 8394c8f03e515708, packet number
 * 2, a CRYPTO frame with a ClientHello for example.com, padded to 1200. */
static const char rfc9001_a2[] = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
                                 "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
                                 "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
                                 "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
                                 "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
                                 "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
                                 "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
                                 "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
                                 "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
                                 "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
                                 "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
                                 "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
                                 "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
                                 "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
                                 "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
                                 "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
                                 "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
                                 "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
                                 "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
                                 "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
                                 "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
                                 "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
                                 "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
                                 "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
                                 "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
                                 "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
                                 "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
                                 "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
                                 "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
                                 "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
                                 "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
                                 "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
                                 "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
                                 "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
                                 "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
                                 "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
                                 "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
                                 "e221af44860018ab0856972e194cd934";

static const char rfc9369_a2[] = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
                                 "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
                                 "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
                                 "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
                                 "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
                                 "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
                                 "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
                                 "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
                                 "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
                                 "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
                                 "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
                                 "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
                                 "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
                                 "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
                                 "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
                                 "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
                                 "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
                                 "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
                                 "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
                                 "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
                                 "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
                                 "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
                                 "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
                                 "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
                                 "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
                                 "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
                                 "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
                                 "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
                                 "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
                                 "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
                                 "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
                                 "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
                                 "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
                                 "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
                                 "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
                                 "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
                                 "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
                                 "a18b2faa745b6fe189cf772a9f84cbfc";

/* RFC 9001 A.3 (v1) and RFC 9369 A.3 (v2): the server Initial, a
 * ServerHello choosing TLS_AES_128_GCM_SHA256 (0x1301). */
static const char rfc9001_a3[] = "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
                                 "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
                                 "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
                                 "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
                                 "2158407dd074ee";
static const char rfc9369_a3[] = "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
                                 "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
                                 "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
                                 "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
                                 "4bed8521e2e140";

/* RFC 9001 A.2 (and RFC 9369 A.2): the unprotected payload starts with
 * CRYPTO (06), offset 0, length 0x0f1, then this ClientHello. */
static const char client_hello_hex[] =
    "010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v = 0;
        for (int i = 0; i < 2; i++) {
            char c = hex[i];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[n++] = (uint8_t)v;
    }
    return n;
}

static int eq_hex(const uint8_t *b, size_t n, const char *hex)
{
    uint8_t want[64];
    size_t wn = unhex(want, sizeof(want), hex);
    return wn == n && memcmp(b, want, n) == 0;
}

static struct ps_quic Q;
static const uint8_t ping_frame[1] = {0x01};
static uint8_t pkt[4096];

/* RFC 9001 A.1 (v1) and RFC 9369 A.1 (v2): client and server keys for
 * DCID 8394c8f03e515708. */
static const struct {
    uint32_t version;
    int dir;
    const char *key, *iv, *hp;
} key_vectors[] = {
    {PS_QUIC_V1, 0, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
     "9f50449e04a0e810283a1e9933adedd2"},
    {PS_QUIC_V1, 1, "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e",
     "c206b8d9b9f0f37644430b490eeaa314"},
    {PS_QUIC_V2, 0, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
     "45b95e15235d6f45a6b19cbcb0294ba9"},
    {PS_QUIC_V2, 1, "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652",
     "edf6d05c83121201b436e16877593c3a"},
};

static void test_keys(void)
{
    struct ps_quic_keys k;
    for (size_t i = 0; i < sizeof(key_vectors) / sizeof(key_vectors[0]); i++) {
        memset(&k, 0, sizeof(k));
        CHECK_EQ(ps_quic_derive_keys(key_vectors[i].version, rfc_dcid, 8, key_vectors[i].dir, &k),
                 0);
        CHECK(eq_hex(k.key, 16, key_vectors[i].key));
        CHECK(eq_hex(k.iv, 12, key_vectors[i].iv));
        CHECK(eq_hex(k.hp, 16, key_vectors[i].hp));
    }
    /* Unknown versions have no keys. */
    CHECK_EQ(ps_quic_derive_keys(0x51303436, rfc_dcid, 8, 0, &k), -1);
    CHECK(ps_quic_version_known(PS_QUIC_DRAFT29));
    CHECK(!ps_quic_version_known(0xff000021));
}

static void eve_str(const struct ps_quic *q, char *out, size_t cap)
{
    struct ps_json j;
    ps_json_init(&j, out, cap - 1);
    ps_json_obj_begin(&j, NULL);
    ps_quic_eve(&j, q);
    ps_json_obj_end(&j);
    out[j.overflow ? 0 : j.len] = 0;
}

/* One RFC client vector and its server answer, for v1 and v2. */
static void rfc_pair(const char *client_hex, const char *server_hex, const char *eve)
{
    uint8_t ch[512];
    size_t chn = unhex(ch, sizeof(ch), client_hello_hex);
    size_t n = unhex(pkt, sizeof(pkt), client_hex);
    CHECK_EQ(n, 1200);
    CHECK(ps_quic_probe(pkt, n));
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_MORE);
    CHECK_EQ(Q.pkts_initial, 1);
    CHECK_EQ(Q.decrypt_failed, 0);
    /* The unprotected header: packet number 2 on 4 bytes. */
    CHECK_EQ(Q.largest_pn[0], 2);
    size_t len = 0;
    const uint8_t *m = ps_quic_client_hello(&Q, &len);
    CHECK(m != NULL);
    CHECK_EQ(len, chn);
    CHECK(m && len == chn && memcmp(m, ch, chn) == 0);
    CHECK(m && memmem(m, len, "example.com", 11) != NULL);
    char out[256];
    eve_str(&Q, out, sizeof(out));
    CHECK_STR(out, eve);
    /* The server Initial: ServerHello, TLS_AES_128_GCM_SHA256. */
    n = unhex(pkt, sizeof(pkt), server_hex);
    CHECK(!ps_quic_probe(pkt, n)); /* a server packet, under 1200 bytes */
    CHECK_EQ(ps_quic_feed(&Q, 1, pkt, n), PS_APP_DONE);
    CHECK_EQ(Q.server_cipher, 0x1301);
    CHECK_EQ(Q.largest_pn[1], 1);
}

static void test_rfc_vectors(void)
{
    rfc_pair(rfc9001_a2, rfc9001_a3, "{\"version\":\"1\"}");
    rfc_pair(rfc9369_a2, rfc9369_a3, "{\"version\":\"v2\"}");

    /* One flipped ciphertext bit: counted, no ClientHello. */
    size_t n = unhex(pkt, sizeof(pkt), rfc9001_a2);
    pkt[600] ^= 1;
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_MORE);
    CHECK_EQ(Q.decrypt_failed, 1);
    CHECK_EQ(Q.pkts_initial, 0);
    size_t len;
    CHECK(ps_quic_client_hello(&Q, &len) == NULL);

    /* Every truncation of the vector: no read past it, no ClientHello. */
    n = unhex(pkt, sizeof(pkt), rfc9001_a2);
    for (size_t cut = 0; cut < n; cut += 7) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, pkt, cut);
        ps_quic_init(&Q);
        ps_quic_feed(&Q, 0, c, cut);
        CHECK(ps_quic_client_hello(&Q, &len) == NULL);
        CHECK(!ps_quic_probe(c, cut));
        free(c);
    }
}

/* The RFC's ClientHello split into three CRYPTO frames sent in three
 * Initials in the order 3, 1, 2, with a duplicate: complete only after
 * the last piece, byte-identical to the original. */
static void test_reassembly(void)
{
    uint8_t ch[512], fr[600];
    size_t chn = unhex(ch, sizeof(ch), client_hello_hex);
    static const uint8_t dcid[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    const uint32_t cuts[4] = {0, 100, 170, (uint32_t)chn};
    const int order[4] = {2, 0, 0, 1};
    ps_quic_init(&Q);
    for (int i = 0; i < 4; i++) {
        int part = order[i];
        size_t fl =
            qb_crypto(fr, cuts[part], ch + cuts[part], (uint16_t)(cuts[part + 1] - cuts[part]));
        size_t n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, dcid, sizeof(dcid), dcid,
                              sizeof(dcid), (uint32_t)i, 2, fr, fl, 1200);
        CHECK(n >= 1200);
        CHECK(ps_quic_probe(pkt, n));
        CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_MORE);
        size_t len;
        const uint8_t *m = ps_quic_client_hello(&Q, &len);
        if (i < 3)
            CHECK(m == NULL);
        else
            CHECK(m && len == chn && memcmp(m, ch, chn) == 0);
    }
    CHECK_EQ(Q.pkts_initial, 4);
    CHECK_EQ(Q.largest_pn[0], 3);
    /* A short-header packet from the server: the handshake moved on. */
    uint8_t shortp[40] = {0x43};
    CHECK_EQ(ps_quic_feed(&Q, 1, shortp, sizeof(shortp)), PS_APP_DONE);

    /* Draft-29 with a 1-byte packet number. */
    size_t fl = qb_crypto(fr, 0, ch, (uint16_t)chn);
    size_t n =
        qb_initial(pkt, sizeof(pkt), PS_QUIC_DRAFT29, 0, dcid, 8, dcid, 8, 0, 1, fr, fl, 1250);
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_MORE);
    size_t len;
    CHECK(ps_quic_client_hello(&Q, &len) != NULL);
    char out[128];
    eve_str(&Q, out, sizeof(out));
    CHECK_STR(out, "{\"version\":\"ff00001d\"}");
}

/* Which DCID keys a client Initial (RFC 9001 s5.2, RFC 9000 s7.2 and
 * s17.2.5.2): the first one's, also after the client moves to the
 * server's connection ID; a new one after a Retry. */
static void test_dcid(void)
{
    uint8_t ch[512], fr[600];
    size_t chn = unhex(ch, sizeof(ch), client_hello_hex);
    static const uint8_t a[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
    static const uint8_t b[4] = {0xb1, 0xb2, 0xb3, 0xb4};
    static const uint8_t c[9] = {0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9};
    size_t len;

    /* Part 1 to DCID a; part 2 to the server's CID b, still keyed by a. */
    ps_quic_init(&Q);
    size_t fl = qb_crypto(fr, 0, ch, 120);
    size_t n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, a, 8, a, 8, 0, 4, fr, fl, 1200);
    ps_quic_feed(&Q, 0, pkt, n);
    fl = qb_crypto(fr, 120, ch + 120, (uint16_t)(chn - 120));
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, b, 4, a, 8, 1, 4, fr, fl, 1200);
    ps_quic_feed(&Q, 0, pkt, n);
    CHECK(ps_quic_client_hello(&Q, &len) != NULL);
    CHECK_EQ(Q.decrypt_failed, 0);
    CHECK_EQ(Q.rekeys, 0);

    /* A Retry, then the ClientHello again to DCID c keyed by c. */
    uint8_t retry[40] = {0xf0, 0, 0, 0, 1, 8, 0x5c, 0x5c, 0x5c, 0x5c, 0x5c, 0x5c, 0x5c, 0x5c, 0};
    fl = qb_crypto(fr, 0, ch, (uint16_t)chn);
    for (int seen = 1; seen >= 0; seen--) {
        ps_quic_init(&Q);
        n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, a, 8, a, 8, 0, 4, ping_frame, 1, 1200);
        ps_quic_feed(&Q, 0, pkt, n);
        if (seen)
            ps_quic_feed(&Q, 1, retry, sizeof(retry));
        n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, c, 9, c, 9, 1, 4, fr, fl, 1200);
        ps_quic_feed(&Q, 0, pkt, n);
        CHECK(ps_quic_client_hello(&Q, &len) != NULL);
        CHECK_EQ(Q.decrypt_failed, 0);
        /* With the Retry c is taken at once; without, after a failure. */
        CHECK_EQ(Q.rekeys, 1);
        CHECK_EQ(Q.dcid_len, 9);
    }

    /* Garbage Initials with fresh DCIDs: at most PS_QUIC_REKEY_MAX extra
     * derivations, then plain failures, and the first DCID stays. */
    ps_quic_init(&Q);
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, a, 8, a, 8, 0, 4, ping_frame, 1, 1200);
    ps_quic_feed(&Q, 0, pkt, n);
    for (int i = 0; i < PS_QUIC_REKEY_MAX + 3; i++) {
        n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, c, 9, b, 4, (uint32_t)i + 1, 4, fr, fl,
                       1200);
        pkt[5 + 1 + 8] ^= (uint8_t)i; /* a different DCID each time */
        ps_quic_feed(&Q, 0, pkt, n);
    }
    CHECK_EQ(Q.rekeys, PS_QUIC_REKEY_MAX);
    CHECK_EQ(Q.decrypt_failed, PS_QUIC_REKEY_MAX + 3);
    CHECK(Q.dcid_len == 8 && memcmp(Q.dcid, a, 8) == 0);
    CHECK(ps_quic_client_hello(&Q, &len) == NULL);

    /* Client Initials alternating v1 and v2: the key input follows the
     * version at most PS_QUIC_REKEY_MAX times; then those of the other
     * version count as failed. */
    ps_quic_init(&Q);
    for (int i = 0; i < 8; i++) {
        n = qb_initial(pkt, sizeof(pkt), i & 1 ? PS_QUIC_V2 : PS_QUIC_V1, 0, a, 8, a, 8,
                       (uint32_t)i, 4, ping_frame, 1, 1200);
        ps_quic_feed(&Q, 0, pkt, n);
    }
    CHECK_EQ(Q.rekeys, PS_QUIC_REKEY_MAX);
    CHECK_EQ(Q.pkts_initial + Q.decrypt_failed, 8);
    CHECK(Q.decrypt_failed > 0);
}

/* A ClientHello that declares 64 KiB: counted and given up (DONE). */
static void test_oversize(void)
{
    static const uint8_t big[8] = {0x01, 0x01, 0x00, 0x00, 0x03, 0x03, 0, 0};
    uint8_t fr[64];
    size_t fl = qb_crypto(fr, 0, big, sizeof(big));
    size_t n =
        qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, rfc_dcid, 8, rfc_dcid, 8, 0, 4, fr, fl, 1200);
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_DONE);
    CHECK_EQ(Q.ch_oversize, 1);
    /* Data far past the buffer is dropped, never written. */
    fl = qb_crypto(fr, 0x3fffff00, big, sizeof(big));
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, rfc_dcid, 8, rfc_dcid, 8, 0, 4, fr, fl, 1200);
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_MORE);
    CHECK_EQ(Q.cs[0].contig, 0);
    /* Not a ClientHello (a ServerHello type from the client): given up. */
    static const uint8_t notch[4] = {0x02, 0, 0, 4};
    fl = qb_crypto(fr, 0, notch, sizeof(notch));
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, rfc_dcid, 8, rfc_dcid, 8, 0, 4, fr, fl, 1200);
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, n), PS_APP_DONE);
    CHECK_EQ(Q.ch_oversize, 0);
}

static void test_headers(void)
{
    /* Version Negotiation (RFC 8999 s6): versions 1 and 2 offered. */
    static const uint8_t vn[] = {
        0xc5, 0,    0,    0,    0,                      /* long header, version 0 */
        4,    1,    2,    3,    4,                      /* DCID */
        4,    5,    6,    7,    8,                      /* SCID */
        0,    0,    0,    1,    0x6b, 0x33, 0x43, 0xcf, /* versions */
        0x1a, 0x2a, 0x3a, 0x4a,                         /* a greased one */
    };
    CHECK(ps_quic_probe(vn, sizeof(vn)));
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 1, vn, sizeof(vn)), PS_APP_MORE);
    CHECK_EQ(Q.vn_count, 3);
    CHECK_EQ(Q.vn_versions[1], PS_QUIC_V2);
    char out[256];
    eve_str(&Q, out, sizeof(out));
    CHECK_STR(out, "{\"version_negotiation\":[\"1\",\"v2\",\"1a2a3a4a\"]}");
    CHECK(!ps_quic_probe(vn, 17)); /* a partial version */

    /* Retry (v1 type 3): token and integrity tag to the end. */
    uint8_t retry[40] = {0xf0, 0, 0, 0, 1, 4, 1, 2, 3, 4, 4, 5, 6, 7, 8};
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 1, retry, sizeof(retry)), PS_APP_MORE);
    CHECK(Q.retry_seen);
    CHECK(!ps_quic_probe(retry, sizeof(retry)));

    /* Coalesced: a Handshake packet, then the RFC Initial, in one datagram,
     * then a short header. The Initial is found after the first packet. */
    static const uint8_t hs[] = {0xe0, 0, 0, 0, 1, 0, 0, 0x05, 1, 2, 3, 4, 5};
    size_t n = unhex(pkt + sizeof(hs), sizeof(pkt) - sizeof(hs), rfc9001_a2);
    memcpy(pkt, hs, sizeof(hs));
    pkt[sizeof(hs) + n] = 0x40;
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, pkt, sizeof(hs) + n + 1), PS_APP_DONE);
    size_t len;
    CHECK(ps_quic_client_hello(&Q, &len) != NULL);
    CHECK(Q.handshake_seen && Q.short_seen);

    /* Unknown version (gQUIC Q046): counted, the flow is not QUIC we read. */
    uint8_t q46[1300] = {0xc3, 'Q', '0', '4', '6', 0x50, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(!ps_quic_probe(q46, sizeof(q46)));
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, q46, sizeof(q46)), PS_APP_ERR);
    CHECK_EQ(Q.unknown_version, 1);
    eve_str(&Q, out, sizeof(out));
    CHECK_STR(out, "{\"version\":\"Q046\"}");

    /* A client Initial under 1200 bytes is not probed as QUIC; at 1200 it is. */
    static const uint8_t ping[1] = {0x01};
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, rfc_dcid, 8, rfc_dcid, 8, 0, 4, ping, 1, 1199);
    CHECK(!ps_quic_probe(pkt, n));
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, rfc_dcid, 8, rfc_dcid, 8, 0, 4, ping, 1, 1200);
    CHECK(ps_quic_probe(pkt, n));
    /* A client's 0-RTT packet ahead of its Initial (nDPI quic_0RTT.pcap):
     * probed as QUIC when its version is known, not when it is not. */
    uint8_t zr[40] = {0xd3, 0x00, 0x00, 0x00, 0x01, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0x18};
    CHECK(ps_quic_probe(zr, sizeof(zr)));
    zr[4] = 0x07; /* version 0x00000007: unknown */
    CHECK(!ps_quic_probe(zr, sizeof(zr)));
    zr[4] = 0x01;
    zr[5] = 0x07; /* a 7-byte DCID */
    CHECK(!ps_quic_probe(zr, sizeof(zr)));
    /* A DCID under 8 bytes is not a client's first Initial. */
    n = qb_initial(pkt, sizeof(pkt), PS_QUIC_V1, 0, rfc_dcid, 7, rfc_dcid, 7, 0, 4, ping, 1, 1200);
    CHECK(!ps_quic_probe(pkt, n));

    /* DNS query for example.com, and random bytes, are not QUIC. */
    static const uint8_t dns[] = {0xab, 0xcd, 1,   0,   0,   1, 0,   0,   0,   0, 0, 0, 7, 'e', 'x',
                                  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    CHECK(!ps_quic_probe(dns, sizeof(dns)));
    ps_quic_init(&Q);
    CHECK_EQ(ps_quic_feed(&Q, 0, dns, sizeof(dns)), PS_APP_ERR);
    uint8_t rnd[1400];
    uint32_t s = 12345;
    int hits = 0;
    for (int t = 0; t < 2000; t++) {
        for (size_t i = 0; i < sizeof(rnd); i++) {
            s = s * 1103515245u + 12345u;
            rnd[i] = (uint8_t)(s >> 16);
        }
        hits += ps_quic_probe(rnd, sizeof(rnd));
    }
    CHECK_EQ(hits, 0);
}

/* ---- the third-party corpus ---- */

struct cflow {
    uint8_t a[16], b[16];
    uint16_t pa, pb;
    struct ps_quic q;
    bool used;
};

static struct cflow *flows; /* heap: ~12 KiB each */
#define CFLOWS 32

/* Feed every UDP datagram of `path` to a per-flow ps_quic (the sender of
 * the first datagram is the client); count flows with a ClientHello and
 * whether any contains `sni`. Returns -1 when the file is absent. */
static int corpus_file(const char *path, const char *sni, int *n_quic, int *n_ch, bool *sni_ok)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    static struct ps_counters C;
    static struct ps_decoder D;
    static struct ps_pkt P;
    ps_decoder_init(&D, &C);
    D.check_checksums = false;
    int dlt = pcap_datalink(pc);
    memset(flows, 0, sizeof(*flows) * CFLOWS);
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        int pdlt = dlt;
        uint32_t skip = 0;
        if (dlt == DLT_PPP && h->caplen >= 4) {
            /* The QUIC interop captures are PPP, which the decoder does
             * not read: skip the PPP header (RFC 1662 address/control,
             * then the protocol) and decode the IP packet. */
            skip = data[0] == 0xff && data[1] == 0x03 ? 2 : 0;
            uint16_t proto = (uint16_t)(data[skip] << 8 | data[skip + 1]);
            pdlt = proto == 0x0021 ? PS_DLT_IPV4 : proto == 0x0057 ? PS_DLT_IPV6 : -1;
            skip += 2;
        }
        if (pdlt < 0 ||
            ps_decode(&D, &P, pdlt, data + skip, h->caplen - skip, h->len - skip, 0) != 0 ||
            P.proto != 17 || P.is_fragment || !P.has_ports || P.payload_len == 0)
            continue;
        struct cflow *f = NULL;
        int dir = 0;
        for (int i = 0; i < CFLOWS && !f; i++) {
            struct cflow *c = &flows[i];
            if (!c->used)
                continue;
            if (!memcmp(c->a, P.src, 16) && !memcmp(c->b, P.dst, 16) && c->pa == P.sport &&
                c->pb == P.dport)
                f = c;
            else if (!memcmp(c->a, P.dst, 16) && !memcmp(c->b, P.src, 16) && c->pa == P.dport &&
                     c->pb == P.sport)
                f = c, dir = 1;
        }
        for (int i = 0; i < CFLOWS && !f; i++) {
            if (flows[i].used)
                continue;
            f = &flows[i];
            f->used = true;
            memcpy(f->a, P.src, 16);
            memcpy(f->b, P.dst, 16);
            f->pa = P.sport;
            f->pb = P.dport;
            ps_quic_init(&f->q);
        }
        if (f)
            ps_quic_feed(&f->q, dir, P.payload, P.payload_len);
    }
    pcap_close(pc);
    for (int i = 0; i < CFLOWS; i++) {
        struct cflow *f = &flows[i];
        if (!f->used || !f->q.seen_long)
            continue;
        (*n_quic)++;
        if (getenv("QUIC_VERBOSE"))
            printf("       flow v%x pn %lld dec %u fail %u unk %u mal %u over %u vn %u retry %d "
                   "cipher %04x\n",
                   f->q.version, (long long)f->q.largest_pn[0], f->q.pkts_initial,
                   f->q.decrypt_failed, f->q.unknown_version, f->q.malformed, f->q.ch_oversize,
                   f->q.vn_count, f->q.retry_seen, f->q.server_cipher);
        size_t len;
        const uint8_t *m = ps_quic_client_hello(&f->q, &len);
        if (m) {
            (*n_ch)++;
            if (sni && memmem(m, len, sni, strlen(sni)))
                *sni_ok = true;
        }
    }
    return 0;
}

static void test_corpus(void)
{
    /* Expected names: nDPI .out "Hostname/SNI", suricata-verify
     * test.yaml server_name, Zeek quic.log server_name; NULL where the
     * source names none. */
    static const struct {
        const char *path;
        const char *sni;
    } files[] = {
        {"ndpi/tests/cfgs/default/pcap/quic-29.pcap", "localhost"},
        {"ndpi/tests/cfgs/default/pcap/quic-v2.pcapng", "test"},
        {"ndpi/tests/cfgs/default/pcap/quic_0RTT.pcap", "ssl.gstatic.com"},
        {"ndpi/tests/cfgs/default/pcap/quic_0RTT.pcap", "abcd"},
        {"ndpi/tests/cfgs/default/pcap/quic_frags_ch_in_multiple_packets.pcapng", "h3-34"},
        {"ndpi/tests/cfgs/default/pcap/quic_q46.pcap", NULL},
        {"suricata-verify/tests/quic-ietf/input.pcap", "msquic.net"},
        {"suricata-verify/tests/quic-frag-unordered/input.pcap", "mastodon.social"},
        {"suricata-verify/tests/quic-frag/input.pcap", NULL},
        {"suricata-verify/tests/quic-v2/input.pcap", NULL},
        {"suricata-verify/tests/quic-retry/input.pcap", NULL},
        {"suricata-verify/tests/quic-initial-not-first/input.pcap", NULL},
        {"suricata-verify/tests/ja4-quic/input.pcap", NULL},
        {"suricata-verify/tests/ja4-tls-quic/input.pcap", NULL},
        {"suricata-verify/tests/quic-alerts/input.pcap", NULL},
        {"zeek/Traces/quic/chromium-115.0.5790.110-api-cirrus-com.pcap", "api.cirrus-ci.com"},
        {"zeek/Traces/quic/curl-8.1.2-dev-http3-www-google-de.pcap", "www.google.de"},
        {"zeek/Traces/quic/firefox-102.13.0esr-blog-cloudflare-com.pcap", "blog.cloudflare.com"},
        {"zeek/Traces/quic/quic-multiple-initial-fragmented-crypto.pcap",
         "googleads.g.doubleclick.net"},
        {"zeek/Traces/quic/quicv2-http3-443.pcap", NULL},
        {"zeek/Traces/quic/quicdoq.pcap", NULL},
        {"zeek/Traces/quic/interop/quic-go_quic-go/retry.pcap", "server4"},
        {"zeek/Traces/quic/interop/quic-go_quic-go/zerortt.pcap", "server4"},
        {"zeek/Traces/quic/383379789-decrypt-crash.pcap", NULL},
        {"zeek/Traces/quic/vector-max-size-crash.pcap", NULL},
        {"arkime/tests/pcap/quicietf.pcap", NULL},
        {"tcpdump/tests/quic_handshake.pcap", NULL},
        {"tcpdump/tests/quic_handshake_truncated.pcap", NULL},
        {"tcpdump/tests/quic_retry.pcap", NULL},
        {"tcpdump/tests/quic_vn.pcap", NULL},
        {"tcpdump/tests/quic_32_bit_pointer_overflow.pcap", NULL},
        {"tcpdump/tests/gquic.pcap", NULL},
    };
    const char *root = getenv("PERISCOPE_CORPUS");
    if (!root)
        root = "../shared/corpus";
    flows = calloc(CFLOWS, sizeof(*flows));
    if (!flows)
        return;
    int files_read = 0, quic = 0, ch = 0, named = 0, found = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, files[i].path);
        int nq = 0, nc = 0;
        bool ok = false;
        if (corpus_file(path, files[i].sni, &nq, &nc, &ok) != 0)
            continue;
        files_read++;
        if (getenv("QUIC_VERBOSE"))
            printf("     %s: %d QUIC flows, %d ClientHellos\n", files[i].path, nq, nc);
        quic += nq;
        ch += nc;
        if (files[i].sni) {
            named++;
            found += ok;
            if (!ok)
                fprintf(stderr, "quic corpus: %s: no ClientHello naming %s\n", files[i].path,
                        files[i].sni);
            CHECK(ok);
        }
    }
    free(flows);
    if (files_read == 0) {
        printf("skip unit/quic corpus: %s not found\n", root);
        return;
    }
    printf("     unit/quic corpus: %d files, %d QUIC flows, %d ClientHellos decrypted, "
           "%d/%d expected names found\n",
           files_read, quic, ch, found, named);
}

void test_quic(void)
{
    test_keys();
    test_rfc_vectors();
    test_reassembly();
    test_dcid();
    test_oversize();
    test_headers();
    test_corpus();
    ps_quic_thread_cleanup();
}
