/* SPDX-License-Identifier: BSD-2-Clause */
/* ClickHouse as a flow-log sink: tables flowlogs, flowlog_files and
 * flowlog_malformed (schema: ps_ch_fl_create in src/output/ch_row.c),
 * created if missing when the import starts.
 *
 * Records are written as RowBinary (clickhouse.h) into a ring of 8 slots
 * of 256 KiB, allocated at start (nothing per record, and small enough to
 * stay in cache), and a sender thread streams them to the server as the
 * body of one INSERT ... FORMAT RowBinary per batch (libcurl, chunked
 * transfer): the server gets large inserts (up to 1,000,000 rows, one
 * part) while the importer's memory stays small, and parsing overlaps the
 * network. A failed insert stops the import with the server's message: an
 * import never drops records.
 *
 * Re-import, as the SQLite sink does it: a file is known by its content
 * key. Its row in flowlog_files is written (complete = 0) before any of
 * its records, and written again with the counts and complete = 1 only
 * after the batches holding its records were taken: a batch's file rows go
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
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rd.h"
#include "flowlogs/flowlogs.h"
#include "output/clickhouse.h"

#define SLOT_BYTES      (256u << 10) /* a ring slot; a row never spans two */
#define NSLOT           8
#define SIDE_BYTES      (1u << 20) /* a batch's flowlog_malformed rows, and its flowlog_files rows */
#define BATCH_ROWS      1000000    /* flowlogs rows per INSERT at most */
#define BATCH_AGE_US    1000000    /* at a file's start, a batch this old is ended */
#define URL_MAX         (3 * PS_CH_URL_MAX + 8192)
#define SQL_MAX         4096
#define REPLY_MAX       16384
#define FILE_ROW_MAX    16384 /* a flowlog_files row: name and path (PATH_MAX) */
#define CONN_TIMEOUT_MS 3000
#define REQ_TIMEOUT_MS  120000
#define MUTATION_WAIT_S 600
#define STALL_S         300 /* a request that moves no byte this long fails */

struct plan_col {
    int16_t col;   /* column of the format */
    uint8_t width; /* integer bytes; 0: String */
};

/* One INSERT into flowlogs, whose rows stream through the ring, and the
 * malformed lines and file rows that go after it. */
struct batch {
    uint64_t first, end; /* its rows: ring slots [first, end), end once sealed */
    uint64_t rows;
    bool sealed;   /* no more rows: the INSERT ends after slot end - 1 */
    uint64_t born; /* when it began, monotonic us */
    uint8_t *mal;  /* SIDE_BYTES of flowlog_malformed rows */
    size_t mlen;
    uint8_t *files; /* SIDE_BYTES of flowlog_files rows */
    size_t flen;
    uint32_t mrows, frows;
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
    unsigned batch_rows; /* records per INSERT at most */

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

    /* The ring: the importer fills slot prod % NSLOT (cur_len bytes so far)
     * and publishes it; the sender's libcurl reads slot cons % NSLOT. */
    uint8_t *ring;
    size_t slot_len[NSLOT];
    size_t cur_len;
    uint64_t prod, cons; /* slots published, slots sent */
    size_t cons_off;     /* bytes of slot cons already sent */
    /* The importer fills batch[bseq % 2]; the sender sends batch[done % 2]
     * (done counts the batches it finished). */
    struct batch batch[2];
    uint64_t bseq, done;
    pthread_mutex_t mu;
    pthread_cond_t ready; /* sender: a slot published, a batch sealed, or stop */
    pthread_cond_t room;  /* importer: a slot or a batch done, or a failure */
    pthread_t thread;
    bool started;
    bool stop;
    bool failed;   /* an insert failed: the import stops */
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

/* Run the request set up on c. Returns 0 when the server answered 200, or
 * -1 with one line in err: the URL, what was asked, and why it failed. */
static int perform(const struct ch_sink *k, struct conn *c, const char *what, char *err,
                   size_t errlen)
{
    c->r.len = 0;
    c->buf[0] = 0;
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

/* POST body[0..n) to url (perform()). */
static int post(const struct ch_sink *k, struct conn *c, const char *url, const void *body,
                size_t n, const char *what, char *err, size_t errlen)
{
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    return perform(k, c, what, err, errlen);
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

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* libcurl's read callback for the body of a batch's INSERT: the batch's
 * slots as the importer publishes them; the end of the body once the batch
 * is sealed and its last slot sent. */
static size_t on_read(char *dst, size_t size, size_t n, void *ctx)
{
    struct ch_sink *k = ctx;
    size_t want = size * n;
    pthread_mutex_lock(&k->mu);
    const struct batch *b = &k->batch[k->done % 2];
    for (;;) {
        if (k->stop) {
            pthread_mutex_unlock(&k->mu);
            return CURL_READFUNC_ABORT;
        }
        if (k->cons < k->prod && (!b->sealed || k->cons < b->end))
            break;
        if (b->sealed && k->cons >= b->end) {
            pthread_mutex_unlock(&k->mu);
            return 0;
        }
        pthread_cond_wait(&k->ready, &k->mu);
    }
    size_t slot = k->cons % NSLOT, len = k->slot_len[slot];
    pthread_mutex_unlock(&k->mu);
    /* The slot is the sender's until cons moves past it. */
    size_t take = len - k->cons_off < want ? len - k->cons_off : want;
    memcpy(dst, k->ring + slot * SLOT_BYTES + k->cons_off, take);
    k->cons_off += take;
    if (k->cons_off == len) {
        pthread_mutex_lock(&k->mu);
        k->cons++;
        k->cons_off = 0;
        pthread_cond_signal(&k->room);
        pthread_mutex_unlock(&k->mu);
    }
    return take;
}

/* Send batch b: its records as one streamed INSERT (when it has any),
 * then its malformed lines, then the rows that say which files are
 * complete: a file is never marked complete before its records. */
static int send_batch(struct ch_sink *k, struct batch *b, bool rows, char *err, size_t errlen)
{
    struct conn *c = &k->s;
    if (rows) {
        curl_easy_setopt(c->h, CURLOPT_URL, b->url);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1); /* chunked */
        curl_easy_setopt(c->h, CURLOPT_POST, 1L);
        /* As long as the importer takes: no limit but the server's. */
        curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 0L);
        int rc = perform(k, c, "insert into flowlogs", err, errlen);
        curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)REQ_TIMEOUT_MS);
        if (rc != 0)
            return -1;
    }
    pthread_mutex_lock(&k->mu);
    while (!b->sealed && !k->stop)
        pthread_cond_wait(&k->ready, &k->mu);
    bool stop = k->stop;
    pthread_mutex_unlock(&k->mu);
    if (stop) {
        snprintf(err, errlen, "clickhouse: the import stopped");
        return -1;
    }
    if (b->mrows &&
        post(k, c, k->url_mal, b->mal, b->mlen, "insert into flowlog_malformed", err, errlen))
        return -1;
    if (b->frows &&
        post(k, c, k->url_files, b->files, b->flen, "insert into flowlog_files", err, errlen))
        return -1;
    return 0;
}

