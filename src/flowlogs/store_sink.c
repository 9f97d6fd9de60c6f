/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite store as a flow-log sink: tables flowlog_files,
 * flowlog_blocks (records by column, block.h) and flowlog_malformed
 * (schema in src/store/store.c). A record's id is file id * 2^32 + its
 * number in the file. Also the move of an older store's row table into
 * blocks. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowlogs/block.h"
#include "flowlogs/flowlogs.h"

struct store_sink {
    struct ps_fl_sink base;
    struct ps_store *st;
    struct ps_flb_writer *w;
    sqlite3_stmt *blk; /* INSERT into flowlog_blocks */
    sqlite3_stmt *bad; /* INSERT into flowlog_malformed */
    int64_t file_id;
    uint64_t pending; /* records since the last commit */
};

static const char block_insert_sql[] =
    "INSERT INTO flowlog_blocks(file_id, first_seq, last_seq, records, start_min, start_max,"
    " end_min, end_max, data) VALUES(?,?,?,?,?,?,?,?,?)";

/* Store the writer's block (if any) as a row of flowlog_blocks, reset the
 * writer. Returns the records stored, or -1 (the SQLite error is on db). */
static long store_block(sqlite3_stmt *q, struct ps_flb_writer *w, int64_t file_id)
{
    const uint8_t *data;
    struct ps_flb_summary m;
    size_t len = ps_flb_encode(w, &data, &m);
    if (len == 0)
        return 0;
    sqlite3_bind_int64(q, 1, file_id);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)m.first_seq);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)m.last_seq);
    sqlite3_bind_int64(q, 4, m.nrec);
    for (int i = 0; i < 4; i++) {
        bool have = i < 2 ? m.have_start : m.have_end;
        int64_t v = i == 0 ? m.start_min : i == 1 ? m.start_max : i == 2 ? m.end_min : m.end_max;
        if (have)
            sqlite3_bind_int64(q, 5 + i, v);
        else
            sqlite3_bind_null(q, 5 + i);
    }
    sqlite3_bind_blob(q, 9, data, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    ps_flb_reset(w);
    return rc == SQLITE_DONE ? (long)m.nrec : -1;
}

static int sqlerr(struct store_sink *k, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "database: %s: %s", what, sqlite3_errmsg(k->st->db));
    return -1;
}

/* Drop what an earlier, interrupted import of the current file stored. */
static int drop_file(struct store_sink *k, char *err, size_t errlen)
{
    static const char *const sql[] = {"DELETE FROM flowlog_blocks WHERE file_id = ?",
                                      "DELETE FROM flowlog_malformed WHERE file_id = ?"};
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(k->st->db, sql[i], -1, &q, NULL) != SQLITE_OK)
            return sqlerr(k, err, errlen, "prepare");
        sqlite3_bind_int64(q, 1, k->file_id);
        int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE)
            return sqlerr(k, err, errlen, "delete");
    }
    return 0;
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
        if (drop_file(k, err, errlen) != 0)
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

static int flush_block(struct store_sink *k, char *err, size_t errlen)
{
    long n = store_block(k->blk, k->w, k->file_id);
    if (n < 0)
        return sqlerr(k, err, errlen, "insert block");
    k->pending += (uint64_t)n;
    if (k->pending < k->st->batch)
        return 0;
    k->pending = 0;
    if (ps_store_flush(k->st, err, errlen) != 0)
        return -1;
    return ps_store_begin(k->st, err, errlen);
}

