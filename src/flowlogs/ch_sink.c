/* SPDX-License-Identifier: BSD-2-Clause */
/* ClickHouse as a flow-log sink: tables flowlogs, flowlog_files and
 * flowlog_malformed (schema: ps_ch_fl_create in src/output/ch_row.c),
 * created if missing when the import starts.
 *
 * Rows are written as RowBinary (clickhouse.h) into one of two chunks
 * allocated at start, nothing per record, and a sender thread POSTs a full
 * chunk (INSERT ... FORMAT RowBinary, libcurl) while the importer fills the
 * other. A failed POST stops the import with the server's message: an
 * import never drops records.
 *
 * Re-import, as the SQLite sink does it: a file is known by its content
 * key. Its row in flowlog_files is written (complete = 0) before any of
 * its records, and written again with the counts and complete = 1 only
 * after every chunk holding its records was taken: a chunk's file rows go
 * after its flowlogs and flowlog_malformed rows. flowlog_files is a
 * ReplacingMergeTree keyed by content_key, so the later row replaces the
 * earlier (OPTIMIZE ... FINAL at the end of the import makes it so at
 * once). A file found incomplete is imported again under its file id after
 * ALTER TABLE ... DELETE WHERE file_id = N drops what the earlier import
 * stored: a mutation, which applies to the rows inserted before it only,
 * so the new rows are safe; the import waits for it before it returns.
 * spec: ClickHouse HTTP interface and RowBinary format (18.16 and later) */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rd.h"
#include "flowlogs/flowlogs.h"
#include "output/clickhouse.h"

#define DATA_BYTES      (32u << 20) /* a chunk's flowlogs rows (one INSERT) */
#define SIDE_BYTES      (1u << 20)  /* its flowlog_malformed rows, and its flowlog_files rows */
#define BATCH_ROWS      1000000     /* flowlogs rows per INSERT at most */
#define URL_MAX         (3 * PS_CH_URL_MAX + 8192)
#define SQL_MAX         4096
#define REPLY_MAX       16384
#define FILE_ROW_MAX    16384 /* a flowlog_files row: name and path (PATH_MAX) */
#define CONN_TIMEOUT_MS 3000
#define REQ_TIMEOUT_MS  120000
#define MUTATION_WAIT_S 600
#define HUGE_PAGE       (2u << 20)

struct plan_col {
    int16_t col;   /* column of the format */
    uint8_t width; /* integer bytes; 0: String */
};

struct chunk {
    uint8_t *data; /* DATA_BYTES of flowlogs rows */
    size_t len;
    uint32_t rows;
    uint8_t *mal; /* SIDE_BYTES of flowlog_malformed rows */
    size_t mlen;
    uint32_t mrows;
    uint8_t *files; /* SIDE_BYTES of flowlog_files rows */
    size_t flen;
    uint32_t frows;
    uint64_t gen;      /* bumped each time the chunk is emptied */
    char url[URL_MAX]; /* the flowlogs INSERT of its rows' layout */
};

/* One HTTP connection: the importer's (queries) or the sender's. */
struct conn {
    CURL *h;
    struct ps_ch_reply r; /* the last answer, in buf */
    char buf[REPLY_MAX];
};

/* The file being imported, as its flowlog_files row has it. */
struct cur_file {
    uint32_t id;
    uint32_t imported_at;
    uint64_t size;
    char key[80];
    char name[4096];
    char path[4096];
};

struct ch_sink {
    struct ps_fl_sink base;
    struct ps_ch_url u;
    char dest[PS_CH_URL_MAX]; /* the URL without user:password, for messages */
    char url_query[URL_MAX];  /* POST a statement as the body */
    char url_mal[URL_MAX];
    char url_files[URL_MAX];
    struct conn q; /* importer thread */
    struct conn s; /* sender thread */
    struct curl_slist *hdr;
    unsigned batch;

