/* SPDX-License-Identifier: BSD-2-Clause */
/* EVE record -> ClickHouse JSONEachRow row, the tables' schema, and the
 * --clickhouse URL. spec: RFC 8259 (JSON), ClickHouse JSONEachRow input.
 * The record is read with a bounded single-pass scanner that checks the
 * JSON grammar, so a row the server would refuse is never written. */
#include <string.h>

#include "flowlogs/flowlogs.h"
#include "output/clickhouse.h"

enum ctype { C_STR, C_U64, C_U32, C_U16, C_U8, C_NU32 };

struct col {
    const char *name;
    const char *path; /* dotted path of the value in the EVE record */
    uint8_t plen;     /* strlen(path): most paths are told apart by it */
    uint8_t type;
};

#define COL(name, path, type)              \
    {                                      \
        name, path, sizeof(path) - 1, type \
    }

/* Columns of every table, after time and time_us. */
static const struct col common_cols[] = {
    COL("event_type", "event_type", C_STR),
    COL("flow_id", "flow_id", C_U64),
    COL("src_ip", "src_ip", C_STR),
    COL("src_port", "src_port", C_U16),
    COL("dest_ip", "dest_ip", C_STR),
    COL("dest_port", "dest_port", C_U16),
    COL("proto", "proto", C_STR),
    COL("vni", "mirror.vni", C_NU32),
    COL("mirror_source", "mirror.source", C_STR),
    COL("app_proto", "app_proto", C_STR),
};
#define NCOMMON (sizeof(common_cols) / sizeof(common_cols[0]))
#define MAX_OWN 8

static const struct table {
    const char *name;
    const char *event_type; /* NULL: the catch-all */
    struct col own[MAX_OWN];
} tables[PS_CH__TABLES] = {
    [PS_CH_FLOWS] = {"flows",
                     "flow",
                     {COL("pkts_toserver", "flow.pkts_toserver", C_U64),
                      COL("pkts_toclient", "flow.pkts_toclient", C_U64),
                      COL("bytes_toserver", "flow.bytes_toserver", C_U64),
                      COL("bytes_toclient", "flow.bytes_toclient", C_U64),
                      COL("age", "flow.age", C_U64), COL("state", "flow.state", C_STR),
                      COL("reason", "flow.reason", C_STR),
                      COL("tcp_flags", "tcp.tcp_flags", C_STR)}},
    [PS_CH_ALERTS] = {"alerts",
                      "alert",
                      {COL("signature_id", "alert.signature_id", C_U32),
                       COL("signature", "alert.signature", C_STR),
                       COL("category", "alert.category", C_STR),
                       COL("severity", "alert.severity", C_U8),
                       COL("detector", "alert.detector", C_STR)}},
    [PS_CH_ANOMALIES] = {"anomalies",
                         "anomaly",
                         {COL("type", "anomaly.type", C_STR),
                          COL("event", "anomaly.event", C_STR)}},
    [PS_CH_STATS] = {"stats",
                     "stats",
                     {COL("pkts_received", "stats.pkts.received", C_U64),
                      COL("pkts_decoded", "stats.pkts.decoded", C_U64),
                      COL("flows_active", "stats.flow.active", C_U64)}},
    [PS_CH_DNS] = {"dns",
                   "dns",
                   {COL("type", "dns.type", C_STR), COL("id", "dns.id", C_U32),
                    COL("rrname", "dns.rrname", C_STR), COL("rrtype", "dns.rrtype", C_STR),
                    COL("rcode", "dns.rcode", C_STR)}},
    [PS_CH_TLS] = {"tls",
                   "tls",
                   {COL("sni", "tls.sni", C_STR),
                    COL("version", "tls.version", C_STR),
                    COL("subject", "tls.subject", C_STR),
                    COL("issuerdn", "tls.issuerdn", C_STR),
                    {"ja3", "tls.ja3.hash", C_STR},
                    {"ja3s", "tls.ja3s.hash", C_STR},
                    {"ja4", "tls.ja4", C_STR}}},
    [PS_CH_QUIC] = {"quic",
                    "quic",
                    {COL("sni", "quic.sni", C_STR),
                     COL("version", "quic.version", C_STR),
                     {"ja3", "quic.ja3.hash", C_STR}}},
    [PS_CH_HTTP] = {"http",
                    "http",
                    {COL("hostname", "http.hostname", C_STR), COL("url", "http.url", C_STR),
                     COL("http_method", "http.http_method", C_STR),
                     COL("status", "http.status", C_U16),
                     COL("http_user_agent", "http.http_user_agent", C_STR),
                     COL("length", "http.length", C_U64)}},
    [PS_CH_SSH] = {"ssh",
                   "ssh",
                   {COL("client_software", "ssh.client.software_version", C_STR),
                    COL("server_software", "ssh.server.software_version", C_STR),
                    COL("client_proto", "ssh.client.proto_version", C_STR),
                    COL("server_proto", "ssh.server.proto_version", C_STR)}},
    [PS_CH_EVENTS] = {"events", NULL, {{NULL, NULL, 0, 0}}},
};

