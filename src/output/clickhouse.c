/* SPDX-License-Identifier: BSD-2-Clause */
/* The ClickHouse sink: chunks, the sender thread, libcurl (clickhouse.h). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/clickhouse.h"

#define BATCH_ROWS      10000
#define BATCH_AGE_US    1000000
#define MAX_REFUSALS    5 /* a batch the server refuses this often is dropped */
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000
#define STOP_BACKOFF_MS 250 /* while flushing at exit: try again soon */
#define REQ_TIMEOUT_MS  30000
#define CONN_TIMEOUT_MS 3000
#define MIN_BUFFER      (4u << 10)

struct chunk {
    struct chunk *next;
    char *data;
    size_t len; /* bytes of rows */
    uint32_t rows;
    uint32_t refusals; /* times the server answered with an error */
    uint64_t born_us;  /* first row, monotonic */
    enum ps_ch_table table;
};

enum {
    ST_SENT,
    ST_BATCHES,
    ST_RETRIES,
    ST_FULL,
    ST_REFUSED,
    ST_TOOBIG,
    ST_MALFORMED,
    ST_SHUTDOWN,
    ST__N
};

static const enum ps_counter_id st_counter[ST__N] = {
    PS_C_CH_ROWS_SENT,    PS_C_CH_BATCHES_SENT,   PS_C_CH_RETRIES,        PS_C_CH_DROP_BUFFER_FULL,
    PS_C_CH_DROP_REFUSED, PS_C_CH_DROP_TOO_LARGE, PS_C_CH_DROP_MALFORMED, PS_C_CH_DROP_SHUTDOWN,
};

struct ps_ch {
    pthread_mutex_t mu;
    pthread_cond_t work; /* sender: a batch is ready, or stop */
    pthread_cond_t room; /* producers (backpressure): a chunk came free */
    pthread_cond_t done; /* ps_ch_close: the sender finished */
    pthread_t thread;
    bool started;
    char *mem;
    struct chunk *chunks;
    uint32_t nchunks;
    size_t chunk_size;
    struct chunk *free;
    struct chunk *qhead, *qtail;       /* sealed batches, oldest first */
    struct chunk *open[PS_CH__TABLES]; /* the batch each table is filling */
    struct chunk *inflight;
    uint64_t backlog_rows, backlog_bytes;
    bool stopping; /* seal everything and send it */
    bool abandon;  /* the wait is over: give up */
    bool finished; /* the sender has returned */
    bool healthy;  /* the last attempt reached the server and was taken */
    bool backpressure;
    uint64_t st[ST__N];
    char err[256];
    char url[PS_CH__TABLES][PS_CH_URL_MAX + 160];
    CURL *curl;
    char reply_buf[512];
    struct ps_ch_reply reply;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void deadline(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

/* ---- chunks (callers hold mu) ------------------------------------------ */

static void seal(struct ps_ch *ch, enum ps_ch_table t)
{
    struct chunk *c = ch->open[t];
    if (!c)
        return;
    ch->open[t] = NULL;
    c->next = NULL;
    if (ch->qtail)
        ch->qtail->next = c;
    else
        ch->qhead = c;
    ch->qtail = c;
    pthread_cond_signal(&ch->work);
}

/* Put a batch that was not sent back at the head: order is kept. */
static void requeue(struct ps_ch *ch, struct chunk *c)
{
    c->next = ch->qhead;
    ch->qhead = c;
    if (!ch->qtail)
        ch->qtail = c;
}

static void release(struct ps_ch *ch, struct chunk *c)
{
    ch->backlog_rows -= c->rows;
    ch->backlog_bytes -= c->len;
    c->len = 0;
    c->rows = 0;
    c->refusals = 0;
    c->next = ch->free;
    ch->free = c;
    pthread_cond_broadcast(&ch->room);
}

/* A free chunk for table t, or NULL when the buffer is full. */
static struct chunk *take_chunk(struct ps_ch *ch, enum ps_ch_table t)
{
    while (!ch->free && ch->backpressure && ch->healthy && !ch->stopping)
        pthread_cond_wait(&ch->room, &ch->mu);
    struct chunk *c = ch->free;
    if (!c)
        return NULL;
    ch->free = c->next;
    c->next = NULL;
    c->table = t;
    c->born_us = mono_us();
    ch->open[t] = c;
    return c;
}

void ps_ch_record(struct ps_ch *ch, const char *json, size_t len)
{
    int t = ps_ch_table_of(json, len);
    pthread_mutex_lock(&ch->mu);
    if (t < 0) {
        ch->st[ST_MALFORMED]++;
        goto out;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        struct chunk *c = ch->open[t];
        if (!c && !(c = take_chunk(ch, (enum ps_ch_table)t))) {
            ch->st[ST_FULL]++;
            goto out;
        }
        long n = ps_ch_format_row(c->data + c->len, ch->chunk_size - c->len, (enum ps_ch_table)t,
                                  json, len);
        if (n < 0) {
            ch->st[ST_MALFORMED]++;
            goto out;
        }
        if (n > 0) {
            c->len += (size_t)n;
            c->rows++;
            ch->backlog_rows++;
            ch->backlog_bytes += (size_t)n;
            if (c->rows >= BATCH_ROWS)
                seal(ch, (enum ps_ch_table)t);
            goto out;
        }
        if (c->len == 0) { /* not even in an empty chunk */
            ch->st[ST_TOOBIG]++;
            goto out;
        }
        seal(ch, (enum ps_ch_table)t); /* full: the row starts the next batch */
    }
out:
    pthread_mutex_unlock(&ch->mu);
}

/* ---- sending (the sender thread) ---------------------------------------- */

CURL *ps_ch_curl_new(struct ps_ch_reply *r, long connect_ms, long request_ms)
{
    CURL *h;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = curl_easy_init()))
        return NULL;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ps_ch_reply_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    return h;
}

