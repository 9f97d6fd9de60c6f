/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow-log import: files (plain or gzip), directories in the S3 layout,
 * CloudWatch Logs exports, into the `flowlogs` table of the store.
 *
 * Re-import: each file is identified by its content (size, CRC-32 and a
 * 64-bit hash of its bytes, in flowlog_files.content_key) and each row's
 * primary key is file id * 2^32 + the record's number in the file. A file
 * read completely before is skipped; a file whose import was cut short is
 * read again and INSERT OR IGNORE adds only the rows that are missing. A
 * copy of a file under another name or path is recognised too.
 * spec: docs/aws-mirroring.md s6.8 (S3 layout, header line, CloudWatch) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "flowlogs/flowlogs.h"
#include "output/json.h"

#define READ_BUF  (4u << 20)
#define MAX_DEPTH 32
#define MAX_MSG   PS_FL_MAX_LINE

struct ps_fl_importer {
    struct ps_store *st;
    struct ps_fl_import_opts o;
    struct ps_fl_format cli_format; /* --format, or the default v2 */
    struct ps_fl_import_stats s;
    sqlite3_stmt *ins;           /* INSERT for `ins_format` */
    struct ps_fl_format ins_fmt; /* the layout `ins` was prepared for */
    bool ins_valid;
    bool reindex;      /* indexes dropped for a bulk load: build them at the end */
    sqlite3_stmt *bad; /* INSERT into flowlog_malformed */
    char *buf;         /* READ_BUF + 1 */
    char *msg;         /* a decoded CloudWatch message */
    char extra[PS_FL_MAX_LINE * 2];
    struct ps_fl_rec rec;
};

/* Per file. */
struct file_ctx {
    const char *path;
    int64_t file_id;
    const struct ps_fl_format *fmt; /* header or --format */
    struct ps_fl_format hdr;        /* the file's own header */
    uint64_t seq;                   /* record number in the file */
    uint64_t line;
    uint64_t records, malformed, reported;
    int mode; /* 0 unknown, 1 text, 2 JSON (CloudWatch) */
};

static int sqlerr(struct ps_fl_importer *im, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "database: %s: %s", what, sqlite3_errmsg(im->st->db));
    return -1;
}

struct ps_fl_importer *ps_fl_importer_new(struct ps_store *st, const struct ps_fl_import_opts *o,
                                          char *err, size_t errlen)
{
    struct ps_fl_importer *im = calloc(1, sizeof(*im));
    if (!im) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    im->st = st;
    im->o = *o;
    if (!im->o.msg)
        im->o.msg = stderr;
    if (im->o.batch_rows)
        st->batch = im->o.batch_rows;
    char e[256];
    if (o->format) {
        if (ps_fl_format_parse(&im->cli_format, o->format, strlen(o->format), e, sizeof(e)) != 0) {
            snprintf(err, errlen, "--format: %s", e);
            goto out_free;
        }
    } else {
        ps_fl_format_default(&im->cli_format);
    }
    im->buf = malloc(READ_BUF + 1);
    im->msg = malloc(MAX_MSG);
    if (!im->buf || !im->msg) {
        snprintf(err, errlen, "out of memory");
        goto out_free;
    }
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR IGNORE INTO flowlog_malformed(file_id, line, reason, text)"
                           " VALUES(?,?,?,?)",
                           -1, &im->bad, NULL) != SQLITE_OK) {
        sqlerr(im, err, errlen, "prepare");
        goto out_free;
    }
    /* Into an empty table, load first and index after. */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM flowlogs LIMIT 1", -1, &q, NULL) != SQLITE_OK) {
        sqlerr(im, err, errlen, "prepare");
        goto out_free;
    }
    im->reindex = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    if (im->reindex && ps_store_flowlogs_indexes(st, false, err, errlen) != 0)
        goto out_free;
    if (ps_store_begin(st, err, errlen) != 0)
        goto out_free;
    return im;
