/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/app/quic.c: one flow's datagrams through
 * ps_quic_probe() and ps_quic_feed(). The input is a list of records
 *   flags (1), length (2, big-endian), body (length)
 * flags bit 0 = direction (1 = server). Bit 7 clear: the body is a raw
 * UDP payload. Bit 7 set: the body is a list of frames that the harness
 * puts into a valid protected Initial (bits 1-2: packet number length - 1,
 * bits 3-4: version v1, v2, draft-29, draft-23), so that the fuzzer reaches
 * the frame parser and CRYPTO reassembly behind the AEAD. */
#include <stdlib.h>

#include "app/quic.h"
#include "../unit/quic_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t versions[4] = {PS_QUIC_V1, PS_QUIC_V2, PS_QUIC_DRAFT29, 0xff000017u};
static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void feed(struct ps_quic *q, int dir, const uint8_t *d, size_t n)
{
    /* An exact-size copy so that ASan sees any read past the datagram. */
    uint8_t *c = malloc(n ? n : 1);
    if (!c)
        return;
    memcpy(c, d, n);
    (void)ps_quic_probe(c, n);
    int rc = ps_quic_feed(q, dir, c, n);
    free(c);
    if (rc != PS_APP_MORE && rc != PS_APP_DONE && rc != PS_APP_ERR)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_quic q;
    static uint8_t pkt[4096];
    ps_quic_init(&q);
    uint32_t pn[2] = {0, 0};
    size_t off = 0;
    while (size - off >= 3) {
        uint8_t flags = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (len > size - off)
            len = size - off;
        const uint8_t *body = data + off;
        off += len;
        int dir = flags & 1;
        if (!(flags & 0x80)) {
            feed(&q, dir, body, len);
            continue;
        }
        size_t n = qb_initial(pkt, sizeof(pkt), versions[(flags >> 3) & 3], dir, dcid, sizeof(dcid),
                              dcid, sizeof(dcid), pn[dir]++, (size_t)((flags >> 1) & 3) + 1, body,
                              len, dir ? 0 : 1200);
        if (n)
            feed(&q, dir, pkt, n);
    }
    size_t len;
    const uint8_t *m = ps_quic_client_hello(&q, &len);
    if (m && (len > PS_QUIC_CH_MAX || len < 4 || m[0] != 1))
        abort(); /* only a whole ClientHello is ever handed out */
    char buf[512];
    struct ps_json j;
    ps_json_init(&j, buf, sizeof(buf));
    ps_json_obj_begin(&j, NULL);
    ps_quic_eve(&j, &q);
    ps_json_obj_end(&j);
    return 0;
}
