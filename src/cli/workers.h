/* SPDX-License-Identifier: BSD-2-Clause */
/* listen --workers N: N worker threads, each with its own pipeline (flow
 * table, defragmenter, detectors, parsers). The receiving thread decodes
 * each packet once more to find its innermost addresses and ports, and
 * hands it to the worker chosen by a symmetric hash of them, so both
 * directions of a conversation meet in one worker even when two mirrored
 * ENIs, or two sockets, deliver them. Packets travel in one bounded byte
 * ring per worker (a copy; nothing is allocated per packet); a full ring
 * drops the packet under drop.worker_queue_full.
 *
 * Outputs are shared: each record is one fwrite() (stdio locks the stream)
 * and the store sink has its own lock. Each worker publishes a snapshot of
 * its counters, sessions and flow count every tick; ps_workers_collect()
 * sums them into an aggregate pipeline that the stats event, the metrics
 * and the summary read as they read a single pipeline. */
#ifndef PS_CLI_WORKERS_H
#define PS_CLI_WORKERS_H

#include "cli/pipeline.h"
#include "source/udp.h"

struct ps_workers;

/* Start n workers configured like `like` (decoder settings, outputs,
 * allow lists). Returns NULL with a message on failure. */
struct ps_workers *ps_workers_start(int n, const struct ps_pipeline_config *cfg,
                                    const struct ps_pipeline *like, size_t ring_bytes, char *err,
                                    size_t errlen);

/* Hand over one datagram or captured frame (copied). Receiving thread. */
void ps_workers_udp(struct ps_workers *ws, const struct ps_udp_dgram *dg);
void ps_workers_frame(struct ps_workers *ws, const uint8_t *data, uint32_t caplen, uint32_t len,
                      uint64_t ts_us);

/* A packet refused before dispatch: counted in the receiver's counters. */
void ps_workers_drop(struct ps_workers *ws, uint32_t len, uint64_t ts_us, enum ps_counter_id why);

/* Sum every worker's latest snapshot and the receiver's counters into agg
 * (counters, protocol totals, sessions, flows in the tables, records). */
void ps_workers_collect(struct ps_workers *ws, struct ps_pipeline *agg);

/* Let the workers drain their rings, flush their flows, stop. The last
 * snapshots stay for ps_workers_collect(). */
void ps_workers_stop(struct ps_workers *ws);

void ps_workers_free(struct ps_workers *ws);

/* Worker for a symmetric hash h (exposed for tests). */
int ps_workers_pick(uint32_t h, int n);

#endif