out_free:
    sqlite3_finalize(im->bad);
    free(im->buf);
    free(im->msg);
    free(im);
    return NULL;
}

/* The INSERT for a layout: only the columns the format has, so a narrow
 * custom format costs only its own fields. */
static int prepare_insert(struct ps_fl_importer *im, const struct ps_fl_format *f, char *err,
                          size_t errlen)
{
    if (im->ins_valid && im->ins_fmt.ncols == f->ncols &&
        memcmp(im->ins_fmt.field, f->field, sizeof(f->field[0]) * (size_t)f->ncols) == 0)
        return 0;
    sqlite3_finalize(im->ins);
    im->ins = NULL;
    im->ins_valid = false;
    char sql[8192];
    size_t n =
        (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO flowlogs(id, file_id, line");
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
    if (sqlite3_prepare_v2(im->st->db, sql, -1, &im->ins, NULL) != SQLITE_OK)
        return sqlerr(im, err, errlen, "prepare");
    im->ins_fmt = *f;
    im->ins_valid = true;
    return 0;
}

static void report_bad(struct ps_fl_importer *im, struct file_ctx *fc, const char *line, size_t len,
                       const char *why)
{
    im->s.malformed++;
    fc->malformed++;
    if ((int)fc->reported < im->o.max_reports) {
        fprintf(im->o.msg, "periscope: %s:%llu: malformed record: %s\n", fc->path,
                (unsigned long long)fc->line, why);
        fc->reported++;
    }
    sqlite3_bind_int64(im->bad, 1, fc->file_id);
    sqlite3_bind_int64(im->bad, 2, (sqlite3_int64)fc->line);
    sqlite3_bind_text(im->bad, 3, why, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(im->bad, 4, line, (int)(len > 512 ? 512 : len), SQLITE_STATIC);
    sqlite3_step(im->bad);
    sqlite3_reset(im->bad);
}

/* Parse and store one record. Returns -1 only on a database error. */
static int record(struct ps_fl_importer *im, struct file_ctx *fc, const char *line, size_t len,
                  char *err, size_t errlen)
{
    char why[160];
    struct ps_fl_rec *r = &im->rec;
    const struct ps_fl_format *f = fc->fmt;
    fc->seq++;
    if (ps_fl_parse_line(f, line, len, r, why, sizeof(why)) != 0) {
        report_bad(im, fc, line, len, why);
        return 0;
    }
    if (fc->seq > 0xffffffffu) {
        report_bad(im, fc, line, len, "more than 2^32 records in one file");
        return 0;
    }
    if (prepare_insert(im, f, err, errlen) != 0)
        return -1;
    sqlite3_stmt *q = im->ins;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)((uint64_t)fc->file_id << 32 | fc->seq));
    sqlite3_bind_int64(q, 2, fc->file_id);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)fc->line);
    int p = 4;
    struct ps_json j;
    bool any_extra = false;
    if (f->nunknown) {
        ps_json_init(&j, im->extra, sizeof(im->extra));
        ps_json_obj_begin(&j, NULL);
    }
    for (int c = 0; c < f->ncols; c++) {
        int id = f->field[c];
        const struct ps_fl_tok *t = &r->tok[c];
        if (id == PS_FL_UNKNOWN) {
            if (ps_fl_rec_null(r, c))
                continue;
            /* The name is a field-name token ([a-z0-9-]), safe unescaped. */
            char name[PS_FL_MAX_NAME];
            memcpy(name, f->names + f->name_off[c], f->name_len[c]);
            name[f->name_len[c]] = 0;
            ps_json_strn(&j, name, (const uint8_t *)t->p, t->n);
            any_extra = true;
            continue;
        }
        if (ps_fl_rec_null(r, c))
            sqlite3_bind_null(q, p);
        else if (ps_fl_field(id)->kind == PS_FL_K_INT)
            sqlite3_bind_int64(q, p, r->num[c]);
        else
            sqlite3_bind_text(q, p, t->p, (int)t->n, SQLITE_STATIC);
        p++;
        if (id == PS_FL_LOG_STATUS && !ps_fl_rec_null(r, c)) {
            if (t->n == 6 && memcmp(t->p, "NODATA", 6) == 0)
                im->s.nodata++;
            else if (t->n == 8 && memcmp(t->p, "SKIPDATA", 8) == 0)
                im->s.skipdata++;
        }
    }
    if (f->nunknown) {
        ps_json_obj_end(&j);
        if (any_extra && !j.overflow)
            sqlite3_bind_text(q, p, j.buf, (int)j.len, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, p);
    }
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return sqlerr(im, err, errlen, "insert");
    im->s.records++;
    fc->records++;
    if (sqlite3_changes(im->st->db) > 0) {
        im->s.inserted++;
        return ps_store_row(im->st, err, errlen);
    }
    im->s.duplicates++;
    return 0;
}

