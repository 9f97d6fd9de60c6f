/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite store as a flow-log sink: tables flowlog_files, flowlogs and
 * flowlog_malformed (schema in src/store/store.c). Each row's primary key
 * is file id * 2^32 + the record's number in the file. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowlogs/flowlogs.h"

struct store_sink {
    struct ps_fl_sink base;
    struct ps_store *st;
    sqlite3_stmt *ins;           /* INSERT for ins_fmt */
    struct ps_fl_format ins_fmt; /* the layout `ins` was prepared for */
    bool ins_valid;
    bool reindex;      /* indexes dropped for a bulk load: build them at the end */
    sqlite3_stmt *bad; /* INSERT into flowlog_malformed */
    int64_t file_id;
};

static int sqlerr(struct store_sink *k, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "database: %s: %s", what, sqlite3_errmsg(k->st->db));
    return -1;
}

/* Run one statement with up to two int64 parameters. */
static int exec2(struct store_sink *k, const char *sql, int64_t a, int64_t b, char *err,
                 size_t errlen)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(k->st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return sqlerr(k, err, errlen, "prepare");
    int n = sqlite3_bind_parameter_count(q);
    if (n >= 1)
        sqlite3_bind_int64(q, 1, a);
    if (n >= 2)
        sqlite3_bind_int64(q, 2, b);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sqlerr(k, err, errlen, "update");
    sqlite3_finalize(q);
    return rc;
}

static int file_begin(struct ps_fl_sink *s, const struct ps_fl_file *f, char *prev, size_t prevlen,
                      char *err, size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    sqlite3 *db = k->st->db;
    sqlite3_stmt *q = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT id, complete, name FROM flowlog_files WHERE content_key=?",
                           -1, &q, NULL) != SQLITE_OK)
        return sqlerr(k, err, errlen, "prepare");
    sqlite3_bind_text(q, 1, f->key, -1, SQLITE_STATIC);
    int st = sqlite3_step(q);
    if (st == SQLITE_ROW) {
        k->file_id = sqlite3_column_int64(q, 0);
        if (sqlite3_column_int(q, 1)) {
            snprintf(prev, prevlen, "%s", (const char *)sqlite3_column_text(q, 2));
            rc = 0;
            goto out;
        }
        sqlite3_finalize(q);
        /* An import cut short: drop what it stored, read the file again. */
        if (exec2(k, "DELETE FROM flowlogs WHERE id BETWEEN ?1 * 4294967296 AND ?1 * 4294967296 + 4294967295", k->file_id, 0, err, errlen) != 0 ||
            exec2(k, "DELETE FROM flowlog_malformed WHERE file_id = ?", k->file_id, 0, err,
                  errlen) != 0)
            return -1;
        return 1;
    }
    if (st != SQLITE_DONE) {
        sqlerr(k, err, errlen, "select");
        goto out;
    }
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO flowlog_files(name, path, size, content_key, imported_at)"
                           " VALUES(?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK)
        return sqlerr(k, err, errlen, "prepare");
    sqlite3_bind_text(q, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)f->size);
    sqlite3_bind_text(q, 4, f->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)time(NULL));
    if (sqlite3_step(q) != SQLITE_DONE) {
        sqlerr(k, err, errlen, "insert file");
        goto out;
    }
    k->file_id = sqlite3_last_insert_rowid(db);
    rc = 1;
out:
    sqlite3_finalize(q);
    return rc;
}

/* The INSERT for a layout: only the columns the format has, so a narrow
 * custom format costs only its own fields. */
static int prepare_insert(struct store_sink *k, const struct ps_fl_format *f, char *err,
                          size_t errlen)
{
    if (k->ins_valid && k->ins_fmt.ncols == f->ncols &&
        memcmp(k->ins_fmt.field, f->field, sizeof(f->field[0]) * (size_t)f->ncols) == 0)
        return 0;
    sqlite3_finalize(k->ins);
    k->ins = NULL;
    k->ins_valid = false;
    char sql[8192];
    size_t n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO flowlogs(id, file_id, line");
    int nvals = 3;
    for (int c = 0; c < f->ncols; c++) {
        if (f->field[c] == PS_FL_UNKNOWN)
            continue;
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", \"%s\"",
                              ps_fl_field(f->field[c])->column);
        nvals++;
    }
    if (f->nunknown) {
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", extra");
        nvals++;
    }
    n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") VALUES(?");
    for (int i = 1; i < nvals && n < sizeof(sql); i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ",?");
    snprintf(sql + n, sizeof(sql) - n, ")");
    if (sqlite3_prepare_v2(k->st->db, sql, -1, &k->ins, NULL) != SQLITE_OK)
        return sqlerr(k, err, errlen, "prepare");
    k->ins_fmt = *f;
    k->ins_valid = true;
    return 0;
}