static void *sender(void *arg)
{
    struct ch_sink *k = arg;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        struct batch *b = &k->batch[k->done % 2];
        /* Start when the batch has a slot of records, or is sealed. */
        while (!k->stop && !b->sealed && k->prod == b->first)
            pthread_cond_wait(&k->ready, &k->mu);
        if (k->stop)
            break;
        bool rows = (b->sealed ? b->end : k->prod) > b->first;
        pthread_mutex_unlock(&k->mu);
        char e[sizeof(k->ferr)];
        int rc = send_batch(k, b, rows, e, sizeof(e));
        pthread_mutex_lock(&k->mu);
        if (rc != 0) {
            if (!k->failed)
                memcpy(k->ferr, e, sizeof(e));
            k->failed = true;
            pthread_cond_broadcast(&k->room);
            break;
        }
        k->done++;
        pthread_cond_broadcast(&k->room);
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

static struct batch *cur_batch(struct ch_sink *k)
{
    return &k->batch[k->bseq % 2];
}

/* Publish the slot being filled and take the next one, waiting while
 * every slot is in the sender's hands. */
static int publish(struct ch_sink *k, char *err, size_t errlen)
{
    pthread_mutex_lock(&k->mu);
    k->slot_len[k->prod % NSLOT] = k->cur_len;
    k->prod++;
    k->cur_len = 0;
    pthread_cond_signal(&k->ready);
    while (k->prod - k->cons >= NSLOT && !k->failed)
        pthread_cond_wait(&k->room, &k->mu);
    bool failed = k->failed;
    pthread_mutex_unlock(&k->mu);
    return failed ? sender_failed(k, err, errlen) : 0;
}

/* End the batch being filled (its INSERT ends, its side rows go) and start
 * the next, once the sender is done with the one before. */
static int seal(struct ch_sink *k, char *err, size_t errlen)
{
    if (k->cur_len && publish(k, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&k->mu);
    struct batch *b = cur_batch(k);
    b->end = k->prod;
    b->sealed = true;
    pthread_cond_broadcast(&k->ready);
    while (k->done < k->bseq && !k->failed)
        pthread_cond_wait(&k->room, &k->mu);
    bool failed = k->failed;
    if (!failed) {
        k->bseq++;
        b = cur_batch(k);
        b->first = b->end = k->prod;
        b->rows = 0;
        b->sealed = false;
        b->born = mono_us();
        b->mlen = b->flen = 0;
        b->mrows = b->frows = 0;
    }
    pthread_mutex_unlock(&k->mu);
    return failed ? sender_failed(k, err, errlen) : 0;
}

/* Send everything written so far and wait until the server has it. */
static int drain(struct ch_sink *k, char *err, size_t errlen)
{
    struct batch *b = cur_batch(k);
    if ((b->rows || b->mrows || b->frows) && seal(k, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&k->mu);
    while (k->done < k->bseq && !k->failed)
        pthread_cond_wait(&k->room, &k->mu);
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
    /* Small files share a batch; one that began a while ago ends here, so
     * files are marked complete soon and a stream never idles long. */
    struct batch *b = cur_batch(k);
    if ((b->rows || b->mrows || b->frows) && mono_us() - b->born >= BATCH_AGE_US &&
        seal(k, err, errlen) != 0)
        return -1;
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
    if (SIDE_BYTES - cur_batch(k)->flen < FILE_ROW_MAX && seal(k, err, errlen) != 0)
        return -1;
    struct batch *b = cur_batch(k);
    uint8_t *end = file_row(b->files + b->flen, &k->f, e);
    if (!end) {
        snprintf(err, errlen, "%s: path too long", k->f.path);
        return -1;
    }
    b->flen = (size_t)(end - b->files);
    b->frows++;
    k->files_written = true;
    return 0;
}

/* ---- records ---------------------------------------------------------- */

/* The INSERT and the column plan for layout f: only the columns the format
 * has (the others are NULL), its integers first, then its strings. Rows of
 * another layout end their batch first: a batch's rows share one INSERT. */
static int replan(struct ch_sink *k, const struct ps_fl_format *f, char *err, size_t errlen)
{
    if (cur_batch(k)->rows && seal(k, err, errlen) != 0)
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
    if (cur_batch(k)->rows >= k->batch_rows && seal(k, err, errlen) != 0)
        return -1;
    struct batch *b = cur_batch(k);
    for (int attempt = 0; attempt < 2; attempt++) {
        uint8_t *slot = k->ring + (size_t)(k->prod % NSLOT) * SLOT_BYTES;
        if (SLOT_BYTES - k->cur_len >= k->row_fixed + extralen) {
            uint8_t *end =
                put_row(k, slot + k->cur_len, slot + SLOT_BYTES, r, seq, line, extra, extralen);
            if (end) {
                /* The URL before the batch's first slot is published. */
                if (b->rows++ == 0)
                    memcpy(b->url, k->plan_url, sizeof(b->url));
                k->cur_len = (size_t)(end - slot);
                return 0;
            }
        }
        if (k->cur_len == 0)
            break; /* not even in an empty slot */
        if (publish(k, err, errlen) != 0)
            return -1;
    }
    snprintf(err, errlen, "clickhouse: line %llu: a record larger than %u bytes",
             (unsigned long long)line, SLOT_BYTES);
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
    if (SIDE_BYTES - cur_batch(k)->mlen < need && seal(k, err, errlen) != 0)
        return -1;
    struct batch *c = cur_batch(k);
    /* One row per line, the last reason (SQLite's INSERT OR REPLACE): a
     * CloudWatch line can hold several bad messages. */
    if (k->bad_valid && k->bad_gen == k->bseq && k->bad_file == k->f.id && k->bad_line == line &&
        c->mrows) {
        c->mlen = k->bad_off;
        c->mrows--;
    }
    k->bad_valid = true;
    k->bad_gen = k->bseq;
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
        k->stop = true; /* anything not sent yet is not sent */
        pthread_cond_broadcast(&k->ready);
        pthread_mutex_unlock(&k->mu);
        pthread_join(k->thread, NULL);
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->ready);
        pthread_cond_destroy(&k->room);
    }
    if (k->q.h)
        curl_easy_cleanup(k->q.h);
    if (k->s.h)
        curl_easy_cleanup(k->s.h);
    curl_slist_free_all(k->hdr);
    free(k->ring);
    free(k->batch[0].mal);
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
    k->batch_rows = batch_rows ? batch_rows : BATCH_ROWS;
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
    /* Everything the import writes into, at once: the ring and the side
     * buffers of the two batches. */
    k->ring = malloc((size_t)NSLOT * SLOT_BYTES);
    uint8_t *side = malloc(4 * (size_t)SIDE_BYTES);
    if (!k->ring || !side) {
        free(side);
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        k->batch[i].mal = side + (size_t)(2 * i) * SIDE_BYTES;
        k->batch[i].files = side + (size_t)(2 * i + 1) * SIDE_BYTES;
    }
    k->batch[0].born = mono_us();
    k->hdr = curl_slist_append(NULL, "Expect:");
    if (!k->hdr || conn_init(k, &k->q) != 0 || conn_init(k, &k->s) != 0) {
        snprintf(err, errlen, "clickhouse: libcurl cannot start");
        goto fail;
    }
    if (setup(k, err, errlen) != 0)
        goto fail;
    /* A streamed INSERT lasts as long as the import feeds it, so it has no
     * time limit; a server that stops taking bytes still fails it. */
    curl_easy_setopt(k->s.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(k->s.h, CURLOPT_LOW_SPEED_TIME, (long)STALL_S);
    curl_easy_setopt(k->s.h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(k->s.h, CURLOPT_READDATA, k);
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->ready, NULL);
    pthread_cond_init(&k->room, NULL);
    if (pthread_create(&k->thread, NULL, sender, k) != 0) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->ready);
        pthread_cond_destroy(&k->room);
        snprintf(err, errlen, "clickhouse: cannot start the sender thread");
        goto fail;
    }
    k->started = true;
    return &k->base;
fail:
    destroy(&k->base);
    return NULL;
}
