/* SPDX-License-Identifier: BSD-2-Clause */
/* Decoder unit tests on annotated byte arrays. */
#include <stdlib.h>

#include "decode/decode.h"
#include "unit.h"

static struct ps_counters C;
static struct ps_decoder D;
static struct ps_pkt P;

static int dec(int dlt, const uint8_t *b, size_t n, size_t wire)
{
    return ps_decode(&D, &P, dlt, b, (uint32_t)n, (uint32_t)wire, 0);
}

/* Ethernet / IPv4 / UDP 10.0.0.1:1000 -> 10.0.0.2:2000, 4 payload bytes. */
static const uint8_t eth_udp[] = {
    0,    1,    2,    3,    4,  5,  0, 1, 2,  3,  4,    6,    0x08, 0x00, /* Ethernet, IPv4 */
    0x45, 0,    0,    32,   0,  1,  0, 0, 64, 17, 0x66, 0xca, /* IPv4 len 32, UDP, csum */
    10,   0,    0,    1,    10, 0,  0, 2,                     /* addresses */
    0x03, 0xe8, 0x07, 0xd0, 0,  12, 0, 0,                     /* UDP 1000->2000 len 12 */
    'd',  'a',  't',  'a',
};

static void test_plain(void)
{
    CHECK_EQ(dec(1, eth_udp, sizeof(eth_udp), sizeof(eth_udp)), 0);
    CHECK_EQ(P.ipver, 4);
    CHECK_EQ(P.proto, 17);
    CHECK_EQ(P.sport, 1000);
    CHECK_EQ(P.dport, 2000);
    CHECK_EQ(P.ip_len, 32);
    CHECK_EQ(P.payload_len, 4);
    CHECK(!P.truncated);
    CHECK(P.ip_hdr == eth_udp + 14);
    CHECK_EQ(P.ip_id, 1);
    CHECK_EQ(P.ttl, 64);
    CHECK(P.ip4_opts == NULL);
    CHECK_EQ(P.m.encap, PS_ENCAP_NONE);
    CHECK_EQ(C.v[PS_C_ANOM_IPV4_CSUM], 0);

    /* Every prefix of the packet decodes without reading past it: the
     * Ethernet and IPv4 headers are drops, the rest truncated copies. */
    for (size_t n = 0; n < sizeof(eth_udp); n++) {
        int rc = dec(1, eth_udp, n, sizeof(eth_udp));
        if (n < 14)
            CHECK_EQ(rc, PS_C_DROP_ETH_TRUNC);
        else if (n < 34)
            CHECK_EQ(rc, PS_C_DROP_IPV4_TRUNC);
        else
            CHECK(rc == 0 && P.truncated && P.ip_len == 32);
    }
}

static void test_ipv4_invalid(void)
{
    uint8_t b[sizeof(eth_udp)];
    memcpy(b, eth_udp, sizeof(b));
    b[14] = 0x44; /* IHL 4 */
    CHECK_EQ(dec(1, b, sizeof(b), sizeof(b)), PS_C_DROP_IPV4_INVALID);
    b[14] = 0x55; /* version 5 */
    CHECK_EQ(dec(1, b, sizeof(b), sizeof(b)), PS_C_DROP_IPV4_INVALID);
    memcpy(b, eth_udp, sizeof(b));
    b[17] = 10; /* total length below the header length */
    CHECK_EQ(dec(1, b, sizeof(b), sizeof(b)), PS_C_DROP_IPV4_INVALID);
    /* Bad header checksum: an anomaly, never a drop. */
    memcpy(b, eth_udp, sizeof(b));
    b[24] ^= 0xff;
    uint64_t before = C.v[PS_C_ANOM_IPV4_CSUM];
    CHECK_EQ(dec(1, b, sizeof(b), sizeof(b)), 0);
    CHECK_EQ(C.v[PS_C_ANOM_IPV4_CSUM], before + 1);
}

/* Outer Ethernet/IPv4/UDP to 4789, VXLAN VNI 0x123456 with reserved bits,
 * inner Ethernet/IPv4/ICMP echo with an IP length of 1000 (a truncated copy). */
