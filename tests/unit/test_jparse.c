/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>

#include "core/jparse.h"
#include "unit.h"

static struct ps_jnode *parse(const char *s, char *err)
{
    return ps_jparse(s, strlen(s), err, 128);
}

void test_jparse(void)
{
    char err[128];
    struct ps_jnode *n = parse("{\"TrafficMirrorSessions\":[{\"VirtualNetworkId\":42,"
                               "\"NetworkInterfaceId\":\"eni-0a\\u0041\",\"Tags\":[]}],"
                               "\"x\":true,\"y\":null,\"z\":-1.5e2}",
                               err);
    CHECK(n != NULL);
    const struct ps_jnode *a = ps_jget(n, "TrafficMirrorSessions");
    CHECK(a && a->type == PS_J_ARR && a->child);
    if (a && a->child) {
        CHECK_EQ(ps_jget(a->child, "VirtualNetworkId")->num, 42);
        CHECK_STR(ps_jget(a->child, "NetworkInterfaceId")->str, "eni-0aA");
    }
    CHECK(ps_jget(n, "z")->num == -150.0);
    CHECK(ps_jget(n, "missing") == NULL);
    ps_jfree(n);

    static const char *bad[] = {
        "",    "{",          "[1,]", "{\"a\" 1}", "\"unterminated", "[1] x", "{\"a\":\"\\q\"}",
        "tru", "[\"\\u12\"]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        n = parse(bad[i], err);
        CHECK(n == NULL);
        CHECK(strncmp(err, "line ", 5) == 0);
        ps_jfree(n);
    }
    /* Nesting is capped, not recursed without bound. */
    char deep[400];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = 0;
    n = parse(deep, err);
    CHECK(n == NULL);
    CHECK(strstr(err, "nested too deeply") != NULL);
}
