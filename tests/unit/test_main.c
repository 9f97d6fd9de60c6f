/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit-test runner: one line per suite, then "unit: N passed, N failed". */
#include "unit.h"

int unit_checks;
int unit_failures;

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } suites[] = {
        {"rd", test_rd},
        {"decode", test_decode},
        {"flow", test_flow},
        {"json", test_json},
        {"jparse", test_jparse},
        {"defrag", test_defrag},
        {"flowlogs", test_flowlogs},
        {"stream", test_stream},
        {"quic", test_quic},
        {"tunnels", test_tunnels},
        {"dns", test_dns},
        {"http", test_http},
        {"ssh", test_ssh},
        {"tls", test_tls},
        {"mirror_filter", test_mirror_filter},
        {"clickhouse", test_clickhouse},
        {"visibility", test_visibility},
    };
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        int before = unit_failures, checks = unit_checks;
        suites[i].fn();
        int f = unit_failures - before;
        printf("%s unit/%s (%d checks)\n", f ? "FAIL" : "ok  ", suites[i].name,
               unit_checks - checks);
        if (f)
            failed++;
        else
            passed++;
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