static int one_line(struct ps_fl_importer *im, struct file_ctx *fc, const char *s, size_t n,
                    char *err, size_t errlen)
{
    fc->line++;
    im->s.lines++;
    im->s.bytes += n + 1;
    size_t b = 0;
    while (b < n && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r'))
        b++;
    if (b == n)
        return 0;
    if (n > PS_FL_MAX_LINE) {
        fc->seq++;
        report_bad(im, fc, s, 80, "line longer than 64 KiB");
        return 0;
    }
    if (fc->mode == 0)
        fc->mode = (s[b] == '{' || s[b] == '[') ? 2 : 1;
    if (fc->mode == 2) {
        size_t pos = b, mlen;
        int rc;
        while ((rc = ps_fl_json_message(s, n, &pos, im->msg, MAX_MSG, &mlen)) != 0) {
            if (rc < 0) {
                fc->seq++;
                report_bad(im, fc, s, n, "bad JSON string in a CloudWatch Logs event");
                break;
            }
            if (record(im, fc, im->msg, mlen, err, errlen) != 0)
                return -1;
        }
        return 0;
    }
    /* A header line: the first line of an S3 file, or again where files
     * were concatenated. Records start with a digit or '-' in every AWS
     * layout we know, so only lines starting with a letter are tested. */
    if (((s[b] >= 'a' && s[b] <= 'z') || s[b] == '$') && ps_fl_is_header(s + b, n - b)) {
        char e[160];
        if (ps_fl_format_parse(&fc->hdr, s + b, n - b, e, sizeof(e)) != 0) {
            report_bad(im, fc, s, n, e);
            return 0;
        }
        fc->fmt = &fc->hdr;
        return 0;
    }
    return record(im, fc, s, n, err, errlen);
}

/* gzerror() messages start with the path gzopen() was given. */
static const char *gz_msg(const char *path, const char *m)
{
    size_t n = strlen(path);
    if (strncmp(m, path, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
        return m + n + 2;
    return m;
}

/* Size, CRC-32 and a 64-bit multiply-xor hash of the file's bytes: the
 * identity that makes a re-import a no-op. Not cryptographic: whoever can
 * plant a colliding file could as well plant false records. */
static int content_key(struct ps_fl_importer *im, const char *path, char *key, size_t keylen,
                       uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t h = 0x243f6a8885a308d3ull, total = 0;
    for (;;) {
        ssize_t got = read(fd, im->buf, READ_BUF);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        size_t g = (size_t)got, i = 0;
        crc = crc32(crc, (const Bytef *)im->buf, (uInt)g);
        for (; g - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, im->buf + i, 8);
            h = (h ^ w) * 0x9e3779b97f4a7c15ull;
            h ^= h >> 29;
        }
        for (; i < g; i++)
            h = (h ^ (uint8_t)im->buf[i]) * 0x100000001b3ull;
        total += g;
    }
    close(fd);
    *size = total;
    snprintf(key, keylen, "%llu-%08lx-%016llx", (unsigned long long)total, (unsigned long)crc,
             (unsigned long long)h);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The file's row in flowlog_files: 1 new or unfinished (id set), 0
 * complete before (skip), -1 error. */
static int file_row(struct ps_fl_importer *im, const char *path, const char *key, uint64_t size,
                    int64_t *id, char *err, size_t errlen)
{
    sqlite3 *db = im->st->db;
    sqlite3_stmt *q = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT id, complete, name FROM flowlog_files WHERE content_key=?",
                           -1, &q, NULL) != SQLITE_OK)
        return sqlerr(im, err, errlen, "prepare");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(q);
    if (s == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        if (sqlite3_column_int(q, 1)) {
            fprintf(im->o.msg, "periscope: %s: already imported (same content as %s), skipped\n",
                    path, (const char *)sqlite3_column_text(q, 2));
            rc = 0;
        } else {
            rc = 1;
        }
        goto out;
    }
    if (s != SQLITE_DONE) {
        sqlerr(im, err, errlen, "select");
        goto out;
    }
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO flowlog_files(name, path, size, content_key, imported_at)"
                           " VALUES(?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK)
        return sqlerr(im, err, errlen, "prepare");
    sqlite3_bind_text(q, 1, base_name(path), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)size);
    sqlite3_bind_text(q, 4, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)time(NULL));
    if (sqlite3_step(q) != SQLITE_DONE) {
        sqlerr(im, err, errlen, "insert file");
        goto out;
    }
    *id = sqlite3_last_insert_rowid(db);
    rc = 1;
