/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: flow-log blocks (src/flowlogs/block.c). The input is
 * read as a stored blob (as a damaged or hostile store would hand it to
 * the flowlogs table): every column is decoded, and what decodes must stay
 * inside the blob. Then the input's lines are written as the text and
 * integer values of a block, encoded, and decoded back unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowlogs/block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ps_flb_values vals;

static void decode_all(const uint8_t *blob, size_t len)
{
    struct ps_flb_block b;
    if (ps_flb_open(&b, blob, len) != 0)
        return;
    if (b.nrec == 0 || b.nrec > PS_FLB_MAX_REC)
        abort();
    for (int c = 0; c < PS_FLB_NCOLS; c++) {
        if (ps_flb_decode(&b, c, &vals) != 0 || vals.enc == 0 || vals.enc == PS_FLB_ENC_INT)
            continue;
        /* Entries point into the blob, or (IPV4) into the decoded text. */
        const uint8_t *lo = vals.enc == PS_FLB_ENC_IPV4 ? (const uint8_t *)vals.text : blob;
        const uint8_t *hi = vals.enc == PS_FLB_ENC_IPV4 ? lo + sizeof(vals.text) : blob + len;
        for (uint32_t e = 0; e < vals.ndict; e++) {
            if (vals.dp[e] < lo || vals.dp[e] + vals.dn[e] > hi)
                abort();
        }
        for (uint32_t i = 0; i < b.nrec; i++) {
            if (vals.idx[i] > vals.ndict)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_flb_writer *w;
    if (!w && !(w = ps_flb_writer_new()))
        abort();
    decode_all(data, size);

    /* Round trip: each line is a record; its text goes to srcaddr, its
     * length and first bytes to integer columns, NULL when it is empty. */
    const int c_src = PS_FLB_COL_FIELD0 + PS_FL_SRCADDR, c_bytes = PS_FLB_COL_FIELD0 + PS_FL_BYTES;
    ps_flb_reset(w);
    size_t pos = 0;
    uint32_t n = 0;
    while (pos < size && ps_flb_row_begin(w)) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        int64_t v = 0;
        memcpy(&v, data + pos, len < 8 ? len : 8);
        ps_flb_put_int(w, PS_FLB_COL_SEQ, n + 1);
        if (len) {
            ps_flb_put_text(w, c_src, (const char *)data + pos, len);
            ps_flb_put_int(w, c_bytes, v);
        }
        ps_flb_row_end(w);
        pos += len + 1;
        n++;
    }
    const uint8_t *blob;
    struct ps_flb_summary m;
    size_t blen = ps_flb_encode(w, &blob, &m);
    if (n == 0) {
        if (blen != 0)
            abort();
        return 0;
    }
    struct ps_flb_block b;
    if (blen == 0 || m.nrec != n || ps_flb_open(&b, blob, blen) != 0)
        abort();
    static struct ps_flb_values txt;
    if (ps_flb_decode(&b, c_src, &txt) != 0 || ps_flb_decode(&b, c_bytes, &vals) != 0)
        abort();
    pos = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        int64_t v = 0;
        memcpy(&v, data + pos, len < 8 ? len : 8);
        if (len == 0) {
            if (txt.idx[i] != 0 || !vals.null[i])
                abort();
        } else {
            uint16_t e = txt.idx[i];
            if (e == 0 || txt.dn[e - 1] != len || memcmp(txt.dp[e - 1], data + pos, len) != 0 ||
                vals.null[i] || vals.v[i] != v)
                abort();
        }
        pos += len + 1;
    }
    decode_all(blob, blen);
    return 0;
}