const char *ps_ch_table_name(enum ps_ch_table t)
{
    return (unsigned)t < PS_CH__TABLES ? tables[t].name : "?";
}

/* ---- the scanner ------------------------------------------------------ */

#define SCAN_MAX_DEPTH 16
#define PATH_MAX_LEN   128

/* A scalar found at a path: the raw bytes of its value (a string with its
 * quotes and escapes as written). */
struct scan;
typedef bool (*scan_cb)(struct scan *sc, const char *v, size_t vn, char kind);

struct scan {
    const char *s;
    size_t n;
    size_t i;
    int depth;
    int in_array;  /* > 0: inside an array, scalars are not reported */
    int path_lost; /* > 0: a key did not fit the path buffer */
    char path[PATH_MAX_LEN];
    size_t plen;
    scan_cb cb; /* returns false to stop the scan (not an error) */
    void *ctx;
    bool stopped;
};

static void ws(struct scan *sc)
{
    while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' || sc->s[sc->i] == '\n' ||
                             sc->s[sc->i] == '\r'))
        sc->i++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A string at sc->i (the opening quote); RFC 8259 s7: no raw control
 * characters, escapes from the fixed set. */
static bool scan_string(struct scan *sc)
{
    sc->i++;
    while (sc->i < sc->n) {
        unsigned char c = (unsigned char)sc->s[sc->i];
        if (c == '"') {
            sc->i++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (sc->n - sc->i < 2)
                return false;
            char e = sc->s[sc->i + 1];
            if (e == 'u') {
                if (sc->n - sc->i < 6)
                    return false;
                for (int k = 2; k < 6; k++)
                    if (!is_hex(sc->s[sc->i + (size_t)k]))
                        return false;
                sc->i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0)
                return false;
            sc->i += 2;
            continue;
        }
        sc->i++;
    }
    return false;
}

