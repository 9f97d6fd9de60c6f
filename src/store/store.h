/* SPDX-License-Identifier: BSD-2-Clause */
/* The SQLite store: one table per record type (flowlogs, flows, dns, tls,
 * http, alerts, anomalies), WAL mode, batched transactions, and the SQL
 * functions in_cidr(addr, cidr) and in_vpc(addr) for queries. */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#define PS_STORE_DEFAULT_PATH "periscope-out/periscope.db"
#define PS_STORE_MAX_CIDRS    64

/* An IPv4 or IPv6 network; IPv4 is kept as ::ffff:a.b.c.d. */
struct ps_cidr {
    uint8_t addr[16];
    uint8_t bits; /* prefix length over the 128-bit form */
};

struct ps_store {
    struct sqlite3 *db;
    bool in_tx;
    unsigned pending; /* rows written in the open transaction */
    unsigned batch;   /* rows per transaction */
    int ncidrs;
    struct ps_cidr cidrs[PS_STORE_MAX_CIDRS]; /* the VPC, for in_vpc() */
};

/* Open (read-write: create the file, its directory and the schema; WAL,
 * synchronous=NORMAL) or open an existing store read-only. Returns 0, or
 * -1 with a message naming path in err. */
int ps_store_open(struct ps_store *st, const char *path, bool readonly, char *err, size_t errlen);

/* Commit what is pending and close. Safe on a store that failed to open. */
void ps_store_close(struct ps_store *st);

/* Run SQL without results. Returns 0, or -1 with sqlite's message. */
int ps_store_exec(struct ps_store *st, const char *sql, char *err, size_t errlen);

/* Batched writes: ps_store_row() after each row written commits and opens
 * a new transaction every `batch` rows; ps_store_flush() commits. */
int ps_store_begin(struct ps_store *st, char *err, size_t errlen);
int ps_store_row(struct ps_store *st, char *err, size_t errlen);
int ps_store_flush(struct ps_store *st, char *err, size_t errlen);

/* Parse "a.b.c.d/n" or "x::/n" (a bare address is /32 or /128). */
int ps_cidr_parse(struct ps_cidr *c, const char *s);

/* Parse an address into the 128-bit form; false when it is not one. */
bool ps_addr_parse16(const char *s, size_t n, uint8_t out[16]);

bool ps_cidr_match(const struct ps_cidr *c, const uint8_t a[16]);

/* The VPC networks for in_vpc(); none given means RFC 1918. Returns 0, or
 * -1 with err naming the bad CIDR. */
int ps_store_set_vpc(struct ps_store *st, const char *const *cidrs, int n, char *err,
                     size_t errlen);

#endif