    /* The layout the current rows are written in: integer columns first,
     * then strings, so each loop does one kind of work. */
    struct ps_fl_format plan_fmt;
    bool plan_valid;
    int nplan, nint;
    struct plan_col plan[PS_FL_MAX_COLS];
    uint64_t plan_mask[2]; /* the format columns the plan writes */
    bool plan_extra;
    size_t row_fixed; /* room a row needs besides its strings */
    char plan_url[URL_MAX];

    struct cur_file f;
    uint32_t next_id;
    bool files_written; /* rows went to flowlog_files: OPTIMIZE at the end */
    bool mutated;       /* an interrupted import's rows were dropped */
    uint64_t bad_gen, bad_line;
    uint32_t bad_file;
    size_t bad_off; /* the last flowlog_malformed row, to replace one of the same line */
    bool bad_valid;
    bool stopped; /* an operation failed: the importer stops (and said why) */

    /* Two chunks: the importer fills cur, the sender sends queued. */
    struct chunk chunk[2];
    struct chunk *cur;
    pthread_mutex_t mu;
    pthread_cond_t work; /* sender: a chunk is queued, or stop */
    pthread_cond_t done; /* importer: the queued chunk was sent */
    pthread_t thread;
    bool started;
    struct chunk *queued;
    bool stop;
    bool failed;   /* a POST failed: the import stops */
    bool reported; /* ... and the importer was told */
    char ferr[512];
};

static int conn_init(struct ch_sink *k, struct conn *c)
{
    c->r.buf = c->buf;
    c->r.cap = sizeof(c->buf);
    if (!(c->h = ps_ch_curl_new(&c->r, CONN_TIMEOUT_MS, REQ_TIMEOUT_MS)))
        return -1;
    /* No "Expect: 100-continue" wait before each large body. */
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, k->hdr);
    return 0;
}

/* POST body[0..n) to url. Returns 0 when the server answered 200, or -1
 * with one line in err: the URL, what was asked, and why it failed. */
static int post(const struct ch_sink *k, struct conn *c, const char *url, const void *body,
                size_t n, const char *what, char *err, size_t errlen)
{
    c->r.len = 0;
    c->buf[0] = 0;
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    CURLcode rc = curl_easy_perform(c->h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "clickhouse %s: %s: cannot reach the server: %s", k->dest, what,
                 curl_easy_strerror(rc));
        return -1;
    }
    long code = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200)
        return 0;
    char *nl = strchr(c->buf, '\n');
    if (nl)
        *nl = 0;
    snprintf(err, errlen, "clickhouse %s: %s: HTTP %ld: %.240s", k->dest, what, code, c->buf);
    return -1;
}

/* Run one statement (the POST body); its answer is in k->q.buf. */
static int query(struct ch_sink *k, const char *sql, const char *what, char *err, size_t errlen)
{
    return post(k, &k->q, k->url_query, sql, strlen(sql), what, err, errlen);
}

/* s percent-encoded (RFC 3986 unreserved characters kept) at out[cap];
 * false when it does not fit. */
static bool url_encode(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        if (cap - n < 4)
            return false;
        if (keep) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = 0;
    return true;
}

/* The URL that runs sql (NULL: a statement sent as the body) at out. */
static bool make_url(const struct ch_sink *k, char *out, size_t cap, const char *sql)
{
    const char *sep = k->u.params[0] ? "&" : "";
    int n = snprintf(out, cap, "%s?%s%s%s", k->u.base, k->u.params, sql ? sep : "",
                     sql ? "query=" : "");
    if (n < 0 || (size_t)n >= cap)
        return false;
    return !sql || url_encode(out + n, cap - (size_t)n, sql);
}

/* ---- the sender thread -------------------------------------------------- */

static int send_chunk(struct ch_sink *k, struct chunk *c, char *err, size_t errlen)
{
    /* Records, then malformed lines, then the rows that say which files
     * are complete: a file is never marked complete before its rows. */
    if (c->rows && post(k, &k->s, c->url, c->data, c->len, "insert into flowlogs", err, errlen))
        return -1;
    if (c->mrows &&
        post(k, &k->s, k->url_mal, c->mal, c->mlen, "insert into flowlog_malformed", err, errlen))
        return -1;
    if (c->frows &&
        post(k, &k->s, k->url_files, c->files, c->flen, "insert into flowlog_files", err, errlen))
        return -1;
    return 0;
}

