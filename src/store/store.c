/* SPDX-License-Identifier: BSD-2-Clause */
/* SQLite store: schema, WAL, batched transactions, in_cidr()/in_vpc(). */
#include <arpa/inet.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowlogs/flowlogs.h"
#include "store/store.h"

#define SCHEMA_VERSION 1

/* Column names follow the AWS field names with '-' as '_' (as Athena's
 * tables do); `flows` (sensor flows) uses the same names where they mean
 * the same thing, so the two can be joined and compared. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS flowlog_files("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"               /* basename */
    " path TEXT,"                        /* as given on the command line */
    " size INTEGER,"                     /* bytes on disk */
    " content_key TEXT NOT NULL UNIQUE," /* size, CRC-32 and a 64-bit hash */
    " lines INTEGER, records INTEGER, malformed INTEGER,"
    " complete INTEGER NOT NULL DEFAULT 0,"
    " imported_at INTEGER);"
    /* Flow-log records, by column in blocks of up to 4,096 (a file's
     * records in order; src/flowlogs/block.h has the format). SQL reads
     * them as the virtual table flowlogs (src/flowlogs/vtab.c). */
    "CREATE TABLE IF NOT EXISTS flowlog_blocks("
    " id INTEGER PRIMARY KEY,"
    " file_id INTEGER NOT NULL,"
    " first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL," /* record numbers in the file */
    " records INTEGER NOT NULL,"
    " start_min INTEGER, start_max INTEGER, end_min INTEGER, end_max INTEGER,"
    " data BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS flowlog_blocks_file ON flowlog_blocks(file_id, first_seq);"
    "CREATE TABLE IF NOT EXISTS flowlog_malformed("
    " file_id INTEGER NOT NULL, line INTEGER NOT NULL, reason TEXT, text TEXT,"
    " PRIMARY KEY(file_id, line));"
    "CREATE TABLE IF NOT EXISTS flows("
    " id INTEGER PRIMARY KEY, flow_id INTEGER, sensor TEXT,"
    " interface_id TEXT, vni INTEGER, encap TEXT, mirror_source TEXT,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " packets INTEGER, bytes INTEGER, packets_rev INTEGER, bytes_rev INTEGER,"
    " start INTEGER, end INTEGER, tcp_flags INTEGER, tcp_flags_rev INTEGER,"
    " app_proto TEXT, state TEXT, reason TEXT, truncated INTEGER, record TEXT,"
    " visibility TEXT, visibility_flags TEXT, missing INTEGER, duplicated INTEGER);"
    "CREATE TABLE IF NOT EXISTS dns("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " type TEXT, rrname TEXT, rrtype TEXT, rcode TEXT, record TEXT);"
    "CREATE TABLE IF NOT EXISTS tls("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " sni TEXT, version TEXT, ja3 TEXT, ja4 TEXT, record TEXT);"
    "CREATE TABLE IF NOT EXISTS http("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " hostname TEXT, method TEXT, url TEXT, status INTEGER, user_agent TEXT, record TEXT);"
    "CREATE TABLE IF NOT EXISTS ssh("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " client_software TEXT, server_software TEXT, hassh TEXT, hassh_server TEXT, record TEXT);"
    "CREATE TABLE IF NOT EXISTS quic("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " version TEXT, sni TEXT, ja4 TEXT, record TEXT);"
    "CREATE TABLE IF NOT EXISTS alerts("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " detector TEXT, signature_id INTEGER, signature TEXT, severity INTEGER, evidence TEXT,"
    " record TEXT);"
    "CREATE TABLE IF NOT EXISTS anomalies("
    " id INTEGER PRIMARY KEY, ts INTEGER, flow_id INTEGER, vni INTEGER,"
    " srcaddr TEXT, dstaddr TEXT, srcport INTEGER, dstport INTEGER, protocol INTEGER,"
    " name TEXT, record TEXT);"
    "CREATE INDEX IF NOT EXISTS flows_start ON flows(start);"
    "CREATE INDEX IF NOT EXISTS flows_srcaddr ON flows(srcaddr);"
    "CREATE INDEX IF NOT EXISTS flows_dstaddr ON flows(dstaddr);"
    "CREATE INDEX IF NOT EXISTS dns_ts ON dns(ts);"
    "CREATE INDEX IF NOT EXISTS tls_ts ON tls(ts);"
    "CREATE INDEX IF NOT EXISTS http_ts ON http(ts);"
    "CREATE INDEX IF NOT EXISTS ssh_ts ON ssh(ts);"
    "CREATE INDEX IF NOT EXISTS quic_ts ON quic(ts);"
    "CREATE INDEX IF NOT EXISTS dns_srcaddr ON dns(srcaddr);"
    "CREATE INDEX IF NOT EXISTS tls_sni ON tls(sni);"
    "CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);"
    "CREATE INDEX IF NOT EXISTS anomalies_ts ON anomalies(ts);";

