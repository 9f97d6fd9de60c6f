/* SPDX-License-Identifier: BSD-2-Clause */
/* Sensor records into the SQLite store (src/store): flows and alerts, each
 * as columns for queries plus its EVE record, in batched transactions.
 * `periscope flowlogs query` and sqlite3 read the same tables. */
#ifndef PS_OUTPUT_DB_H
#define PS_OUTPUT_DB_H

#include <stddef.h>
#include <stdint.h>

#include "detect/alert.h"
#include "flow/flow.h"
#include "flow/session.h"
#include "store/store.h"

struct sqlite3_stmt;

struct ps_dbsink {
    struct ps_store st;
    struct sqlite3_stmt *flow;
    struct sqlite3_stmt *alert;
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

/* Make the rows written so far visible to readers (commit the batch). */
void ps_dbsink_commit(struct ps_dbsink *d);

void ps_dbsink_close(struct ps_dbsink *d);

#endif