/* RFC 8259 s6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool scan_number(struct scan *sc)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (sc->i < n && s[sc->i] == '-')
        sc->i++;
    if (sc->i >= n || !is_digit(s[sc->i]))
        return false;
    if (s[sc->i] == '0')
        sc->i++;
    else
        while (sc->i < n && is_digit(s[sc->i]))
            sc->i++;
    if (sc->i < n && s[sc->i] == '.') {
        sc->i++;
        if (sc->i >= n || !is_digit(s[sc->i]))
            return false;
        while (sc->i < n && is_digit(s[sc->i]))
            sc->i++;
    }
    if (sc->i < n && (s[sc->i] == 'e' || s[sc->i] == 'E')) {
        sc->i++;
        if (sc->i < n && (s[sc->i] == '+' || s[sc->i] == '-'))
            sc->i++;
        if (sc->i >= n || !is_digit(s[sc->i]))
            return false;
        while (sc->i < n && is_digit(s[sc->i]))
            sc->i++;
    }
    return true;
}

static bool scan_literal(struct scan *sc, const char *lit)
{
    size_t l = strlen(lit);
    if (sc->n - sc->i < l || memcmp(sc->s + sc->i, lit, l) != 0)
        return false;
    sc->i += l;
    return true;
}

static bool scan_value(struct scan *sc);

static bool scan_object(struct scan *sc)
{
    sc->i++;
    ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == '}') {
        sc->i++;
        return true;
    }
    for (;;) {
        if (sc->i >= sc->n || sc->s[sc->i] != '"')
            return false;
        size_t k0 = sc->i + 1;
        if (!scan_string(sc))
            return false;
        size_t kl = sc->i - 1 - k0;
        size_t saved = sc->plen;
        bool lost = false;
        if (sc->plen + 1 + kl >= sizeof(sc->path)) {
            lost = true;
            sc->path_lost++;
        } else {
            if (sc->plen)
                sc->path[sc->plen++] = '.';
            memcpy(sc->path + sc->plen, sc->s + k0, kl);
            sc->plen += kl;
        }
        ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ':')
            return false;
        sc->i++;
        if (!scan_value(sc))
            return false;
        if (lost)
            sc->path_lost--;
        sc->plen = saved;
        if (sc->stopped)
            return true;
        ws(sc);
        if (sc->i >= sc->n)
            return false;
        if (sc->s[sc->i] == '}') {
            sc->i++;
            return true;
        }
        if (sc->s[sc->i] != ',')
            return false;
        sc->i++;
        ws(sc);
    }
}

static bool scan_array(struct scan *sc)
{
    sc->i++;
    ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == ']') {
        sc->i++;
        return true;
    }
    sc->in_array++;
    for (;;) {
        if (!scan_value(sc))
            return false;
        ws(sc);
        if (sc->i >= sc->n)
            return false;
        if (sc->s[sc->i] == ']') {
            sc->i++;
            sc->in_array--;
            return true;
        }
        if (sc->s[sc->i] != ',')
            return false;
        sc->i++;
    }
}

static bool scan_value(struct scan *sc)
{
    ws(sc);
    if (sc->i >= sc->n)
        return false;
    size_t v0 = sc->i;
    char c = sc->s[sc->i], kind;
    bool ok;
    switch (c) {
    case '{':
    case '[':
        if (sc->depth >= SCAN_MAX_DEPTH)
            return false;
        sc->depth++;
        ok = c == '{' ? scan_object(sc) : scan_array(sc);
        sc->depth--;
        return ok;
    case '"':
        ok = scan_string(sc);
        kind = 's';
        break;
    case 't':
        ok = scan_literal(sc, "true");
        kind = 't';
        break;
    case 'f':
        ok = scan_literal(sc, "false");
        kind = 'f';
        break;
    case 'n':
        ok = scan_literal(sc, "null");
        kind = 'z';
        break;
    default:
        ok = scan_number(sc);
        kind = 'n';
        break;
    }
    if (ok && !sc->in_array && !sc->path_lost && sc->cb &&
        !sc->cb(sc, sc->s + v0, sc->i - v0, kind))
        sc->stopped = true;
    return ok;
}

/* Scan a whole record: one object, nothing after it but blanks. */
static bool scan_record(struct scan *sc, const char *json, size_t len, scan_cb cb, void *ctx)
{
    memset(sc, 0, sizeof(*sc));
    sc->s = json;
    sc->n = len;
    sc->cb = cb;
    sc->ctx = ctx;
    ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != '{')
        return false;
    if (!scan_value(sc))
        return false;
    if (sc->stopped)
        return true;
    ws(sc);
    return sc->i == sc->n;
}

static bool path_is(const struct scan *sc, const char *p, size_t l)
{
    return sc->plen == l && memcmp(sc->path, p, l) == 0;
}

/* ---- the table of a record -------------------------------------------- */

static bool type_cb(struct scan *sc, const char *v, size_t vn, char kind)
{
    if (sc->depth != 1 || !path_is(sc, "event_type", 10))
        return true;
    int *t = sc->ctx;
    if (kind != 's')
        return false;
    *t = PS_CH_EVENTS;
    for (int i = 0; i < PS_CH__TABLES; i++) {
        const char *et = tables[i].event_type;
        if (et && strlen(et) == vn - 2 && memcmp(v + 1, et, vn - 2) == 0)
            *t = i;
    }
    return false;
}

int ps_ch_table_of(const char *json, size_t len)
{
    struct scan sc;
    int t = -1;
    /* The scan stops at event_type, near the start of every record. */
    if (!scan_record(&sc, json, len, type_cb, &t))
        return -1;
    return t;
}

/* ---- rows ------------------------------------------------------------- */

struct span {
    const char *v;
    size_t n;
    char kind; /* 0: absent */
};

struct found {
    const struct table *t;
    struct span ts;
    struct span common[NCOMMON];
    struct span own[MAX_OWN];
};

static void take(struct span *s, const char *v, size_t vn, char kind)
{
    if (!s->kind) { /* the first occurrence wins */
        s->v = v;
        s->n = vn;
        s->kind = kind;
    }
}

