/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: reassembly fed fragment sequences the fuzzer chooses.
 * Each record: offset/8 (2 bytes), length (2), flags (1: bit 0 MF, bit 1
 * IPv6, bits 2-3 policy choice, bit 4 TCP), id (1), then the data. Small
 * tables so that eviction, memory and policy paths all run. */
#include <stdlib.h>
#include <string.h>

#include "defrag/defrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_alert(void *ctx, const struct ps_alert *a)
{
    (void)ctx;
    (void)a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_counters c;
    static const uint8_t hdr4[20] = {0x45, 0, 0,  0, 0, 1, 0x20, 0, 64, 17,
                                     0,    0, 10, 0, 0, 1, 10,   0, 0,  2};
    struct ps_defrag_config cfg;
    ps_defrag_config_default(&cfg);
    cfg.max_trackers = 4;
    cfg.max_frags = 16;
    cfg.memcap = 64 * 2048;
    cfg.flood_threshold = 3;
    if (size > 0) {
        static const char *const pols[] = {"drop", "bsd", "linux", "windows"};
        ps_defrag_config_policy(&cfg, pols[data[0] & 3]);
    }
    struct ps_alert_sink sink = {on_alert, NULL};
    struct ps_defrag *df = ps_defrag_new(&cfg, 1, &c, sink);
    if (!df)
        return 0;
    size_t i = 1;
    uint64_t ts = 1;
    while (i + 6 <= size) {
        uint32_t off = (uint32_t)(data[i] << 8 | data[i + 1]) * 8;
        uint32_t len = (uint32_t)(data[i + 2] << 8 | data[i + 3]);
        uint8_t flags = data[i + 4];
        uint8_t id = data[i + 5];
        i += 6;
        if (len > size - i)
            len = (uint32_t)(size - i);
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        if (!copy)
            break;
        memcpy(copy, data + i, len);
        i += len;
        struct ps_pkt p;
        memset(&p, 0, sizeof(p));
        p.ipver = flags & 2 ? 6 : 4;
        p.proto = flags & 16 ? 6 : 17;
        p.src[0] = 10;
        p.dst[0] = 11;
        p.ip_hdr = hdr4;
        p.ip_hdr_len = p.ipver == 4 ? 20 : 40;
        p.is_fragment = true;
        p.frag_id = id;
        p.frag_off = (uint16_t)off;
        p.frag_len = len;
        p.more_frags = flags & 1;
        p.payload = copy;
        p.payload_len = len;
        p.ts_us = ts;
        ts += (flags & 0x20) ? 40000000 : 1000; /* sometimes past the timeout */
        ps_defrag_expire(df, ts, 0);
        const uint8_t *out;
        size_t n = ps_defrag_add(df, &p, &out);
        if (n) {
            volatile uint8_t sum = 0;
            for (size_t k = 0; k < n; k++)
                sum ^= out[k]; /* the whole datagram must be readable */
        }
        free(copy);
    }
    ps_defrag_flush(df);
    if (ps_defrag_pending(df) != 0)
        abort();
    ps_defrag_free(df);
    return 0;
}
