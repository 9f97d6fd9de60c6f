/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope flowlogs import|query|report`: VPC Flow Logs into the SQLite
 * store (or ClickHouse), SQL over the store, and ready reports. */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_flowlogs.h"
#include "flowlogs/flowlogs.h"
#include "output/clickhouse.h"
#include "output/json.h"
#include "store/store.h"

static const char usage_flowlogs[] =
    "usage: periscope flowlogs import|query|report [OPTIONS] ...\n"
    "\n"
    "VPC Flow Logs into the SQLite store (table flowlogs), and SQL over them.\n"
    "\n"
    "  import FILE|DIR...  read flow-log files (plain or gzip), S3-layout directories\n"
    "                      (recursively) and CloudWatch Logs exports into the store\n"
    "  query SQL           run SQL on the store; print a table, CSV or JSON lines\n"
    "  report NAME         a ready report (top-talkers, rejected, unusual-ports, exfil,\n"
    "                      cross-az, inter-vpc, sensor-gap)\n"
    "\n"
    "Run 'periscope flowlogs COMMAND --help' for the options of each.\n";

static const char usage_import[] =
    "usage: periscope flowlogs import [OPTIONS] FILE|DIR...\n"
    "\n"
    "Import VPC Flow Logs as AWS delivers them into the store's flowlogs table\n"
    "(SQLite, or ClickHouse with --clickhouse):\n"
    "  - text records, default format (version 2) or any custom format: the header\n"
    "    line of an S3 file names the fields; without one, --format gives them\n"
    "  - every field of versions 2 to 8 in its own column (names with '_' for '-');\n"
    "    unknown newer fields kept as text in the JSON column 'extra'\n"
    "  - '-' is NULL; NODATA and SKIPDATA records are stored with their log_status\n"
    "  - gzip files (.log.gz as S3 writes them), directories in the S3 layout\n"
    "    (AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/, read recursively in name\n"
    "    order; in directories only *.gz *.log *.txt *.json *.jsonl are read)\n"
    "  - CloudWatch Logs exports: JSON lines (or documents) whose \"message\" members\n"
    "    are records, and S3 exports whose lines start with a timestamp\n"
    "A malformed line is counted and reported as FILE:LINE (and kept in the table\n"
    "flowlog_malformed); it never stops the import. Importing a file again adds no\n"
    "rows: files are known by their content (table flowlog_files), and a file whose\n"
    "import was interrupted is read again (what it stored is replaced).\n"
    "\n"
    "Options:\n"
    "      --db PATH          the store (default ./periscope-out/periscope.db; its\n"
    "                         directory is created)\n"
    "      --clickhouse URL   import into ClickHouse instead (not with --db): the\n"
    "                         tables flowlogs, flowlog_files and flowlog_malformed of\n"
    "                         the database ?database=NAME (default periscope), created\n"
    "                         if missing; URL like http://HOST:8123/, as for 'periscope\n"
    "                         listen --clickhouse'. Records go in large RowBinary\n"
    "                         inserts; a failed insert stops the import (exit 1), and\n"
    "                         the next import of the same files completes it\n"
    "      --format FMT       fields of files without a header line, as in AWS's\n"
    "                         --log-format: '${version} ${srcaddr} ...' or plain names\n"
    "                         (default: the version 2 format)\n"
    "      --max-errors N     malformed lines printed per file (default 10; all are\n"
    "                         counted)\n"
    "  -q, --quiet            no summary\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 on success (malformed lines included), 1 on bad usage, a file\n"
    "that cannot be read, or a store (SQLite or ClickHouse) that fails.\n";

static const char usage_query[] =
    "usage: periscope flowlogs query [OPTIONS] SQL\n"
    "\n"
    "Run SQL (read-only) on the store and print the rows: an aligned table, or CSV\n"
    "(RFC 4180, with a header row), or JSON lines (one object per row). Tables:\n"
    "flowlogs (one row per record; columns as the AWS field names with '_' for '-',\n"
    "id, file_id, line, extra), flowlog_files, flowlog_malformed, and flows for\n"
    "sensor flows. flowlogs is read from the column blocks of flowlog_blocks by\n"
    "periscope itself (conditions on start and end skip blocks); other SQLite tools\n"
    "see only the blocks. SQL functions: in_cidr(addr, cidr), in_vpc(addr) (see\n"
    "--vpc-cidr).\n"
    "Example: periscope flowlogs query \"SELECT action, count(*) FROM flowlogs GROUP BY 1\"\n"
    "\n"
    "Options:\n"
    "      --db PATH          the store (default ./periscope-out/periscope.db)\n"
    "      --csv              CSV output\n"
    "      --json             JSON lines output\n"
    "      --list             values separated by '|', no header (the sqlite3 shell's\n"
    "                         default)\n"
    "      --vpc-cidr CIDR    a network of the VPC, for in_vpc() (repeatable; default\n"
    "                         the RFC 1918 ranges)\n"
    "  -h, --help             this help\n";

static const char usage_report_head[] = "usage: periscope flowlogs report [OPTIONS] NAME\n"
                                        "\n"
                                        "A ready report over the flowlogs table. NAME is one of:\n";

static const char usage_report_tail[] =
    "\n"
    "Options:\n"
    "      --db PATH          the store (default ./periscope-out/periscope.db)\n"
    "      --csv              CSV output\n"
    "      --json             JSON lines output\n"
    "      --list             values separated by '|', no header\n"
    "      --limit N          rows at most (default 20)\n"
    "      --vpc-cidr CIDR    a network of the VPC (repeatable; default the RFC 1918\n"
    "                         ranges): exfil counts bytes to addresses outside them\n"
    "      --sql              print the report's SQL instead of running it\n"
    "  -h, --help             this help\n";

enum out_mode { OUT_TABLE, OUT_CSV, OUT_JSON, OUT_LIST };

static int usage_err(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "periscope: %s%s%s\nTry 'periscope flowlogs %s--help'.\n", msg, arg ? ": " : "",
            arg ? arg : "", cmd);
    return 1;
}

static int parse_limit(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 100000000)
        return -1;
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_import(int argc, char **argv)
{
    enum { O_DB = 256, O_CH, O_FORMAT, O_MAXERR, O_BATCH };
    static const struct option lopts[] = {
        {"db", required_argument, NULL, O_DB},
        {"clickhouse", required_argument, NULL, O_CH},
        {"format", required_argument, NULL, O_FORMAT},
        {"max-errors", required_argument, NULL, O_MAXERR},
        {"batch", required_argument, NULL, O_BATCH},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = PS_STORE_DEFAULT_PATH, *ch_url = NULL;
    bool db_given = false;
    struct ps_fl_import_opts o = {0};
    o.max_reports = 10;
    o.msg = stderr;
    bool quiet = false;
    unsigned batch = 0;
    long v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
        switch (ch) {
        case O_DB:
            db = optarg;
            db_given = true;
            break;
        case O_CH:
            ch_url = optarg;
            break;
        case O_FORMAT:
            o.format = optarg;
            break;
        case O_MAXERR:
            if (strcmp(optarg, "0") == 0)
                v = 0;
            else if (parse_limit(optarg, &v) != 0)
                return usage_err("import ", "invalid --max-errors", optarg);
            o.max_reports = (int)v;
            break;
        case O_BATCH:
            if (parse_limit(optarg, &v) != 0)
                return usage_err("import ", "invalid --batch", optarg);
            batch = (unsigned)v;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(usage_import, stdout);
            return 0;
        default:
            return usage_err("import ", "bad option", NULL);
        }
    }
    if (optind >= argc)
        return usage_err("import ", "no file to import", NULL);
    if (db_given && ch_url)
        return usage_err("import ",
                         "--db and --clickhouse: an import goes to one store, give one of them",
                         NULL);
    char err[1024];
    if (o.format) {
        struct ps_fl_format f;
        if (ps_fl_format_parse(&f, o.format, strlen(o.format), err, sizeof(err)) != 0)
            return usage_err("import ", "invalid --format", err);
    }
    /* Where the records go: the SQLite store, or ClickHouse. Messages name
     * it; ClickHouse's name the server themselves. */
    struct ps_store st = {0};
    char dest[PS_CH_URL_MAX + 128];
    const char *who = db;
    struct ps_fl_sink *sink;
    double t0 = now_s();
    if (ch_url) {
        struct ps_ch_url u;
        if (ps_ch_url_parse(&u, ch_url, err, sizeof(err)) != 0)
            return usage_err("import ", err, NULL);
        char pub[PS_CH_URL_MAX];
        ps_ch_url_public(&u, pub, sizeof(pub));
        snprintf(dest, sizeof(dest), "%s (ClickHouse database %s)", pub, u.db);
        who = NULL;
        sink = ps_fl_ch_sink(ch_url, batch, err, sizeof(err));
    } else {
        if (ps_store_open(&st, db, false, err, sizeof(err)) != 0) {
            fprintf(stderr, "periscope: %s\n", err);
            return 1;
        }
        snprintf(dest, sizeof(dest), "%s", db);
        sink = ps_fl_store_sink(&st, batch, err, sizeof(err));
    }
    struct ps_fl_importer *im = sink ? ps_fl_importer_new(sink, &o, err, sizeof(err)) : NULL;
    if (!im) {
        fprintf(stderr, "periscope: %s%s%s\n", who ? who : "", who ? ": " : "", err);
        if (st.db)
            ps_store_close(&st);
        return 1;
    }
    int status = 0;
    for (int i = optind; i < argc; i++) {
        int rc = ps_fl_import_path(im, argv[i], err, sizeof(err));
        if (rc != 0) {
            if (err[0])
                fprintf(stderr, "periscope: %s\n", err);
            status = 1;
            if (rc == -2)
                break;
        }
    }
    struct ps_fl_import_stats s;
    if (ps_fl_importer_finish(im, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope: %s%s%s\n", who ? who : "", who ? ": " : "", err);
        status = 1;
    }
    if (st.db)
        ps_store_close(&st);
    double secs = now_s() - t0;
    if (!quiet) {
        fprintf(stderr,
                "periscope: %llu records from %llu files, %llu malformed lines, in %.2f s "
                "(%.0f records/s) into %s\n",
                (unsigned long long)s.records, (unsigned long long)s.files,
                (unsigned long long)s.malformed, secs, secs > 0 ? (double)s.records / secs : 0.0,
                dest);
        if (s.files_skipped || s.files_ignored)
            fprintf(stderr,
                    "  %llu files skipped (already imported), %llu ignored (not flow-log "
                    "names, e.g. Parquet)\n",
                    (unsigned long long)s.files_skipped, (unsigned long long)s.files_ignored);
        if (s.files_failed)
            fprintf(stderr, "  %llu files could not be read to the end (named above)\n",
                    (unsigned long long)s.files_failed);
        if (s.nodata || s.skipdata)
            fprintf(stderr,
                    "  %llu NODATA records (no traffic in the interval), %llu SKIPDATA "
                    "(AWS skipped flow records: data incomplete there)\n",
                    (unsigned long long)s.nodata, (unsigned long long)s.skipdata);
    }
    return status;
}

/* Output of result rows. */
struct printer {
    enum out_mode mode;
    int ncols;
    char **names;
    int *width;
    bool *right;
    char ***rows; /* buffered for the table's widths */
    int nrows;
    bool widths_done;
    long total;
    char jbuf[1 << 16];
};

#define TABLE_BUFFER 1000
#define MAX_CELL     80

static void csv_cell(const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void json_row(struct printer *p, sqlite3_stmt *q)
{
    size_t n = 0, cap = sizeof(p->jbuf);
    p->jbuf[n++] = '{';
    for (int c = 0; c < p->ncols && n < cap - 64; c++) {
        if (c)
            p->jbuf[n++] = ',';
        p->jbuf[n++] = '"';
        size_t w = ps_json_escape(p->jbuf + n, cap - n - 40, (const uint8_t *)p->names[c],
                                  strlen(p->names[c]));
        if (w == (size_t)-1)
            break;
        n += w;
        p->jbuf[n++] = '"';
        p->jbuf[n++] = ':';
        int t = sqlite3_column_type(q, c);
        if (t == SQLITE_NULL) {
            memcpy(p->jbuf + n, "null", 4);
            n += 4;
        } else if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
            n += (size_t)snprintf(p->jbuf + n, cap - n, "%s",
                                  (const char *)sqlite3_column_text(q, c));
        } else {
            const uint8_t *s = sqlite3_column_text(q, c);
            size_t len = (size_t)sqlite3_column_bytes(q, c);
            p->jbuf[n++] = '"';
            w = ps_json_escape(p->jbuf + n, cap - n - 40, s ? s : (const uint8_t *)"", s ? len : 0);
            if (w == (size_t)-1) {
                memcpy(p->jbuf + n, "(too long)", 10);
                w = 10;
            }
            n += w;
            p->jbuf[n++] = '"';
        }
    }
    if (n > cap - 2)
        n = cap - 2;
    p->jbuf[n++] = '}';
    p->jbuf[n++] = '\n';
    fwrite(p->jbuf, 1, n, stdout);
}

static char *dup_cell(const unsigned char *s)
{
    const char *t = s ? (const char *)s : "";
    size_t n = strlen(t);
    if (n > MAX_CELL)
        n = MAX_CELL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, t, n);
        d[n] = 0;
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)d[i] < 0x20)
                d[i] = ' ';
        }
    }
    return d;
}

static void table_line(const struct printer *p, char **cells)
{
    for (int c = 0; c < p->ncols; c++) {
        const char *s = cells[c] ? cells[c] : "";
        if (p->right[c])
            printf("%s%*s", c ? "  " : "", p->width[c], s);
        else if (c == p->ncols - 1)
            printf("%s%s", c ? "  " : "", s);
        else
            printf("%s%-*s", c ? "  " : "", p->width[c], s);
    }
    putchar('\n');
}

static void table_flush(struct printer *p)
{
    if (!p->widths_done) {
        for (int c = 0; c < p->ncols; c++) {
            p->width[c] = (int)strlen(p->names[c]);
            for (int r = 0; r < p->nrows; r++) {
                int w = p->rows[r][c] ? (int)strlen(p->rows[r][c]) : 0;
                if (w > p->width[c])
                    p->width[c] = w;
            }
        }
        table_line(p, p->names);
        for (int c = 0; c < p->ncols; c++) {
            printf("%s", c ? "  " : "");
            for (int k = 0; k < p->width[c]; k++)
                putchar('-');
        }
        putchar('\n');
        p->widths_done = true;
    }
    for (int r = 0; r < p->nrows; r++) {
        table_line(p, p->rows[r]);
        for (int c = 0; c < p->ncols; c++)
            free(p->rows[r][c]);
        free(p->rows[r]);
    }
    p->nrows = 0;
}

static int run_stmt(sqlite3 *db, sqlite3_stmt *q, enum out_mode mode)
{
    struct printer *p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    p->mode = mode;
    p->ncols = sqlite3_column_count(q);
    int rc = 0;
    if (p->ncols > 0) {
        p->names = calloc((size_t)p->ncols, sizeof(*p->names));
        p->width = calloc((size_t)p->ncols, sizeof(*p->width));
        p->right = calloc((size_t)p->ncols, sizeof(*p->right));
        p->rows = calloc(TABLE_BUFFER, sizeof(*p->rows));
        if (!p->names || !p->width || !p->right || !p->rows) {
            rc = -1;
            goto out;
        }
        for (int c = 0; c < p->ncols; c++)
            p->names[c] = dup_cell((const unsigned char *)sqlite3_column_name(q, c));
        if (mode == OUT_CSV) {
            for (int c = 0; c < p->ncols; c++) {
                if (c)
                    putchar(',');
                csv_cell(p->names[c]);
            }
            putchar('\n');
        }
    }
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        p->total++;
        if (mode == OUT_JSON) {
            json_row(p, q);
        } else if (mode == OUT_CSV || mode == OUT_LIST) {
            for (int c = 0; c < p->ncols; c++) {
                if (c)
                    putchar(mode == OUT_CSV ? ',' : '|');
                const char *v = (const char *)sqlite3_column_text(q, c);
                if (mode == OUT_CSV)
                    csv_cell(v);
                else if (v)
                    fputs(v, stdout);
            }
            putchar('\n');
        } else {
            char **cells = calloc((size_t)p->ncols, sizeof(*cells));
            if (!cells) {
                rc = -1;
                goto out;
            }
            for (int c = 0; c < p->ncols; c++) {
                int t = sqlite3_column_type(q, c);
                if (p->total == 1 || (!p->widths_done && t != SQLITE_NULL))
                    p->right[c] = t == SQLITE_INTEGER || t == SQLITE_FLOAT;
                cells[c] = dup_cell(sqlite3_column_text(q, c));
            }
            p->rows[p->nrows++] = cells;
            if (p->nrows == TABLE_BUFFER)
                table_flush(p);
        }
    }
    if (s != SQLITE_DONE) {
        fprintf(stderr, "periscope: query: %s\n", sqlite3_errmsg(db));
        rc = -1;
    }
    if (mode == OUT_TABLE && p->ncols > 0) {
        table_flush(p);
        if (p->total == 0)
            printf("(no rows)\n");
    }
out:
    if (p->names) {
        for (int c = 0; c < p->ncols; c++)
            free(p->names[c]);
    }
    for (int r = 0; r < p->nrows; r++) {
        for (int c = 0; c < p->ncols; c++)
            free(p->rows[r][c]);
        free(p->rows[r]);
    }
    free(p->names);
    free(p->width);
    free(p->right);
    free(p->rows);
    free(p);
    return rc;
}

/* Common options of query and report. */
struct qopts {
    const char *db;
    enum out_mode mode;
    long limit;
    bool sql;
    int ncidr;
    const char *cidr[PS_STORE_MAX_CIDRS];
};

static int open_ro(struct ps_store *st, const struct qopts *o)
{
    char err[1024];
    if (ps_store_open(st, o->db, true, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope: %s\n", err);
        return -1;
    }
    if (ps_store_set_vpc(st, o->cidr, o->ncidr, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope: --vpc-cidr: %s\n", err);
        ps_store_close(st);
        return -1;
    }
    return 0;
}

static int parse_qopts(int argc, char **argv, struct qopts *o, const char *cmd, bool report)
{
    enum { O_DB = 256, O_CSV, O_JSON, O_LIST, O_LIMIT, O_CIDR, O_SQL };
    static const struct option lopts[] = {
        {"db", required_argument, NULL, O_DB},
        {"csv", no_argument, NULL, O_CSV},
        {"list", no_argument, NULL, O_LIST},
        {"json", no_argument, NULL, O_JSON},
        {"limit", required_argument, NULL, O_LIMIT},
        {"vpc-cidr", required_argument, NULL, O_CIDR},
        {"sql", no_argument, NULL, O_SQL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (ch) {
        case O_DB:
            o->db = optarg;
            break;
        case O_CSV:
            o->mode = OUT_CSV;
            break;
        case O_JSON:
            o->mode = OUT_JSON;
            break;
        case O_LIST:
            o->mode = OUT_LIST;
            break;
        case O_LIMIT:
            if (!report || parse_limit(optarg, &o->limit) != 0)
                return usage_err(cmd, report ? "invalid --limit" : "--limit is for reports",
                                 optarg);
            break;
        case O_SQL:
            if (!report)
                return usage_err(cmd, "--sql is for reports", NULL);
            o->sql = true;
            break;
        case O_CIDR: {
            struct ps_cidr c;
            if (ps_cidr_parse(&c, optarg) != 0)
                return usage_err(cmd, "invalid --vpc-cidr", optarg);
            if (o->ncidr >= PS_STORE_MAX_CIDRS)
                return usage_err(cmd, "too many --vpc-cidr", optarg);
            o->cidr[o->ncidr++] = optarg;
            break;
        }
        case 'h':
            return 2;
        default:
            return usage_err(cmd, "bad option", NULL);
        }
    }
    return 0;
}

static int cmd_query(int argc, char **argv)
{
    struct qopts o = {PS_STORE_DEFAULT_PATH, OUT_TABLE, 20, false, 0, {NULL}};
    int r = parse_qopts(argc, argv, &o, "query ", false);
    if (r == 2) {
        fputs(usage_query, stdout);
        return 0;
    }
    if (r)
        return r;
    if (optind >= argc)
        return usage_err("query ", "no SQL given", NULL);
    /* Several words are one statement, as a shell user would expect. */
    size_t len = 1;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *sql = malloc(len);
    if (!sql)
        return 1;
    size_t n = 0;
    for (int i = optind; i < argc; i++)
        n += (size_t)snprintf(sql + n, len - n, "%s%s", i > optind ? " " : "", argv[i]);
    struct ps_store st;
    if (open_ro(&st, &o) != 0) {
        free(sql);
        return 1;
    }
    int status = 0;
    const char *tail = sql;
    while (tail && *tail) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(st.db, tail, -1, &q, &tail) != SQLITE_OK) {
            fprintf(stderr, "periscope: query: %s\n", sqlite3_errmsg(st.db));
            status = 1;
            break;
        }
        if (!q)
            continue; /* whitespace or a comment */
        if (run_stmt(st.db, q, o.mode) != 0)
            status = 1;
        sqlite3_finalize(q);
        if (status)
            break;
    }
    free(sql);
    ps_store_close(&st);
    return status;
}

static void report_usage(void)
{
    fputs(usage_report_head, stdout);
    for (const struct ps_fl_report *r = ps_fl_reports(); r->name; r++)
        printf("  %-14s %s\n", r->name, r->summary);
    fputs(usage_report_tail, stdout);
}

static int cmd_report(int argc, char **argv)
{
    struct qopts o = {PS_STORE_DEFAULT_PATH, OUT_TABLE, 20, false, 0, {NULL}};
    int r = parse_qopts(argc, argv, &o, "report ", true);
    if (r == 2) {
        report_usage();
        return 0;
    }
    if (r)
        return r;
    if (optind >= argc)
        return usage_err("report ", "no report named", NULL);
    if (optind + 1 < argc)
        return usage_err("report ", "one report at a time", argv[optind + 1]);
    const struct ps_fl_report *rep = ps_fl_report_find(argv[optind]);
    if (!rep)
        return usage_err("report ", "unknown report", argv[optind]);
    if (o.sql) {
        printf("%s;\n", rep->sql);
        return 0;
    }
    struct ps_store st;
    if (open_ro(&st, &o) != 0)
        return 1;
    int status = 0;
    sqlite3_stmt *q = NULL;
    if (rep->check && sqlite3_prepare_v2(st.db, rep->check, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) == 0)
        fprintf(stderr, "periscope: report %s: %s\n", rep->name, rep->hint);
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(st.db, rep->sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "periscope: report %s: %s\n", rep->name, sqlite3_errmsg(st.db));
        status = 1;
    } else {
        int li = sqlite3_bind_parameter_index(q, ":limit");
        if (li)
            sqlite3_bind_int64(q, li, o.limit);
        if (run_stmt(st.db, q, o.mode) != 0)
            status = 1;
    }
    sqlite3_finalize(q);
    ps_store_close(&st);
    return status;
}

int ps_cmd_flowlogs(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_flowlogs, stderr);
        return 1;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        fputs(usage_flowlogs, stdout);
        return 0;
    }
    if (strcmp(sub, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(sub, "query") == 0)
        return cmd_query(argc - 1, argv + 1);
    if (strcmp(sub, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    return usage_err("", "unknown flowlogs command", sub);
}
