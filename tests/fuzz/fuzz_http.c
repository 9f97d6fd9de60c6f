/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the HTTP/1.x stream parser, both directions split into
 * segments with gaps (app_segments.h); every transaction is written as EVE
 * and must fit and be well formed. */
#include "app/http.h"
#include "app_segments.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_tx(void *ctx, const struct ps_http_tx *tx)
{
    static char buf[64 * 1024];
    struct ps_json j;
    (void)ctx;
    if (!tx->req && !tx->resp)
        abort();
    ps_json_init(&j, buf, sizeof(buf));
    ps_json_obj_begin(&j, NULL);
    ps_http_eve(&j, tx);
    ps_json_obj_end(&j);
    if (j.overflow || j.depth != 0)
        abort();
}

static size_t feed(void *st, int dir, const uint8_t *d, size_t n)
{
    return ps_http_feed(st, dir, d, n, on_tx, NULL);
}

static void gap(void *st, int dir, uint64_t bytes)
{
    ps_http_gap(st, dir, bytes);
}

static enum ps_app_status status(void *st)
{
    return ps_http_status(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_http h;
    static const struct seg_ops ops = {feed, gap, status};
    ps_http_init(&h);
    seg_run(data, size, &ops, &h);
    ps_http_flush(&h, on_tx, NULL);
    (void)ps_http_probe(data, size);
    return 0;
}