static void *sender(void *arg)
{
    struct ch_sink *k = arg;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->queued && !k->stop)
            pthread_cond_wait(&k->work, &k->mu);
        if (!k->queued)
            break;
        struct chunk *c = k->queued;
        bool skip = k->failed;
        pthread_mutex_unlock(&k->mu);
        char e[sizeof(k->ferr)];
        int rc = skip ? 0 : send_chunk(k, c, e, sizeof(e));
        pthread_mutex_lock(&k->mu);
        if (rc != 0 && !k->failed) {
            k->failed = true;
            memcpy(k->ferr, e, sizeof(e));
        }
        c->len = c->mlen = c->flen = 0;
        c->rows = c->mrows = c->frows = 0;
        c->gen++;
        k->queued = NULL;
        pthread_cond_broadcast(&k->done);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* The sender's error, once, into err. */
static int sender_failed(struct ch_sink *k, char *err, size_t errlen)
{
    if (k->reported)
        snprintf(err, errlen, "clickhouse %s: the import stopped after an error", k->dest);
    else
        snprintf(err, errlen, "%s", k->ferr);
    k->reported = true;
    return -1;
}

/* Give the current chunk to the sender and take the other one, once the
 * sender is done with it. */
static int handoff(struct ch_sink *k, char *err, size_t errlen)
{
    pthread_mutex_lock(&k->mu);
    while (k->queued && !k->failed)
        pthread_cond_wait(&k->done, &k->mu);
    if (k->failed) {
        pthread_mutex_unlock(&k->mu);
        return sender_failed(k, err, errlen);
    }
    k->queued = k->cur;
    k->cur = k->cur == &k->chunk[0] ? &k->chunk[1] : &k->chunk[0];
    pthread_cond_signal(&k->work);
    pthread_mutex_unlock(&k->mu);
    return 0;
}

