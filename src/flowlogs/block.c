/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow-log blocks: the column encoder and the bounded decoder (block.h). */
#include <stdlib.h>
#include <string.h>

#include "flowlogs/block.h"

#define HASH_SLOTS (PS_FLB_MAX_REC * 2) /* load <= 1/2 */
#define ARENA      (4u << 20)
#define ROW_TEXT   (PS_FL_MAX_LINE * 3) /* a record's text at most: fields + extra */
#define HDR_COL    6                    /* col, enc, u32 length */

struct icol {
    int64_t v[PS_FLB_MAX_REC];
    uint8_t null[PS_FLB_MAX_REC];
    bool anynull;
};

struct tcol {
    uint16_t idx[PS_FLB_MAX_REC];
    uint32_t ndict;
    bool all_v4;                 /* an address column whose entries are all IPv4 */
    uint32_t v4[PS_FLB_MAX_REC]; /* those addresses */
    struct entry {               /* together: a probe reads one cache line */
        uint32_t hash, off, len;
    } ent[PS_FLB_MAX_REC];
    uint16_t slot[HASH_SLOTS]; /* entry + 1, 0 empty */
};

struct ps_flb_writer {
    uint32_t nrec;
    uint64_t present;   /* columns with a value in some record of the block */
    uint64_t rowset;    /* columns put in the current record */
    uint64_t int_cols;  /* bit c: column c holds integers */
    uint64_t addr_cols; /* bit c: column c holds addresses */
    void *col[PS_FLB_NCOLS];
    char *arena;
    uint32_t used;
    struct ps_flb_summary sum;
    uint8_t *out;
    size_t outcap;
};

static inline bool is_int(const struct ps_flb_writer *w, int c)
{
    return w->int_cols >> c & 1;
}

_Static_assert(PS_FLB_NCOLS <= 64, "column masks are 64-bit");
_Static_assert(PS_FLB_MAX_REC <= 65535, "dictionary indexes are 16-bit");

/* Bit c: column c holds integers. */
static uint64_t int_mask(void)
{
    uint64_t m = 1ull << PS_FLB_COL_ID | 1ull << PS_FLB_COL_FILE_ID | 1ull << PS_FLB_COL_LINE |
                 1ull << PS_FLB_COL_SEQ;
    for (int f = 0; f < PS_FL_NFIELDS; f++) {
        if (ps_fl_field(f)->kind == PS_FL_K_INT)
            m |= 1ull << (PS_FLB_COL_FIELD0 + f);
    }
    return m;
}

bool ps_flb_col_is_addr(int c)
{
    return c >= PS_FLB_COL_FIELD0 && c < PS_FLB_COL_EXTRA &&
           ps_fl_field(c - PS_FLB_COL_FIELD0)->kind == PS_FL_K_ADDR;
}

bool ps_flb_col_is_int(int c)
{
    if (c == PS_FLB_COL_ID || c == PS_FLB_COL_FILE_ID || c == PS_FLB_COL_LINE ||
        c == PS_FLB_COL_SEQ)
        return true;
    if (c >= PS_FLB_COL_FIELD0 && c < PS_FLB_COL_EXTRA)
        return ps_fl_field(c - PS_FLB_COL_FIELD0)->kind == PS_FL_K_INT;
    return false;
}

/* Worst case of an encoded block: every column present, every INT varint
 * 10 bytes, every DICT entry distinct. */
static size_t out_bound(void)
{
    size_t per_int = 1 + (PS_FLB_MAX_REC + 7) / 8 + 10 * (size_t)PS_FLB_MAX_REC;
    size_t per_dict = 5 + 5 * (size_t)PS_FLB_MAX_REC + 1 + 2 * (size_t)PS_FLB_MAX_REC;
    size_t per = per_int > per_dict ? per_int : per_dict;
    return 4 + 10 + 10 + (size_t)PS_FLB_NCOLS * (HDR_COL + per) + ARENA;
}

struct ps_flb_writer *ps_flb_writer_new(void)
{
    struct ps_flb_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->int_cols = int_mask();
    for (int f = 0; f < PS_FL_NFIELDS; f++) {
        if (ps_fl_field(f)->kind == PS_FL_K_ADDR)
            w->addr_cols |= 1ull << (PS_FLB_COL_FIELD0 + f);
    }
    w->arena = malloc(ARENA);
    w->outcap = out_bound();
    w->out = malloc(w->outcap);
    for (int c = 0; c < PS_FLB_NCOLS && w->arena && w->out; c++) {
        w->col[c] =
            ps_flb_col_is_int(c) ? calloc(1, sizeof(struct icol)) : calloc(1, sizeof(struct tcol));
        if (!w->col[c])
            break;
        if (c == PS_FLB_NCOLS - 1)
            return w;
    }
    ps_flb_writer_free(w);
    return NULL;
}

