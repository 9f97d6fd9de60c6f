/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: one packet through the whole read pipeline (decoders,
 * mirror sessions, flow table, EVE and flow log writers). The first input
 * byte picks the link type; the rest is the captured packet. A small flow
 * table makes eviction and every end path reachable. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/pipeline.h"

static const int dlts[] = {PS_DLT_EN10MB, PS_DLT_RAW,  PS_DLT_LINUX_SLL, PS_DLT_LINUX_SLL2,
                           PS_DLT_IPV4,   PS_DLT_IPV6, PS_DLT_NULL,      PS_DLT_RAW_LT};

static struct ps_pipeline *w;
static uint64_t ts = 1700000000000000ULL;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!w) {
        struct ps_pipeline_config cfg;
        ps_pipeline_config_default(&cfg);
        cfg.flow.capacity = 64;
        cfg.defrag.max_trackers = 16;
        cfg.defrag.memcap = 64 * 2048;
        cfg.session_capacity = 16;
        cfg.seed = 1;
        w = calloc(1, sizeof(*w));
        if (!w || ps_pipeline_init(w, &cfg))
            abort();
        w->out.eve = fopen("/dev/null", "w");
        w->out.flowlog = w->out.eve;
    }
    if (size < 1)
        return 0;
    int dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
    /* Copy into an exact-size buffer so ASan sees any read past the end. */
    uint8_t *pkt = malloc(size - 1 ? size - 1 : 1);
    if (!pkt)
        return 0;
    memcpy(pkt, data + 1, size - 1);
    ts += 7000000; /* 7 s per input: timeouts and intervals fire */
    ps_pipeline_packet(w, dlt, pkt, (uint32_t)(size - 1), (uint32_t)(size - 1 + (data[0] >> 4)),
                       ts);
    free(pkt);
    const struct ps_counters *c = &w->c;
    if (c->v[PS_C_PKTS_RECEIVED] != c->v[PS_C_PKTS_DECODED] + ps_counters_dropped(c))
        abort(); /* accounting must always hold */
    return 0;
}