/* Send everything written so far and wait until the server has it. */
static int drain(struct ch_sink *k, char *err, size_t errlen)
{
    struct chunk *c = k->cur;
    if ((c->rows || c->mrows || c->frows) && handoff(k, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&k->mu);
    while (k->queued && !k->failed)
        pthread_cond_wait(&k->done, &k->mu);
    bool failed = k->failed;
    pthread_mutex_unlock(&k->mu);
    return failed ? sender_failed(k, err, errlen) : 0;
}

/* ---- files ---------------------------------------------------------------- */

/* f's flowlog_files row at p (FILE_ROW_MAX of room); its end, or NULL when
 * it does not fit. */
static uint8_t *file_row(uint8_t *p, const struct cur_file *f, const struct ps_fl_file_end *e)
{
    size_t nl = strlen(f->name), pl = strlen(f->path), kl = strlen(f->key);
    if (nl + pl + kl + 128 > FILE_ROW_MAX)
        return NULL;
    p = ps_ch_rb_uint(p, f->id, 4);
    p = ps_ch_rb_str(p, f->name, nl);
    p = ps_ch_rb_str(p, f->path, pl);
    p = ps_ch_rb_uint(p, f->size, 8);
    p = ps_ch_rb_str(p, f->key, kl);
    p = ps_ch_rb_uint(p, e ? e->lines : 0, 8);
    p = ps_ch_rb_uint(p, e ? e->records : 0, 8);
    p = ps_ch_rb_uint(p, e ? e->malformed : 0, 8);
    p = ps_ch_rb_uint(p, e && e->complete, 1);
    return ps_ch_rb_uint(p, f->imported_at, 4);
}

static bool rd_str(struct ps_rd *r, char *out, size_t cap)
{
    uint64_t n = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b = ps_rd_u8(r);
        n |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    const uint8_t *s = ps_rd_bytes(r, (size_t)n);
    if (!s || n >= cap)
        return false;
    memcpy(out, s, (size_t)n);
    out[n] = 0;
    return true;
}

/* What flowlog_files says of content key `key`: 1 with *f and *complete
 * filled, 0 when it has no such file, -1 on error. */
static int lookup(struct ch_sink *k, const char *key, struct cur_file *f, bool *complete, char *err,
                  size_t errlen)
{
    for (const char *c = key; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-')) {
            snprintf(err, errlen, "content key %s: unexpected character", key);
            return -1;
        }
    char sql[SQL_MAX];
    /* Both rows of a file until they are merged: complete is the max. */
    snprintf(sql, sizeof(sql),
             "SELECT file_id, max(complete), any(name), any(path), min(imported_at) FROM "
             "%s.flowlog_files WHERE content_key = '%s' GROUP BY file_id ORDER BY file_id "
             "LIMIT 1 FORMAT RowBinary",
             k->u.db, key);
    if (query(k, sql, "look up a file", err, errlen) != 0)
        return -1;
    if (k->q.r.len == 0)
        return 0;
    struct ps_rd r = ps_rd_init((const uint8_t *)k->q.buf, k->q.r.len);
    f->id = ps_rd_le32(&r);
    *complete = ps_rd_u8(&r) != 0;
    bool ok = rd_str(&r, f->name, sizeof(f->name)) && rd_str(&r, f->path, sizeof(f->path));
    f->imported_at = ps_rd_le32(&r);
    if (!ok || r.bad || r.left) {
        snprintf(err, errlen, "clickhouse %s: look up a file: unexpected answer (%zu bytes)",
                 k->dest, k->q.r.len);
        return -1;
    }
    snprintf(f->key, sizeof(f->key), "%s", key);
    return 1;
}

static int file_begin(struct ps_fl_sink *s, const struct ps_fl_file *file, char *prev,
                      size_t prevlen, char *err, size_t errlen)
{
    struct ch_sink *k = (struct ch_sink *)s;
    struct cur_file *f = &k->f;
    bool complete = false;
    int found = lookup(k, file->key, f, &complete, err, errlen);
    if (found < 0)
        return -1;
    if (found && !complete) {
        /* Perhaps a copy of a file of this run whose last rows are not
         * sent yet: send them, and ask again. */
        if (drain(k, err, errlen) != 0 ||
            (found = lookup(k, file->key, f, &complete, err, errlen)) < 0)
            return -1;
    }
    if (found && complete) {
        snprintf(prev, prevlen, "%s", f->name);
        return 0;
    }
    f->size = file->size;
    if (found) {
        /* An import cut short: drop what it stored, read the file again
         * under the same id (and the name it was first imported with). */
        static const char *const tables[] = {"flowlogs", "flowlog_malformed"};
        for (int i = 0; i < 2; i++) {
            char sql[SQL_MAX];
            snprintf(sql, sizeof(sql), "ALTER TABLE %s.%s DELETE WHERE file_id = %u", k->u.db,
                     tables[i], f->id);
            if (query(k, sql, "drop the rows of an interrupted import", err, errlen) != 0)
                return -1;
        }
        k->mutated = true;
        return 1;
    }
    /* A new file: its row (complete = 0) before any of its records. */
    if (strlen(file->name) >= sizeof(f->name) || strlen(file->path) >= sizeof(f->path)) {
        snprintf(err, errlen, "%s: path too long", file->path);
        return -1;
    }
    f->id = k->next_id++;
    snprintf(f->key, sizeof(f->key), "%s", file->key);
    snprintf(f->name, sizeof(f->name), "%s", file->name);
    snprintf(f->path, sizeof(f->path), "%s", file->path);
    time_t now = time(NULL);
    f->imported_at = now > 0 && (uint64_t)now <= UINT32_MAX ? (uint32_t)now : 0;
    uint8_t row[FILE_ROW_MAX];
    uint8_t *end = file_row(row, f, NULL);
    if (!end) {
        snprintf(err, errlen, "%s: path too long", file->path);
        return -1;
    }
    k->files_written = true;
    return post(k, &k->q, k->url_files, row, (size_t)(end - row), "insert into flowlog_files", err,
                errlen) == 0
               ? 1
               : -1;
}

static int file_end(struct ps_fl_sink *s, const struct ps_fl_file_end *e, char *err, size_t errlen)
{
    struct ch_sink *k = (struct ch_sink *)s;
    if (SIDE_BYTES - k->cur->flen < FILE_ROW_MAX && handoff(k, err, errlen) != 0)
        return -1;
    struct chunk *c = k->cur;
    uint8_t *end = file_row(c->files + c->flen, &k->f, e);
    if (!end) {
        snprintf(err, errlen, "%s: path too long", k->f.path);
        return -1;
    }
    c->flen = (size_t)(end - c->files);
    c->frows++;
    k->files_written = true;
    return 0;
}

/* ---- records ---------------------------------------------------------- */

/* The INSERT and the column plan for layout f: only the columns the format
 * has (the others are NULL), its integers first, then its strings. Rows of
 * another layout are sent first: a chunk's rows share one INSERT. */
static int replan(struct ch_sink *k, const struct ps_fl_format *f, char *err, size_t errlen)
{
    if (k->cur->rows && handoff(k, err, errlen) != 0)
        return -1;
    char sql[SQL_MAX];
    size_t n =
        (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s.flowlogs (file_id, line, seq", k->u.db);
    k->nplan = 0;
    k->plan_mask[0] = k->plan_mask[1] = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int c = 0; c < f->ncols; c++) {
            int id = f->field[c];
            if (id == PS_FL_UNKNOWN)
                continue;
            const struct ps_fl_field_info *fi = ps_fl_field(id);
            if ((fi->kind == PS_FL_K_INT) != (pass == 0))
                continue;
            if (n + strlen(fi->column) + 64 >= sizeof(sql)) {
                snprintf(err, errlen, "clickhouse: too many columns");
                return -1;
            }
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", `%s`", fi->column);
            k->plan[k->nplan].col = (int16_t)c;
            k->plan[k->nplan].width = pass == 0 ? (uint8_t)ps_ch_uint_bytes(fi->max) : 0;
            k->plan_mask[c >> 6] |= 1ull << (c & 63);
            k->nplan++;
        }
        if (pass == 0)
            k->nint = k->nplan;
    }
    k->plan_extra = f->nunknown > 0;
    snprintf(sql + n, sizeof(sql) - n, "%s) FORMAT RowBinary", k->plan_extra ? ", extra" : "");
    if (!make_url(k, k->plan_url, sizeof(k->plan_url), sql)) {
        snprintf(err, errlen, "clickhouse %s: URL too long", k->dest);
        return -1;
    }
    /* file_id, line, seq; a null byte and at most 9 (varint or 8-byte
     * store) per column; the extra column's null byte and length. */
    k->row_fixed = 16 + 10 * (size_t)k->nplan + 11;
    k->plan_fmt = *f;
    k->plan_valid = true;
    return 0;
}