static int record(struct ps_fl_sink *s, const struct ps_fl_format *f, const struct ps_fl_rec *r,
                  uint64_t seq, uint64_t line, const char *extra, size_t extralen, char *err,
                  size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    struct ps_flb_writer *w = k->w;
    if (!ps_flb_row_begin(w)) {
        if (flush_block(k, err, errlen) != 0)
            return -1;
        ps_flb_row_begin(w);
    }
    ps_flb_put_rec(w, f, r, seq, line, extra, extralen);
    return 0;
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

static int file_end(struct ps_fl_sink *s, const struct ps_fl_file_end *e, char *err, size_t errlen)
{
    struct store_sink *k = (struct store_sink *)s;
    if (flush_block(k, err, errlen) != 0)
        return -1;
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
    if (flush_block(k, err, errlen) != 0)
        return -1;
    return ps_store_flush(k->st, err, errlen);
}

static void destroy(struct ps_fl_sink *s)
{
    struct store_sink *k = (struct store_sink *)s;
    sqlite3_finalize(k->blk);
    sqlite3_finalize(k->bad);
    ps_flb_writer_free(k->w);
    free(k);
}

static const struct ps_fl_sink_ops store_ops = {file_begin, record, malformed,
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
    /* Blocks are appended and never read back by the import: a small page
     * cache spills them to the WAL as they come, instead of touching
     * (and faulting in) a page of memory for every page written. */
    if (ps_store_exec(st, "PRAGMA cache_size=-8192", err, errlen) != 0)
        goto fail;
    if (!(k->w = ps_flb_writer_new())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO flowlog_malformed(file_id, line, reason, text)"
                           " VALUES(?,?,?,?)",
                           -1, &k->bad, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, block_insert_sql, -1, &k->blk, NULL) != SQLITE_OK) {
        sqlerr(k, err, errlen, "prepare");
        goto fail;
    }
    if (ps_store_begin(st, err, errlen) != 0)
        goto fail;
    return &k->base;
fail:
    destroy(&k->base);
    return NULL;
}

/* Column of the block layout for a column name of the old row table. */
static int old_column(const char *name)
{
    if (strcmp(name, "id") == 0)
        return PS_FLB_COL_SEQ; /* its low 32 bits */
    if (strcmp(name, "file_id") == 0)
        return PS_FLB_COL_FILE_ID;
    if (strcmp(name, "line") == 0)
        return PS_FLB_COL_LINE;
    if (strcmp(name, "extra") == 0)
        return PS_FLB_COL_EXTRA;
    for (int f = 0; f < PS_FL_NFIELDS; f++) {
        if (strcmp(name, ps_fl_field(f)->column) == 0)
            return PS_FLB_COL_FIELD0 + f;
    }
    return -1;
}

int ps_fl_store_migrate(struct ps_store *st, char *err, size_t errlen)
{
    sqlite3 *db = st->db;
    sqlite3_stmt *q = NULL, *ins = NULL;
    struct ps_flb_writer *w = NULL;
    int rc = -1, cols[128];
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'flowlogs'",
                           -1, &q, NULL) != SQLITE_OK)
        goto sql;
    int old = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    q = NULL;
    if (!old)
        return 0;
    if (!(w = ps_flb_writer_new())) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ps_store_exec(st, "BEGIN", err, errlen) != 0)
        goto out;
    if (sqlite3_prepare_v2(db, "SELECT * FROM main.flowlogs ORDER BY id", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, block_insert_sql, -1, &ins, NULL) != SQLITE_OK)
        goto sql;
    int n = sqlite3_column_count(q);
    for (int i = 0; i < n && i < 128; i++)
        cols[i] = old_column(sqlite3_column_name(q, i));
    int64_t file_id = -1;
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0), fid = id >> 32;
        if ((fid != file_id || !ps_flb_row_begin(w)) && store_block(ins, w, file_id) < 0)
            goto sql;
        file_id = fid;
        ps_flb_row_begin(w);
        for (int i = 0; i < n && i < 128; i++) {
            int c = cols[i];
            if (c < 0 || c == PS_FLB_COL_FILE_ID || sqlite3_column_type(q, i) == SQLITE_NULL)
                continue;
            if (c == PS_FLB_COL_SEQ)
                ps_flb_put_int(w, c, id & 0xffffffff);
            else if (ps_flb_col_is_int(c))
                ps_flb_put_int(w, c, sqlite3_column_int64(q, i));
            else
                ps_flb_put_text(w, c, (const char *)sqlite3_column_text(q, i),
                                (size_t)sqlite3_column_bytes(q, i));
        }
        ps_flb_row_end(w);
    }
    if (s != SQLITE_DONE || store_block(ins, w, file_id) < 0)
        goto sql;
    sqlite3_finalize(q);
    q = NULL;
    if (ps_store_exec(st, "DROP TABLE main.flowlogs; COMMIT", err, errlen) != 0)
        goto out;
    rc = 0;
    goto out;
sql:
    snprintf(err, errlen, "moving flowlogs rows into blocks: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    ps_flb_writer_free(w);
    if (rc != 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