static const uint8_t
    vxlan_trunc[] =
        {
            0,    1,    2,    3,    4,    5,    0,    1,    2,
            3,    4,    6,    0x08, 0x00, 0x45, 0,    0,    78,
            0,    1,    0,    0,    64,   17,   0,    0, /* IPv4 len 78 (csum wrong: not checked
                                                            here) */
            172,  31,   0,    10,   172,  31,   0,    20,   0xc0,
            0x00, 0x12, 0xb5, 0,    58,   0,    0,          /* UDP 49152 -> 4789, len 58 */
            0x08, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x00, /* VXLAN I, reserved 1, VNI 0x123456 */
            1,    1,    1,    1,    1,    1,    2,    2,    2,
            2,    2,    2,    0x08, 0x00, /* inner Ethernet */
            0x45, 0,    0x03, 0xe8, 0,    2,    0,    0,    64,
            1,    0,    0, /* inner IPv4 len 1000, ICMP */
            10,   1,    0,    1,    10,   1,    0,    2,    8,
            0,    0,    0, /* echo request, checksum not checked on a cut copy */
};

static void test_vxlan(void)
{
    D.check_checksums = false;
    uint64_t rsv = C.v[PS_C_ANOM_VXLAN_RESERVED];
    CHECK_EQ(dec(1, vxlan_trunc, sizeof(vxlan_trunc), sizeof(vxlan_trunc)), 0);
    D.check_checksums = true;
    CHECK_EQ(P.m.encap, PS_ENCAP_VXLAN);
    CHECK(P.m.has_vni);
    CHECK_EQ(P.m.vni, 0x123456);
    CHECK_EQ(P.m.src[0], 172);
    CHECK_EQ(P.m.src[3], 10);
    CHECK_EQ(P.m.dst[3], 20);
    CHECK_EQ(P.src[0], 10);
    CHECK_EQ(P.src[1], 1);
    CHECK_EQ(P.proto, 1);
    CHECK_EQ(P.icmp_type, 8);
    CHECK_EQ(P.ip_len, 1000);
    CHECK(P.truncated);
    CHECK_EQ(C.v[PS_C_ANOM_VXLAN_RESERVED], rsv + 1);

    /* With VXLAN off on 4789 the same packet is a plain UDP flow. */
    D.udp_port_kind[4789] = PS_UDP_PORT_NONE;
    CHECK_EQ(dec(1, vxlan_trunc, sizeof(vxlan_trunc), sizeof(vxlan_trunc)), 0);
    CHECK_EQ(P.m.encap, PS_ENCAP_NONE);
    CHECK_EQ(P.dport, 4789);
    D.udp_port_kind[4789] = PS_UDP_PORT_VXLAN;

    /* A VXLAN header cut short is a drop with its own reason. */
    CHECK_EQ(dec(1, vxlan_trunc, 46, 46), PS_C_DROP_VXLAN_INVALID);
}

/* IPv4 / UDP 6081 / GENEVE with the three AWS GWLB options, protocol IPv4,
 * inner IPv4/TCP SYN. Link type raw IPv4. */
static const uint8_t geneve_gwlb[] = {
    0x45, 0,    0,    108,  0,    1,    0,    0,    64,   17, 0,  0, 10,  0,   0,
    5,    10,   0,    0,    100,  0x17, 0xc1, 0x17, 0xc1, 0,  88, 0, 0, /* UDP 6081 -> 6081 len 88
                                                                         */
    0x08, 0x00, 0x08, 0x00, 0,    0,    0,    0, /* GENEVE opt len 8 words, IPv4, VNI 0 */
    0x01, 0x08, 0x01, 0x02, 1,    2,    3,    4,    5,    6,  7,  8, /* class 0x0108 type 1 len 2:
                                                                        endpoint */
    0x01, 0x08, 0x02, 0x02, 9,    9,    9,    9,    9,    9,  9,  9, /* type 2: attachment */
    0x01, 0x08, 0x03, 0x01, 0xde, 0xad, 0xbe, 0xef,                  /* type 3 len 1: flow cookie */
    0x45, 0,    0,    40,   0,    3,    0,    0,    64,   6,  0,  0, 192, 168, 1,
    10,   93,   184,  216,  34,   0xc3, 0x50, 0x01, 0xbb, 0,  0,  0, 1,   0,   0,
    0,    0,    0x50, 0x02, 0xff, 0xff, 0,    0,    0,    0,
};

