/* SPDX-License-Identifier: BSD-2-Clause */
/* The flow-log record parser and the CloudWatch Logs "message" extractor.
 * Both read untrusted text with an index that is tested against the length
 * before every access (the bounded-reader rule of docs/style.md 13.3, on
 * text): no NUL terminator is assumed and nothing is copied or allocated.
 * spec: docs/aws-mirroring.md s6.1 ('-' values), s6.8 (formats), s6.9 */
#include <stdio.h>
#include <string.h>

#include "flowlogs/flowlogs.h"

/* "2021-03-26T03:29:10.000Z": the timestamp CloudWatch Logs puts before
 * each message when it exports a log group to S3. */
static bool is_iso_time(const char *s, size_t n)
{
    if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T')
        return false;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* Bytes of an IPv4 or IPv6 address in text. */
#define R6(a) [a] = 1, [a + 1] = 1, [a + 2] = 1, [a + 3] = 1, [a + 4] = 1, [a + 5] = 1
static const uint8_t addr_byte[256] = {
    R6('0'), ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, R6('a'), R6('A'), ['.'] = 1, [':'] = 1,
};

static bool addr_ok(const char *s, size_t n)
{
    if (n == 0 || n > 45)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!addr_byte[(unsigned char)s[i]])
            return false;
    }
    return true;
}

/* Where the field starting at s[i] ends: the first byte at or after i that
 * is a space, a tab, another control byte (<= 0x20) or DEL (0x7f), or n.
 * Eight bytes at a time where eight remain: (x - 0x21) & ~x has the high
 * bit of each byte below 0x21 (exact for the lowest such byte, which is
 * all that is used), and the same on x ^ 0x7f.. finds DEL. */
static inline size_t field_end(const char *s, size_t i, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, d;
        memcpy(&w, s + i, 8);
        d = w ^ (ones * 0x7f);
        uint64_t m = (((w - ones * 0x21) & ~w) | ((d - ones) & ~d)) & highs;
        if (m)
            return i + ((size_t)__builtin_ctzll(m) >> 3);
    }
#endif
    while (i < n && (unsigned char)s[i] > 0x20 && s[i] != 0x7f)
        i++;
    return i;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The k (1..8) decimal digits at p, with 8 bytes readable at p: padded on
 * the left with '0' to eight, checked, and combined in three multiplies
 * (pairs, quads, the eight). */
