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
#include <string.h>

#include <curl/curl.h>

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

/* ---- the flow-log tables (ch_row.c) ----
 * `periscope flowlogs import --clickhouse` fills three tables: flowlogs
 * (file_id, line, seq, every flow-log field of versions 2 to 8 under its
 * store column name, Nullable, and extra), flowlog_files (one row per file:
 * a ReplacingMergeTree keyed by content_key, so the row a file's import
 * ends with replaces the one it began with) and flowlog_malformed. No
 * Nullable column is in a sorting key (18.16 refuses that). */
enum ps_ch_fl_table { PS_CH_FL_FLOWLOGS, PS_CH_FL_FILES, PS_CH_FL_MALFORMED, PS_CH_FL__TABLES };

/* "CREATE TABLE IF NOT EXISTS db.NAME (...) ENGINE = ..." (no ';') for
 * flow-log table t into out[cap]. Returns its length, or 0 when it does
 * not fit. db is an identifier (ps_ch_ident_ok). */
size_t ps_ch_fl_create(enum ps_ch_fl_table t, const char *db, char *out, size_t cap);

/* Bytes of the unsigned type a flow-log integer field whose largest value
 * is max is stored in: 1, 2, 4 or 8 (UInt8 .. UInt64). The schema and the
 * row encoder both use it, so they cannot disagree. */
unsigned ps_ch_uint_bytes(int64_t max);

/* ---- RowBinary values (ClickHouse's RowBinary input format): integers
 * little-endian at their width, a String as its length (unsigned LEB128)
 * then its bytes as they are, a Nullable as one byte (1: NULL) before the
 * value when there is one. Nothing is escaped: any byte is data. The
 * caller checks the room; no allocation. ---- */

/* Unsigned LEB128 of v at p (1 to 10 bytes); returns the end. */
static inline uint8_t *ps_ch_rb_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* v as a little-endian integer of width bytes (1, 2, 4 or 8). Writes 8
 * bytes (the caller leaves that room) and returns p + width. */
static inline uint8_t *ps_ch_rb_uint(uint8_t *p, uint64_t v, unsigned width)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8); /* one store: this runs for every integer of every record */
#else
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
#endif
    return p + width;
}

/* A String: varint length, then s[0..n). Needs n + 10 bytes of room.
 * Flow-log values are short: up to 16 bytes are copied with two fixed-size
 * (overlapping) moves that read only s[0..n), not a call to memcpy. */
static inline uint8_t *ps_ch_rb_str(uint8_t *p, const void *s, size_t n)
{
    const uint8_t *b = s;
    p = ps_ch_rb_varint(p, n);
    if (n >= 8 && n <= 16) {
        memcpy(p, b, 8);
        memcpy(p + n - 8, b + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(p, b, 4);
        memcpy(p + n - 4, b + n - 4, 4);
    } else if (n > 16) {
        memcpy(p, b, n);
    } else {
        for (size_t i = 0; i < n; i++)
            p[i] = b[i];
    }
    return p + n;
}

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

/* u's server for messages: the URL up to the '?', without user:password@
 * (a password stays out of logs), into out[cap]. */
void ps_ch_url_public(const struct ps_ch_url *u, char *out, size_t cap);

/* The URL an insert into table t is POSTed to, into out[cap]. Returns 0, or
 * -1 when it does not fit. */
int ps_ch_insert_url(const struct ps_ch_url *u, enum ps_ch_table t, char *out, size_t cap);

/* ---- the sink (clickhouse.c): buffer, sender thread, libcurl ---- */

/* A server's answer as libcurl delivers it: the first cap - 1 bytes are
 * kept, NUL-terminated, the rest counted as read. */
struct ps_ch_reply {
    char *buf;
    size_t cap; /* at least 1 */
    size_t len;
};

/* libcurl's CURLOPT_WRITEFUNCTION for a struct ps_ch_reply (the
 * CURLOPT_WRITEDATA). */
size_t ps_ch_reply_write(char *p, size_t size, size_t n, void *reply);

/* A libcurl easy handle for the server: http and https only, no signals,
 * connect_ms and request_ms timeouts, answers kept in r (buf and cap set
 * by the caller). Call before any thread that uses libcurl starts (it
 * initialises libcurl). NULL when libcurl cannot start. */
CURL *ps_ch_curl_new(struct ps_ch_reply *r, long connect_ms, long request_ms);

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