void ps_flb_writer_free(struct ps_flb_writer *w)
{
    if (!w)
        return;
    for (int c = 0; c < PS_FLB_NCOLS; c++)
        free(w->col[c]);
    free(w->arena);
    free(w->out);
    free(w);
}

void ps_flb_reset(struct ps_flb_writer *w)
{
    for (uint64_t m = w->present; m; m &= m - 1) {
        int c = __builtin_ctzll(m);
        if (is_int(w, c)) {
            ((struct icol *)w->col[c])->anynull = false;
        } else {
            struct tcol *t = w->col[c];
            t->ndict = 0;
            memset(t->slot, 0, sizeof(t->slot));
        }
    }
    w->nrec = 0;
    w->present = 0;
    w->rowset = 0;
    w->used = 0;
    memset(&w->sum, 0, sizeof(w->sum));
}

bool ps_flb_row_begin(struct ps_flb_writer *w)
{
    w->rowset = 0;
    return w->nrec < PS_FLB_MAX_REC && w->used <= ARENA - ROW_TEXT;
}

/* Column c gets its first value at record w->nrec: the earlier records
 * of the block have none. */
static void first_use(struct ps_flb_writer *w, int c)
{
    w->present |= 1ull << c;
    if (is_int(w, c)) {
        struct icol *k = w->col[c];
        memset(k->null, 1, w->nrec);
        memset(k->v, 0, w->nrec * sizeof(k->v[0]));
        k->anynull = w->nrec > 0;
    } else {
        struct tcol *t = w->col[c];
        memset(t->idx, 0, w->nrec * sizeof(t->idx[0]));
        t->all_v4 = w->addr_cols >> c & 1;
    }
}

static void minmax(bool *have, int64_t *lo, int64_t *hi, int64_t v)
{
    if (!*have) {
        *have = true;
        *lo = *hi = v;
    } else if (v < *lo) {
        *lo = v;
    } else if (v > *hi) {
        *hi = v;
    }
}

static inline void put_int(struct ps_flb_writer *w, int c, int64_t v)
{
    if (!(w->present >> c & 1))
        first_use(w, c);
    struct icol *k = w->col[c];
    k->v[w->nrec] = v;
    k->null[w->nrec] = 0;
    w->rowset |= 1ull << c;
    if (c == PS_FLB_COL_SEQ) {
        if (w->nrec == 0)
            w->sum.first_seq = (uint64_t)v;
        w->sum.last_seq = (uint64_t)v;
    } else if (c == PS_FLB_COL_FIELD0 + PS_FL_START) {
        minmax(&w->sum.have_start, &w->sum.start_min, &w->sum.start_max, v);
    } else if (c == PS_FLB_COL_FIELD0 + PS_FL_END) {
        minmax(&w->sum.have_end, &w->sum.end_min, &w->sum.end_max, v);
    }
}

/* Short strings (addresses, IDs) in a few multiplications; a string of
 * 8 bytes or more is read a word at a time, its last word overlapping. */
static uint32_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, x;
    if (n < 8) {
        uint32_t a = 0, b = 0;
        if (n >= 4) {
            memcpy(&a, p, 4);
            memcpy(&b, p + n - 4, 4);
        } else if (n) {
            a = (uint8_t)p[0] | (uint32_t)(uint8_t)p[n / 2] << 8 |
                (uint32_t)(uint8_t)p[n - 1] << 16;
        }
        x = a | (uint64_t)b << 32;
    } else {
        for (; n > 8; p += 8, n -= 8) {
            memcpy(&x, p, 8);
            h = (h ^ x) * 0xff51afd7ed558ccdull;
            h ^= h >> 32;
        }
        memcpy(&x, p + n - 8, 8);
    }
    h = (h ^ x) * 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h ^ h >> 29);
}

/* A dotted quad as ps_flb_decode() writes it back (no leading zeros, each
 * part 0..255) into *out (the first part in the top byte). */
