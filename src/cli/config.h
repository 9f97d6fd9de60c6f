/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration file: one long option per line, as on the command line
 * without its dashes ("flow-capacity = 262144", "allow-source 10.0.0.0/8",
 * "no-checksums"), '#' comments, blank lines. It becomes argument words put
 * before the command line's, so the command line overrides it (repeatable
 * options add up). dist/periscope.conf documents every key with its default. */
#ifndef PS_CLI_CONFIG_H
#define PS_CLI_CONFIG_H

#include <stddef.h>

#define PS_CONFIG_MAX_WORDS 1024

struct ps_config_words {
    int n;
    char *w[PS_CONFIG_MAX_WORDS]; /* "--key", then "value" when it has one */
    char *text;                   /* the words point into this copy */
};

/* Parse len bytes of configuration text. Returns 0, or -1 with a message
 * naming the line in err. */
int ps_config_parse(struct ps_config_words *cw, const char *text, size_t len, char *err,
                    size_t errlen);

/* Read and parse a file (at most 1 MiB). */
int ps_config_load(struct ps_config_words *cw, const char *path, char *err, size_t errlen);

void ps_config_free(struct ps_config_words *cw);

#endif
