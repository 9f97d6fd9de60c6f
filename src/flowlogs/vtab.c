/* SPDX-License-Identifier: BSD-2-Clause */
/* The table `flowlogs` as SQL sees it: an eponymous, read-only virtual
 * table over flowlog_blocks (block.h). One row per record, the columns of
 * the row table it replaces: id (file id * 2^32 + record number), file_id,
 * line, every flow-log field by its column name, extra.
 *
 * Constraints on start and end (=, <, <=, >, >=), file_id (=) and id (=)
 * select blocks by the ranges kept in flowlog_blocks; SQLite checks every
 * row against them again, so pruning never has to be exact. A block's
 * columns are decoded when a query first reads them. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "flowlogs/block.h"

struct fl_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
};

struct fl_cur {
    sqlite3_vtab_cursor base;
    sqlite3 *db;
    sqlite3_stmt *q; /* over flowlog_blocks */
    char *sql;       /* the statement q was prepared from */
    bool eof;
    int64_t block_id, file_id;
    uint32_t row;
    struct ps_flb_block blk;
    uint8_t *blob;
    size_t blobcap;
    uint64_t decoded; /* columns of this block decoded */
    struct ps_flb_values *val[PS_FLB_NCOLS];
};

static int fl_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg)
{
    (void)aux;
    (void)argc;
    (void)argv;
    (void)errmsg;
    char sql[4096];
    size_t n = (size_t)snprintf(sql, sizeof(sql),
                                "CREATE TABLE x(id INTEGER, file_id INTEGER, line INTEGER");
    for (int f = 0; f < PS_FL_NFIELDS; f++) {
        const struct ps_fl_field_info *fi = ps_fl_field(f);
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", \"%s\" %s", fi->column,
                              fi->kind == PS_FL_K_INT ? "INTEGER" : "TEXT");
    }
    snprintf(sql + n, sizeof(sql) - n, ", extra TEXT)");
    int rc = sqlite3_declare_vtab(db, sql);
    if (rc != SQLITE_OK)
        return rc;
    struct fl_vtab *v = sqlite3_malloc(sizeof(*v));
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof(*v));
    v->db = db;
    *out = &v->base;
    return SQLITE_OK;
}

static int fl_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* idxStr: two characters per constraint, in argv order: the column
 * ('s' start, 'e' end, 'f' file_id, 'i' id) and the operator. */
static int fl_best_index(sqlite3_vtab *vt, sqlite3_index_info *ix)
{
    (void)vt;
    char plan[64];
    int n = 0, argv = 0;
    double cost = 1e7;
    for (int i = 0; i < ix->nConstraint && n + 2 < (int)sizeof(plan); i++) {
        const struct sqlite3_index_constraint *c = &ix->aConstraint[i];
        if (!c->usable)
            continue;
        char col, op;
        switch (c->iColumn) {
        case PS_FLB_COL_FIELD0 + PS_FL_START:
            col = 's';
            break;
        case PS_FLB_COL_FIELD0 + PS_FL_END:
            col = 'e';
            break;
        case PS_FLB_COL_FILE_ID:
            col = 'f';
            break;
        case PS_FLB_COL_ID:
            col = 'i';
            break;
        default:
            continue;
        }
        switch (c->op) {
        case SQLITE_INDEX_CONSTRAINT_EQ:
            op = '=';
            break;
        case SQLITE_INDEX_CONSTRAINT_GT:
            op = '>';
            break;
        case SQLITE_INDEX_CONSTRAINT_GE:
            op = 'g';
            break;
        case SQLITE_INDEX_CONSTRAINT_LT:
            op = '<';
            break;
        case SQLITE_INDEX_CONSTRAINT_LE:
            op = 'l';
            break;
        default:
            continue;
        }
        if ((col == 'f' || col == 'i') && op != '=')
            continue;
        plan[n++] = col;
        plan[n++] = op;
        ix->aConstraintUsage[i].argvIndex = ++argv;
        ix->aConstraintUsage[i].omit = 0;
        cost /= col == 'i' ? 1e5 : op == '=' ? 100 : 4;
    }
    plan[n] = 0;
    ix->estimatedCost = cost;
    ix->estimatedRows = (sqlite3_int64)(cost < 1 ? 1 : cost);
    if (n) {
        ix->idxStr = sqlite3_mprintf("%s", plan);
        if (!ix->idxStr)
            return SQLITE_NOMEM;
        ix->needToFreeIdxStr = 1;
    }
    return SQLITE_OK;
}

