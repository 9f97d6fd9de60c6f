/* SPDX-License-Identifier: BSD-2-Clause */
/* Reassembly: the Novak/Sturges overlap vector under every policy (the
 * expected strings are the published per-OS outcomes), completion in any
 * order, duplicates, overlaps, oversize and the memory bound. */
#include <stdlib.h>

#include "defrag/defrag.h"
#include "unit.h"

/* The vector: 17 fragments in this arrival order, offset and length in
 * bytes, each filled with its letter; Q is the last fragment. */
static const struct {
    char c;
    uint32_t off, len;
} novak[] = {
    {'A', 0, 24},   {'B', 32, 16},  {'C', 48, 24}, {'D', 80, 8},  {'E', 104, 16}, {'F', 120, 24},
    {'G', 144, 16}, {'H', 160, 16}, {'I', 176, 8}, {'J', 8, 32},  {'K', 48, 24},  {'L', 72, 24},
    {'M', 96, 24},  {'N', 128, 8},  {'O', 152, 8}, {'P', 160, 8}, {'Q', 176, 16},
};
#define NOVAK (sizeof(novak) / sizeof(novak[0]))

static const struct {
    enum ps_frag_policy pol;
    const char *want; /* one letter per 8 bytes */
} outcomes[] = {
    {PS_POLICY_BSD, "AAAJJBCCCLLLMMMFFFGGHHIQ"},
    {PS_POLICY_LINUX, "AAAJJBKKKLLLMMMFFFGGPHQQ"},
    {PS_POLICY_WINDOWS, "AAAJBBCCCLLLMEEFFFGGHHIQ"},
    {PS_POLICY_SOLARIS, "AAAJBBCCCLLLMMMFFFGGHHIQ"},
    {PS_POLICY_FIRST, "AAAJBBCCCLDLMEEFFFGGHHIQ"},
    {PS_POLICY_LAST, "AJJJJBKKKLLLMMMFNFGOPHQQ"},
};

static uint8_t bufs[NOVAK][32];

static void test_policies(void)
{
    uint32_t offs[NOVAK], lens[NOVAK];
    const uint8_t *data[NOVAK];
    for (size_t i = 0; i < NOVAK; i++) {
        memset(bufs[i], novak[i].c, sizeof(bufs[i]));
        offs[i] = novak[i].off;
        lens[i] = novak[i].len;
        data[i] = bufs[i];
    }
    for (size_t k = 0; k < sizeof(outcomes) / sizeof(outcomes[0]); k++) {
        uint8_t out[256];
        size_t n =
            ps_defrag_policy_apply(outcomes[k].pol, NOVAK, offs, lens, data, out, sizeof(out));
        CHECK_EQ(n, 192);
        char got[25];
        for (int u = 0; u < 24; u++)
            got[u] = (char)out[u * 8];
        got[24] = 0;
        CHECK_STR(got, outcomes[k].want);
    }
}

/* A fake fragment: IPv4 10.0.0.1 -> 10.0.0.2, id 7, UDP. */
static uint8_t hdr[20] = {0x45, 0, 0, 0, 0, 7, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};

static struct ps_pkt frag(uint32_t off, uint32_t len, bool mf, const uint8_t *data, uint64_t ts)
{
    struct ps_pkt p;
    memset(&p, 0, sizeof(p));
    p.ipver = 4;
    p.proto = 17;
    p.src[0] = 10;
    p.src[3] = 1;
    p.dst[0] = 10;
    p.dst[3] = 2;
    p.ip_hdr = hdr;
    p.ip_hdr_len = 20;
    p.is_fragment = true;
    p.frag_id = 7;
    p.frag_off = (uint16_t)off;
    p.frag_len = len;
    p.more_frags = mf;
    p.payload = data;
    p.payload_len = len;
    p.ts_us = ts;
    return p;
}

static int alerts[PS_SIG__COUNT];

static void on_alert(void *ctx, const struct ps_alert *a)
{
    (void)ctx;
    alerts[a->sig]++;
}

