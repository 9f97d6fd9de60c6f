/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: periscope mirror's configuration loading. The input is
 * read as the filters, the sessions and the targets JSON of the AWS CLI and
 * as rule lines; then the configuration is finished and a frame made of the
 * input's first bytes goes through the decision, whatever loaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mirror/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_mconfig c;
    char err[256];
    const char *text = (const char *)data;
    ps_mconfig_init(&c);
    ps_mconfig_target_addr(&c, "tmt-1", "192.0.2.1", err, sizeof(err));
    ps_mconfig_map(&c, "eni-1=eth0", err, sizeof(err));
    ps_mconfig_load_filters(&c, text, size, err, sizeof(err));
    ps_mconfig_load_targets(&c, text, size, err, sizeof(err));
    ps_mconfig_load_sessions(&c, text, size, err, sizeof(err));
    char line[600];
    size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
    memcpy(line, data, n);
    line[n] = 0;
    struct ps_mfilter *f = ps_mconfig_filter(&c, "own");
    if (f)
        ps_mfilter_add_rule_text(f, line, err, sizeof(err));
    ps_mconfig_add_dns(&c, line, err, sizeof(err));
    if (ps_mconfig_finish(&c, err, sizeof(err)) == 0 && c.nsource) {
        struct ps_mpkt p;
        enum ps_mverdict why;
        ps_mpkt_parse(&c, data, (uint32_t)(size < 65535 ? size : 65535), &p);
        for (int dir = 0; dir < 2; dir++)
            (void)ps_mirror_decide(&c, 0, (enum ps_mdir)dir, &p, dir == 1, &why);
        (void)ps_mpkt_flow_hash(&p);
    }
    return 0;
}