static bool row_cb(struct scan *sc, const char *v, size_t vn, char kind)
{
    struct found *f = sc->ctx;
    if (sc->depth == 1 && path_is(sc, "timestamp", 9)) {
        take(&f->ts, v, vn, kind);
        return true;
    }
    for (size_t i = 0; i < NCOMMON; i++)
        if (path_is(sc, common_cols[i].path, common_cols[i].plen))
            take(&f->common[i], v, vn, kind);
    for (size_t i = 0; i < MAX_OWN && f->t->own[i].name; i++)
        if (path_is(sc, f->t->own[i].path, f->t->own[i].plen))
            take(&f->own[i], v, vn, kind);
    return true;
}

struct out {
    char *p;
    size_t n;
    size_t cap;
    bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->n < n) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
    char d[20];
    size_t k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char r[20];
    for (size_t i = 0; i < k; i++)
        r[i] = d[k - 1 - i];
    put(o, r, k);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, unsigned *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff](+|-)HHMM" (EVE's timestamp) -> microseconds
 * since the epoch; false when it is not that. */
static bool parse_time(const char *s, size_t n, uint64_t *us)
{
    unsigned y, mo, d, h, mi, se, frac = 0, oh, om;
    if (n < 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t k = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == k || i - k > 6 || !digits(s + k, i - k, &frac))
            return false;
        for (size_t z = i - k; z < 6; z++)
            frac *= 10;
    }
    if (n - i != 5 || (s[i] != '+' && s[i] != '-') || !digits(s + i + 1, 2, &oh) ||
        !digits(s + i + 3, 2, &om))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
        oh > 23 || om > 59)
        return false;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    int64_t off = (int64_t)(oh * 3600 + om * 60);
    t += s[i] == '+' ? -off : off;
    if (t < 0)
        return false;
    *us = (uint64_t)t * 1000000 + frac;
    return true;
}

/* An unsigned JSON integer that fits max, or false. */
static bool span_uint(const struct span *sp, uint64_t max, uint64_t *v)
{
    if (sp->kind == 't' || sp->kind == 'f') {
        *v = sp->kind == 't';
        return true;
    }
    if (sp->kind != 'n' || sp->n == 0 || sp->n > 20)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sp->n; i++) {
        if (!is_digit(sp->v[i]))
            return false;
        unsigned dg = (unsigned)(sp->v[i] - '0');
        if (x > (UINT64_MAX - dg) / 10)
            return false;
        x = x * 10 + dg;
    }
    if (x > max)
        return false;
    *v = x;
    return true;
}

/* ,"name":value for a column whose value was found and fits its type;
 * nothing otherwise (the column's default: 0, "" or NULL). */
static void put_col(struct out *o, const struct col *c, const struct span *sp)
{
    static const uint64_t max[] = {[C_U64] = UINT64_MAX,
                                   [C_U32] = UINT32_MAX,
                                   [C_U16] = UINT16_MAX,
                                   [C_U8] = UINT8_MAX,
                                   [C_NU32] = UINT32_MAX};
    if (!sp->kind || sp->kind == 'z')
        return;
    uint64_t v = 0;
    if (c->type != C_STR && !span_uint(sp, max[c->type], &v))
        return;
    put(o, ",\"", 2);
    puts_(o, c->name);
    put(o, "\":", 2);
    if (c->type != C_STR)
        put_u64(o, v);
    else if (sp->kind == 's')
        put(o, sp->v, sp->n);
    else {
        put(o, "\"", 1);
        put(o, sp->v, sp->n);
        put(o, "\"", 1);
    }
}

