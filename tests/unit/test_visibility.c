/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/visibility.h"
#include "unit.h"

static void flow_udp(struct ps_flow *f, uint16_t sport, uint16_t dport)
{
    memset(f, 0, sizeof(*f));
    f->key.proto = 17;
    f->key.ipver = 4;
    f->init_is_lo = true;
    f->key.plo = sport;
    f->key.phi = dport;
}

void test_visibility(void)
{
    /* entropy: constant bytes 0, all 256 values once 8 bits, text in between */
    uint8_t d[256];
    memset(d, 'a', sizeof(d));
    CHECK_EQ(ps_vis_entropy_milli(d, sizeof(d)), 0);
    for (int i = 0; i < 256; i++)
        d[i] = (uint8_t)i;
    uint32_t h = ps_vis_entropy_milli(d, sizeof(d));
    CHECK(h >= 7990 && h <= 8000);
    const char *txt =
        "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl\r\n\r\n";
    h = ps_vis_entropy_milli((const uint8_t *)txt, strlen(txt));
    CHECK(h > 3000 && h < 5000);

    /* WireGuard initiation: type 1, three zero bytes, 148 bytes */
    struct ps_flow f;
    uint8_t wg[148] = {1, 0, 0, 0};
    flow_udp(&f, 40000, 51820);
    ps_vis_note_payload(&f, 0, wg, sizeof(wg));
    CHECK_EQ(ps_vis_class(&f), PS_VIS_WIREGUARD);
    flow_udp(&f, 40000, 51820);
    ps_vis_note_payload(&f, 0, wg, 147); /* wrong size: not WireGuard, low entropy */
    CHECK_EQ(ps_vis_class(&f), PS_VIS_UNKNOWN);
    /* random-looking payload: encrypted-unknown */
    flow_udp(&f, 40000, 7000);
    ps_vis_note_payload(&f, 0, d, sizeof(d));
    CHECK_EQ(ps_vis_class(&f), PS_VIS_ENCRYPTED_UNKNOWN);
    /* IKE by port, ESP by protocol, no payload: none */
    flow_udp(&f, 500, 500);
    ps_vis_note_payload(&f, 0, d, 40);
    CHECK_EQ(ps_vis_class(&f), PS_VIS_IPSEC);
    flow_udp(&f, 40000, 9);
    CHECK_EQ(ps_vis_class(&f), PS_VIS_NONE);
    f.key.proto = 50;
    CHECK_EQ(ps_vis_class(&f), PS_VIS_IPSEC);
    /* QUIC on 853 is DoQ; TLS on 853 DoT */
    flow_udp(&f, 40000, 853);
    f.app_proto = PS_APP_QUIC;
    CHECK_EQ(ps_vis_class(&f), PS_VIS_DOQ);
    f.key.proto = 6;
    f.app_proto = PS_APP_TLS;
    CHECK_EQ(ps_vis_class(&f), PS_VIS_DOT);
    /* one-sided: only the client's packets, and they ACK the server's */
    f.pkts[0] = 5;
    f.flags[0] = PS_TH_ACK;
    CHECK(ps_vis_flags(&f) & PS_VIS_F_ONE_SIDED);
    f.flags[0] = PS_TH_SYN; /* an unanswered SYN is not a mirroring gap */
    CHECK(!(ps_vis_flags(&f) & PS_VIS_F_ONE_SIDED));
    char s[64];
    CHECK_STR(ps_vis_flags_str(PS_VIS_F_TRUNCATED | PS_VIS_F_GAPS, s), "truncated,gaps");

    /* resolver names and addresses */
    CHECK(ps_vis_doh_name("dns.google", 10));
    CHECK(ps_vis_doh_name("abc123.dns.nextdns.io", 21));
    CHECK(!ps_vis_doh_name("google.com", 10));
    uint8_t a[16] = {1, 1, 1, 1};
    CHECK(ps_vis_doh_addr(4, a));
    a[3] = 9;
    CHECK(!ps_vis_doh_addr(4, a));

    /* the compiled-in list equals data/doh-resolvers.txt */
    FILE *fp = fopen("data/doh-resolvers.txt", "r");
    CHECK(fp != NULL);
    if (fp) {
        char line[256];
        size_t i = 0;
        while (fgets(line, sizeof(line), fp)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0] || line[0] == '#')
                continue;
            const char *e = ps_vis_doh_entry(i++);
            CHECK(e != NULL);
            if (e)
                CHECK_STR(e, line);
        }
        CHECK(ps_vis_doh_entry(i) == NULL);
        fclose(fp);
    }
}
