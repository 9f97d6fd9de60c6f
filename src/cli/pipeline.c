/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "cli/pipeline.h"
#include "output/clickhouse.h"

void ps_pipeline_config_default(struct ps_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    ps_flow_config_default(&cfg->flow);
    ps_defrag_config_default(&cfg->defrag);
    ps_detect_config_default(&cfg->detect);
    ps_app_config_default(&cfg->app);
    cfg->session_capacity = 4096;
}

/* A flow ends: the application layer finishes its counts and records
 * first, then the flow record is written. */
static void flow_end(void *ctx, struct ps_flow *f, enum ps_flow_end why)
{
    struct ps_pipeline *w = ctx;
    ps_app_flow_end(w->app, f);
    ps_out_flow_end(&w->out, f, why);
}

static void flow_interval(void *ctx, const struct ps_flow *f, int dir, const struct ps_flow_iv *iv)
{
    struct ps_pipeline *w = ctx;
    ps_out_flow_interval(&w->out, f, dir, iv);
}

static void dns_detect(void *dctx, const struct ps_dns_msg *m, const struct ps_pkt *p)
{
    ps_detect_dns(dctx, m, p);
}

int ps_pipeline_init(struct ps_pipeline *w, const struct ps_pipeline_config *cfg)
{
    memset(&w->c, 0, sizeof(w->c));
    ps_decoder_init(&w->dec, &w->c);
    ps_out_init(&w->out);
    w->last_ts_us = 0;
    memset(w->proto_pkts, 0, sizeof(w->proto_pkts));
    memset(w->proto_bytes, 0, sizeof(w->proto_bytes));
    w->stats_interval_us = (uint64_t)cfg->stats_interval_s * 1000000;
    w->no_stats = false;
    w->next_stats_us = 0;
    if (ps_session_table_init(&w->sessions, cfg->session_capacity, cfg->seed ^ 0x5e55))
        return -1;
    w->app = NULL;
    struct ps_flow_sink sink = {flow_end, flow_interval, w};
    if (ps_flow_table_init(&w->flows, &cfg->flow, cfg->seed, &w->c, sink)) {
        ps_session_table_free(&w->sessions);
        return -1;
    }
    w->out.sessions = &w->sessions;
    struct ps_detect_out dout = {ps_out_alert, ps_out_anomaly, &w->out};
    w->detect = ps_detect_new(&cfg->detect, cfg->seed ^ 0xde7ec7, &w->c, dout);
    w->defrag = w->detect ? ps_defrag_new(&cfg->defrag, cfg->seed ^ 0xf7a9, &w->c,
                                          ps_detect_sink(w->detect))
                          : NULL;
    w->next_defrag_sweep_us = 0;
    struct ps_app_out aout = {ps_out_dns,  ps_out_tls, ps_out_http, ps_out_ssh,
                              ps_out_quic, &w->out,    dns_detect,  w->detect};
    if (w->detect)
        w->app = ps_app_new(&cfg->app, &w->c, aout);
    if (!w->detect || !w->defrag || !w->app) {
        ps_pipeline_free(w);
        return -1;
    }
    return 0;
}

void ps_pipeline_free(struct ps_pipeline *w)
{
    ps_defrag_free(w->defrag);
    ps_detect_free(w->detect);
    w->defrag = NULL;
    w->detect = NULL;
    ps_flow_table_free(&w->flows);
    ps_app_free(w->app);
    w->app = NULL;
    ps_session_table_free(&w->sessions);
}

static int proto_bucket(uint8_t proto)
{
    switch (proto) {
    case 6:
        return PS_PB_TCP;
    case 17:
        return PS_PB_UDP;
    case 1:
    case 58:
        return PS_PB_ICMP;
    default:
        return PS_PB_OTHER;
    }
}