long ps_ch_format_row(char *buf, size_t cap, enum ps_ch_table t, const char *json, size_t len)
{
    if ((unsigned)t >= PS_CH__TABLES)
        return -1;
    struct found f;
    memset(&f, 0, sizeof(f));
    f.t = &tables[t];
    struct scan sc;
    if (!scan_record(&sc, json, len, row_cb, &f))
        return -1;

    struct out o = {buf, 0, cap, false};
    uint64_t us = 0;
    if (f.ts.kind == 's')
        parse_time(f.ts.v + 1, f.ts.n - 2, &us);
    puts_(&o, "{\"time\":");
    put_u64(&o, us / 1000000);
    puts_(&o, ",\"time_us\":");
    put_u64(&o, us);
    for (size_t i = 0; i < NCOMMON; i++)
        put_col(&o, &common_cols[i], &f.common[i]);
    for (size_t i = 0; i < MAX_OWN && f.t->own[i].name; i++)
        put_col(&o, &f.t->own[i], &f.own[i]);
    /* The record as a JSON string: the scanner saw no raw control byte in
     * its strings, so quotes and backslashes are all there is to escape;
     * blanks between tokens are kept as they are (escaped if control). */
    puts_(&o, ",\"record\":\"");
    /* Exact size first, then one tight loop with no bound checks. */
    size_t need = len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)json[i];
        need += c == '"' || c == '\\' ? 1 : c < 0x20 ? 5 : 0;
    }
    if (o.full || o.cap - o.n < need)
        return 0;
    static const char hex[] = "0123456789abcdef";
    char *w = o.p + o.n;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)json[i];
        if (c == '"' || c == '\\') {
            *w++ = '\\';
            *w++ = (char)c;
        } else if (c < 0x20) {
            memcpy(w, "\\u00", 4);
            w[4] = hex[c >> 4];
            w[5] = hex[c & 15];
            w += 6;
        } else {
            *w++ = (char)c;
        }
    }
    o.n += need;
    put(&o, "\"}\n", 3);
    return o.full ? 0 : (long)o.n;
}

/* ---- schema ----------------------------------------------------------- */

static const char *type_sql(uint8_t t)
{
    switch (t) {
    case C_U64:
        return "UInt64";
    case C_U32:
        return "UInt32";
    case C_U16:
        return "UInt16";
    case C_U8:
        return "UInt8";
    case C_NU32:
        return "Nullable(UInt32)";
    default:
        return "String";
    }
}

void ps_ch_schema(FILE *f, const char *db)
{
    fprintf(f,
            "-- periscope's ClickHouse tables: one per EVE event type, each row the\n"
            "-- record's key fields plus the whole record (JSON) in `record`.\n"
            "-- Works with ClickHouse 18.16 and later: clickhouse-client --multiquery\n"
            "CREATE DATABASE IF NOT EXISTS %s;\n",
            db);
    for (int t = 0; t < PS_CH__TABLES; t++) {
        fprintf(f, "\nCREATE TABLE IF NOT EXISTS %s.%s (\n", db, tables[t].name);
        fprintf(f, "    time DateTime,\n    time_us UInt64");
        for (size_t i = 0; i < NCOMMON; i++)
            fprintf(f, ",\n    %s %s", common_cols[i].name, type_sql(common_cols[i].type));
        for (size_t i = 0; i < MAX_OWN && tables[t].own[i].name; i++)
            fprintf(f, ",\n    %s %s", tables[t].own[i].name, type_sql(tables[t].own[i].type));
        fprintf(f, ",\n    record String\n) ENGINE = MergeTree() PARTITION BY toYYYYMM(time) "
                   "ORDER BY time;\n");
    }
    fprintf(f, "\n-- VPC Flow Logs (periscope flowlogs import --clickhouse URL): one row per\n"
               "-- record, per file (the last state of its import), per malformed line.\n");
    char sql[8192];
    for (int t = 0; t < PS_CH_FL__TABLES; t++)
        if (ps_ch_fl_create((enum ps_ch_fl_table)t, db, sql, sizeof(sql)))
            fprintf(f, "\n%s;\n", sql);
}

unsigned ps_ch_uint_bytes(int64_t max)
{
    return max <= UINT8_MAX ? 1 : max <= UINT16_MAX ? 2 : max <= (int64_t)UINT32_MAX ? 4 : 8;
}

