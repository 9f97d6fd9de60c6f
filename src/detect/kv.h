/* SPDX-License-Identifier: BSD-2-Clause */
/* "key=N" settings of a detector's configuration (--dns-tunnel unique=20),
 * and the probe-window slot choice its fixed tables share. */
#ifndef PS_DETECT_KV_H
#define PS_DETECT_KV_H

#include <stddef.h>
#include <stdint.h>

struct ps_kv_key {
    const char *key;
    size_t off; /* offset of a uint32_t in the configuration struct */
    unsigned long min, max;
};

/* Set the field kv names; 0, or -1 for an unknown key or a value out of range. */
int ps_kv_set_u32(void *cfg, const struct ps_kv_key *keys, size_t n, const char *kv);

/* Of `probe` consecutive slots from `start` in a table of `mask + 1` entries,
 * each `stride` bytes with a uint64_t key (0 = free) at key_off and a
 * uint64_t last-seen time at last_off: the slot holding key, else the first
 * free one, else the least recently seen. *found says whether key was there. */
void *ps_kv_slot(void *tab, size_t stride, uint32_t mask, uint64_t start, uint32_t probe,
                 uint64_t key, size_t key_off, size_t last_off, int *found);

#endif
