/* SPDX-License-Identifier: BSD-2-Clause */
/* The ClickHouse sink: every EVE record becomes one row of the table of its
 * event type (flows, alerts, anomalies, stats, dns, tls, quic, http, ssh;
 * any other type goes to `events`). A row holds columns extracted from the
 * record (time, flow id, addresses, ports, VNI and the type's key fields)
 * plus the whole record as the String column `record`, so that every field
 * stays queryable with JSONExtract* / visitParam*.
 *
 * Rows are batched per table in fixed chunks carved at startup from one
 * buffer of --clickhouse-buffer bytes and POSTed as `INSERT ... FORMAT
 * JSONEachRow` over HTTP by a sender thread (libcurl): the packet path only
 * copies into a chunk and never waits on the network. A batch goes when it
 * holds 10,000 rows, fills its chunk, or is 1 s old. A batch the server
 * could not take (down, unreachable) is kept and retried with backoff; one
 * it refused five times is dropped. When every chunk is in use, new rows
 * are dropped (the buffer keeps the oldest rows of an outage, in order);
 * every dropped row is counted by reason (clickhouse.dropped.*).
 *
 * The row layout works with ClickHouse 18.16 (Debian 12's package) and
 * current releases: times as DateTime (seconds) plus UInt64 microseconds,
 * addresses as String, no nested objects, no DateTime64 or LowCardinality. */
#ifndef PS_OUTPUT_CLICKHOUSE_H
#define PS_OUTPUT_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/counters.h"

/* ---- rows (ch_row.c): no I/O, no allocation; fuzzed and unit tested ---- */

enum ps_ch_table {
    PS_CH_FLOWS,
    PS_CH_ALERTS,
    PS_CH_ANOMALIES,
    PS_CH_STATS,
    PS_CH_DNS,
    PS_CH_TLS,
    PS_CH_QUIC,
    PS_CH_HTTP,
    PS_CH_SSH,
    PS_CH_EVENTS, /* any other event type */
    PS_CH__TABLES
};

/* Table name of t ("flows", ...). */
const char *ps_ch_table_name(enum ps_ch_table t);

/* The table an EVE record goes to, from its top-level event_type; -1 when
 * the record is not a JSON object or has no event_type string. */
int ps_ch_table_of(const char *json, size_t len);

/* One JSONEachRow line (with its '\n') for the EVE record json[len] into
 * out[cap]. Returns its length, 0 when it does not fit in cap, or -1 when
 * the record is not well-formed JSON (nothing a server would refuse is ever
 * written). At most 3 * len + 2048 bytes. Packet path: no allocation. */
long ps_ch_format_row(char *out, size_t cap, enum ps_ch_table t, const char *json, size_t len);

/* Print CREATE DATABASE and one CREATE TABLE per table, for database db
 * (an identifier: letters, digits, '_'). */
void ps_ch_schema(FILE *f, const char *db);

/* A name ClickHouse takes unquoted: [A-Za-z_][A-Za-z0-9_]*, 1..64 bytes. */
bool ps_ch_ident_ok(const char *s, size_t n);

#define PS_CH_URL_MAX 1024

/* What --clickhouse URL names: http(s)://[user:pass@]host[:port][/path]
 * [?param=value&...]. `database=NAME` in the query picks the database
 * (default "periscope"); other parameters are passed to the server as
 * they are (user, password, settings). */
struct ps_ch_url {
    char base[PS_CH_URL_MAX];   /* up to, without, the '?' */
    char params[PS_CH_URL_MAX]; /* the other parameters, "" or "a=1&b=2" */
    char db[65];
};

/* Parse url. Returns 0, or -1 with a message in err. */
int ps_ch_url_parse(struct ps_ch_url *u, const char *url, char *err, size_t errlen);

/* The URL an insert into table t is POSTed to, into out[cap]. Returns 0, or
 * -1 when it does not fit. */
int ps_ch_insert_url(const struct ps_ch_url *u, enum ps_ch_table t, char *out, size_t cap);

/* ---- the sink (clickhouse.c): buffer, sender thread, libcurl ---- */

struct ps_ch;

/* Start the sink for url with a buffer of buffer_bytes (at least 4 KiB).
 * Returns NULL with a message in err. */
struct ps_ch *ps_ch_open(const char *url, size_t buffer_bytes, char *err, size_t errlen);

/* Queue one EVE record (without its newline). Packet path: copies into the
 * buffer under a short lock, or counts the row as dropped; never blocks on
 * the network. Thread-safe. */
void ps_ch_record(struct ps_ch *ch, const char *json, size_t len);

/* Read mode: when the buffer is full and the server took the last batch,
 * wait for room instead of dropping (a file has no real-time deadline). */
void ps_ch_set_backpressure(struct ps_ch *ch, bool on);

/* Copy the sink's clickhouse.* counters into c. */
void ps_ch_counters(struct ps_ch *ch, struct ps_counters *c);

/* Rows and bytes buffered and not yet accepted by the server. */
void ps_ch_backlog(struct ps_ch *ch, uint64_t *rows, uint64_t *bytes);

/* The first error the server or the network gave, or "". */
const char *ps_ch_error(struct ps_ch *ch);

/* Send every buffered row, waiting at most wait_ms for the server; rows
 * still unsent then are counted in clickhouse.dropped.shutdown. Stops the
 * sender; the counters stay readable until ps_ch_free(). */
void ps_ch_close(struct ps_ch *ch, unsigned wait_ms);
void ps_ch_free(struct ps_ch *ch);

#endif