bool ps_addr_parse16(const char *s, size_t n, uint8_t out[16])
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) == 1) {
        memset(out, 0, 10);
        out[10] = 0xff;
        out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

int ps_cidr_parse(struct ps_cidr *c, const char *s)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (!ps_addr_parse16(s, alen, c->addr))
        return -1;
    bool v4 = memchr(s, ':', alen) == NULL;
    unsigned max = v4 ? 32 : 128;
    unsigned bits = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return -1;
        bits = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (bits > max)
            return -1;
    }
    c->bits = (uint8_t)(v4 ? bits + 96 : bits);
    return 0;
}

bool ps_cidr_match(const struct ps_cidr *c, const uint8_t a[16])
{
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & m) == (a[full] & m);
}

/* in_cidr(addr, cidr): 1, 0, or NULL when either is NULL or unparsable. */
static void sql_in_cidr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *a = sqlite3_value_text(argv[0]);
    const unsigned char *c = sqlite3_value_text(argv[1]);
    struct ps_cidr cidr;
    uint8_t addr[16];
    if (!a || !c || ps_cidr_parse(&cidr, (const char *)c) != 0 ||
        !ps_addr_parse16((const char *)a, (size_t)sqlite3_value_bytes(argv[0]), addr)) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_int(ctx, ps_cidr_match(&cidr, addr));
}

/* in_vpc(addr): 1 when addr is inside one of the --vpc-cidr networks. */
static void sql_in_vpc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct ps_store *st = sqlite3_user_data(ctx);
    const unsigned char *a = sqlite3_value_text(argv[0]);
    uint8_t addr[16];
    if (!a || !ps_addr_parse16((const char *)a, (size_t)sqlite3_value_bytes(argv[0]), addr)) {
        sqlite3_result_null(ctx);
        return;
    }
    for (int i = 0; i < st->ncidrs; i++) {
        if (ps_cidr_match(&st->cidrs[i], addr)) {
            sqlite3_result_int(ctx, 1);
            return;
        }
    }
    sqlite3_result_int(ctx, 0);
}