static int fl_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    struct fl_cur *c = sqlite3_malloc(sizeof(*c));
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    c->db = ((struct fl_vtab *)vt)->db;
    c->eof = true;
    *out = &c->base;
    return SQLITE_OK;
}

static int fl_close(sqlite3_vtab_cursor *vc)
{
    struct fl_cur *c = (struct fl_cur *)vc;
    sqlite3_finalize(c->q);
    sqlite3_free(c->sql);
    free(c->blob);
    for (int i = 0; i < PS_FLB_NCOLS; i++)
        free(c->val[i]);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int fail(struct fl_cur *c, int rc, const char *msg)
{
    sqlite3_free(c->base.pVtab->zErrMsg);
    c->base.pVtab->zErrMsg = sqlite3_mprintf("flowlogs: %s", msg);
    c->eof = true;
    return rc;
}

static int damaged(struct fl_cur *c)
{
    char m[96];
    snprintf(m, sizeof(m), "flowlog_blocks row %lld is damaged", (long long)c->block_id);
    return fail(c, SQLITE_CORRUPT, m);
}

/* Step to the next block that has records; eof at the end. */
static int next_block(struct fl_cur *c)
{
    int rc = sqlite3_step(c->q);
    if (rc == SQLITE_DONE) {
        c->eof = true;
        return SQLITE_OK;
    }
    if (rc != SQLITE_ROW)
        return fail(c, rc, sqlite3_errmsg(c->db));
    c->block_id = sqlite3_column_int64(c->q, 0);
    c->file_id = sqlite3_column_int64(c->q, 1);
    const void *b = sqlite3_column_blob(c->q, 2);
    size_t n = (size_t)sqlite3_column_bytes(c->q, 2);
    if (n > c->blobcap) {
        uint8_t *nb = realloc(c->blob, n);
        if (!nb)
            return fail(c, SQLITE_NOMEM, "out of memory");
        c->blob = nb;
        c->blobcap = n;
    }
    if (n)
        memcpy(c->blob, b, n);
    if (ps_flb_open(&c->blk, c->blob, n) != 0)
        return damaged(c);
    c->row = 0;
    c->decoded = 0;
    c->eof = false;
    return SQLITE_OK;
}

static int fl_filter(sqlite3_vtab_cursor *vc, int idxnum, const char *idxstr, int argc,
                     sqlite3_value **argv)
{
    (void)idxnum;
    struct fl_cur *c = (struct fl_cur *)vc;
    char sql[1024];
    size_t n = (size_t)snprintf(sql, sizeof(sql), "SELECT id, file_id, data FROM flowlog_blocks");
    const char *w = " WHERE ";
    for (int i = 0; idxstr && idxstr[2 * i] && i < argc; i++) {
        char col = idxstr[2 * i], op = idxstr[2 * i + 1];
        const char *lo = col == 's' ? "start_min" : "end_min";
        const char *hi = col == 's' ? "start_max" : "end_max";
        int a = i + 1;
        switch (col == 'f' || col == 'i' ? col : op) {
        case 'f':
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%sfile_id = ?%d", w, a);
            break;
        case 'i':
            n += (size_t)snprintf(sql + n, sizeof(sql) - n,
                                  "%sfile_id = (?%d >> 32) AND first_seq <= (?%d & 4294967295)"
                                  " AND last_seq >= (?%d & 4294967295)",
                                  w, a, a, a);
            break;
        case '=':
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s <= ?%d AND %s >= ?%d", w, lo, a,
                                  hi, a);
            break;
        default: { /* a bound: the block's highest value above it, or lowest below */
            bool above = op == '>' || op == 'g';
            const char *sym = op == '>' ? ">" : op == 'g' ? ">=" : op == '<' ? "<" : "<=";
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s %s ?%d", w, above ? hi : lo, sym,
                                  a);
            break;
        }
        }
        w = " AND ";
    }
    snprintf(sql + n, sizeof(sql) - n, " ORDER BY id");
    /* A correlated subquery filters once per outer row: keep the
     * statement while the plan is the same. */
    if (c->q && c->sql && strcmp(c->sql, sql) == 0) {
        sqlite3_reset(c->q);
    } else {
        sqlite3_finalize(c->q);
        sqlite3_free(c->sql);
        c->q = NULL;
        c->sql = sqlite3_mprintf("%s", sql);
        if (!c->sql)
            return fail(c, SQLITE_NOMEM, "out of memory");
        if (sqlite3_prepare_v2(c->db, sql, -1, &c->q, NULL) != SQLITE_OK)
            return fail(c, SQLITE_ERROR, sqlite3_errmsg(c->db));
    }
    for (int i = 0; i < argc; i++)
        sqlite3_bind_value(c->q, i + 1, argv[i]);
    return next_block(c);
}