static void test_geneve(void)
{
    D.check_checksums = false;
    CHECK_EQ(dec(12, geneve_gwlb, sizeof(geneve_gwlb), sizeof(geneve_gwlb)), 0);
    D.check_checksums = true;
    CHECK_EQ(P.m.encap, PS_ENCAP_GENEVE);
    CHECK(P.m.has_gwlb);
    CHECK_EQ(P.m.gwlb_endpoint, 0x0102030405060708ULL);
    CHECK_EQ(P.m.gwlb_attachment, 0x0909090909090909ULL);
    CHECK_EQ(P.m.flow_cookie, 0xdeadbeef);
    CHECK_EQ(P.proto, 6);
    CHECK_EQ(P.sport, 50000);
    CHECK_EQ(P.dport, 443);
    CHECK_EQ(P.tcp_flags, 0x02);
    CHECK(!P.truncated);

    /* An option whose length runs past the option area is malformed. */
    uint8_t b[sizeof(geneve_gwlb)];
    memcpy(b, geneve_gwlb, sizeof(b));
    b[63] = 0x1f; /* type 3 claims 31 words */
    CHECK_EQ(dec(12, b, sizeof(b), sizeof(b)), PS_C_DROP_GENEVE_INVALID);
    /* Version 1 is not GENEVE as RFC 8926 defines it. */
    memcpy(b, geneve_gwlb, sizeof(b));
    b[28] |= 0x40;
    CHECK_EQ(dec(12, b, sizeof(b), sizeof(b)), PS_C_DROP_GENEVE_INVALID);
}

/* Raw IPv6: hop-by-hop (8 bytes), destination options (8), then UDP. */
static const uint8_t ipv6_ext[] = {
    0x60, 0,    0,    0,    0, 24, 0, 64, /* payload 24, next header HBH */
    0x20, 0x01, 0x0d, 0xb8, 0, 0,  0, 0,  0, 0, 0, 0,  0, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8, 0,
    0,    0,    0,    0,    0, 0,  0, 0,  0, 0, 2, 60, 0, 1, 4, 0, 0,    0,    0, /* HBH -> dstopts,
                                                                                     PadN */
    17,   0,    1,    4,    0, 0,  0, 0, /* dstopts -> UDP, PadN */
    0x13, 0x88, 0x17, 0x70, 0, 8,  0, 0, /* UDP 5000 -> 6000, no payload */
};

static void test_ipv6(void)
{
    D.check_checksums = false;
    CHECK_EQ(dec(12, ipv6_ext, sizeof(ipv6_ext), sizeof(ipv6_ext)), 0);
    CHECK_EQ(P.ipver, 6);
    CHECK_EQ(P.proto, 17);
    CHECK_EQ(P.sport, 5000);
    CHECK_EQ(P.dport, 6000);
    CHECK_EQ(P.ip_len, 64);
    /* A chain that overruns a complete packet is malformed. */
    uint8_t b[sizeof(ipv6_ext)];
    memcpy(b, ipv6_ext, sizeof(b));
    b[49] = 200; /* dstopts claims 1608 bytes */
    CHECK_EQ(dec(12, b, sizeof(b), sizeof(b)), PS_C_DROP_IPV6_EXTHDR);
    /* The same chain cut by the capture is a truncated copy. */
    memcpy(b, ipv6_ext, sizeof(b));
    CHECK_EQ(dec(12, b, 44, sizeof(b)), 0);
    CHECK(P.truncated);
    D.check_checksums = true;
}