static bool same_plan(const struct ch_sink *k, const struct ps_fl_format *f)
{
    return k->plan_valid && k->plan_fmt.ncols == f->ncols &&
           memcmp(k->plan_fmt.field, f->field, sizeof(f->field[0]) * (size_t)f->ncols) == 0;
}

/* Write one record at p (room up to end); its end, or NULL when a string
 * does not fit (nothing of the row counts then). Runs once per record. */
static uint8_t *put_row(const struct ch_sink *k, uint8_t *p, const uint8_t *end,
                        const struct ps_fl_rec *r, uint64_t seq, uint64_t line, const char *extra,
                        size_t extralen)
{
    size_t reserve = k->row_fixed + extralen;
    p = ps_ch_rb_uint(p, k->f.id, 4);
    p = ps_ch_rb_uint(p, line, 8);
    p = ps_ch_rb_uint(p, seq, 4);
    if (((r->null_mask[0] & k->plan_mask[0]) | (r->null_mask[1] & k->plan_mask[1])) == 0) {
        /* No '-' among them (most records): no test per column. */
        for (int i = 0; i < k->nint; i++) {
            *p = 0;
            p = ps_ch_rb_uint(p + 1, (uint64_t)r->num[k->plan[i].col], k->plan[i].width);
        }
        for (int i = k->nint; i < k->nplan; i++) {
            const struct ps_fl_tok *t = &r->tok[k->plan[i].col];
            if ((size_t)(end - p) < t->n + reserve)
                return NULL;
            *p = 0;
            p = ps_ch_rb_str(p + 1, t->p, t->n);
        }
        goto extra;
    }
    for (int i = 0; i < k->nplan; i++) {
        int c = k->plan[i].col;
        if (ps_fl_rec_null(r, c)) {
            *p++ = 1;
            continue;
        }
        *p++ = 0;
        unsigned w = k->plan[i].width;
        if (w) {
            p = ps_ch_rb_uint(p, (uint64_t)r->num[c], w);
            continue;
        }
        size_t n = r->tok[c].n;
        if ((size_t)(end - p) < n + reserve)
            return NULL;
        p = ps_ch_rb_str(p, r->tok[c].p, n);
    }
extra:
    if (k->plan_extra) {
        if (extra) {
            *p++ = 0;
            p = ps_ch_rb_str(p, extra, extralen);
        } else {
            *p++ = 1;
        }
    }
    return p;
}