static int fl_next(sqlite3_vtab_cursor *vc)
{
    struct fl_cur *c = (struct fl_cur *)vc;
    if (++c->row < c->blk.nrec)
        return SQLITE_OK;
    return next_block(c);
}

static int fl_eof(sqlite3_vtab_cursor *vc)
{
    return ((struct fl_cur *)vc)->eof;
}

/* Column k of the current block, decoded on first use. */
static const struct ps_flb_values *values(struct fl_cur *c, int k)
{
    if (c->decoded >> k & 1)
        return c->val[k];
    if (!c->val[k] && !(c->val[k] = malloc(sizeof(struct ps_flb_values))))
        return NULL;
    if (ps_flb_decode(&c->blk, k, c->val[k]) != 0)
        return NULL;
    c->decoded |= 1ull << k;
    return c->val[k];
}

static int row_id(struct fl_cur *c, sqlite3_int64 *id)
{
    const struct ps_flb_values *v = values(c, PS_FLB_COL_SEQ);
    if (!v)
        return damaged(c);
    *id = (sqlite3_int64)((uint64_t)c->file_id << 32 | ((uint64_t)v->v[c->row] & 0xffffffffu));
    return SQLITE_OK;
}

static int fl_column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int k)
{
    struct fl_cur *c = (struct fl_cur *)vc;
    if (k == PS_FLB_COL_FILE_ID) {
        sqlite3_result_int64(ctx, c->file_id);
        return SQLITE_OK;
    }
    if (k == PS_FLB_COL_ID) {
        sqlite3_int64 id;
        int rc = row_id(c, &id);
        if (rc == SQLITE_OK)
            sqlite3_result_int64(ctx, id);
        return rc;
    }
    if (k < 0 || k >= PS_FLB_COL_SEQ)
        return SQLITE_OK;
    const struct ps_flb_values *v = values(c, k);
    if (!v)
        return damaged(c);
    uint32_t r = c->row;
    if (v->enc == PS_FLB_ENC_INT) {
        if (!v->null[r])
            sqlite3_result_int64(ctx, v->v[r]);
    } else if (v->enc != 0 && v->idx[r]) { /* DICT or IPV4 */
        uint32_t e = v->idx[r] - 1u;
        sqlite3_result_text(ctx, (const char *)v->dp[e], (int)v->dn[e], SQLITE_TRANSIENT);
    }
    return SQLITE_OK;
}

static int fl_rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *out)
{
    return row_id((struct fl_cur *)vc, out);
}

static const sqlite3_module fl_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: the table exists in every store */
    .xConnect = fl_connect,
    .xBestIndex = fl_best_index,
    .xDisconnect = fl_disconnect,
    .xDestroy = fl_disconnect,
    .xOpen = fl_open,
    .xClose = fl_close,
    .xFilter = fl_filter,
    .xNext = fl_next,
    .xEof = fl_eof,
    .xColumn = fl_column,
    .xRowid = fl_rowid,
};

int ps_fl_vtab_register(sqlite3 *db)
{
    return sqlite3_create_module_v2(db, "flowlogs", &fl_module, NULL, NULL);
}
