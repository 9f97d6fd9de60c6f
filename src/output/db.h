/* SPDX-License-Identifier: BSD-2-Clause */
/* Sensor records into the SQLite store (src/store): flows and alerts, each
 * as columns for queries plus its EVE record, in batched transactions.
 * `periscope flowlogs query` and sqlite3 read the same tables. */
#ifndef PS_OUTPUT_DB_H
#define PS_OUTPUT_DB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/alert.h"
#include "flow/flow.h"
#include "flow/session.h"
#include "store/store.h"

struct sqlite3_stmt;

/* Tables of application records. */
enum ps_db_app { PS_DB_DNS, PS_DB_TLS, PS_DB_HTTP, PS_DB_SSH, PS_DB_QUIC, PS_DB__APP };

/* One application record's columns: the common ones, then up to five of
 * its own in the table's order (NULL = SQL NULL). */
struct ps_db_row {
    uint64_t ts_us;
    const struct ps_flow *flow;
    uint8_t ipver;
    uint8_t proto;
    const uint8_t *src;
    const uint8_t *dst;
    uint16_t sport;
    uint16_t dport;
    const char *col[5];
};

struct ps_dbsink {
    struct ps_store st;
    struct sqlite3_stmt *flow;
    struct sqlite3_stmt *alert;
    struct sqlite3_stmt *app[PS_DB__APP]; /* prepared on first use */
    pthread_mutex_t mu;                   /* listen --workers share one sink */
    uint64_t rows;
    uint64_t errors;
    char err[256]; /* the first error, for the summary */
};

/* Open or create the store at path. Returns 0, or -1 with a message. */
int ps_dbsink_open(struct ps_dbsink *d, const char *path, char *err, size_t errlen);

/* One flow: s is the session of its first direction (or NULL), eni the
 * interface id from --sessions (or NULL), json/len its EVE record. */
void ps_dbsink_flow(struct ps_dbsink *d, const struct ps_flow *f, enum ps_flow_end why,
                    const struct ps_session *s, const char *eni, const char *json, size_t len);

/* One alert and its EVE record. */
void ps_dbsink_alert(struct ps_dbsink *d, const struct ps_alert *a, const char *json, size_t len);

/* One application record and its EVE record. */
void ps_dbsink_app(struct ps_dbsink *d, enum ps_db_app t, const struct ps_db_row *r,
                   const char *json, size_t len);

/* Make the rows written so far visible to readers (commit the batch). */
void ps_dbsink_commit(struct ps_dbsink *d);

void ps_dbsink_close(struct ps_dbsink *d);

#endif