/* Everything after decoding: w->pkt was decoded with result rc. */
static void after_decode(struct ps_pipeline *w, int rc, uint64_t ts_us)
{
    struct ps_pkt *p = &w->pkt;
    if (rc) {
        w->c.v[rc]++;
        return;
    }
    uint32_t sess = 0;
    if (p->m.encap != PS_ENCAP_NONE)
        sess = ps_session_account(&w->sessions, &w->c, p);
    bool dropped = false;
    bool detect = p->anom || p->ext_n || p->ip4_opts || p->v6_ext_overflow ||
                  (p->ipver == 6 && p->proto == 58);
    if (ts_us >= w->next_defrag_sweep_us) {
        w->next_defrag_sweep_us = ts_us + 100000;
        ps_defrag_expire(w->defrag, ts_us, 64);
    }
    if (p->is_fragment) {
        /* Fragments are decoded packets; the datagram they make, once
         * complete, goes through decoding again and into its flow. */
        if (detect)
            ps_detect_packet(w->detect, p);
        const uint8_t *dg;
        size_t n = ps_defrag_add(w->defrag, p, &dg);
        if (n && ps_decode_reassembled(&w->dec, p, dg, n) != 0) {
            w->c.v[PS_C_DEFRAG_INVALID]++; /* the datagram itself is malformed */
            n = 0;
        }
        if (!n) {
            w->c.v[PS_C_PKTS_DECODED]++;
            return;
        }
        detect = p->anom != 0;
    }
    if (p->ipver && !p->is_fragment) {
        uint64_t dups = w->c.v[PS_C_FLOW_DUPLICATES]; /* to tell a second copy */
        struct ps_flow *f = ps_flow_update(&w->flows, p, sess);
        dropped = !f; /* counted as drop.flow.full */
        if (w->c.v[PS_C_FLOW_DUPLICATES] == dups)
            ps_detect_tunnels(w->detect, p); /* once per packet, not per mirror copy */
        if (f) {
            if (sess && f->pkts[0] + f->pkts[1] == 1)
                w->sessions.s[sess - 1].flows++;
            int b = proto_bucket(p->proto);
            if (w->c.v[PS_C_FLOW_DUPLICATES] == dups) {
                w->proto_pkts[b]++;
                w->proto_bytes[b] += p->ip_len;
                uint64_t anom = p->anom;
                ps_app_packet(w->app, f, f->last_dir, p);
                detect |= p->anom != anom;
            }
        }
    }
    if (detect)
        ps_detect_packet(w->detect, p);
    if (dropped)
        return;
    w->c.v[PS_C_PKTS_DECODED]++;

    if (w->stats_interval_us && ts_us >= w->next_stats_us) {
        if (w->next_stats_us)
            ps_out_stats(&w->out, ts_us, &w->c, w->flows.used);
        w->next_stats_us = ts_us + w->stats_interval_us;
    }
}

static void received(struct ps_pipeline *w, uint32_t wirelen, uint64_t ts_us)
{
    w->c.v[PS_C_PKTS_RECEIVED]++;
    w->c.v[PS_C_BYTES_RECEIVED] += wirelen;
    if (ts_us > w->last_ts_us)
        w->last_ts_us = ts_us;
}

void ps_pipeline_packet(struct ps_pipeline *w, int dlt, const uint8_t *data, uint32_t caplen,
                        uint32_t wirelen, uint64_t ts_us)
{
    received(w, wirelen, ts_us);
    int rc = ps_decode(&w->dec, &w->pkt, dlt, data, caplen, wirelen, ts_us);
    after_decode(w, rc, ts_us);
}

void ps_pipeline_udp(struct ps_pipeline *w, int kind, uint8_t ver, const uint8_t *src,
                     const uint8_t *dst, uint16_t sport, uint16_t dport, const uint8_t *data,
                     uint32_t len, uint64_t ts_us)
{
    received(w, len, ts_us);
    int rc = ps_decode_udp_payload(&w->dec, &w->pkt, kind, ver, src, dst, sport, dport, data, len,
                                   ts_us);
    if (!rc && w->allow_vni && !(w->pkt.m.has_vni && w->allow_vni(w->allow_ctx, w->pkt.m.vni)))
        rc = PS_C_DROP_VNI_DENIED;
    after_decode(w, rc, ts_us);
}

void ps_pipeline_drop(struct ps_pipeline *w, uint32_t len, uint64_t ts_us, enum ps_counter_id why)
{
    received(w, len, ts_us);
    w->c.v[why]++;
}

void ps_pipeline_tick(struct ps_pipeline *w, uint64_t now_us)
{
    if (now_us > w->last_ts_us)
        w->last_ts_us = now_us;
    ps_flow_expire(&w->flows, now_us, 10000);
    ps_defrag_expire(w->defrag, now_us, 1000);
    if (w->out.ch && !w->no_stats) /* its counters live in its sender; copied for stats */
        ps_ch_counters(w->out.ch, &w->c);
    if (w->stats_interval_us && now_us >= w->next_stats_us) {
        if (w->next_stats_us)
            ps_out_stats(&w->out, now_us, &w->c, w->flows.used);
        w->next_stats_us = now_us + w->stats_interval_us;
    }
}

void ps_pipeline_finish(struct ps_pipeline *w)
{
    ps_defrag_flush(w->defrag);
    ps_flow_flush(&w->flows);
    if (w->out.ch && !w->no_stats)
        ps_ch_counters(w->out.ch, &w->c);
    if (!w->no_stats)
        ps_out_stats(&w->out, w->last_ts_us, &w->c, w->flows.used);
}
