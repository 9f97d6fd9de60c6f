/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal unit-test helpers: checks print both values and count failures. */
#ifndef PS_TESTS_UNIT_H
#define PS_TESTS_UNIT_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
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
void test_stream(void);
void test_quic(void);
void test_tunnels(void);
void test_dns(void);
void test_http(void);
void test_ssh(void);

/* Stream-parser helpers (test_http.c): the in-order byte streams of the TCP
 * connection on `port` in a pcap (0 client, 1 server), at most `cap` bytes
 * each; -1 when the file cannot be opened. */
int unit_tcp_stream(const char *path, uint16_t port, uint8_t *buf[2], size_t len[2], size_t cap);
/* Offer d[0..n) to fn as the stream layer would (app.h): `first` bytes, then
 * `step` more at each call, unconsumed bytes offered again; returns consumed. */
size_t unit_feed(const uint8_t *d, size_t n, size_t step, size_t first,
                 size_t (*fn)(void *st, const uint8_t *d, size_t n), void *st);
void test_tls(void);
void test_mirror_filter(void);
void test_clickhouse(void);
void test_visibility(void);

#endif