/* VXLAN nested in VXLAN past the depth cap is a counted drop. */
static void test_depth(void)
{
    enum { LAYERS = 12, HDR = 14 + 20 + 8 + 8 };
    static uint8_t b[LAYERS * HDR + 14 + 28];
    size_t o = 0;
    for (int i = 0; i < LAYERS; i++) {
        size_t rest = (size_t)(LAYERS - i) * HDR + 28;
        uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00};
        memcpy(b + o, eth, 14);
        o += 14;
        uint8_t ip[20] = {0x45,
                          0,
                          (uint8_t)(rest >> 8),
                          (uint8_t)rest,
                          0,
                          0,
                          0,
                          0,
                          64,
                          17,
                          0,
                          0,
                          10,
                          0,
                          0,
                          (uint8_t)i,
                          10,
                          0,
                          1,
                          (uint8_t)i};
        memcpy(b + o, ip, 20);
        o += 20;
        size_t ul = rest - 20;
        uint8_t udp[8] = {0x30, 0x39, 0x12, 0xb5, (uint8_t)(ul >> 8), (uint8_t)ul, 0, 0};
        memcpy(b + o, udp, 8);
        o += 8;
        uint8_t vx[8] = {0x08, 0, 0, 0, 0, 0, (uint8_t)i, 0};
        memcpy(b + o, vx, 8);
        o += 8;
    }
    uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00};
    memcpy(b + o, eth, 14);
    o += 14;
    uint8_t ip[28] = {0x45, 0, 0, 28, 0, 0, 0, 0,  64, 17, 0, 0, 1, 1,
                      1,    1, 2, 2,  2, 2, 0, 53, 0,  53, 0, 8, 0, 0};
    memcpy(b + o, ip, 28);
    o += 28;
    D.check_checksums = false;
    CHECK_EQ(dec(1, b, o, o), PS_C_DROP_TUNNEL_DEPTH);
    D.max_tunnel_depth = 32;
    CHECK_EQ(dec(1, b, o, o), 0);
    CHECK_EQ(P.tunnel_depth, LAYERS);
    CHECK_EQ(P.m.vni, LAYERS - 1);
    D.max_tunnel_depth = 8;
    D.check_checksums = true;
}

/* ERSPAN type II over GRE with a sequence number, session id 5, carrying
 * Ethernet/IPv4/ICMP. Link type raw IPv4. */
static const uint8_t erspan2[] = {
    0x45, 0,    0,    78,   0, 0, 0,    0,    64,   47,   0, 0, 10,   10,
    0,    1,    10,   10,   0, 2, 0x10, 0x00, 0x88, 0xbe, 0, 0, 0,    7, /* GRE S, ERSPAN, seq 7 */
    0x10, 0x17, 0x00, 0x05, 0, 0, 0,    0, /* ver 1, VLAN 23, session 5 */
    1,    1,    1,    1,    1, 1, 2,    2,    2,    2,    2, 2, 0x08, 0x00,
    0x45, 0,    0,    28,   0, 0, 0,    0,    64,   1,    0, 0, 10,   11,
    0,    1,    10,   11,   0, 2, 8,    0,    0xf7, 0xff, 0, 0, 0,    0,
};

static void test_erspan(void)
{
    D.check_checksums = false;
    CHECK_EQ(dec(12, erspan2, sizeof(erspan2), sizeof(erspan2)), 0);
    CHECK_EQ(P.m.encap, PS_ENCAP_ERSPAN);
    CHECK(P.m.has_erspan_id);
    CHECK_EQ(P.m.erspan_id, 5);
    CHECK_EQ(P.proto, 1);
    CHECK_EQ(P.nvlan, 1); /* the VLAN field (23), stripped from the frame */
    CHECK_EQ(P.vlan[0], 23);
    uint8_t b[sizeof(erspan2)];
    memcpy(b, erspan2, sizeof(b));
    b[28] = 0x30; /* version 3 under 0x88be */
    CHECK_EQ(dec(12, b, sizeof(b), sizeof(b)), PS_C_DROP_ERSPAN_INVALID);
    D.check_checksums = true;
}

void test_decode(void)
{
    ps_decoder_init(&D, &C);
    test_plain();
    test_ipv4_invalid();
    test_vxlan();
    test_geneve();
    test_ipv6();
    test_depth();
    test_erspan();
    /* Unknown link types are a drop, not a crash. */
    CHECK_EQ(dec(9999, eth_udp, sizeof(eth_udp), sizeof(eth_udp)), PS_C_DROP_LINKTYPE);
}
