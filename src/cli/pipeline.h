/* SPDX-License-Identifier: BSD-2-Clause */
/* One worker's pipeline: decode -> mirror session accounting -> flow table
 * -> outputs. Owns its counters and tables; everything is allocated by
 * ps_pipeline_init(), nothing per packet. */
#ifndef PS_CLI_PIPELINE_H
#define PS_CLI_PIPELINE_H

#include "app/applayer.h"
#include "core/counters.h"
#include "core/packet.h"
#include "decode/decode.h"
#include "defrag/defrag.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "flow/session.h"
#include "output/output.h"

enum { PS_PB_TCP, PS_PB_UDP, PS_PB_ICMP, PS_PB_OTHER, PS_PB__COUNT };

struct ps_pipeline {
    struct ps_counters c;
    struct ps_decoder dec;
    struct ps_pkt pkt;
    struct ps_session_table sessions;
    struct ps_flow_table flows;
    struct ps_out out;
    uint64_t last_ts_us;                /* newest packet time seen */
    uint64_t proto_pkts[PS_PB__COUNT];  /* decoded IP packets by transport */
    uint64_t proto_bytes[PS_PB__COUNT]; /* their IP bytes */
    uint64_t stats_interval_us;         /* 0 = stats only at the end */
    bool no_stats;                      /* a worker: the aggregate writes stats events */
    uint64_t next_stats_us;
    struct ps_defrag *defrag;
    struct ps_detect *detect;
    struct ps_app *app;
    uint64_t next_defrag_sweep_us;
    /* listen --allow-vni: NULL = every VNI allowed */
    bool (*allow_vni)(void *ctx, uint32_t vni);
    void *allow_ctx;
};

struct ps_pipeline_config {
    struct ps_flow_config flow;
    struct ps_defrag_config defrag;
    struct ps_detect_config detect;
    struct ps_app_config app;
    uint32_t session_capacity;
    uint64_t seed;
    uint32_t stats_interval_s;
};

/* The pipeline is large (it embeds the output buffer and a 64 KiB port map):
 * allocate it on the heap. Returns 0 or -1 on allocation failure. */
int ps_pipeline_init(struct ps_pipeline *w, const struct ps_pipeline_config *cfg);
void ps_pipeline_free(struct ps_pipeline *w);

/* Defaults for every part. */
void ps_pipeline_config_default(struct ps_pipeline_config *cfg);

/* Process one captured packet. Packet path. */
void ps_pipeline_packet(struct ps_pipeline *w, int dlt, const uint8_t *data, uint32_t caplen,
                        uint32_t wirelen, uint64_t ts_us);

/* One UDP datagram from a mirror socket: kind PS_UDP_PORT_VXLAN or _GENEVE,
 * outer addresses as the socket reported them. Packet path. */
void ps_pipeline_udp(struct ps_pipeline *w, int kind, uint8_t ver, const uint8_t *src,
                     const uint8_t *dst, uint16_t sport, uint16_t dport, const uint8_t *data,
                     uint32_t len, uint64_t ts_us);

/* A packet received and refused before decoding (counted under why). */
void ps_pipeline_drop(struct ps_pipeline *w, uint32_t len, uint64_t ts_us, enum ps_counter_id why);

/* Wall-clock tick for live input: time out flows and datagrams while no
 * packet arrives, and write periodic stats. */
void ps_pipeline_tick(struct ps_pipeline *w, uint64_t now_us);

/* End of input: flush every flow and write the final stats event. */
void ps_pipeline_finish(struct ps_pipeline *w);

#endif
