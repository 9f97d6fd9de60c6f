/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow-log import: files (plain or gzip), directories in the S3 layout,
 * CloudWatch Logs exports, parsed and handed to a sink (the SQLite store
 * or ClickHouse).
 *
 * Re-import: each file is identified by its content (size, CRC-32 and a
 * 64-bit hash of its bytes), so a copy under another name or path is
 * recognised too. The sink skips a file it holds completely and drops
 * what an interrupted import of it stored before it is read again.
 * spec: docs/aws-mirroring.md s6.8 (S3 layout, header line, CloudWatch) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#include "flowlogs/flowlogs.h"
#include "output/json.h"

#define READ_BUF (4u << 20)
/* A file up to IN_MAX bytes is read whole and, gzip, inflated whole by
 * libdeflate (twice zlib's speed) into up to OUT_MAX bytes; a larger one
 * (AWS's files stop at 75 MB) is streamed through zlib. */
#define IN_MAX    ((size_t)128 << 20)
#define OUT_MAX   ((size_t)1 << 30)
#define READ_STEP (128u << 10) /* gunzipped per call: parsed while still in cache */
#define MAX_DEPTH 32
#define MAX_MSG   PS_FL_MAX_LINE

struct ps_fl_importer {
    struct ps_fl_sink *sink;
    struct ps_fl_import_opts o;
    struct ps_fl_format cli_format; /* --format, or the default v2 */
    struct ps_fl_import_stats s;
    char *buf;   /* READ_BUF + 1 */
    uint8_t *in; /* the file, when it is read whole */
    size_t incap, inlen;
    char *out; /* its text, inflated whole */
    size_t outcap;
    struct libdeflate_decompressor *dd;
    char *msg; /* a decoded CloudWatch message */
    char extra[PS_FL_MAX_LINE * 2];
    struct ps_fl_rec rec;
    bool fatal; /* the sink failed: stop */
};

/* Per file. */
struct file_ctx {
    const char *path;
    const struct ps_fl_format *fmt; /* header or --format */
    struct ps_fl_format hdr;        /* the file's own header */
    uint64_t seq;                   /* record number in the file */
    uint64_t line;
    uint64_t records, malformed, reported;
    int mode; /* 0 unknown, 1 text, 2 JSON (CloudWatch) */
};

struct ps_fl_importer *ps_fl_importer_new(struct ps_fl_sink *sink,
                                          const struct ps_fl_import_opts *o, char *err,
                                          size_t errlen)
{
    struct ps_fl_importer *im = calloc(1, sizeof(*im));
    if (!im) {
        snprintf(err, errlen, "out of memory");
        sink->ops->destroy(sink);
        return NULL;
    }
    im->sink = sink;
    im->o = *o;
    if (!im->o.msg)
        im->o.msg = stderr;
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
    return im;
out_free:
    sink->ops->destroy(sink);
    free(im->buf);
    free(im->msg);
    free(im);
    return NULL;
}

static int report_bad(struct ps_fl_importer *im, struct file_ctx *fc, const char *line, size_t len,
                      const char *why, char *err, size_t errlen)
{
    im->s.malformed++;
    fc->malformed++;
    if ((int)fc->reported < im->o.max_reports) {
        fprintf(im->o.msg, "periscope: %s:%llu: malformed record: %s\n", fc->path,
                (unsigned long long)fc->line, why);
        fc->reported++;
    }
    if (im->sink->ops->malformed(im->sink, fc->line, why, line, len > 512 ? 512 : len, err,
                                 errlen) != 0) {
        im->fatal = true;
        return -1;
    }
    return 0;
}

/* Unknown (newer) fields of r as a JSON object into im->extra; its length,
 * or 0 when there is none (or it does not fit). */
static size_t extra_json(struct ps_fl_importer *im, const struct ps_fl_format *f,
                         const struct ps_fl_rec *r)
{
    struct ps_json j;
    bool any = false;
    ps_json_init(&j, im->extra, sizeof(im->extra));
    ps_json_obj_begin(&j, NULL);
    for (int c = 0; c < f->ncols; c++) {
        if (f->field[c] != PS_FL_UNKNOWN || ps_fl_rec_null(r, c))
            continue;
        /* The name is a field-name token ([a-z0-9-]), safe unescaped. */
        char name[PS_FL_MAX_NAME];
        memcpy(name, f->names + f->name_off[c], f->name_len[c]);
        name[f->name_len[c]] = 0;
        ps_json_strn(&j, name, (const uint8_t *)r->tok[c].p, r->tok[c].n);
        any = true;
    }
    ps_json_obj_end(&j);
    return any && !j.overflow ? j.len : 0;
}

