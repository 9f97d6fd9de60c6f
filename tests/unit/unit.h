/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal unit-test helpers: checks print both values and count failures. */
#ifndef PS_TESTS_UNIT_H
#define PS_TESTS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern int unit_checks;
extern int unit_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        unit_checks++;                                                               \
        if (!(cond)) {                                                               \
            unit_failures++;                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                          \
    do {                                                                                        \
        unsigned long long va_ = (unsigned long long)(a);                                       \
        unsigned long long vb_ = (unsigned long long)(b);                                       \
        unit_checks++;                                                                          \
        if (va_ != vb_) {                                                                       \
            unit_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s == %s: %llu != %llu\n", __FILE__, __LINE__, #a, #b, va_, \
                    vb_);                                                                       \
        }                                                                                       \
    } while (0)

#define CHECK_STR(a, b)                                                                        \
    do {                                                                                       \
        const char *sa_ = (a), *sb_ = (b);                                                     \
        unit_checks++;                                                                         \
        if (strcmp(sa_, sb_) != 0) {                                                           \
            unit_failures++;                                                                   \
            fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, \
                    sa_, sb_);                                                                 \
        }                                                                                      \
    } while (0)

/* Each test file defines its entry points; main.c lists them. */
void test_rd(void);
void test_decode(void);
void test_flow(void);
void test_json(void);
void test_jparse(void);
void test_defrag(void);
void test_flowlogs(void);
void test_tunnels(void);
void test_dns(void);

#endif