void test_defrag(void)
{
    test_policies();

    struct ps_counters c;
    memset(&c, 0, sizeof(c));
    struct ps_defrag_config cfg;
    ps_defrag_config_default(&cfg);
    cfg.max_trackers = 8;
    cfg.memcap = 1 << 20;
    struct ps_alert_sink sink = {on_alert, NULL};
    struct ps_defrag *df = ps_defrag_new(&cfg, 1, &c, sink);
    CHECK(df != NULL);
    if (!df)
        return;

    /* Out of order (the last first), as an NLB may deliver: reassembles. */
    static uint8_t payload[3000];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;
    const uint8_t *out;
    struct ps_pkt p = frag(2000, 1000, false, payload + 2000, 1);
    CHECK_EQ(ps_defrag_add(df, &p, &out), 0);
    p = frag(0, 1000, true, payload, 2);
    CHECK_EQ(ps_defrag_add(df, &p, &out), 0);
    p = frag(0, 1000, true, payload, 3); /* an exact duplicate: ignored */
    CHECK_EQ(ps_defrag_add(df, &p, &out), 0);
    CHECK_EQ(c.v[PS_C_DEFRAG_DUPLICATE], 1);
    p = frag(1000, 1000, true, payload + 1000, 4);
    size_t n = ps_defrag_add(df, &p, &out);
    CHECK_EQ(n, 3020);
    if (n == 3020) {
        CHECK_EQ(out[2] << 8 | out[3], 3020); /* total length rewritten */
        CHECK_EQ(out[6] & 0x3f, 0);           /* no MF, no offset */
        CHECK(memcmp(out + 20, payload, 3000) == 0);
    }
    CHECK_EQ(ps_defrag_pending(df), 0);
    CHECK_EQ(alerts[PS_SIG_FRAG_OVERLAP_CONFLICT] + alerts[PS_SIG_FRAG_OVERLAP_SAME], 0);

    /* A conflicting overlap under the default policy: alert, datagram dropped. */
    static uint8_t evil[1000];
    memset(evil, 0xee, sizeof(evil));
    p = frag(0, 1000, true, payload, 10);
    ps_defrag_add(df, &p, &out);
    p = frag(504, 1000, false, evil, 11);
    CHECK_EQ(ps_defrag_add(df, &p, &out), 0);
    CHECK_EQ(alerts[PS_SIG_FRAG_OVERLAP_CONFLICT], 1);
    CHECK_EQ(c.v[PS_C_DEFRAG_DROPPED_OVERLAP], 1);

    /* Ping of death: offset + length past 65535. */
    p = frag(65000, 1000, false, payload, 20);
    CHECK_EQ(ps_defrag_add(df, &p, &out), 0);
    CHECK_EQ(alerts[PS_SIG_FRAG_OVERSIZE], 1);

    /* Tiny first fragment of TCP: 8 bytes cannot hold the header. */
    p = frag(0, 8, true, payload, 30);
    p.proto = 6;
    p.frag_id = 99;
    ps_defrag_add(df, &p, &out);
    CHECK_EQ(alerts[PS_SIG_FRAG_TINY_FIRST], 1);

    /* More incomplete datagrams than trackers: the oldest are evicted and
     * counted; pending never exceeds the table. */
    for (uint32_t id = 1000; id < 1100; id++) {
        p = frag(0, 1000, true, payload, 40 + id);
        p.frag_id = id;
        ps_defrag_add(df, &p, &out);
        CHECK(ps_defrag_pending(df) <= cfg.max_trackers);
    }
    CHECK(c.v[PS_C_DEFRAG_EVICTED] >= 90);
    ps_defrag_flush(df);
    CHECK_EQ(ps_defrag_pending(df), 0);
    ps_defrag_free(df);

    /* Per-destination policy: with linux for 10.0.0.0/8 the same overlap is
     * reassembled; the later fragment starts later, so the earlier keeps the
     * overlapping bytes (Linux's old rule: a new fragment wins only from an
     * offset at or before the old one's). */
    memset(&c, 0, sizeof(c));
    CHECK_EQ(ps_defrag_config_policy(&cfg, "10.0.0.0/8=linux"), 0);
    CHECK(ps_defrag_config_policy(&cfg, "10.0.0.0/33=linux") != 0);
    CHECK(ps_defrag_config_policy(&cfg, "bogus") != 0);
    df = ps_defrag_new(&cfg, 1, &c, sink);
    p = frag(0, 1000, true, payload, 10);
    ps_defrag_add(df, &p, &out);
    p = frag(504, 1000, false, evil, 11);
    n = ps_defrag_add(df, &p, &out);
    CHECK_EQ(n, 20 + 1504);
    if (n == 1524) {
        CHECK_EQ(out[20 + 504], payload[504]);
        CHECK_EQ(out[20 + 999], payload[999]);
        CHECK_EQ(out[20 + 1000], 0xee);
    }
    ps_defrag_free(df);
}
