/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the TLS parser. The input is a list of segments
 * (byte 0: direction in bit 0; bytes 1-2: length, big-endian; then the
 * bytes) offered through a bounded per-direction buffer as the stream layer
 * does; the whole input is also given to ps_tls_client_hello(), the probe,
 * JA3/JA4 and the EVE writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[2][PS_APP_BUF];
static size_t len[2];

static void eve(const struct ps_tls_info *ti)
{
    static char out[16384];
    struct ps_json j;
    ps_json_init(&j, out, sizeof(out));
    ps_tls_eve(&j, ti);
    char ja4[40];
    ps_tls_ja4(ti, 'q', ja4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_tls t;
    ps_tls_init(&t);
    len[0] = len[1] = 0;
    size_t pos = 0;
    while (size - pos >= 3 && ps_tls_status(&t) == PS_APP_MORE) {
        int dir = data[pos] & 1;
        size_t n = ((size_t)data[pos + 1] << 8) | data[pos + 2];
        pos += 3;
        if (n > size - pos)
            n = size - pos;
        const uint8_t *p = data + pos;
        pos += n;
        while (n > 0) {
            size_t room = PS_APP_BUF - len[dir];
            size_t k = n < room ? n : room;
            memcpy(buf[dir] + len[dir], p, k);
            len[dir] += k;
            p += k;
            n -= k;
            size_t used = ps_tls_feed(&t, dir, buf[dir], len[dir]);
            if (used > len[dir])
                abort();
            if (used == 0 && len[dir] == PS_APP_BUF)
                abort(); /* a stall: the parser must make progress on a full buffer */
            memmove(buf[dir], buf[dir] + used, len[dir] - used);
            len[dir] -= used;
            if (ps_tls_status(&t) != PS_APP_MORE)
                break;
        }
    }
    eve(&t.info);

    (void)ps_tls_probe(data, size);
    static struct ps_tls_info ti;
    memset(&ti, 0, sizeof(ti));
    (void)ps_tls_client_hello(&ti, data, size);
    eve(&ti);
    return 0;
}
