/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the DNS parser, its EVE writer (the output must stay
 * valid JSON), the probe, and the TCP framing fed in two pieces split at a
 * point the first input byte chooses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/dns.h"
#include "core/jparse.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ps_dns_msg M;
static char J[1 << 16];

static void check_name(const struct ps_dns_rr *rr)
{
    const char *s = ps_dns_str(&M, rr->name);
    if (strlen(s) != rr->name_len)
        abort();
    for (size_t i = 0; i < rr->name_len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            abort(); /* names are printable ASCII */
}

static void eve_check(void)
{
    struct ps_json j;
    ps_json_init(&j, J, sizeof(J));
    ps_json_obj_begin(&j, NULL);
    ps_dns_eve(&j, &M);
    ps_json_obj_end(&j);
    if (j.overflow)
        return;
    char err[128];
    struct ps_jnode *n = ps_jparse(J, j.len, err, sizeof(err));
    if (!n)
        abort();
    ps_jfree(n);
}

static void on_msg(void *ctx, int dir, const struct ps_dns_msg *m)
{
    (void)ctx;
    (void)dir;
    if (m->arena_len > PS_DNS_ARENA)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0];
    data++;
    size--;

    (void)ps_dns_probe(data, size);
    int rc = ps_dns_parse(data, size, &M);
    if (M.arena_len > PS_DNS_ARENA || M.nqd > PS_DNS_MAX_QD || M.nan > PS_DNS_MAX_AN ||
        M.nns > PS_DNS_MAX_NS || M.nar > PS_DNS_MAX_AR)
        abort();
    if (rc != PS_DNS_ERR_HEADER) {
        for (unsigned i = 0; i < M.nqd; i++)
            check_name(&M.qd[i]);
        for (unsigned i = 0; i < M.nan; i++)
            check_name(&M.an[i]);
        for (unsigned i = 0; i < M.nns; i++)
            check_name(&M.ns[i]);
        eve_check();
        for (unsigned i = 0; i < M.nqd; i++) {
            struct ps_json j;
            ps_json_init(&j, J, sizeof(J));
            ps_json_obj_begin(&j, NULL);
            ps_dns_eve_query(&j, &M, i);
            ps_json_obj_end(&j);
        }
    }

    /* The same bytes as a TCP stream, in two pieces, with the contract that
     * unconsumed bytes are offered again. */
    static uint8_t buf[PS_APP_BUF];
    static struct ps_dns_msg scratch;
    struct ps_dns_tcp st = {0};
    size_t have = 0, off = 0;
    if (split > size)
        split = size;
    const size_t pieces[2] = {split, size - split};
    for (int p = 0; p < 2; p++) {
        size_t take = pieces[p];
        if (take > sizeof(buf) - have)
            take = sizeof(buf) - have;
        memcpy(buf + have, data + off, take);
        off += pieces[p];
        have += take;
        size_t used = ps_dns_tcp_feed(&st, p & 1, buf, have, &scratch, on_msg, NULL);
        if (used > have)
            abort();
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    return 0;
}