static int record(struct ps_fl_sink *s, const struct ps_fl_format *f, const struct ps_fl_rec *r,
                  uint64_t seq, uint64_t line, const char *extra, size_t extralen, char *err,
                  size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    if (prepare_insert(k, f, err, errlen) != 0)
        return -1;
    sqlite3_stmt *q = k->ins;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)((uint64_t)k->file_id << 32 | seq));
    sqlite3_bind_int64(q, 2, k->file_id);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)line);
    int p = 4;
    for (int c = 0; c < f->ncols; c++) {
        int id = f->field[c];
        if (id == PS_FL_UNKNOWN)
            continue;
        if (ps_fl_rec_null(r, c))
            sqlite3_bind_null(q, p);
        else if (ps_fl_field(id)->kind == PS_FL_K_INT)
            sqlite3_bind_int64(q, p, r->num[c]);
        else
            sqlite3_bind_text(q, p, r->tok[c].p, (int)r->tok[c].n, SQLITE_STATIC);
        p++;
    }
    if (f->nunknown) {
        if (extra)
            sqlite3_bind_text(q, p, extra, (int)extralen, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, p);
    }
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return sqlerr(k, err, errlen, "insert");
    return ps_store_row(k->st, err, errlen);
}

static int malformed(struct ps_fl_sink *s, uint64_t line, const char *why, const char *text,
                     size_t len, char *err, size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    sqlite3_bind_int64(k->bad, 1, k->file_id);
    sqlite3_bind_int64(k->bad, 2, (sqlite3_int64)line);
    sqlite3_bind_text(k->bad, 3, why, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(k->bad, 4, text, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(k->bad);
    sqlite3_reset(k->bad);
    return rc == SQLITE_DONE ? 0 : sqlerr(k, err, errlen, "insert malformed");
}

static int file_end(struct ps_fl_sink *s, const struct ps_fl_file_end *e, char *err,
                    size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(k->st->db,
                           "UPDATE flowlog_files SET lines=?, records=?, malformed=?, complete=?"
                           " WHERE id=?",
                           -1, &q, NULL) != SQLITE_OK)
        return sqlerr(k, err, errlen, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)e->lines);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)e->records);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)e->malformed);
    sqlite3_bind_int(q, 4, e->complete);
    sqlite3_bind_int64(q, 5, k->file_id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sqlerr(k, err, errlen, "update file");
    sqlite3_finalize(q);
    return rc;
}

static int finish(struct ps_fl_sink *s, char *err, size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    int rc = ps_store_flush(k->st, err, errlen);
    if (rc == 0 && k->reindex)
        rc = ps_store_flowlogs_indexes(k->st, true, err, errlen);
    return rc;
}

static void destroy(struct ps_fl_sink *s)
{
    struct store_sink *k = (struct store_sink *)s;
    sqlite3_finalize(k->ins);
    sqlite3_finalize(k->bad);
    free(k);
}

static const struct ps_fl_sink_ops store_ops = {file_begin, record,  malformed,
                                                file_end,   finish, destroy};

struct ps_fl_sink *ps_fl_store_sink(struct ps_store *st, unsigned batch_rows, char *err,
                                    size_t errlen)
{
    struct store_sink *k = calloc(1, sizeof(*k));
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->base.ops = &store_ops;
    k->st = st;
    if (batch_rows)
        st->batch = batch_rows;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO flowlog_malformed(file_id, line, reason, text)"
                           " VALUES(?,?,?,?)",
                           -1, &k->bad, NULL) != SQLITE_OK) {
        sqlerr(k, err, errlen, "prepare");
        goto fail;
    }
    /* Into an empty table, load first and index after. */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM flowlogs LIMIT 1", -1, &q, NULL) != SQLITE_OK) {
        sqlerr(k, err, errlen, "prepare");
        goto fail;
    }
    k->reindex = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    if (k->reindex && ps_store_flowlogs_indexes(st, false, err, errlen) != 0)
        goto fail;
    if (ps_store_begin(st, err, errlen) != 0)
        goto fail;
    return &k->base;
fail:
    destroy(&k->base);
    return NULL;
}