static int record(struct ps_fl_sink *s, const struct ps_fl_format *f, const struct ps_fl_rec *r,
                  uint64_t seq, uint64_t line, const char *extra, size_t extralen, char *err,
                  size_t errlen)
{
    struct ch_sink *k = (struct ch_sink *)s;
    if (!same_plan(k, f) && replan(k, f, err, errlen) != 0)
        return -1;
    if (!extra)
        extralen = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct chunk *c = k->cur;
        if (c->rows < k->batch && DATA_BYTES - c->len >= k->row_fixed + extralen) {
            uint8_t *end =
                put_row(k, c->data + c->len, c->data + DATA_BYTES, r, seq, line, extra, extralen);
            if (end) {
                if (c->rows++ == 0)
                    memcpy(c->url, k->plan_url, sizeof(c->url));
                c->len = (size_t)(end - c->data);
                return 0;
            }
            if (c->rows == 0)
                break;
        }
        if (handoff(k, err, errlen) != 0)
            return -1;
    }
    snprintf(err, errlen, "clickhouse: line %llu: a record larger than %u bytes",
             (unsigned long long)line, DATA_BYTES);
    return -1;
}

static int malformed(struct ps_fl_sink *s, uint64_t line, const char *why, const char *text,
                     size_t len, char *err, size_t errlen)
{
    struct ch_sink *k = (struct ch_sink *)s;
    size_t wl = strlen(why);
    size_t need = 4 + 8 + 10 + wl + 10 + len;
    if (need > SIDE_BYTES) {
        snprintf(err, errlen, "clickhouse: line %llu: a malformed line too long to keep",
                 (unsigned long long)line);
        return -1;
    }
    if (SIDE_BYTES - k->cur->mlen < need && handoff(k, err, errlen) != 0)
        return -1;
    struct chunk *c = k->cur;
    /* One row per line, the last reason (SQLite's INSERT OR REPLACE): a
     * CloudWatch line can hold several bad messages. */
    if (k->bad_valid && k->bad_gen == c->gen && k->bad_file == k->f.id && k->bad_line == line &&
        c->mrows) {
        c->mlen = k->bad_off;
        c->mrows--;
    }
    k->bad_valid = true;
    k->bad_gen = c->gen;
    k->bad_file = k->f.id;
    k->bad_line = line;
    k->bad_off = c->mlen;
    uint8_t *p = c->mal + c->mlen;
    p = ps_ch_rb_uint(p, k->f.id, 4);
    p = ps_ch_rb_uint(p, line, 8);
    p = ps_ch_rb_str(p, why, wl);
    p = ps_ch_rb_str(p, text, len);
    c->mlen = (size_t)(p - c->mal);
    c->mrows++;
    return 0;
}