size_t ps_ch_reply_write(char *p, size_t size, size_t n, void *reply)
{
    struct ps_ch_reply *r = reply;
    size_t l = size * n;
    size_t room = r->cap - 1 - r->len;
    size_t k = l < room ? l : room;
    memcpy(r->buf + r->len, p, k);
    r->len += k;
    r->buf[r->len] = 0;
    return l;
}

/* libcurl's progress callback: non-zero aborts the transfer. */
static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    struct ps_ch *ch = ctx;
    pthread_mutex_lock(&ch->mu);
    int stop = ch->abandon;
    pthread_mutex_unlock(&ch->mu);
    return stop;
}

/* POST one batch. Returns 0 when taken, 1 when the server refused it (why
 * in msg), -1 when the server could not be reached (why in msg). */
static int post(struct ps_ch *ch, const struct chunk *c, char *msg, size_t msglen)
{
    CURL *h = ch->curl;
    ch->reply.len = 0;
    ch->reply.buf[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, ch->url[c->table]);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        snprintf(msg, msglen, "cannot reach the server: %s", curl_easy_strerror(rc));
        return -1;
    }
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200)
        return 0;
    char *nl = strchr(ch->reply.buf, '\n');
    if (nl)
        *nl = 0;
    snprintf(msg, msglen, "insert into %s: HTTP %ld: %.180s", ps_ch_table_name(c->table), code,
             ch->reply.buf);
    return 1;
}

