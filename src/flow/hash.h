/* SPDX-License-Identifier: BSD-2-Clause */
/* Seeded 64-bit hash over whole words: the flow table, the session table and
 * (later) worker dispatch use it. The seed is random per run, so an attacker
 * cannot aim packets at one bucket. */
#ifndef PS_FLOW_HASH_H
#define PS_FLOW_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t ps_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t ps_hash_words(uint64_t seed, const uint64_t *w, size_t n)
{
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    return ps_hash_mix(h);
}

#endif