size_t ps_ch_fl_create(enum ps_ch_fl_table t, const char *db, char *out, size_t cap)
{
    struct out o = {out, 0, cap, false};
    puts_(&o, "CREATE TABLE IF NOT EXISTS ");
    puts_(&o, db);
    switch (t) {
    case PS_CH_FL_FLOWLOGS:
        /* The store's columns (src/store/store.c): the file, the line and
         * the record's number in the file (the key an interrupted import is
         * dropped by), then every field, NULL for '-' or absent. */
        puts_(&o, ".flowlogs (\n    file_id UInt32,\n    line UInt64,\n    seq UInt32");
        for (int id = 0; id < PS_FL_NFIELDS; id++) {
            const struct ps_fl_field_info *fi = ps_fl_field(id);
            puts_(&o, ",\n    `");
            puts_(&o, fi->column);
            static const char *const uint_type[] = {
                [1] = "UInt8", [2] = "UInt16", [4] = "UInt32", [8] = "UInt64"};
            puts_(&o, "` Nullable(");
            puts_(&o, fi->kind == PS_FL_K_INT ? uint_type[ps_ch_uint_bytes(fi->max)] : "String");
            puts_(&o, ")");
        }
        puts_(&o, ",\n    extra Nullable(String)\n) ENGINE = MergeTree() ORDER BY (file_id, seq)");
        break;
    case PS_CH_FL_FILES:
        puts_(&o, ".flowlog_files (\n    file_id UInt32,\n    name String,\n    path String,\n"
                  "    size UInt64,\n    content_key String,\n    lines UInt64,\n"
                  "    records UInt64,\n    malformed UInt64,\n    complete UInt8,\n"
                  "    imported_at DateTime\n) ENGINE = ReplacingMergeTree() ORDER BY content_key");
        break;
    case PS_CH_FL_MALFORMED:
        puts_(&o,
              ".flowlog_malformed (\n    file_id UInt32,\n    line UInt64,\n    reason String,\n"
              "    text String\n) ENGINE = MergeTree() ORDER BY (file_id, line)");
        break;
    default:
        return 0;
    }
    if (o.full || o.n >= cap)
        return 0;
    out[o.n] = 0;
    return o.n;
}

/* ---- the URL ---------------------------------------------------------- */

bool ps_ch_ident_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || is_digit(s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
            return false;
    }
    return true;
}

int ps_ch_url_parse(struct ps_ch_url *u, const char *url, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    size_t len = strlen(url);
    size_t scheme = strncasecmp(url, "http://", 7) == 0    ? 7
                    : strncasecmp(url, "https://", 8) == 0 ? 8
                                                           : 0;
    if (!scheme) {
        snprintf(err, errlen, "--clickhouse %s: the URL must start with http:// or https://", url);
        return -1;
    }
    if (len >= PS_CH_URL_MAX) {
        snprintf(err, errlen, "--clickhouse: URL longer than %d bytes", PS_CH_URL_MAX - 1);
        return -1;
    }
    if (len == scheme || url[scheme] == '/' || url[scheme] == '?') {
        snprintf(err, errlen, "--clickhouse %s: no host", url);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f || c == '#') {
            snprintf(err, errlen,
                     "--clickhouse %s: blanks, control bytes, non-ASCII and '#' are not "
                     "allowed (percent-encode them)",
                     url);
            return -1;
        }
    }
    const char *q = strchr(url, '?');
    size_t blen = q ? (size_t)(q - url) : len;
    memcpy(u->base, url, blen);
    u->base[blen] = 0;
    snprintf(u->db, sizeof(u->db), "periscope");
    size_t pn = 0;
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t l = amp ? (size_t)(amp - p) : strlen(p);
        if (l >= 9 && strncmp(p, "database=", 9) == 0) {
            if (!ps_ch_ident_ok(p + 9, l - 9)) {
                snprintf(err, errlen, "--clickhouse: database=%.*s is not a plain name",
                         (int)(l - 9), p + 9);
                return -1;
            }
            memcpy(u->db, p + 9, l - 9);
            u->db[l - 9] = 0;
        } else if (l) {
            if (strncmp(p, "query=", 6) == 0) {
                snprintf(err, errlen, "--clickhouse: the URL must not carry a query=");
                return -1;
            }
            if (pn)
                u->params[pn++] = '&';
            memcpy(u->params + pn, p, l);
            pn += l;
            u->params[pn] = 0;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

void ps_ch_url_public(const struct ps_ch_url *u, char *out, size_t cap)
{
    const char *host = strstr(u->base, "://");
    host = host ? host + 3 : u->base;
    const char *at = memchr(host, '@', strcspn(host, "/"));
    snprintf(out, cap, "%.*s%s", (int)(host - u->base), u->base, at ? at + 1 : host);
}

int ps_ch_insert_url(const struct ps_ch_url *u, enum ps_ch_table t, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "%s?%s%sinput_format_skip_unknown_fields=1&query=INSERT%%20INTO%%20%s.%s%%"
                     "20FORMAT%%20JSONEachRow",
                     u->base, u->params, u->params[0] ? "&" : "", u->db, ps_ch_table_name(t));
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