/* Parse and store one record. Returns -1 only on a sink error. */
static int record(struct ps_fl_importer *im, struct file_ctx *fc, const char *line, size_t len,
                  char *err, size_t errlen)
{
    char why[160];
    struct ps_fl_rec *r = &im->rec;
    const struct ps_fl_format *f = fc->fmt;
    fc->seq++;
    if (ps_fl_parse_line(f, line, len, r, why, sizeof(why)) != 0)
        return report_bad(im, fc, line, len, why, err, errlen);
    if (fc->seq > 0xffffffffu)
        return report_bad(im, fc, line, len, "more than 2^32 records in one file", err, errlen);
    int c = f->col_of[PS_FL_LOG_STATUS];
    if (c >= 0 && !ps_fl_rec_null(r, c)) {
        const struct ps_fl_tok *t = &r->tok[c];
        if (t->n == 6 && memcmp(t->p, "NODATA", 6) == 0)
            im->s.nodata++;
        else if (t->n == 8 && memcmp(t->p, "SKIPDATA", 8) == 0)
            im->s.skipdata++;
    }
    size_t xlen = f->nunknown ? extra_json(im, f, r) : 0;
    if (im->sink->ops->record(im->sink, f, r, fc->seq, fc->line, xlen ? im->extra : NULL, xlen, err,
                              errlen) != 0) {
        im->fatal = true;
        return -1;
    }
    im->s.records++;
    fc->records++;
    return 0;
}

