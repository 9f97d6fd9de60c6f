/* SPDX-License-Identifier: BSD-2-Clause */
/* VPC Flow Logs: field table, format (header / --format) parsing, the line
 * parser and the import of files, gzip files, S3-layout directories and
 * CloudWatch Logs exports into the store.
 * spec: docs/aws-mirroring.md s6 (AWS VPC Flow Logs user guide, records
 * and fields of versions 2 to 8) */
#ifndef PS_FLOWLOGS_FLOWLOGS_H
#define PS_FLOWLOGS_FLOWLOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

/* Every documented field, in the order of aws-mirroring.md s6.3. */
enum ps_fl_field {
    PS_FL_VERSION,
    PS_FL_ACCOUNT_ID,
    PS_FL_INTERFACE_ID,
    PS_FL_SRCADDR,
    PS_FL_DSTADDR,
    PS_FL_SRCPORT,
    PS_FL_DSTPORT,
    PS_FL_PROTOCOL,
    PS_FL_PACKETS,
    PS_FL_BYTES,
    PS_FL_START,
    PS_FL_END,
    PS_FL_ACTION,
    PS_FL_LOG_STATUS,
    PS_FL_VPC_ID,
    PS_FL_SUBNET_ID,
    PS_FL_INSTANCE_ID,
    PS_FL_TCP_FLAGS,
    PS_FL_TYPE,
    PS_FL_PKT_SRCADDR,
    PS_FL_PKT_DSTADDR,
    PS_FL_REGION,
    PS_FL_AZ_ID,
    PS_FL_SUBLOCATION_TYPE,
    PS_FL_SUBLOCATION_ID,
    PS_FL_PKT_SRC_AWS_SERVICE,
    PS_FL_PKT_DST_AWS_SERVICE,
    PS_FL_FLOW_DIRECTION,
    PS_FL_TRAFFIC_PATH,
    PS_FL_ECS_CLUSTER_ARN,
    PS_FL_ECS_CLUSTER_NAME,
    PS_FL_ECS_CONTAINER_INSTANCE_ARN,
    PS_FL_ECS_CONTAINER_INSTANCE_ID,
    PS_FL_ECS_CONTAINER_ID,
    PS_FL_ECS_SECOND_CONTAINER_ID,
    PS_FL_ECS_SERVICE_NAME,
    PS_FL_ECS_TASK_DEFINITION_ARN,
    PS_FL_ECS_TASK_ARN,
    PS_FL_ECS_TASK_ID,
    PS_FL_REJECT_REASON,
    PS_FL_RESOURCE_ID,
    PS_FL_ENCRYPTION_STATUS,
    PS_FL_NFIELDS
};

#define PS_FL_UNKNOWN -1

/* How a value is checked and stored. */
enum ps_fl_kind {
    PS_FL_K_TEXT, /* any printable token, stored as TEXT */
    PS_FL_K_INT,  /* decimal, 0..max, stored as INTEGER */
    PS_FL_K_ADDR, /* IPv4/IPv6 text: hex digits, '.', ':' only */
};

struct ps_fl_field_info {
    const char *name;   /* AWS name, as in a header line: "account-id" */
    const char *column; /* store column: "account_id" */
    uint8_t version;    /* flow-log version that added it (0: unconfirmed) */
    uint8_t kind;       /* enum ps_fl_kind */
    int64_t max;        /* PS_FL_K_INT: largest value accepted */
};

/* The table entry of field `id` (0 <= id < PS_FL_NFIELDS). */
const struct ps_fl_field_info *ps_fl_field(int id);

/* Field id of the name s[0..n), or PS_FL_UNKNOWN. */
int ps_fl_field_lookup(const char *s, size_t n);

#define PS_FL_MAX_COLS 128 /* fields in one format */
#define PS_FL_MAX_NAME 64  /* bytes of one field name */
#define PS_FL_MAX_LINE 65536

