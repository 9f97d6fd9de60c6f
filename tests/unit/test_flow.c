/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow table: direction-free keys, VNI in the key, timeouts per class,
 * eviction and drop policies, flow log intervals. */
#include <stdlib.h>

#include "flow/flow.h"
#include "unit.h"

static struct ps_counters C;
static int ended[4];
static uint64_t last_pkts[2];
static int intervals;

static void on_end(void *ctx, struct ps_flow *f, enum ps_flow_end why)
{
    (void)ctx;
    ended[why]++;
    last_pkts[0] = f->pkts[0];
    last_pkts[1] = f->pkts[1];
}

static void on_iv(void *ctx, const struct ps_flow *f, int dir, const struct ps_flow_iv *iv)
{
    (void)ctx;
    (void)f;
    (void)dir;
    (void)iv;
    intervals++;
}

static struct ps_pkt pkt(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t proto,
                         uint8_t flags, uint64_t ts_s)
{
    struct ps_pkt p;
    memset(&p, 0, sizeof(p));
    p.ipver = 4;
    p.proto = proto;
    p.src[0] = 10;
    p.src[3] = a;
    p.dst[0] = 10;
    p.dst[3] = b;
    p.sport = sp;
    p.dport = dp;
    p.has_ports = true;
    p.tcp_flags = flags;
    p.ip_len = 100;
    p.ts_us = ts_s * 1000000;
    return p;
}

static void reset_counts(void)
{
    memset(ended, 0, sizeof(ended));
    intervals = 0;
}

void test_flow(void)
{
    struct ps_flow_config cfg;
    ps_flow_config_default(&cfg);
    cfg.capacity = 4;
    cfg.deterministic = true;
    struct ps_flow_table t;
    struct ps_flow_sink sink = {on_end, on_iv, NULL};
    CHECK_EQ(ps_flow_table_init(&t, &cfg, 1, &C, sink), 0);
    reset_counts();

    /* Both directions meet in one flow; direction 0 is the initiator's. */
    struct ps_pkt p = pkt(9, 40000, 1, 80, 6, 0x02, 1000);
    struct ps_flow *f = ps_flow_update(&t, &p, 0);
    p = pkt(1, 80, 9, 40000, 6, 0x12, 1000);
    struct ps_flow *g = ps_flow_update(&t, &p, 0);
    CHECK(f == g);
    CHECK_EQ(f->pkts[0], 1);
    CHECK_EQ(f->pkts[1], 1);
    CHECK_EQ(f->flags[1], 0x12);
    CHECK_EQ(f->id, 1);
    CHECK_EQ(f->tclass, PS_TC_TCP_EST);
    CHECK_EQ(t.used, 1);

    /* The same 5-tuple under another VNI is another flow. */
    p = pkt(9, 40000, 1, 80, 6, 0x02, 1001);
    p.m.encap = PS_ENCAP_VXLAN;
    p.m.has_vni = true;
    p.m.vni = 7;
    g = ps_flow_update(&t, &p, 0);
    CHECK(g != f);
    CHECK_EQ(t.used, 2);

    /* FIN both ways: closed, ended after the closed timeout as "closed". */
    p = pkt(9, 40000, 1, 80, 6, 0x11, 1002);
    ps_flow_update(&t, &p, 0);
    p = pkt(1, 80, 9, 40000, 6, 0x11, 1002);
    ps_flow_update(&t, &p, 0);
    CHECK_EQ(f->tclass, PS_TC_TCP_CLOSED);
    ps_flow_expire(&t, 1002 * 1000000ULL + cfg.timeout_s[PS_TC_TCP_CLOSED] * 1000000ULL, 0);
    CHECK_EQ(ended[PS_END_CLOSED], 1);
    CHECK_EQ(last_pkts[0], 2);
    CHECK_EQ(last_pkts[1], 2);
    /* The VXLAN flow (new TCP, 30 s) has not timed out yet. */
    CHECK_EQ(t.used, 1);
    ps_flow_expire(&t, 1001 * 1000000ULL + cfg.timeout_s[PS_TC_TCP_NEW] * 1000000ULL, 0);
    CHECK_EQ(ended[PS_END_TIMEOUT], 1);
    CHECK_EQ(t.used, 0);

    /* Full table: the flow idle the longest is evicted. */
    reset_counts();
    for (int i = 0; i < 5; i++) {
        p = pkt((uint8_t)(20 + i), 5000, 1, 53, 17, 0, 2000 + (uint64_t)i);
        CHECK(ps_flow_update(&t, &p, 0) != NULL);
    }
    CHECK_EQ(ended[PS_END_EVICTED], 1);
    CHECK_EQ(t.used, 4);
    ps_flow_flush(&t);
    CHECK_EQ(ended[PS_END_SHUTDOWN], 4);
    CHECK_EQ(t.used, 0);
    ps_flow_table_free(&t);

    /* Drop policy: the packet is dropped and counted instead. */
    cfg.evict_when_full = false;
    cfg.capacity = 1;
    CHECK_EQ(ps_flow_table_init(&t, &cfg, 1, &C, sink), 0);
    uint64_t drops = C.v[PS_C_DROP_FLOW_FULL];
    p = pkt(1, 1, 2, 2, 17, 0, 3000);
    CHECK(ps_flow_update(&t, &p, 0) != NULL);
    p = pkt(3, 1, 2, 2, 17, 0, 3000);
    CHECK(ps_flow_update(&t, &p, 0) == NULL);
    CHECK_EQ(C.v[PS_C_DROP_FLOW_FULL], drops + 1);

    /* Flow log intervals: a packet in a new 60 s window closes the old one,
     * one record per direction with traffic. */
    reset_counts();
    p = pkt(1, 1, 2, 2, 17, 0, 3059);
    ps_flow_update(&t, &p, 0);
    p = pkt(2, 2, 1, 1, 17, 0, 3059);
    ps_flow_update(&t, &p, 0);
    CHECK_EQ(intervals, 0);
    p = pkt(1, 1, 2, 2, 17, 0, 3061);
    ps_flow_update(&t, &p, 0);
    CHECK_EQ(intervals, 2);
    ps_flow_flush(&t);
    CHECK_EQ(intervals, 3);
    ps_flow_table_free(&t);

    /* ICMP: an echo request and its reply are one flow; an unreachable
     * between the same hosts is another. */
    cfg.capacity = 8;
    CHECK_EQ(ps_flow_table_init(&t, &cfg, 1, &C, sink), 0);
    p = pkt(1, 0, 2, 0, 1, 0, 4000);
    p.icmp_type = 8;
    f = ps_flow_update(&t, &p, 0);
    p = pkt(2, 0, 1, 0, 1, 0, 4000);
    p.icmp_type = 0;
    g = ps_flow_update(&t, &p, 0);
    CHECK(f == g);
    CHECK_EQ(f->pkts[1], 1);
    p = pkt(2, 0, 1, 0, 1, 0, 4000);
    p.icmp_type = 3;
    p.icmp_code = 3;
    g = ps_flow_update(&t, &p, 0);
    CHECK(f != g);
    CHECK_EQ(t.used, 2);
    ps_flow_table_free(&t);

    /* VPC Flow Logs tcp-flags: ACK and PSH alone are not logged. */
    CHECK_EQ(ps_aws_tcp_flags(0x18), 0);
    CHECK_EQ(ps_aws_tcp_flags(0x12), 18);
    CHECK_EQ(ps_aws_tcp_flags(0x42), 2);
    CHECK_EQ(ps_aws_tcp_flags(0x11), 1);
    CHECK_EQ(ps_aws_tcp_flags(0x14), 4);
}
