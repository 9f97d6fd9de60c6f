/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the stream-parser harnesses (fuzz_http, fuzz_ssh): the input is
 * a list of segments, each `flags len_hi len_lo` then len bytes (flags bit 0
 * = direction, bit 1 = a gap of len bytes, no data). Each direction keeps a
 * PS_APP_BUF buffer of unconsumed bytes, offered again with more appended,
 * as the stream layer does (src/app/app.h); a parser that consumes nothing
 * from a full buffer is bypassed. tests/gen/app-fuzz-seeds.py writes seeds
 * in this format from the captures in tests/pcaps/app. */
#ifndef PS_FUZZ_APP_SEGMENTS_H
#define PS_FUZZ_APP_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"

struct seg_ops {
    size_t (*feed)(void *st, int dir, const uint8_t *d, size_t n);
    void (*gap)(void *st, int dir, uint64_t bytes);
    enum ps_app_status (*status)(void *st);
};

static uint8_t seg_buf[2][PS_APP_BUF];

static void seg_run(const uint8_t *data, size_t size, const struct seg_ops *ops, void *st)
{
    size_t have[2] = {0, 0}, off = 0;
    bool bypass = false;
    while (off + 3 <= size && !bypass && ops->status(st) == PS_APP_MORE) {
        int dir = data[off] & 1, gap = data[off] & 2;
        size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];
        off += 3;
        if (gap) {
            have[dir] = 0; /* unconsumed bytes before a gap are dropped */
            ops->gap(st, dir, len);
            continue;
        }
        if (len > size - off)
            len = size - off;
        const uint8_t *d = data + off;
        off += len;
        while (len > 0 && !bypass) {
            size_t k = PS_APP_BUF - have[dir] < len ? PS_APP_BUF - have[dir] : len;
            memcpy(seg_buf[dir] + have[dir], d, k);
            have[dir] += k;
            d += k;
            len -= k;
            size_t used = ops->feed(st, dir, seg_buf[dir], have[dir]);
            if (used > have[dir])
                abort(); /* the contract: 0..len */
            memmove(seg_buf[dir], seg_buf[dir] + used, have[dir] - used);
            have[dir] -= used;
            bypass = have[dir] == PS_APP_BUF;
        }
    }
}

#endif
