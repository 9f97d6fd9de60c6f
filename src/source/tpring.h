/* SPDX-License-Identifier: BSD-2-Clause */
/* A TPACKET_V3 receive ring on an AF_PACKET socket, shared by `listen -i`
 * (source/afpacket.c) and the mirror agent (mirror/agent.c). The kernel
 * fills blocks of frames in a memory map; the reader walks a ready block in
 * place and hands it back, so no frame is copied out of the kernel. */
#ifndef PS_SOURCE_TPRING_H
#define PS_SOURCE_TPRING_H

#include <stddef.h>
#include <stdint.h>

struct tpacket_block_desc;

struct ps_tpring {
    uint8_t *map;
    size_t map_len;
    unsigned block_size, nblocks, cur;
};

/* Set TPACKET_V3 and map a ring of nblocks blocks of block_size bytes (a
 * multiple of the page size) on fd, before bind. retire_ms: the kernel hands
 * over a block not yet full after that long. Returns 0, or -1 with *what
 * naming the step that failed (errno set). */
int ps_tpring_map(struct ps_tpring *r, int fd, unsigned block_size, unsigned nblocks,
                  unsigned retire_ms, const char **what);

/* The block at the reader's position if the kernel has handed it over, else
 * NULL. */
struct tpacket_block_desc *ps_tpring_ready(const struct ps_tpring *r);

/* Give the block at the reader's position back to the kernel and move on. */
void ps_tpring_release(struct ps_tpring *r);

/* Frames in blocks handed over but not yet read. */
uint64_t ps_tpring_unread(const struct ps_tpring *r);

/* The kernel's drops since the last call (PACKET_STATISTICS, which resets
 * on read), or 0. */
uint64_t ps_tpring_drops(int fd);

void ps_tpring_unmap(struct ps_tpring *r);

#endif
