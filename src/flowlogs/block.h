/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow-log blocks: how the SQLite store keeps flow-log records.
 *
 * Records are stored by column, up to PS_FLB_MAX_REC to a block, one
 * block per row of the table flowlog_blocks (with its file, record-number
 * range and the range of its start and end times). A row per record costs
 * SQLite a B-tree insert, a record encoding and three index entries: about
 * 100,000 records/s. A block costs one insert per 4,096 records, and a
 * column of a block is small: integers as zigzag varints of the difference
 * to the previous value (start, end, line and record numbers cost a byte
 * or two), text as a dictionary of the block's distinct values and an
 * index per record (an ENI, an account, an action repeat thousands of
 * times). The table `flowlogs` that SQL sees is a virtual table over the
 * blocks (vtab.c), pruned by time.
 *
 * Columns are numbered as the flowlogs table's: PS_FLB_COL_ID, _FILE_ID,
 * _LINE, then the flow-log fields in enum ps_fl_field order, then
 * PS_FLB_COL_EXTRA. A block stores LINE, SEQ (the record number in its
 * file, id = file_id * 2^32 + seq) and the fields its records have.
 *
 * Blob (all integers little-endian varints unless said):
 *   "FLB1" nrec ncols, then per column: col (byte), enc (byte), body length
 *   (4 bytes), then the bodies in that order.
 *   INT body:  has_nulls (byte 0 or 1), [null bitmap, (nrec+7)/8 bytes, bit
 *              set = NULL], then for each non-NULL record zigzag(v -
 *              previous); or 2 and zigzag(v): v in every record.
 *   DICT body: ndict, ndict x (length, bytes), width (byte, 1 or 2), nrec
 *              indexes of width bytes (0 = NULL, i = entry i-1); width 0:
 *              one entry, in every record.
 *   IPV4 body: an address column whose values are all dotted quads (as
 *              written back: no leading zeros): as DICT, each entry 4
 *              bytes, the first part first.
 * The decoder checks every length and index against the blob: a damaged
 * blob is an error, never a read out of bounds (fuzz_flowlog_block). */
#ifndef PS_FLOWLOGS_BLOCK_H
#define PS_FLOWLOGS_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowlogs/flowlogs.h"

#define PS_FLB_MAX_REC 4096u

enum {
    PS_FLB_COL_ID,
    PS_FLB_COL_FILE_ID,
    PS_FLB_COL_LINE,
    PS_FLB_COL_FIELD0, /* + enum ps_fl_field */
    PS_FLB_COL_EXTRA = PS_FLB_COL_FIELD0 + PS_FL_NFIELDS,
    PS_FLB_COL_SEQ, /* stored, not a column of the table (id is) */
    PS_FLB_NCOLS
};

enum { PS_FLB_ENC_INT = 1, PS_FLB_ENC_DICT = 2, PS_FLB_ENC_IPV4 = 3 };

/* True when column c holds integers (else text); addresses. */
bool ps_flb_col_is_int(int c);
bool ps_flb_col_is_addr(int c);

/* ---- writing ---- */
struct ps_flb_writer;

/* Allocated once per import; NULL when out of memory. */
struct ps_flb_writer *ps_flb_writer_new(void);
void ps_flb_writer_free(struct ps_flb_writer *w);

/* Start a record. Returns false when the block is full (PS_FLB_MAX_REC
 * records, or its text would no longer surely fit): encode it and reset
 * first. */
bool ps_flb_row_begin(struct ps_flb_writer *w);
void ps_flb_put_int(struct ps_flb_writer *w, int col, int64_t v);
void ps_flb_put_text(struct ps_flb_writer *w, int col, const char *p, size_t n);
/* Columns not put are NULL in this record. */
void ps_flb_row_end(struct ps_flb_writer *w);
/* A parsed record (its fields by format f, record number seq, line, the
 * JSON of unknown fields or NULL), after ps_flb_row_begin(): puts every
 * value and ends the record. */
void ps_flb_put_rec(struct ps_flb_writer *w, const struct ps_fl_format *f,
                    const struct ps_fl_rec *r, uint64_t seq, uint64_t line, const char *extra,
                    size_t extralen);

/* What the block holds, for the flowlog_blocks row. */
struct ps_flb_summary {
    uint32_t nrec;
    uint64_t first_seq, last_seq;
    bool have_start, have_end;
    int64_t start_min, start_max, end_min, end_max;
};

/* Encode the block; *out points into the writer (valid until the next
 * call). Returns its length (0 when the block is empty). */
size_t ps_flb_encode(struct ps_flb_writer *w, const uint8_t **out, struct ps_flb_summary *sum);
void ps_flb_reset(struct ps_flb_writer *w);

/* ---- reading ---- */
struct ps_flb_col {
    uint8_t enc;         /* 0: absent (every record NULL) */
    const uint8_t *body; /* into the blob */
    size_t len;
};

struct ps_flb_block {
    uint32_t nrec;
    struct ps_flb_col col[PS_FLB_NCOLS];
};

/* Check the header and locate the columns. 0, or -1 when damaged. */
int ps_flb_open(struct ps_flb_block *b, const uint8_t *blob, size_t len);

/* A decoded column: INT fills v[] and null[]; DICT and IPV4 fill idx[]
 * (0 NULL) and the dictionary (pointers into the blob, or for IPV4 into
 * text[]). */
struct ps_flb_values {
    uint8_t enc;
    int64_t v[PS_FLB_MAX_REC];
    uint8_t null[PS_FLB_MAX_REC];
    uint16_t idx[PS_FLB_MAX_REC];
    uint32_t ndict;
    const uint8_t *dp[PS_FLB_MAX_REC]; /* into the blob, or into text (IPV4) */
    uint32_t dn[PS_FLB_MAX_REC];
    char text[PS_FLB_MAX_REC * 16];
};

/* Decode column c of b. 0, or -1 when damaged. An absent column decodes
 * as all NULL. */
int ps_flb_decode(const struct ps_flb_block *b, int c, struct ps_flb_values *out);

#endif
