/* SPDX-License-Identifier: BSD-2-Clause */
/* Record writers: EVE JSON lines (flow, stats) and the AWS VPC Flow Log
 * text format. One struct ps_out per worker; writes go through stdio with a
 * large buffer. */
#ifndef PS_OUTPUT_OUTPUT_H
#define PS_OUTPUT_OUTPUT_H

#include <stdio.h>

#include "core/counters.h"
#include "detect/alert.h"
#include "flow/flow.h"
#include "flow/session.h"
#include "output/json.h"

/* VNI -> network interface id, from describe-traffic-mirror-sessions. */
struct ps_eni_entry {
    uint32_t vni;
    char eni[32];
};

struct ps_eni_map {
    struct ps_eni_entry *e; /* sorted by vni */
    size_t n;
};

/* Load the JSON of `aws ec2 describe-traffic-mirror-sessions`. Returns 0, or
 * -1 with a message in err. */
int ps_eni_map_load(struct ps_eni_map *m, const char *path, char *err, size_t errlen);
const char *ps_eni_lookup(const struct ps_eni_map *m, uint32_t vni);
void ps_eni_map_free(struct ps_eni_map *m);

struct ps_dbsink;
struct ps_ch;

struct ps_out {
    FILE *eve;            /* NULL = no EVE */
    struct ps_dbsink *db; /* NULL = no store */
    struct ps_ch *ch;     /* NULL = no ClickHouse; else gets every EVE record */
    FILE *flowlog;        /* NULL = no flow log */
    const struct ps_session_table *sessions;
    const struct ps_eni_map *eni;
    uint64_t eve_records;
    uint64_t flowlog_records;
    uint64_t overflow; /* records too large to write (never expected) */
    uint8_t mc_ver;    /* cache of the last mirror addresses formatted */
    uint8_t mc_src[16];
    uint8_t mc_dst[16];
    char mc_src_s[46];
    char mc_dst_s[46];
    struct ps_json j;
    char buf[1 << 16];
};

void ps_out_init(struct ps_out *o);

/* Flow sink callbacks (see struct ps_flow_sink); ctx is a struct ps_out. */
void ps_out_flow_end(void *ctx, const struct ps_flow *f, enum ps_flow_end why);
void ps_out_flow_interval(void *ctx, const struct ps_flow *f, int dir, const struct ps_flow_iv *iv);

/* Alert and anomaly events (struct ps_detect_out callbacks). */
void ps_out_alert(void *ctx, const struct ps_alert *a);
void ps_out_anomaly(void *ctx, const struct ps_pkt *p, const char *name);

/* Write the flow log header line. */
void ps_out_flowlog_header(struct ps_out *o);

/* Write a stats event stamped ts_us with counters `c`, `active_flows` flows
 * in the tables. */
void ps_out_stats(struct ps_out *o, uint64_t ts_us, const struct ps_counters *c,
                  uint64_t active_flows);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", ... or the number, into out[8]. */
const char *ps_proto_name(uint8_t proto, char out[8]);

/* Address of family ver (4/6) as text into out[46]. */
const char *ps_addr_str(uint8_t ver, const uint8_t *a, char out[46]);

/* Write the finished record in o->j to the EVE file. */
void ps_out_write(struct ps_out *o);

/* The mirror object of flow f from the sessions of its two directions. */
void ps_out_flow_mirror(struct ps_out *o, const struct ps_flow *f);

/* The "visibility" object of flow f (class and flags, src/app/visibility.h). */
void ps_out_flow_visibility(struct ps_json *j, const struct ps_flow *f);

/* Application events (struct ps_app_out callbacks; src/output/eve_app.c). */
struct ps_dns_msg;
struct ps_tls_info;
struct ps_http_tx;
struct ps_ssh;
struct ps_quic;
void ps_out_dns(void *ctx, const struct ps_flow *f, const struct ps_pkt *p, int dir,
                const struct ps_dns_msg *m);
void ps_out_tls(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                const struct ps_tls_info *ti);
void ps_out_http(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                 const struct ps_http_tx *tx);
void ps_out_ssh(void *ctx, const struct ps_flow *f, const struct ps_pkt *p, const struct ps_ssh *s);
void ps_out_quic(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                 const struct ps_quic *q, const struct ps_tls_info *ti);

/* Write the mirror object of a flow (or of a session when f is NULL). */
void ps_out_mirror(struct ps_out *o, const struct ps_mirror *m, const struct ps_flow *f,
                   const struct ps_session *reply);

#endif