static int one_line(struct ps_fl_importer *im, struct file_ctx *fc, const char *s, size_t n,
                    char *err, size_t errlen)
{
    fc->line++;
    size_t b = 0;
    while (b < n && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r'))
        b++;
    if (b == n)
        return 0;
    if (n > PS_FL_MAX_LINE) {
        fc->seq++;
        return report_bad(im, fc, s, 80, "line longer than 64 KiB", err, errlen);
    }
    if (fc->mode == 0)
        fc->mode = (s[b] == '{' || s[b] == '[') ? 2 : 1;
    if (fc->mode == 2) {
        size_t pos = b, mlen;
        int rc;
        while ((rc = ps_fl_json_message(s, n, &pos, im->msg, MAX_MSG, &mlen)) != 0) {
            if (rc < 0) {
                fc->seq++;
                return report_bad(im, fc, s, n, "bad JSON string in a CloudWatch Logs event", err,
                                  errlen);
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
        if (ps_fl_format_parse(&fc->hdr, s + b, n - b, e, sizeof(e)) != 0)
            return report_bad(im, fc, s, n, e, err, errlen);
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

/* p with room for n bytes (its capacity in *cap), or NULL when out of
 * memory (p is then left as it was). */
static void *reserve(void *p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return p;
    void *np = realloc(p, n);
    if (np)
        *cap = n;
    return np;
}

/* Size, CRC-32 and a 64-bit multiply-xor hash of the file's bytes: the
 * identity that makes a re-import a no-op. Not cryptographic: whoever can
 * plant a colliding file could as well plant false records. A file of up
 * to IN_MAX bytes is kept in im->in (im->inlen set), else im->inlen is 0
 * and the file is read again as a stream. */
static int content_key(struct ps_fl_importer *im, const char *path, char *key, size_t keylen,
                       uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint8_t *in = (uint64_t)sb.st_size <= IN_MAX
                      ? reserve(im->in, &im->incap, (size_t)sb.st_size + READ_BUF)
                      : NULL;
    bool whole = in != NULL;
    if (in)
        im->in = in;
    uint32_t crc = 0;
    uint64_t h = 0x243f6a8885a308d3ull, total = 0;
    im->inlen = 0;
    for (;;) {
        uint8_t *p = whole ? im->in + total : (uint8_t *)im->buf;
        size_t room = whole ? im->incap - total : READ_BUF;
        if (room == 0) { /* it grew while we read: stream it instead */
            whole = false;
            continue;
        }
        ssize_t got = read(fd, p, room);
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
        crc = libdeflate_crc32(crc, p, g);
        for (; g - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            h = (h ^ w) * 0x9e3779b97f4a7c15ull;
            h ^= h >> 29;
        }
        for (; i < g; i++)
            h = (h ^ p[i]) * 0x100000001b3ull;
        total += g;
    }
    close(fd);
    if (whole)
        im->inlen = (size_t)total;
    *size = total;
    snprintf(key, keylen, "%llu-%08lx-%016llx", (unsigned long long)total, (unsigned long)crc,
             (unsigned long long)h);
    return 0;
}

/* The lines of s[0..n): the whole text of a file. */
static int import_text(struct ps_fl_importer *im, struct file_ctx *fc, const char *s, size_t n,
                       char *err, size_t errlen)
{
    size_t start = 0;
    while (start < n) {
        const char *nl = memchr(s + start, '\n', n - start);
        size_t len = nl ? (size_t)(nl - (s + start)) : n - start;
        if (one_line(im, fc, s + start, len, err, errlen) != 0)
            return -1;
        start += len + 1;
    }
    return 0;
}

/* Inflate the gzip file in im->in (every member) into im->out. Returns its
 * length, or -1 when libdeflate cannot (damaged, larger than OUT_MAX, out
 * of memory): the file is then streamed through zlib, which reads up to
 * the damage and says where. */
static long inflate_whole(struct ps_fl_importer *im)
{
    if (!im->dd && !(im->dd = libdeflate_alloc_decompressor()))
        return -1;
    const uint8_t *in = im->in;
    size_t n = im->inlen, pos = 0, used = 0;
    /* The last member's trailer has its length mod 2^32: a first guess. */
    size_t want = n >= 4 ? (size_t)in[n - 4] | (size_t)in[n - 3] << 8 | (size_t)in[n - 2] << 16 |
                               (size_t)in[n - 1] << 24
                         : 0;
    if (want < n)
        want = n * 4;
    while (pos + 2 <= n && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
        if (used + want + 1 > OUT_MAX)
            want = OUT_MAX - used - 1;
        char *out = reserve(im->out, &im->outcap, used + want + 1);
        if (!out)
            return -1;
        im->out = out;
        size_t in_used, out_used;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(
            im->dd, in + pos, n - pos, im->out + used, im->outcap - used - 1, &in_used, &out_used);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE && used + want + 1 < OUT_MAX) {
            want *= 2;
            continue;
        }
        if (r != LIBDEFLATE_SUCCESS)
            return -1;
        pos += in_used;
        used += out_used;
    }
    return pos == 0 ? -1 : (long)used;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The end of a file, read to its end or not (err already says why). */
static int file_end(struct ps_fl_importer *im, struct file_ctx *fc, bool failed, char *err,
                    size_t errlen)
{
    if (fc->malformed > fc->reported)
        fprintf(im->o.msg, "periscope: %s: %llu more malformed records\n", fc->path,
                (unsigned long long)(fc->malformed - fc->reported));
    struct ps_fl_file_end fe = {fc->line, fc->records, fc->malformed, !failed};
    char e2[512];
    if (im->sink->ops->file_end(im->sink, &fe, e2, sizeof(e2)) != 0) {
        snprintf(err, errlen, "%s", e2);
        im->fatal = true;
        return -1;
    }
    if (failed) {
        im->s.files_failed++;
        return -1;
    }
    return 0;
}

static int import_file(struct ps_fl_importer *im, const char *path, char *err, size_t errlen)
{
    char key[80], prev[256];
    struct ps_fl_file f = {.path = path, .name = base_name(path), .key = key};
    struct file_ctx fc = {0};
    fc.path = path;
    fc.fmt = &im->cli_format;
    if (content_key(im, path, key, sizeof(key), &f.size, err, errlen) != 0) {
        im->s.files_failed++;
        return -1;
    }
    int r = im->sink->ops->file_begin(im->sink, &f, prev, sizeof(prev), err, errlen);
    if (r < 0)
        im->fatal = true;
    if (r <= 0) {
        if (r == 0) {
            fprintf(im->o.msg, "periscope: %s: already imported (same content as %s), skipped\n",
                    path, prev);
            im->s.files_skipped++;
        }
        return r;
    }
    im->s.files++;
    if (im->inlen) {
        bool gz = im->inlen >= 2 && im->in[0] == 0x1f && im->in[1] == 0x8b;
        long n = gz ? inflate_whole(im) : (long)im->inlen;
        if (n >= 0) {
            if (import_text(im, &fc, gz ? im->out : (const char *)im->in, (size_t)n, err, errlen) !=
                0)
                return -1;
            return file_end(im, &fc, false, err, errlen);
        }
    }
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
        im->s.files_failed++;
        return -1;
    }
    /* Reads of READ_STEP >= twice the buffer inflate straight into ours. */
    gzbuffer(gz, READ_STEP / 2);
    size_t have = 0;
    bool toolong = false, failed = false;
    for (;;) {
        size_t want = READ_BUF - have < READ_STEP ? READ_BUF - have : READ_STEP;
        int got = gzread(gz, im->buf + have, (unsigned)want);
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
            if (report_bad(im, &fc, im->buf + start, 80, "line longer than 64 KiB", err, errlen) !=
                0) {
                gzclose(gz);
                return -1;
            }
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
    return file_end(im, &fc, failed, err, errlen);
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
            if (im->fatal)
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
    int rc = import_any(im, path, 0, true, err, errlen);
    return im->fatal ? -2 : rc;
}

int ps_fl_importer_finish(struct ps_fl_importer *im, struct ps_fl_import_stats *out, char *err,
                          size_t errlen)
{
    int rc = im->sink->ops->finish(im->sink, err, errlen);
    im->sink->ops->destroy(im->sink);
    if (out)
        *out = im->s;
    free(im->buf);
    free(im->msg);
    free(im->in);
    free(im->out);
    if (im->dd)
        libdeflate_free_decompressor(im->dd);
    free(im);
    return rc;
}
