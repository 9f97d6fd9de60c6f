/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/rd.h"
#include "unit.h"

void test_rd(void)
{
    static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    struct ps_rd r = ps_rd_init(b, sizeof(b));
    CHECK_EQ(ps_rd_u8(&r), 0x01);
    CHECK_EQ(ps_rd_be16(&r), 0x0203);
    CHECK_EQ(ps_rd_be24(&r), 0x040506);
    CHECK_EQ(r.left, 3);
    CHECK(!r.bad);
    /* A short read is sticky: returns 0, empties the reader. */
    CHECK_EQ(ps_rd_be32(&r), 0);
    CHECK(r.bad);
    CHECK_EQ(r.left, 0);
    CHECK_EQ(ps_rd_u8(&r), 0);

    r = ps_rd_init(b, sizeof(b));
    CHECK_EQ(ps_rd_le16(&r), 0x0201);
    CHECK_EQ(ps_rd_le32(&r), 0x06050403);
    r = ps_rd_init(b, sizeof(b));
    CHECK_EQ(ps_rd_be64(&r), 0x0102030405060708ULL);

    /* Sub-readers are bounded by their declared length. */
    r = ps_rd_init(b, sizeof(b));
    struct ps_rd c = ps_rd_sub(&r, 4);
    CHECK_EQ(c.left, 4);
    CHECK_EQ(r.left, 5);
    CHECK_EQ(ps_rd_be32(&c), 0x01020304);
    CHECK_EQ(ps_rd_u8(&c), 0);
    CHECK(c.bad);
    CHECK(!r.bad);
    struct ps_rd big = ps_rd_sub(&r, 6);
    CHECK(big.bad);
    CHECK(r.bad);

    /* Lengths near SIZE_MAX never wrap. */
    r = ps_rd_init(b, sizeof(b));
    CHECK(!ps_rd_skip(&r, (size_t)-1));
    CHECK(ps_rd_bytes(&r, 1) == NULL);
    r = ps_rd_init(b, sizeof(b));
    CHECK_EQ(ps_rd_peek(&r, 8), 0x09);
    CHECK_EQ(ps_rd_peek(&r, 9), 0);
}
