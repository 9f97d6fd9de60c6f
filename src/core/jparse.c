/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: RFC 8259 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jparse.h"

#define MAX_DEPTH 64
#define MAX_FILE  (64u << 20)

struct jp {
    const char *s;
    size_t n;
    size_t i;
    int line;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct jp *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errlen, "line %d: %s", p->line, what);
    p->failed = true;
}

static void ws(struct jp *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == '\n')
            p->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        p->i++;
    }
}

static struct ps_jnode *node(struct jp *p, enum ps_jtype t)
{
    struct ps_jnode *n = calloc(1, sizeof(*n));
    if (!n)
        fail(p, "out of memory");
    else
        n->type = t;
    return n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse a string at p->i (on the quote) into a new NUL-terminated buffer. */
static char *string(struct jp *p)
{
    p->i++; /* opening quote */
    size_t start = p->i;
    size_t cap = 16;
    while (p->i < p->n && p->s[p->i] != '"') {
        if (p->s[p->i] == '\\')
            p->i++;
        p->i++;
    }
    if (p->i >= p->n) {
        fail(p, "unterminated string");
        return NULL;
    }
    cap += p->i - start;
    char *out = malloc(cap);
    if (!out) {
        fail(p, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (size_t k = start; k < p->i; k++) {
        char c = p->s[k];
        if ((unsigned char)c < 0x20) {
            fail(p, "control character in string");
            break;
        }
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        c = p->s[++k];
        switch (c) {
        case 'n':
            out[o++] = '\n';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case '/':
        case '\\':
        case '"':
            out[o++] = c;
            break;
        case 'u': {
            unsigned v = 0;
            for (int d = 0; d < 4; d++) {
                int h = k + 1 < p->i ? hexval(p->s[++k]) : -1;
                if (h < 0) {
                    fail(p, "bad \\u escape");
                    free(out);
                    return NULL;
                }
                v = v * 16 + (unsigned)h;
            }
            /* Configuration strings are ASCII in practice; encode the BMP
             * code point as UTF-8 (surrogates kept as-is, never on output). */
            if (v < 0x80) {
                out[o++] = (char)v;
            } else if (v < 0x800) {
                out[o++] = (char)(0xc0 | (v >> 6));
                out[o++] = (char)(0x80 | (v & 0x3f));
            } else {
                out[o++] = (char)(0xe0 | (v >> 12));
                out[o++] = (char)(0x80 | ((v >> 6) & 0x3f));
                out[o++] = (char)(0x80 | (v & 0x3f));
            }
            break;
        }
        default:
            fail(p, "bad escape");
            free(out);
            return NULL;
        }
    }
    p->i++; /* closing quote */
    out[o] = 0;
    if (p->failed) {
        free(out);
        return NULL;
    }
    return out;
}

static struct ps_jnode *value(struct jp *p, int depth);

static struct ps_jnode *container(struct jp *p, int depth, bool obj)
{
    struct ps_jnode *n = node(p, obj ? PS_J_OBJ : PS_J_ARR);
    if (!n)
        return NULL;
    struct ps_jnode **tail = &n->child;
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
        p->i++;
        return n;
    }
    for (;;) {
        char *k = NULL;
        ws(p);
        if (obj) {
            if (p->i >= p->n || p->s[p->i] != '"') {
                fail(p, "expected a member name");
                break;
            }
            k = string(p);
            if (!k)
                break;
            ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') {
                free(k);
                fail(p, "expected ':'");
                break;
            }
            p->i++;
        }
        struct ps_jnode *v = value(p, depth + 1);
        if (!v) {
            free(k);
            break;
        }
        v->key = k;
        *tail = v;
        tail = &v->next;
        ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
            p->i++;
            return n;
        }
        fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    ps_jfree(n);
    return NULL;
}

static struct ps_jnode *value(struct jp *p, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(p, "nested too deeply");
        return NULL;
    }
    ws(p);
    if (p->i >= p->n) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    char c = p->s[p->i];
    if (c == '{' || c == '[')
        return container(p, depth, c == '{');
    if (c == '"') {
        char *s = string(p);
        if (!s)
            return NULL;
        struct ps_jnode *n = node(p, PS_J_STR);
        if (!n) {
            free(s);
            return NULL;
        }
        n->str = s;
        return n;
    }
    static const struct {
        const char *word;
        enum ps_jtype t;
        double v;
    } words[] = {{"true", PS_J_BOOL, 1}, {"false", PS_J_BOOL, 0}, {"null", PS_J_NULL, 0}};
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t l = strlen(words[w].word);
        if (p->n - p->i >= l && memcmp(p->s + p->i, words[w].word, l) == 0) {
            p->i += l;
            struct ps_jnode *n = node(p, words[w].t);
            if (n)
                n->num = words[w].v;
            return n;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t l = 0;
        while (p->i < p->n && l < sizeof(buf) - 1 && strchr("+-0123456789.eE", p->s[p->i]))
            buf[l++] = p->s[p->i++];
        buf[l] = 0;
        char *end;
        double v = strtod(buf, &end);
        if (*end) {
            fail(p, "bad number");
            return NULL;
        }
        struct ps_jnode *n = node(p, PS_J_NUM);
        if (n)
            n->num = v;
        return n;
    }
    fail(p, "unexpected character");
    return NULL;
}

struct ps_jnode *ps_jparse(const char *text, size_t len, char *err, size_t errlen)
{
    struct jp p = {text, len, 0, 1, err, errlen, false};
    struct ps_jnode *n = value(&p, 0);
    if (n) {
        ws(&p);
        if (p.i != p.n) {
            fail(&p, "trailing characters");
            ps_jfree(n);
            n = NULL;
        }
    }
    return n;
}

void ps_jfree(struct ps_jnode *n)
{
    while (n) {
        struct ps_jnode *next = n->next;
        ps_jfree(n->child);
        free(n->key);
        free(n->str);
        free(n);
        n = next;
    }
}

const struct ps_jnode *ps_jget(const struct ps_jnode *o, const char *key)
{
    if (!o || o->type != PS_J_OBJ)
        return NULL;
    for (const struct ps_jnode *c = o->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

struct ps_jnode *ps_jparse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open: %m");
        return NULL;
    }
    char *buf = malloc(MAX_FILE);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t n = fread(buf, 1, MAX_FILE, f);
    bool toobig = n == MAX_FILE && fgetc(f) != EOF;
    fclose(f);
    struct ps_jnode *root = NULL;
    if (toobig)
        snprintf(err, errlen, "larger than %u bytes", MAX_FILE);
    else
        root = ps_jparse(buf, n, err, errlen);
    free(buf);
    return root;
}
