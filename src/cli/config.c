/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"

#define MAX_CONFIG (1u << 20)

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int ps_config_parse(struct ps_config_words *cw, const char *text, size_t len, char *err,
                    size_t errlen)
{
    memset(cw, 0, sizeof(*cw));
    /* Each key becomes "--key": room for two more bytes per line, plus NULs. */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    cw->text = malloc(len + 3 * lines + 1);
    if (!cw->text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *o = cw->text;
    size_t i = 0;
    for (int line = 1; i < len; line++) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        size_t a = i, b = end;
        i = end + 1;
        for (size_t k = a; k < b; k++)
            if (text[k] == '#') { /* a comment runs to the end of the line */
                b = k;
                break;
            }
        while (a < b && is_space(text[a]))
            a++;
        while (b > a && is_space(text[b - 1]))
            b--;
        if (a == b)
            continue;
        size_t k = a;
        while (k < b && is_key_char(text[k]))
            k++;
        if (k == a || (k < b && !is_space(text[k]) && text[k] != '=')) {
            snprintf(err, errlen, "line %d: expected 'key = value' or 'key'", line);
            goto fail;
        }
        if (cw->n + 2 > PS_CONFIG_MAX_WORDS) {
            snprintf(err, errlen, "line %d: too many settings", line);
            goto fail;
        }
        cw->w[cw->n++] = o;
        *o++ = '-';
        *o++ = '-';
        memcpy(o, text + a, k - a);
        o += k - a;
        *o++ = 0;
        while (k < b && is_space(text[k]))
            k++;
        if (k < b && text[k] == '=') {
            k++;
            while (k < b && is_space(text[k]))
                k++;
            if (k == b) {
                snprintf(err, errlen, "line %d: '=' without a value", line);
                goto fail;
            }
        }
        if (k < b) {
            size_t vs = k, ve = b;
            if (ve - vs >= 2 && ((text[vs] == '"' && text[ve - 1] == '"') ||
                                 (text[vs] == '\'' && text[ve - 1] == '\''))) {
                vs++;
                ve--;
            }
            cw->w[cw->n++] = o;
            memcpy(o, text + vs, ve - vs);
            o += ve - vs;
            *o++ = 0;
        }
    }
    return 0;
fail:
    ps_config_free(cw);
    return -1;
}

int ps_config_load(struct ps_config_words *cw, const char *path, char *err, size_t errlen)
{
    memset(cw, 0, sizeof(*cw));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(MAX_CONFIG);
    size_t n = buf ? fread(buf, 1, MAX_CONFIG, f) : 0;
    bool toobig = buf && n == MAX_CONFIG && fgetc(f) != EOF;
    fclose(f);
    if (!buf || toobig) {
        snprintf(err, errlen, "%s: %s", path, buf ? "larger than 1 MiB" : "out of memory");
        free(buf);
        return -1;
    }
    char perr[200];
    int rc = ps_config_parse(cw, buf, n, perr, sizeof(perr));
    if (rc)
        snprintf(err, errlen, "%s: %s", path, perr);
    free(buf);
    return rc;
}

void ps_config_free(struct ps_config_words *cw)
{
    free(cw->text);
    cw->text = NULL;
    cw->n = 0;
}