/* A record layout: which field each space-separated column holds. */
struct ps_fl_format {
    int ncols;
    int16_t field[PS_FL_MAX_COLS];     /* field id of column i, or PS_FL_UNKNOWN */
    int16_t col_of[PS_FL_NFIELDS];     /* column of field id, or -1 when absent */
    uint16_t name_off[PS_FL_MAX_COLS]; /* unknown columns: name at names + off */
    uint8_t name_len[PS_FL_MAX_COLS];
    uint8_t kind[PS_FL_MAX_COLS]; /* enum ps_fl_kind of column i (unknown: TEXT) */
    int64_t max[PS_FL_MAX_COLS];  /* PS_FL_K_INT columns: the largest value */
    int nunknown;
    char names[PS_FL_MAX_COLS * PS_FL_MAX_NAME];
};

/* The default format (version 2, the 14 fields in order). */
void ps_fl_format_default(struct ps_fl_format *f);

/* Parse a header line or a --format string: field names separated by
 * spaces, each bare ("srcaddr") or as AWS writes them in --log-format
 * ("${srcaddr}"). Unknown well-formed names are kept. Returns 0, or -1 with
 * a message in err (empty, too many fields, bad or repeated name). */
int ps_fl_format_parse(struct ps_fl_format *f, const char *s, size_t n, char *err, size_t errlen);

/* True when s[0..n) is a header line rather than a record: every token is a
 * field name (lower case, digits, '-') and at least half are known. */
bool ps_fl_is_header(const char *s, size_t n);

/* One parsed record. Tokens point into the caller's line (nothing is
 * copied); they stay valid while the line does. */
struct ps_fl_tok {
    const char *p;
    uint32_t n;
};

struct ps_fl_rec {
    int ntok;
    struct ps_fl_tok tok[PS_FL_MAX_COLS]; /* by column */
    int64_t num[PS_FL_MAX_COLS];          /* PS_FL_K_INT columns: the value */
    uint64_t null_mask[2];                /* bit i: column i is '-' */
};

static inline bool ps_fl_rec_null(const struct ps_fl_rec *r, int col)
{
    return (r->null_mask[col >> 6] >> (col & 63)) & 1;
}

/* Parse one record line s[0..n) (no newline; a trailing CR is ignored) with
 * format f. Fields are separated by runs of spaces or tabs. A leading
 * ISO-8601 timestamp (CloudWatch Logs export to S3) is skipped when the
 * line has one token more than the format. `-` is a NULL value. Returns 0,
 * or -1 with the reason in why[whylen] (wrong field count, a number out of
 * range, a bad address, a control byte). Runs once per record: no
 * allocation. */
int ps_fl_parse_line(const struct ps_fl_format *f, const char *s, size_t n, struct ps_fl_rec *r,
                     char *why, size_t whylen);

/* In a CloudWatch Logs JSON line (an exported event, an events array, a
 * subscription payload), find the next "message" string member at or after
 * *pos. Its decoded value goes to out[cap]; *outlen gets the length and
 * *pos moves past it. Returns 1 when found, 0 when there is none left, -1
 * when the string is malformed or longer than cap. */
int ps_fl_json_message(const char *s, size_t n, size_t *pos, char *out, size_t cap, size_t *outlen);

/* ---- Where imported records go: a sink. ----
 * The importer reads, parses and counts; a sink stores. Two exist: the
 * SQLite store (store_sink.c) and ClickHouse (ch_sink.c). Every call
 * returns 0, or -1 with a message in err (the import stops). */
struct ps_fl_file {
    const char *path; /* as given, or as found inside a directory */
    const char *name; /* its last path component */
    const char *key;  /* content identity, "SIZE-CRC32-HASH64" (ps_fl_content_key) */
    uint64_t size;    /* bytes on disk */
};

struct ps_fl_file_end {
    uint64_t lines, records, malformed;
    bool complete; /* read to its end with no read or gzip error */
};