/* ---- end -------------------------------------------------------------- */

/* Wait until the server has applied the DELETE mutations of this import. */
static int wait_mutations(struct ch_sink *k, char *err, size_t errlen)
{
    char sql[SQL_MAX];
    snprintf(sql, sizeof(sql),
             "SELECT count() FROM system.mutations WHERE database = '%s' AND table IN "
             "('flowlogs', 'flowlog_malformed') AND is_done = 0 FORMAT TabSeparated",
             k->u.db);
    for (unsigned i = 0; i < MUTATION_WAIT_S * 20; i++) {
        if (query(k, sql, "wait for the deletion of an interrupted import", err, errlen) != 0)
            return -1;
        if (strtoul(k->q.buf, NULL, 10) == 0)
            return 0;
        usleep(50000);
    }
    snprintf(err, errlen,
             "clickhouse %s: the rows of an interrupted import are still being deleted after "
             "%d s (system.mutations)",
             k->dest, MUTATION_WAIT_S);
    return -1;
}

static int finish(struct ps_fl_sink *s, char *err, size_t errlen)
{
    struct ch_sink *k = (struct ch_sink *)s;
    if (k->stopped)
        return 0; /* the import already stopped with the error */
    if (drain(k, err, errlen) != 0)
        return -1;
    if (k->files_written) {
        char sql[SQL_MAX];
        snprintf(sql, sizeof(sql), "OPTIMIZE TABLE %s.flowlog_files FINAL", k->u.db);
        if (query(k, sql, "merge flowlog_files", err, errlen) != 0)
            return -1;
    }
    return k->mutated ? wait_mutations(k, err, errlen) : 0;
}

static void destroy(struct ps_fl_sink *s)
{
    struct ch_sink *k = (struct ch_sink *)s;
    if (k->started) {
        pthread_mutex_lock(&k->mu);
        k->stop = true;
        k->failed = true; /* anything still queued is not sent */
        pthread_cond_signal(&k->work);
        pthread_mutex_unlock(&k->mu);
        pthread_join(k->thread, NULL);
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->work);
        pthread_cond_destroy(&k->done);
    }
    if (k->q.h)
        curl_easy_cleanup(k->q.h);
    if (k->s.h)
        curl_easy_cleanup(k->s.h);
    curl_slist_free_all(k->hdr);
    for (int i = 0; i < 2; i++)
        free(k->chunk[i].data);
    free(k);
}

/* An error stops the import: remember it, so finish() sends nothing more
 * and does not report it twice. */
static int stop_on(struct ps_fl_sink *s, int rc)
{
    if (rc < 0)
        ((struct ch_sink *)s)->stopped = true;
    return rc;
}

static int file_begin_op(struct ps_fl_sink *s, const struct ps_fl_file *f, char *prev,
                         size_t prevlen, char *err, size_t errlen)
{
    return stop_on(s, file_begin(s, f, prev, prevlen, err, errlen));
}

static int record_op(struct ps_fl_sink *s, const struct ps_fl_format *f, const struct ps_fl_rec *r,
                     uint64_t seq, uint64_t line, const char *extra, size_t extralen, char *err,
                     size_t errlen)
{
    return stop_on(s, record(s, f, r, seq, line, extra, extralen, err, errlen));
}

static int malformed_op(struct ps_fl_sink *s, uint64_t line, const char *why, const char *text,
                        size_t len, char *err, size_t errlen)
{
    return stop_on(s, malformed(s, line, why, text, len, err, errlen));
}

static int file_end_op(struct ps_fl_sink *s, const struct ps_fl_file_end *e, char *err,
                       size_t errlen)
{
    return stop_on(s, file_end(s, e, err, errlen));
}

