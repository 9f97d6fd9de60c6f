/* SPDX-License-Identifier: BSD-2-Clause */
/* The application layer of one worker: recognises the protocol of a flow by
 * its content (not its port), reassembles TCP for the parser that took it
 * (src/stream), hands UDP datagrams to the DNS and QUIC parsers, and gives
 * each record to the outputs. Once a parser has what it wanted the flow is
 * bypassed: its bytes and gaps are still counted, nothing is reassembled.
 *
 * Parser state lives in a fixed number of slots, taken when a flow first
 * carries payload and given back when its parser is done or the flow ends;
 * reassembly buffers come from a fixed pool. Both are counted when full. */
#ifndef PS_APP_APPLAYER_H
#define PS_APP_APPLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app.h"
#include "core/counters.h"
#include "core/packet.h"
#include "flow/flow.h"

struct ps_dns_msg;
struct ps_tls_info;
struct ps_http_tx;
struct ps_ssh;
struct ps_quic;

struct ps_app_config {
    bool enabled;     /* false: flows and missing bytes only */
    uint32_t slots;   /* flows parsed at once */
    uint32_t buffers; /* reassembly buffers of PS_APP_BUF bytes */
};

void ps_app_config_default(struct ps_app_config *c);

/* Where the records go (src/output). `p` is the packet that completed the
 * record: its time stamps the event. */
struct ps_app_out {
    void (*dns)(void *ctx, const struct ps_flow *f, const struct ps_pkt *p, int dir,
                const struct ps_dns_msg *m);
    void (*tls)(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                const struct ps_tls_info *ti);
    void (*http)(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                 const struct ps_http_tx *tx);
    void (*ssh)(void *ctx, const struct ps_flow *f, const struct ps_pkt *p, const struct ps_ssh *s);
    void (*quic)(void *ctx, const struct ps_flow *f, const struct ps_pkt *p,
                 const struct ps_quic *q, const struct ps_tls_info *ti);
    void *ctx;
    /* Every parsed DNS message also goes to the detectors (dns_tunnel). */
    void (*dns_detect)(void *dctx, const struct ps_dns_msg *m, const struct ps_pkt *p);
    void *dctx;
};

struct ps_app;

struct ps_app *ps_app_new(const struct ps_app_config *cfg, struct ps_counters *c,
                          struct ps_app_out out);
void ps_app_free(struct ps_app *a);

/* A decoded packet of flow f (not a second mirrored copy), direction dir
 * (0 from the initiator). May set an anomaly bit in p. Packet path. */
void ps_app_packet(struct ps_app *a, struct ps_flow *f, int dir, struct ps_pkt *p);

/* Flow f ends: finish the missing-byte count, write what the parsers still
 * hold, give the slot back. */
void ps_app_flow_end(struct ps_app *a, struct ps_flow *f);

/* "dns", "tls", ... for a flow's app_proto; NULL when none. */
const char *ps_app_proto_name(uint8_t proto);

#endif
