/* SPDX-License-Identifier: BSD-2-Clause */
/* Bounded reader for untrusted bytes: every decoder and parser reads packet
 * memory only through these functions (docs/style.md 13.3).
 *
 * A short read sets the sticky `bad` flag, empties the reader and returns 0,
 * so a decoder can read a whole header and test once. Bounds are tested as
 * `left < n`, never by forming `p + n` (pointer overflow is undefined). */
#ifndef PS_CORE_RD_H
#define PS_CORE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_rd {
    const uint8_t *p; /* next unread byte */
    size_t left;      /* bytes left to read */
    bool bad;         /* sticky: set by the first short read */
};

static inline struct ps_rd ps_rd_init(const uint8_t *p, size_t len)
{
    struct ps_rd r = {p, len, false};
    return r;
}

static inline void ps_rd_fail(struct ps_rd *r)
{
    r->bad = true;
    r->left = 0;
}

static inline uint8_t ps_rd_u8(struct ps_rd *r)
{
    if (r->left < 1) {
        ps_rd_fail(r);
        return 0;
    }
    uint8_t v = r->p[0];
    r->p += 1;
    r->left -= 1;
    return v;
}

static inline uint16_t ps_rd_be16(struct ps_rd *r)
{
    if (r->left < 2) {
        ps_rd_fail(r);
        return 0;
    }
    uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    r->left -= 2;
    return v;
}

static inline uint32_t ps_rd_be24(struct ps_rd *r)
{
    if (r->left < 3) {
        ps_rd_fail(r);
        return 0;
    }
    uint32_t v = ((uint32_t)r->p[0] << 16) | ((uint32_t)r->p[1] << 8) | r->p[2];
    r->p += 3;
    r->left -= 3;
    return v;
}

static inline uint32_t ps_rd_be32(struct ps_rd *r)
{
    if (r->left < 4) {
        ps_rd_fail(r);
        return 0;
    }
    uint32_t v =
        ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) | ((uint32_t)r->p[2] << 8) | r->p[3];
    r->p += 4;
    r->left -= 4;
    return v;
}

static inline uint64_t ps_rd_be64(struct ps_rd *r)
{
    uint64_t hi = ps_rd_be32(r);
    uint64_t lo = ps_rd_be32(r);
    return (hi << 32) | lo;
}

static inline uint16_t ps_rd_le16(struct ps_rd *r)
{
    if (r->left < 2) {
        ps_rd_fail(r);
        return 0;
    }
    uint16_t v = (uint16_t)(r->p[0] | (r->p[1] << 8));
    r->p += 2;
    r->left -= 2;
    return v;
}

static inline uint32_t ps_rd_le32(struct ps_rd *r)
{
    if (r->left < 4) {
        ps_rd_fail(r);
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16) |
                 ((uint32_t)r->p[3] << 24);
    r->p += 4;
    r->left -= 4;
    return v;
}

/* Skip n bytes; false (and bad) when fewer are left. */
static inline bool ps_rd_skip(struct ps_rd *r, size_t n)
{
    if (r->left < n) {
        ps_rd_fail(r);
        return false;
    }
    r->p += n;
    r->left -= n;
    return true;
}

/* Borrow n contiguous bytes; NULL (and bad) when fewer are left. */
static inline const uint8_t *ps_rd_bytes(struct ps_rd *r, size_t n)
{
    if (r->left < n) {
        ps_rd_fail(r);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

/* Carve a child reader of n bytes (a declared length: an option, a record);
 * the parent moves past it. A short parent gives a bad, empty child. */
static inline struct ps_rd ps_rd_sub(struct ps_rd *r, size_t n)
{
    struct ps_rd c = {r->p, 0, false};
    if (r->left < n) {
        ps_rd_fail(r);
        c.bad = true;
        return c;
    }
    c.left = n;
    r->p += n;
    r->left -= n;
    return c;
}

/* Peek at byte i without consuming; 0 when out of range (no flag). */
static inline uint8_t ps_rd_peek(const struct ps_rd *r, size_t i)
{
    return i < r->left ? r->p[i] : 0;
}

#endif