static const struct ps_fl_sink_ops ch_ops = {file_begin_op, record_op, malformed_op,
                                             file_end_op,   finish,    destroy};

/* Create the database and the tables if missing; the next file id. */
static int setup(struct ch_sink *k, char *err, size_t errlen)
{
    char sql[8192];
    snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS %s", k->u.db);
    if (query(k, sql, "create the database", err, errlen) != 0)
        return -1;
    for (int t = 0; t < PS_CH_FL__TABLES; t++) {
        if (!ps_ch_fl_create((enum ps_ch_fl_table)t, k->u.db, sql, sizeof(sql)) ||
            query(k, sql, "create the tables", err, errlen) != 0)
            return -1;
    }
    snprintf(sql, sizeof(sql), "SELECT max(file_id) FROM %s.flowlog_files FORMAT RowBinary",
             k->u.db);
    if (query(k, sql, "read flowlog_files", err, errlen) != 0)
        return -1;
    struct ps_rd r = ps_rd_init((const uint8_t *)k->q.buf, k->q.r.len);
    uint32_t max = ps_rd_le32(&r);
    if (r.bad || r.left || max == UINT32_MAX) {
        snprintf(err, errlen, "clickhouse %s: read flowlog_files: unexpected answer", k->dest);
        return -1;
    }
    k->next_id = max + 1;
    return 0;
}

struct ps_fl_sink *ps_fl_ch_sink(const char *url, unsigned batch_rows, char *err, size_t errlen)
{
    struct ch_sink *k = calloc(1, sizeof(*k));
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->base.ops = &ch_ops;
    k->batch = batch_rows ? batch_rows : BATCH_ROWS;
    if (ps_ch_url_parse(&k->u, url, err, errlen) != 0)
        goto fail;
    ps_ch_url_public(&k->u, k->dest, sizeof(k->dest));
    char sql[SQL_MAX];
    bool ok = make_url(k, k->url_query, sizeof(k->url_query), NULL);
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s.flowlog_malformed (file_id, line, reason, text) FORMAT RowBinary",
             k->u.db);
    ok = ok && make_url(k, k->url_mal, sizeof(k->url_mal), sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s.flowlog_files (file_id, name, path, size, content_key, lines, "
             "records, malformed, complete, imported_at) FORMAT RowBinary",
             k->u.db);
    ok = ok && make_url(k, k->url_files, sizeof(k->url_files), sql);
    if (!ok) {
        snprintf(err, errlen, "clickhouse %s: URL too long", k->dest);
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        struct chunk *c = &k->chunk[i];
        /* Huge pages where the kernel gives them (madvise mode): a chunk is
         * written through once per insert, 4 KiB page faults would cost
         * more than the writing. */
        size_t sz = (size_t)DATA_BYTES + 2 * (size_t)SIDE_BYTES;
        void *m = NULL;
        if (posix_memalign(&m, HUGE_PAGE, sz) != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        madvise(m, sz, MADV_HUGEPAGE);
        c->data = m;
        c->mal = c->data + DATA_BYTES;
        c->files = c->mal + SIDE_BYTES;
    }
    k->cur = &k->chunk[0];
    k->hdr = curl_slist_append(NULL, "Expect:");
    if (!k->hdr || conn_init(k, &k->q) != 0 || conn_init(k, &k->s) != 0) {
        snprintf(err, errlen, "clickhouse: libcurl cannot start");
        goto fail;
    }
    if (setup(k, err, errlen) != 0)
        goto fail;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->work, NULL);
    pthread_cond_init(&k->done, NULL);
    if (pthread_create(&k->thread, NULL, sender, k) != 0) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->work);
        pthread_cond_destroy(&k->done);
        snprintf(err, errlen, "clickhouse: cannot start the sender thread");
        goto fail;
    }
    k->started = true;
    return &k->base;
fail:
    destroy(&k->base);
    return NULL;
}
