/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the SSH stream parser, both directions split into
 * segments with gaps (app_segments.h); the EVE record must fit and be well
 * formed, and a HASSH (name-lists may hold any byte, NUL too) stays bounded. */
#include "app/ssh.h"
#include "app_segments.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t feed(void *st, int dir, const uint8_t *d, size_t n)
{
    return ps_ssh_feed(st, dir, d, n);
}

static void gap(void *st, int dir, uint64_t bytes)
{
    ps_ssh_gap(st, dir, bytes);
}

static enum ps_app_status status(void *st)
{
    return ps_ssh_status(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_ssh s;
    static const struct seg_ops ops = {feed, gap, status};
    static char buf[16 * 1024];
    ps_ssh_init(&s);
    seg_run(data, size, &ops, &s);
    for (int i = 0; i < 2; i++)
        if (s.side[i].kexinit &&
            (s.side[i].hassh_len >= sizeof(s.side[i].hassh) || strlen(s.side[i].hassh_md5) != 32))
            abort();
    struct ps_json j;
    ps_json_init(&j, buf, sizeof(buf));
    ps_json_obj_begin(&j, NULL);
    ps_ssh_eve(&j, &s);
    ps_json_obj_end(&j);
    if (j.overflow || j.depth != 0)
        abort();
    (void)ps_ssh_probe(data, size);
    return 0;
}