static bool ipv4(const char *p, size_t n, uint32_t *out)
{
    uint32_t a = 0, part = 0, digits = 0, dots = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d <= 9) {
            if ((digits == 1 && part == 0) || ++digits > 3 || (part = part * 10 + d) > 255)
                return false;
            continue;
        }
        if (p[i] != '.' || digits == 0 || ++dots > 3)
            return false;
        a = a << 8 | part;
        part = digits = 0;
    }
    if (dots != 3 || digits == 0)
        return false;
    *out = a << 8 | part;
    return true;
}

/* a[0..n) == b[0..n), in word loads that stay inside both. */
static inline bool same(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    uint32_t u, v;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v)
            return false;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}

static inline void put_text(struct ps_flb_writer *w, int c, const char *p, size_t n)
{
    if (!(w->present >> c & 1))
        first_use(w, c);
    struct tcol *t = w->col[c];
    /* Columns of few values (account, action, status): the last one. */
    uint32_t last = w->nrec ? t->idx[w->nrec - 1] : 0;
    if (last && t->ndict <= 16 && t->ent[last - 1].len == n &&
        same(w->arena + t->ent[last - 1].off, p, n)) {
        t->idx[w->nrec] = (uint16_t)last;
        w->rowset |= 1ull << c;
        return;
    }
    uint32_t h = hash_bytes(p, n), s = h & (HASH_SLOTS - 1);
    for (;; s = (s + 1) & (HASH_SLOTS - 1)) {
        uint32_t e = t->slot[s];
        if (e == 0)
            break;
        e--;
        const struct entry *x = &t->ent[e];
        if (x->hash == h && x->len == n && same(w->arena + x->off, p, n)) {
            t->idx[w->nrec] = (uint16_t)(e + 1);
            w->rowset |= 1ull << c;
            return;
        }
    }
    /* New in this block. ps_flb_row_begin() left room for the record's
     * text, and a block has fewer entries than slots. */
    uint32_t e = t->ndict++;
    if (t->all_v4)
        t->all_v4 = ipv4(p, n, &t->v4[e]);
    t->ent[e] = (struct entry){h, w->used, (uint32_t)n};
    memcpy(w->arena + w->used, p, n);
    w->used += (uint32_t)n;
    t->slot[s] = (uint16_t)(e + 1);
    t->idx[w->nrec] = (uint16_t)(e + 1);
    w->rowset |= 1ull << c;
}

void ps_flb_put_int(struct ps_flb_writer *w, int c, int64_t v)
{
    put_int(w, c, v);
}

void ps_flb_put_text(struct ps_flb_writer *w, int c, const char *p, size_t n)
{
    put_text(w, c, p, n);
}

void ps_flb_put_rec(struct ps_flb_writer *w, const struct ps_fl_format *f,
                    const struct ps_fl_rec *r, uint64_t seq, uint64_t line, const char *extra,
                    size_t extralen)
{
    put_int(w, PS_FLB_COL_SEQ, (int64_t)seq);
    put_int(w, PS_FLB_COL_LINE, (int64_t)line);
    for (int c = 0; c < f->ncols; c++) {
        int id = f->field[c];
        if (id == PS_FL_UNKNOWN || ps_fl_rec_null(r, c))
            continue;
        if (f->kind[c] == PS_FL_K_INT)
            put_int(w, PS_FLB_COL_FIELD0 + id, r->num[c]);
        else
            put_text(w, PS_FLB_COL_FIELD0 + id, r->tok[c].p, r->tok[c].n);
    }
    if (extra)
        put_text(w, PS_FLB_COL_EXTRA, extra, extralen);
    ps_flb_row_end(w);
}