static inline bool digits8(const char *p, unsigned k, uint64_t *out)
{
    const uint64_t zeros = 0x3030303030303030ull, high = 0xf0f0f0f0f0f0f0f0ull;
    uint64_t w;
    memcpy(&w, p, 8);
    if (k < 8)
        w = w << (8 * (8 - k)) | zeros >> (8 * k);
    if (((w & high) | (((w + 0x0606060606060606ull) & high) >> 4)) != 0x3333333333333333ull)
        return false;
    w -= zeros;
    w = w * 10 + (w >> 8);
    w = (((w & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
         (((w >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
        32;
    *out = w;
    return true;
}
#endif

/* An unsigned decimal of 1..19 digits at p[0..n) (19 cannot overflow 64
 * bits); end is the end of the line, which no load passes. */
static inline bool decimal(const char *p, uint32_t n, const char *end, uint64_t *out)
{
    if (n == 0 || n > 19)
        return false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t hi, lo;
    if (n <= 8 && end - p >= 8)
        return digits8(p, n, out);
    if (n > 8 && n <= 16) {
        if (!digits8(p, n - 8, &hi) || !digits8(p + n - 8, 8, &lo))
            return false;
        *out = hi * 100000000u + lo;
        return true;
    }
#else
    (void)end;
#endif
    uint64_t v = 0;
    for (uint32_t k = 0; k < n; k++) {
        unsigned d = (unsigned)(unsigned char)p[k] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int ps_fl_parse_line(const struct ps_fl_format *f, const char *s, size_t n, struct ps_fl_rec *r,
                     char *why, size_t whylen)
{
    r->ntok = 0;
    r->null_mask[0] = r->null_mask[1] = 0;
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    /* One field more than the format is allowed for a leading timestamp
     * (a CloudWatch Logs export), so fields are collected into a window
     * one wider than the format. */
    struct ps_fl_tok fd[PS_FL_MAX_COLS + 1];
    size_t i = 0;
    int nt = 0, extra = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= n)
            break;
        size_t b = i;
        i = field_end(s, i, n);
        if (i < n && s[i] != ' ' && s[i] != '\t') {
            snprintf(why, whylen, "control byte 0x%02x at column %zu", (unsigned char)s[i], i + 1);
            return -1;
        }
        if (nt > f->ncols) {
            extra++;
            continue;
        }
        fd[nt++] = (struct ps_fl_tok){s + b, (uint32_t)(i - b)};
    }
    int total = nt + extra, skip = 0;
    bool stamp = nt > 0 && is_iso_time(fd[0].p, fd[0].n);
    if (stamp && total == f->ncols + 1) {
        skip = 1; /* the timestamp prefix */
    } else if (total != f->ncols) {
        snprintf(why, whylen, "%d fields, the format has %d", total - (stamp && total > f->ncols),
                 f->ncols);
        return -1;
    }
    r->ntok = f->ncols;
    for (int c = 0; c < f->ncols; c++) {
        const struct ps_fl_tok *t = &fd[c + skip];
        r->tok[c] = *t;
        if (t->n == 1 && t->p[0] == '-') {
            r->null_mask[c >> 6] |= 1ull << (c & 63);
            continue;
        }
        if (f->kind[c] == PS_FL_K_INT) {
            uint64_t v;
            if (!decimal(t->p, t->n, s + n, &v) || v > (uint64_t)f->max[c]) {
                const struct ps_fl_field_info *fi = ps_fl_field(f->field[c]);
                snprintf(why, whylen, "%s: not a number in 0..%lld: '%.*s'", fi->name,
                         (long long)fi->max, (int)(t->n > 40 ? 40 : t->n), t->p);
                return -1;
            }
            r->num[c] = (int64_t)v;
        } else if (f->kind[c] == PS_FL_K_ADDR && !addr_ok(t->p, t->n)) {
            snprintf(why, whylen, "%s: not an address: '%.*s'", ps_fl_field(f->field[c])->name,
                     (int)(t->n > 40 ? 40 : t->n), t->p);
            return -1;
        }
    }
    return 0;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The JSON string starting at s[*i] == '"': decoded into out[cap] when out
 * is not NULL. *i moves past the closing quote. Returns the decoded length
 * or -1 (unterminated, bad escape, too long). */
static long json_string(const char *s, size_t n, size_t *i, char *out, size_t cap)
{
    size_t k = *i + 1, o = 0;
    while (k < n) {
        unsigned char c = (unsigned char)s[k++];
        uint32_t cp;
        if (c == '"') {
            *i = k;
            return (long)o;
        }
        if (c != '\\') {
            if (out) {
                if (o >= cap)
                    return -1;
                out[o] = (char)c;
            }
            o++;
            continue;
        }
        if (k >= n)
            return -1;
        char e = s[k++];
        switch (e) {
        case '"':
        case '\\':
        case '/':
            cp = (uint32_t)e;
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u': {
            if (n - k < 4)
                return -1;
            int h0 = hexv(s[k]), h1 = hexv(s[k + 1]), h2 = hexv(s[k + 2]), h3 = hexv(s[k + 3]);
            if ((h0 | h1 | h2 | h3) < 0)
                return -1;
            cp = (uint32_t)(h0 << 12 | h1 << 8 | h2 << 4 | h3);
            k += 4;
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd; /* lone or paired surrogates: no flow-log text has them */
            break;
        }
        default:
            return -1;
        }
        uint8_t u[3];
        size_t ul;
        if (cp < 0x80) {
            u[0] = (uint8_t)cp;
            ul = 1;
        } else if (cp < 0x800) {
            u[0] = (uint8_t)(0xc0 | cp >> 6);
            u[1] = (uint8_t)(0x80 | (cp & 0x3f));
            ul = 2;
        } else {
            u[0] = (uint8_t)(0xe0 | cp >> 12);
            u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            u[2] = (uint8_t)(0x80 | (cp & 0x3f));
            ul = 3;
        }
        if (out) {
            if (cap - o < ul || o > cap)
                return -1;
            memcpy(out + o, u, ul);
        }
        o += ul;
    }
    return -1;
}

int ps_fl_json_message(const char *s, size_t n, size_t *pos, char *out, size_t cap, size_t *outlen)
{
    size_t i = *pos;
    while (i < n) {
        if (s[i] != '"') {
            i++;
            continue;
        }
        size_t ks = i + 1;
        long kl = json_string(s, n, &i, NULL, 0);
        if (kl < 0) {
            *pos = n;
            return -1;
        }
        size_t j = i;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (!(kl == 7 && i - ks == 8 && memcmp(s + ks, "message", 7) == 0) || j >= n || s[j] != ':')
            continue;
        j++;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j >= n || s[j] != '"')
            continue;
        long vl = json_string(s, n, &j, out, cap);
        *pos = j;
        if (vl < 0) {
            *pos = n;
            return -1;
        }
        *outlen = (size_t)vl;
        return 1;
    }
    *pos = n;
    return 0;
}
