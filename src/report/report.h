/* SPDX-License-Identifier: BSD-2-Clause */
/* The visibility report: reads the SQLite store (flows, tls, quic, alerts)
 * and answers "do I have the visibility I think I have?" as a one-screen
 * text summary and a self-contained HTML page (inline SVG, no external
 * assets). Never on the packet path: it allocates freely. */
#ifndef PS_REPORT_REPORT_H
#define PS_REPORT_REPORT_H

#include <stddef.h>
#include <stdio.h>

struct ps_report_opts {
    const char *db;   /* the store */
    const char *html; /* page to write, or NULL */
    const char *cost; /* `periscope cost --json` output, or NULL */
    const char *title;
};

/* Print the summary to `out` and write the page. Returns 0, or -1 with a
 * message in err. */
int ps_report_run(const struct ps_report_opts *o, FILE *out, char *err, size_t errlen);

#endif