static void *sender(void *arg)
{
    struct ps_ch *ch = arg;
    unsigned backoff = 0;
    pthread_mutex_lock(&ch->mu);
    while (!ch->abandon) {
        uint64_t now = mono_us();
        for (int t = 0; t < PS_CH__TABLES; t++)
            if (ch->open[t] && (ch->stopping || now - ch->open[t]->born_us >= BATCH_AGE_US))
                seal(ch, (enum ps_ch_table)t);
        struct chunk *c = ch->qhead;
        if (!c) {
            if (ch->stopping)
                break;
            struct timespec ts;
            deadline(&ts, 100);
            pthread_cond_timedwait(&ch->work, &ch->mu, &ts);
            continue;
        }
        ch->qhead = c->next;
        if (!ch->qhead)
            ch->qtail = NULL;
        ch->inflight = c;
        pthread_mutex_unlock(&ch->mu);
        char msg[256];
        int rc = post(ch, c, msg, sizeof(msg));
        pthread_mutex_lock(&ch->mu);
        ch->inflight = NULL;
        if (rc < 0 && ch->abandon) { /* aborted by ps_ch_close: not a retry */
            requeue(ch, c);
            break;
        }
        /* Say so when the server goes away and when it is back: an operator
         * (and the tests) can tell an outage from a quiet sensor. */
        if (rc && ch->healthy)
            fprintf(stderr, "periscope: clickhouse: %s; keeping records and retrying\n", msg);
        else if (!rc && !ch->healthy)
            fprintf(stderr, "periscope: clickhouse: the server takes records again\n");
        if (rc && !ch->err[0])
            snprintf(ch->err, sizeof(ch->err), "%s", msg);
        if (rc == 0 || (rc > 0 && ++c->refusals >= MAX_REFUSALS)) {
            ch->st[rc == 0 ? ST_SENT : ST_REFUSED] += c->rows;
            if (rc == 0)
                ch->st[ST_BATCHES]++;
            ch->healthy = rc == 0;
            release(ch, c);
            backoff = 0;
            continue;
        }
        /* Keep it at the head, in order, and wait before the next try. */
        ch->st[ST_RETRIES]++;
        ch->healthy = false;
        pthread_cond_broadcast(&ch->room);
        requeue(ch, c);
        backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
        if (backoff > BACKOFF_MAX_MS)
            backoff = BACKOFF_MAX_MS;
        struct timespec ts;
        deadline(&ts, ch->stopping && backoff > STOP_BACKOFF_MS ? STOP_BACKOFF_MS : backoff);
        pthread_cond_timedwait(&ch->work, &ch->mu, &ts);
    }
    ch->finished = true;
    pthread_cond_broadcast(&ch->done);
    pthread_mutex_unlock(&ch->mu);
    return NULL;
}

/* ---- setup and shutdown -------------------------------------------------- */

struct ps_ch *ps_ch_open(const char *url, size_t buffer_bytes, char *err, size_t errlen)
{
    struct ps_ch_url u;
    if (ps_ch_url_parse(&u, url, err, errlen) != 0)
        return NULL;
    if (buffer_bytes < MIN_BUFFER) {
        snprintf(err, errlen, "--clickhouse-buffer: at least %u bytes", MIN_BUFFER);
        return NULL;
    }
    struct ps_ch *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int t = 0; t < PS_CH__TABLES; t++)
        ps_ch_insert_url(&u, (enum ps_ch_table)t, ch->url[t], sizeof(ch->url[t]));
    /* 16 chunks of at most 8 MiB (ClickHouse likes inserts of megabytes);
     * buffers under 256 KiB get 4. */
    size_t cs = buffer_bytes / 16;
    if (cs < (16u << 10))
        cs = buffer_bytes / 4;
    if (cs > (8u << 20))
        cs = 8u << 20;
    ch->chunk_size = cs;
    ch->nchunks = (uint32_t)(buffer_bytes / cs);
    ch->mem = malloc((size_t)ch->nchunks * cs);
    ch->chunks = calloc(ch->nchunks, sizeof(*ch->chunks));
    if (!ch->mem || !ch->chunks) {
        snprintf(err, errlen, "--clickhouse-buffer %zu: out of memory", buffer_bytes);
        goto out_free;
    }
    for (uint32_t i = ch->nchunks; i-- > 0;) {
        ch->chunks[i].data = ch->mem + (size_t)i * cs;
        ch->chunks[i].next = ch->free;
        ch->free = &ch->chunks[i];
    }
    ch->reply.buf = ch->reply_buf;
    ch->reply.cap = sizeof(ch->reply_buf);
    if (!(ch->curl = ps_ch_curl_new(&ch->reply, CONN_TIMEOUT_MS, REQ_TIMEOUT_MS))) {
        snprintf(err, errlen, "--clickhouse: libcurl cannot start");
        goto out_free;
    }
    curl_easy_setopt(ch->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(ch->curl, CURLOPT_XFERINFODATA, ch);
    curl_easy_setopt(ch->curl, CURLOPT_NOPROGRESS, 0L);
    ch->healthy = true;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&ch->mu, NULL);
    pthread_cond_init(&ch->work, &ca);
    pthread_cond_init(&ch->room, &ca);
    pthread_cond_init(&ch->done, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&ch->thread, NULL, sender, ch) != 0) {
        snprintf(err, errlen, "--clickhouse: cannot start the sender thread");
        curl_easy_cleanup(ch->curl);
        goto out_free;
    }
    ch->started = true;
    return ch;