out:
    sqlite3_finalize(q);
    return rc;
}

static int file_done(struct ps_fl_importer *im, const struct file_ctx *fc, bool complete, char *err,
                     size_t errlen)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(im->st->db,
                           "UPDATE flowlog_files SET lines=?, records=?, malformed=?, complete=?"
                           " WHERE id=?",
                           -1, &q, NULL) != SQLITE_OK)
        return sqlerr(im, err, errlen, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)fc->line);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)fc->records);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)fc->malformed);
    sqlite3_bind_int(q, 4, complete);
    sqlite3_bind_int64(q, 5, fc->file_id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sqlerr(im, err, errlen, "update file");
    sqlite3_finalize(q);
    return rc;
}

static int import_file(struct ps_fl_importer *im, const char *path, char *err, size_t errlen)
{
    char key[80];
    uint64_t size;
    struct file_ctx fc = {0};
    fc.path = path;
    fc.fmt = &im->cli_format;
    if (content_key(im, path, key, sizeof(key), &size, err, errlen) != 0) {
        im->s.files_failed++;
        return -1;
    }
    int r = file_row(im, path, key, size, &fc.file_id, err, errlen);
    if (r <= 0) {
        if (r == 0)
            im->s.files_skipped++;
        return r;
    }
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
        im->s.files_failed++;
        return -1;
    }
    gzbuffer(gz, 1u << 20);
    im->s.files++;
    size_t have = 0;
    bool toolong = false, failed = false;
    for (;;) {
        int got = gzread(gz, im->buf + have, (unsigned)(READ_BUF - have));
        if (got < 0) {
            int zerr;
            const char *m = gzerror(gz, &zerr);
            snprintf(err, errlen, "%s: after line %llu: %s", path, (unsigned long long)fc.line,
                     gz_msg(path, m));
            failed = true;
            break;
        }
        size_t end = have + (size_t)got;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(im->buf + start, '\n', end - start);
            if (!nl)
                break;
            size_t len = (size_t)(nl - (im->buf + start));
            if (toolong) {
                toolong = false;
            } else if (one_line(im, &fc, im->buf + start, len, err, errlen) != 0) {
                gzclose(gz);
                return -1;
            }
            start += len + 1;
        }
        if (got == 0) {
            if (start < end && !toolong &&
                one_line(im, &fc, im->buf + start, end - start, err, errlen) != 0) {
                gzclose(gz);
                return -1;
            }
            break;
        }
        have = end - start;
        if (have >= PS_FL_MAX_LINE) {
            /* A line longer than any record can be: count it, drop it. */
            fc.line++;
            fc.seq++;
            report_bad(im, &fc, im->buf + start, 80, "line longer than 64 KiB");
            toolong = true;
            have = 0;
        } else {
            memmove(im->buf, im->buf + start, have);
        }
    }
    int zerr = Z_OK;
    const char *zm = gzerror(gz, &zerr);
    if (!failed && zerr != Z_OK && zerr != Z_STREAM_END) {
        snprintf(err, errlen, "%s: after line %llu: %s", path, (unsigned long long)fc.line,
                 gz_msg(path, zm));
        failed = true;
    }
    gzclose(gz);
    if (fc.malformed > fc.reported)
        fprintf(im->o.msg, "periscope: %s: %llu more malformed records\n", path,
                (unsigned long long)(fc.malformed - fc.reported));
    if (file_done(im, &fc, !failed, err, errlen) != 0)
        return -1;
    if (failed) {
        im->s.files_failed++;
        return -1;
    }
    return 0;
}