int ps_store_set_vpc(struct ps_store *st, const char *const *cidrs, int n, char *err, size_t errlen)
{
    static const char *const rfc1918[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"};
    if (n == 0) {
        cidrs = rfc1918;
        n = 3;
    }
    if (n > PS_STORE_MAX_CIDRS) {
        snprintf(err, errlen, "too many --vpc-cidr (at most %d)", PS_STORE_MAX_CIDRS);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (ps_cidr_parse(&st->cidrs[i], cidrs[i]) != 0) {
            snprintf(err, errlen, "invalid CIDR: %s", cidrs[i]);
            return -1;
        }
    }
    st->ncidrs = n;
    return 0;
}

/* mkdir -p of the directory part of path. */
static int make_parent(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    size_t n = strlen(path);
    if (n >= sizeof(dir)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int ps_store_exec(struct ps_store *st, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Columns added to a table after stores were made with it: a store made by
 * an earlier version gets them (CREATE TABLE IF NOT EXISTS leaves an
 * existing table as it is). */
static int add_new_columns(struct ps_store *st, char *err, size_t errlen)
{
    static const struct {
        const char *table, *column, *type;
    } added[] = {
        {"flows", "visibility", "TEXT"},
        {"flows", "visibility_flags", "TEXT"},
        {"flows", "missing", "INTEGER"},
        {"flows", "duplicated", "INTEGER"},
    };
    for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++) {
        char sql[160];
        sqlite3_stmt *q = NULL;
        snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", added[i].column, added[i].table);
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
        sqlite3_finalize(q);
        if (rc == SQLITE_OK)
            continue;
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", added[i].table,
                 added[i].column, added[i].type);
        if (ps_store_exec(st, sql, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int ps_store_open(struct ps_store *st, const char *path, bool readonly, char *err, size_t errlen)
{
    memset(st, 0, sizeof(*st));
    st->batch = 50000;
    char e[512];
    if (!readonly && make_parent(path, err, errlen) != 0)
        return -1;
    if (readonly) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
    }
    /* One connection per thread: no mutexes; no memory statistics (they
     * take a global mutex on every allocation). The config call fails
     * harmlessly once SQLite is initialised. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open database: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto out_close;
    }
    sqlite3_busy_timeout(st->db, 10000);
    if (ps_store_set_vpc(st, NULL, 0, e, sizeof(e)) != 0 ||
        sqlite3_create_function(st->db, "in_cidr", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_in_cidr, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(st->db, "in_vpc", 1, SQLITE_UTF8, st, sql_in_vpc, NULL, NULL) !=
            SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot register SQL functions", path);
        goto out_close;
    }
    if (ps_fl_vtab_register(st->db) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot register the flowlogs table", path);
        goto out_close;
    }
    if (readonly) {
        if (ps_store_exec(st, "SELECT count(*) FROM sqlite_schema", e, sizeof(e)) != 0) {
            snprintf(err, errlen, "%s: not a periscope database: %s", path, e);
            goto out_close;
        }
        return 0;
    }
    /* WAL: readers (queries) run while an import writes; NORMAL syncs at
     * checkpoints only, which is safe in WAL mode. */
    if (ps_store_exec(st,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;"
                      "PRAGMA wal_autocheckpoint=16384;",
                      e, sizeof(e)) != 0 ||
        ps_store_exec(st, schema, e, sizeof(e)) != 0 || add_new_columns(st, e, sizeof(e)) != 0 ||
        ps_fl_store_migrate(st, e, sizeof(e)) != 0 ||
        ps_store_exec(st, "PRAGMA user_version=3", e, sizeof(e)) != 0) {
        snprintf(err, errlen, "%s: %s", path, e);
        goto out_close;
    }
    return 0;
out_close:
    sqlite3_close(st->db);
    st->db = NULL;
    return -1;
}

int ps_store_begin(struct ps_store *st, char *err, size_t errlen)
{
    if (st->in_tx)
        return 0;
    if (ps_store_exec(st, "BEGIN", err, errlen) != 0)
        return -1;
    st->in_tx = true;
    st->pending = 0;
    return 0;
}

int ps_store_flush(struct ps_store *st, char *err, size_t errlen)
{
    if (!st->in_tx)
        return 0;
    st->in_tx = false;
    st->pending = 0;
    return ps_store_exec(st, "COMMIT", err, errlen);
}

int ps_store_row(struct ps_store *st, char *err, size_t errlen)
{
    if (++st->pending < st->batch)
        return 0;
    if (ps_store_flush(st, err, errlen) != 0)
        return -1;
    return ps_store_begin(st, err, errlen);
}

void ps_store_close(struct ps_store *st)
{
    char e[256];
    if (!st->db)
        return;
    ps_store_flush(st, e, sizeof(e));
    sqlite3_close_v2(st->db);
    st->db = NULL;
}