void ps_flb_row_end(struct ps_flb_writer *w)
{
    for (uint64_t m = w->present & ~w->rowset; m; m &= m - 1) {
        int c = __builtin_ctzll(m);
        if (is_int(w, c)) {
            struct icol *k = w->col[c];
            k->null[w->nrec] = 1;
            k->v[w->nrec] = 0;
            k->anynull = true;
        } else {
            ((struct tcol *)w->col[c])->idx[w->nrec] = 0;
        }
    }
    w->nrec++;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

static uint8_t *enc_int(uint8_t *o, const struct icol *k, uint32_t nrec)
{
    if (!k->anynull) {
        uint32_t i = 1;
        while (i < nrec && k->v[i] == k->v[0])
            i++;
        if (i == nrec) { /* one value in every record */
            uint64_t d = (uint64_t)k->v[0];
            *o++ = 2;
            return put_varint(o, (d << 1) ^ (0 - (d >> 63)));
        }
    }
    *o++ = k->anynull;
    if (k->anynull) {
        memset(o, 0, (nrec + 7) / 8);
        for (uint32_t i = 0; i < nrec; i++)
            o[i >> 3] |= (uint8_t)(k->null[i] << (i & 7));
        o += (nrec + 7) / 8;
    }
    uint64_t prev = 0;
    for (uint32_t i = 0; i < nrec; i++) {
        if (k->null[i])
            continue;
        uint64_t d = (uint64_t)k->v[i] - prev;
        prev = (uint64_t)k->v[i];
        o = put_varint(o, (d << 1) ^ (0 - (d >> 63)));
    }
    return o;
}

static uint8_t *enc_dict(uint8_t *o, const struct tcol *t, const char *arena, uint32_t nrec)
{
    o = put_varint(o, t->ndict);
    for (uint32_t e = 0; e < t->ndict; e++) {
        if (t->all_v4) {
            o[0] = (uint8_t)(t->v4[e] >> 24);
            o[1] = (uint8_t)(t->v4[e] >> 16);
            o[2] = (uint8_t)(t->v4[e] >> 8);
            o[3] = (uint8_t)t->v4[e];
            o += 4;
            continue;
        }
        o = put_varint(o, t->ent[e].len);
        memcpy(o, arena + t->ent[e].off, t->ent[e].len);
        o += t->ent[e].len;
    }
    uint32_t run = 0;
    while (t->ndict == 1 && run < nrec && t->idx[run] == 1)
        run++;
    if (t->ndict == 1 && run == nrec) { /* one value in every record */
        *o++ = 0;
        return o;
    }
    int width = t->ndict < 255 ? 1 : 2;
    *o++ = (uint8_t)width;
    for (uint32_t i = 0; i < nrec; i++) {
        *o++ = (uint8_t)t->idx[i];
        if (width == 2)
            *o++ = (uint8_t)(t->idx[i] >> 8);
    }
    return o;
}

size_t ps_flb_encode(struct ps_flb_writer *w, const uint8_t **out, struct ps_flb_summary *sum)
{
    if (w->nrec == 0)
        return 0;
    uint8_t *o = w->out;
    memcpy(o, "FLB1", 4);
    o = put_varint(o + 4, w->nrec);
    o = put_varint(o, (uint64_t)__builtin_popcountll(w->present));
    uint8_t *hdr = o;
    o += HDR_COL * __builtin_popcountll(w->present);
    for (uint64_t m = w->present; m; m &= m - 1) {
        int c = __builtin_ctzll(m);
        uint8_t *b = o;
        bool isint = is_int(w, c);
        o = isint ? enc_int(o, w->col[c], w->nrec) : enc_dict(o, w->col[c], w->arena, w->nrec);
        uint32_t len = (uint32_t)(o - b);
        hdr[0] = (uint8_t)c;
        hdr[1] = isint                                ? PS_FLB_ENC_INT
                 : ((struct tcol *)w->col[c])->all_v4 ? PS_FLB_ENC_IPV4
                                                      : PS_FLB_ENC_DICT;
        hdr[2] = (uint8_t)len;
        hdr[3] = (uint8_t)(len >> 8);
        hdr[4] = (uint8_t)(len >> 16);
        hdr[5] = (uint8_t)(len >> 24);
        hdr += HDR_COL;
    }
    *out = w->out;
    *sum = w->sum;
    sum->nrec = w->nrec;
    return (size_t)(o - w->out);
}

/* ---- reading ---- */

/* An unsigned LEB128 varint of at most 10 bytes at p[*i], below end. */
static int get_varint(const uint8_t *p, size_t end, size_t *i, uint64_t *v)
{
    uint64_t x = 0;
    for (int s = 0; s < 70; s += 7) {
        if (*i >= end)
            return -1;
        uint8_t b = p[(*i)++];
        if (s == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int ps_flb_open(struct ps_flb_block *b, const uint8_t *blob, size_t len)
{
    memset(b, 0, sizeof(*b));
    size_t i = 4;
    uint64_t nrec, ncols;
    if (!blob || len < 4 || memcmp(blob, "FLB1", 4) != 0 || get_varint(blob, len, &i, &nrec) ||
        get_varint(blob, len, &i, &ncols) || nrec == 0 || nrec > PS_FLB_MAX_REC ||
        ncols > PS_FLB_NCOLS || (len - i) / HDR_COL < ncols)
        return -1;
    b->nrec = (uint32_t)nrec;
    size_t body = i + HDR_COL * (size_t)ncols;
    for (uint64_t k = 0; k < ncols; k++, i += HDR_COL) {
        uint8_t c = blob[i], enc = blob[i + 1];
        size_t n = (size_t)blob[i + 2] | (size_t)blob[i + 3] << 8 | (size_t)blob[i + 4] << 16 |
                   (size_t)blob[i + 5] << 24;
        if (c >= PS_FLB_NCOLS || b->col[c].enc ||
            !(ps_flb_col_is_int(c)
                  ? enc == PS_FLB_ENC_INT
                  : enc == PS_FLB_ENC_DICT || (enc == PS_FLB_ENC_IPV4 && ps_flb_col_is_addr(c))) ||
            n > len - body)
            return -1;
        b->col[c] = (struct ps_flb_col){enc, blob + body, n};
        body += n;
    }
    return body == len ? 0 : -1;
}

static int dec_int(const struct ps_flb_col *k, uint32_t nrec, struct ps_flb_values *o)
{
    const uint8_t *p = k->body;
    size_t i = 1, n = k->len;
    if (n < 1 || p[0] > 2)
        return -1;
    if (p[0] == 2) {
        uint64_t zz;
        if (get_varint(p, n, &i, &zz) != 0 || i != n)
            return -1;
        int64_t v = (int64_t)((zz >> 1) ^ (0 - (zz & 1)));
        for (uint32_t r = 0; r < nrec; r++)
            o->v[r] = v;
        memset(o->null, 0, nrec);
        return 0;
    }
    if (p[0]) {
        if (n - 1 < (nrec + 7) / 8)
            return -1;
        for (uint32_t r = 0; r < nrec; r++)
            o->null[r] = (p[1 + (r >> 3)] >> (r & 7)) & 1;
        i += (nrec + 7) / 8;
    } else {
        memset(o->null, 0, nrec);
    }
    uint64_t prev = 0, zz;
    for (uint32_t r = 0; r < nrec; r++) {
        if (o->null[r]) {
            o->v[r] = 0;
            continue;
        }
        if (get_varint(p, n, &i, &zz) != 0)
            return -1;
        prev += (zz >> 1) ^ (0 - (zz & 1));
        o->v[r] = (int64_t)prev;
    }
    return i == n ? 0 : -1;
}

static int dec_dict(const struct ps_flb_col *k, uint32_t nrec, struct ps_flb_values *o)
{
    const uint8_t *p = k->body;
    size_t i = 0, n = k->len;
    uint64_t nd, l;
    if (get_varint(p, n, &i, &nd) != 0 || nd > nrec)
        return -1;
    char *txt = o->text;
    for (uint64_t e = 0; e < nd; e++) {
        if (k->enc == PS_FLB_ENC_IPV4) {
            if (n - i < 4)
                return -1;
            int m = snprintf(txt, 16, "%u.%u.%u.%u", p[i], p[i + 1], p[i + 2], p[i + 3]);
            o->dp[e] = (const uint8_t *)txt;
            o->dn[e] = (uint32_t)m;
            txt += m;
            i += 4;
            continue;
        }
        if (get_varint(p, n, &i, &l) != 0 || l > n - i)
            return -1;
        o->dp[e] = p + i;
        o->dn[e] = (uint32_t)l;
        i += (size_t)l;
    }
    o->ndict = (uint32_t)nd;
    if (i >= n || p[i] > 2)
        return -1;
    unsigned width = p[i++];
    if (width == 0) { /* one value in every record */
        if (nd != 1 || i != n)
            return -1;
        for (uint32_t r = 0; r < nrec; r++)
            o->idx[r] = 1;
        return 0;
    }
    if ((n - i) / width != nrec || (n - i) % width)
        return -1;
    for (uint32_t r = 0; r < nrec; r++, i += width) {
        uint16_t x = width == 1 ? p[i] : (uint16_t)(p[i] | p[i + 1] << 8);
        if (x > nd)
            return -1;
        o->idx[r] = x;
    }
    return 0;
}

int ps_flb_decode(const struct ps_flb_block *b, int c, struct ps_flb_values *out)
{
    if (c < 0 || c >= PS_FLB_NCOLS)
        return -1;
    const struct ps_flb_col *k = &b->col[c];
    out->enc = k->enc;
    if (!k->enc) {
        out->ndict = 0;
        memset(out->null, 1, b->nrec);
        memset(out->idx, 0, b->nrec * sizeof(out->idx[0]));
        return 0;
    }
    return k->enc == PS_FLB_ENC_INT ? dec_int(k, b->nrec, out) : dec_dict(k, b->nrec, out);
}
