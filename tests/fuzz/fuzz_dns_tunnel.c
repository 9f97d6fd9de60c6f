/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: dns_tunnel fed query names the fuzzer chooses, and the
 * same bytes as a UDP port-53 payload. Input: records of a flags byte (bits
 * 0-1 client, bit 2 response, bits 3-6 rcode), a qtype byte, a length byte,
 * then that many name bytes; a small public suffix list and a small table so
 * that eviction, windows and the compressed estimate all run. */
#include <stdlib.h>
#include <string.h>

#include "app/dns.h"
#include "detect/dns_tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_alert(void *ctx, const struct ps_alert *a)
{
    (void)ctx;
    (void)a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_counters c;
    static const char psl[] = "com\nnet\nco.uk\n*.ck\n!www.ck\ngithub.io\n";
    static const uint16_t qtypes[8] = {1, 28, 16, 5, 15, 10, 65399, 12};
    struct ps_dns_tunnel_config cfg;
    ps_dns_tunnel_config_default(&cfg);
    cfg.psl_path = NULL;
    cfg.capacity = 16;
    cfg.min_unique = 4;
    cfg.min_info = 16;
    cfg.window_s = 2;
    cfg.long_info = 64;
    cfg.long_window_s = 6;
    cfg.min_signs = 1;
    struct ps_alert_sink sink = {on_alert, NULL};
    struct ps_dns_tunnel *t = ps_dns_tunnel_new(&cfg, 1, &c, sink);
    if (!t)
        return 0;
    /* the list goes in through the public loader; the detector's own is empty */
    struct ps_psl *l = ps_psl_new(2);
    if (l) {
        ps_psl_load_text(l, psl, sizeof(psl) - 1);
        ps_psl_load_text(l, (const char *)data, size < 512 ? size : 512);
        (void)ps_psl_registered(l, data, size < 300 ? size : 300);
        ps_psl_free(l);
    }
    uint8_t cl[16] = {10, 0, 0, 0}, sv[16] = {10, 0, 0, 53};
    struct ps_pkt p;
    memset(&p, 0, sizeof(p));
    p.ipver = 4;
    p.proto = 17;
    p.has_ports = true;
    size_t i = 0;
    uint64_t ts = 1000000;
    while (i + 3 <= size) {
        uint8_t f = data[i], qt = data[i + 1], n = data[i + 2];
        i += 3;
        if (n > size - i)
            n = (uint8_t)(size - i);
        cl[3] = f & 3;
        ts += (uint64_t)(qt >> 3) * 300000;
        struct ps_dns_obs o = {.ts_us = ts,
                               .ipver = 4,
                               .client = cl,
                               .server = sv,
                               .client_port = 40000,
                               .server_port = 53,
                               .qname = data + i,
                               .qname_len = n,
                               .qtype = qtypes[qt & 7],
                               .response = (f & 4) != 0,
                               .rcode = (uint8_t)((f >> 3) & 15),
                               .answers = 1};
        p.ts_us = ts;
        ps_dns_tunnel_observe(t, &o, &p);
        /* the same bytes as a DNS message on the wire, as the application
         * layer's parser reads it */
        static struct ps_dns_msg m;
        if (ps_dns_parse(data + i, n, &m) == 0)
            ps_dns_tunnel_msg(t, &m, &p);
        i += n;
    }
    ps_dns_tunnel_free(t);
    return 0;
}