/* Names taken inside directories: what AWS writes (S3: .log.gz; CloudWatch
 * export: .gz) and plain text copies. Parquet and the rest are counted. */
static bool wanted(const char *name)
{
    static const char *const ext[] = {".gz", ".log", ".txt", ".json", ".jsonl"};
    size_t n = strlen(name);
    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcmp(name + n - e, ext[i]) == 0)
            return true;
    }
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int import_any(struct ps_fl_importer *im, const char *path, int depth, bool top, char *err,
                      size_t errlen);

static int import_dir(struct ps_fl_importer *im, const char *path, int depth, char *err,
                      size_t errlen)
{
    if (depth > MAX_DEPTH) {
        snprintf(err, errlen, "%s: directories nested deeper than %d", path, MAX_DEPTH);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        im->s.files_failed++;
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*names));
            if (!nn) {
                rc = -1;
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = -1;
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        snprintf(names[n], len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
                 e->d_name);
        n++;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char e2[1024];
        if (import_any(im, names[i], depth + 1, false, e2, sizeof(e2)) != 0) {
            /* Report and go on with the other files of the tree. */
            fprintf(im->o.msg, "periscope: %s\n", e2);
            if (rc == 0)
                snprintf(err, errlen, "%s", e2);
            rc = -1;
            if (strncmp(e2, "database:", 9) == 0)
                break;
        }
    }
    if (rc != 0)
        err[0] = 0; /* each error was reported above */
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

static int import_any(struct ps_fl_importer *im, const char *path, int depth, bool top, char *err,
                      size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        im->s.files_failed++;
        return -1;
    }
    if (S_ISDIR(sb.st_mode))
        return import_dir(im, path, depth, err, errlen);
    if (!S_ISREG(sb.st_mode)) {
        if (top) {
            snprintf(err, errlen, "%s: not a regular file or directory", path);
            im->s.files_failed++;
            return -1;
        }
        im->s.files_ignored++;
        return 0;
    }
    if (!top && !wanted(base_name(path))) {
        im->s.files_ignored++;
        return 0;
    }
    return import_file(im, path, err, errlen);
}

int ps_fl_import_path(struct ps_fl_importer *im, const char *path, char *err, size_t errlen)
{
    return import_any(im, path, 0, true, err, errlen);
}

int ps_fl_importer_finish(struct ps_fl_importer *im, struct ps_fl_import_stats *out, char *err,
                          size_t errlen)
{
    int rc = ps_store_flush(im->st, err, errlen);
    if (rc == 0 && im->reindex)
        rc = ps_store_flowlogs_indexes(im->st, true, err, errlen);
    if (out)
        *out = im->s;
    sqlite3_finalize(im->ins);
    sqlite3_finalize(im->bad);
    free(im->buf);
    free(im->msg);
    free(im);
    return rc;
}