struct ps_fl_sink;
struct ps_fl_sink_ops {
    /* Before a file is read. Returns 1: import it; 0: a file with the same
     * key was imported completely before, skip it (the earlier file's name
     * into prev[prevlen]); -1: error. A file whose earlier import did not
     * complete is imported again: the sink first drops what that import
     * stored, so no record is stored twice. */
    int (*file_begin)(struct ps_fl_sink *s, const struct ps_fl_file *f, char *prev, size_t prevlen,
                      char *err, size_t errlen);
    /* One record of the current file. Values are in r by column of fmt
     * (fmt may change inside a file, at a header line). seq numbers the
     * file's records from 1, malformed ones included; line is the line
     * number. extra is the JSON object of unknown (newer) fields, or NULL. */
    int (*record)(struct ps_fl_sink *s, const struct ps_fl_format *fmt, const struct ps_fl_rec *r,
                  uint64_t seq, uint64_t line, const char *extra, size_t extralen, char *err,
                  size_t errlen);
    /* A line that is not a record: why, and its first bytes (len <= 512). */
    int (*malformed)(struct ps_fl_sink *s, uint64_t line, const char *why, const char *text,
                     size_t len, char *err, size_t errlen);
    int (*file_end)(struct ps_fl_sink *s, const struct ps_fl_file_end *e, char *err, size_t errlen);
    /* After the last file: flush, build indexes. */
    int (*finish)(struct ps_fl_sink *s, char *err, size_t errlen);
    void (*destroy)(struct ps_fl_sink *s);
};

struct ps_fl_sink {
    const struct ps_fl_sink_ops *ops;
};

/* The SQLite store's flowlogs (open, schema created). batch_rows: records
 * per transaction, 0 for the default. NULL with a message in err. */
struct ps_fl_sink *ps_fl_store_sink(struct ps_store *st, unsigned batch_rows, char *err,
                                    size_t errlen);

/* ClickHouse at url (the syntax of --clickhouse: ps_ch_url_parse), tables
 * created if missing. batch_rows: records per INSERT at most, 0 for the
 * default (1,000,000). NULL with a one-line message naming the server in
 * err (unreachable, refused). */
struct ps_fl_sink *ps_fl_ch_sink(const char *url, unsigned batch_rows, char *err, size_t errlen);

/* The eponymous virtual table `flowlogs` over flowlog_blocks (vtab.c), on
 * connection db: SQLITE_OK or an SQLite error code. */
int ps_fl_vtab_register(struct sqlite3 *db);

/* A store made before flow logs were kept in blocks has a table flowlogs
 * with a row per record: move its rows into blocks and drop it. 0, or -1
 * with err. */
int ps_fl_store_migrate(struct ps_store *st, char *err, size_t errlen);

/* Import options and totals. */
struct ps_fl_import_opts {
    const char *format; /* --format, for files without a header; NULL: v2 */
    int max_reports;    /* malformed lines reported per file (then a count) */
    FILE *msg;          /* where malformed lines are reported (stderr) */
};

struct ps_fl_import_stats {
    uint64_t files;         /* files read */
    uint64_t files_skipped; /* already imported (same content), not read again */
    uint64_t files_ignored; /* in directories, not flow-log names (.parquet...) */
    uint64_t files_failed;  /* could not be opened or read to the end */
    uint64_t records;       /* records parsed and stored */
    uint64_t malformed;     /* lines that are not records */
    uint64_t nodata;        /* log-status NODATA */
    uint64_t skipdata;      /* log-status SKIPDATA */
};

struct ps_fl_importer;

/* Start an import into sink (the importer owns it from here, even on
 * failure). The --format string is checked here. Returns NULL with a
 * message in err. */
struct ps_fl_importer *ps_fl_importer_new(struct ps_fl_sink *sink,
                                          const struct ps_fl_import_opts *o, char *err,
                                          size_t errlen);

/* Import a file or, recursively in name order, a directory. Returns 0;
 * -1 when a file could not be read (err names it; other files of a
 * directory are still imported); -2 when the sink failed (stop). Malformed
 * lines never fail the import. */
int ps_fl_import_path(struct ps_fl_importer *im, const char *path, char *err, size_t errlen);

/* Finish the sink, free. Returns 0 or -1 with err. */
int ps_fl_importer_finish(struct ps_fl_importer *im, struct ps_fl_import_stats *out, char *err,
                          size_t errlen);

/* Ready reports over the store. */
struct ps_fl_report {
    const char *name;
    const char *summary; /* one line for --help */
    const char *sql;     /* may use :limit */
    const char *check;   /* SQL giving 0 when the data lacks needed fields, or NULL */
    const char *hint;    /* printed when check gives 0 */
};

/* The report called name, or NULL; ps_fl_reports() lists them all (ends
 * with a NULL name). */
const struct ps_fl_report *ps_fl_report_find(const char *name);
const struct ps_fl_report *ps_fl_reports(void);

#endif
