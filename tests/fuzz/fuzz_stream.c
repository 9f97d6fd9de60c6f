/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: TCP reassembly fed segments and acknowledgments the
 * fuzzer chooses, in both directions, into a parser that consumes whole
 * lines (so bytes are held, moved and given up at gaps), with the
 * missing-byte accounting alongside. Each record: op (1: bit 0 direction,
 * bit 1 ack, bit 2 SYN, bit 3 FIN), seq delta (2, signed), length (1), then
 * the data. A small pool so that no-buffer and stuck paths run. Checks that
 * every buffer comes back. */
#include <stdlib.h>
#include <string.h>

#include "stream/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t take_lines(void *ctx, int dir, const uint8_t *d, size_t n)
{
    (void)dir;
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] == '\n')
            used = i + 1;
    *(uint64_t *)ctx += used;
    return used;
}

static void on_gap(void *ctx, int dir, uint64_t bytes)
{
    (void)dir;
    (void)bytes;
    (void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_counters c;
    struct ps_stream_pool pool;
    if (ps_stream_pool_init(&pool, 3, 256) != 0)
        return 0;
    struct ps_sdir sd[2];
    struct ps_tcpseq ts[2];
    memset(ts, 0, sizeof(ts));
    uint64_t consumed = 0, missing[2] = {0, 0};
    bool stop = false;
    uint32_t seq[2] = {1000, 0xfffffe00u}; /* one wraps */
    ps_sdir_start(&sd[0], seq[0]);
    ps_sdir_start(&sd[1], seq[1]);
    size_t i = 0;
    while (i + 4 <= size) {
        uint8_t op = data[i];
        int16_t delta = (int16_t)(data[i + 1] << 8 | data[i + 2]);
        size_t len = data[i + 3];
        i += 4;
        if (len > size - i)
            len = size - i;
        int dir = op & 1;
        uint32_t s = seq[dir] + (uint32_t)(int32_t)delta;
        struct ps_sdir_ops ops = {take_lines, on_gap, &consumed, dir, &stop};
        if (op & 2) {
            ps_sdir_ack(&sd[!dir], &pool, &c, s, &ops);
            ps_tcpseq_ack(&ts[!dir], s);
        } else {
            ps_tcpseq_segment(&ts[dir], s, (uint32_t)len, op & 4, op & 8, &missing[dir]);
            ps_sdir_segment(&sd[dir], &pool, &c, s, data + i, (uint32_t)len, &ops);
            i += len;
        }
        if (op & 0x80)
            seq[dir] += (uint32_t)len; /* mostly in order, sometimes not */
    }
    ps_tcpseq_finish(&ts[0], &missing[0]);
    ps_tcpseq_finish(&ts[1], &missing[1]);
    ps_sdir_release(&sd[0], &pool);
    ps_sdir_release(&sd[1], &pool);
    if (pool.nfree != pool.cap)
        abort(); /* a buffer was lost */
    ps_stream_pool_free(&pool);
    return 0;
}