out_free:
    free(ch->chunks);
    free(ch->mem);
    free(ch);
    return NULL;
}

void ps_ch_set_backpressure(struct ps_ch *ch, bool on)
{
    pthread_mutex_lock(&ch->mu);
    ch->backpressure = on;
    pthread_mutex_unlock(&ch->mu);
}

void ps_ch_counters(struct ps_ch *ch, struct ps_counters *c)
{
    pthread_mutex_lock(&ch->mu);
    for (int i = 0; i < ST__N; i++)
        c->v[st_counter[i]] = ch->st[i];
    pthread_mutex_unlock(&ch->mu);
}

void ps_ch_backlog(struct ps_ch *ch, uint64_t *rows, uint64_t *bytes)
{
    pthread_mutex_lock(&ch->mu);
    *rows = ch->backlog_rows;
    *bytes = ch->backlog_bytes;
    pthread_mutex_unlock(&ch->mu);
}

const char *ps_ch_error(struct ps_ch *ch)
{
    return ch->err; /* written once, under mu, before anyone reads it at exit */
}

void ps_ch_close(struct ps_ch *ch, unsigned wait_ms)
{
    if (!ch->started)
        return;
    struct timespec ts;
    deadline(&ts, wait_ms);
    pthread_mutex_lock(&ch->mu);
    ch->stopping = true;
    pthread_cond_broadcast(&ch->work);
    pthread_cond_broadcast(&ch->room);
    while (!ch->finished)
        if (pthread_cond_timedwait(&ch->done, &ch->mu, &ts) != 0 && !ch->finished) {
            ch->abandon = true; /* the in-flight request aborts, the loop ends */
            pthread_cond_broadcast(&ch->work);
            while (!ch->finished)
                pthread_cond_wait(&ch->done, &ch->mu);
        }
    pthread_mutex_unlock(&ch->mu);
    pthread_join(ch->thread, NULL);
    ch->started = false;
    curl_easy_cleanup(ch->curl);
    ch->curl = NULL;
    /* Whatever is still buffered was not sent. */
    ch->st[ST_SHUTDOWN] += ch->backlog_rows;
    for (int t = 0; t < PS_CH__TABLES; t++)
        if (ch->open[t]) {
            struct chunk *c = ch->open[t];
            ch->open[t] = NULL;
            release(ch, c);
        }
    while (ch->qhead) {
        struct chunk *c = ch->qhead;
        ch->qhead = c->next;
        release(ch, c);
    }
    ch->qtail = NULL;
}

void ps_ch_free(struct ps_ch *ch)
{
    if (!ch)
        return;
    ps_ch_close(ch, 0);
    pthread_mutex_destroy(&ch->mu);
    pthread_cond_destroy(&ch->work);
    pthread_cond_destroy(&ch->room);
    pthread_cond_destroy(&ch->done);
    free(ch->chunks);
    free(ch->mem);
    free(ch);
}
