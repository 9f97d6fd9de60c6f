/* SPDX-License-Identifier: BSD-2-Clause */
/* Frames from a network interface (AF_PACKET): a SPAN port, or the link an
 * ERSPAN or GRE mirror feed arrives on. A TPACKET_V3 ring (source/tpring.h):
 * frames are read in place in the kernel's memory map, with their full
 * length, kernel timestamps, promiscuous mode, an optional BPF filter in the
 * kernel (frames cut to PS_AFP_SNAP bytes), and the socket's drop count. */
#ifndef PS_SOURCE_AFPACKET_H
#define PS_SOURCE_AFPACKET_H

#include <stddef.h>
#include <stdint.h>

#include "source/tpring.h"

#define PS_AFP_BATCH 64
#define PS_AFP_SNAP  9216
/* Default ring: 16 blocks of 4 MiB (64 MiB of frames, about 0.5 s of a
 * 1 Gbit/s link); a block not full is handed over after 10 ms. */
#define PS_AFP_BLOCK_SIZE (4u << 20)
#define PS_AFP_BLOCKS     16u

struct ps_afp_frame {
    const uint8_t *data;
    uint32_t caplen;
    uint32_t len;
    uint64_t ts_us;
};

struct tpacket_block_desc;

struct ps_afp {
    int fd;
    struct ps_tpring ring;
    struct tpacket_block_desc *blk; /* the block being handed over, or NULL */
    const uint8_t *next;            /* its next frame */
    uint32_t left;                  /* frames of it not yet handed over */
    uint64_t kernel_drops;          /* PACKET_STATISTICS tp_drops, summed */
};

/* Open iface; filter (libpcap syntax) may be NULL. Returns 0 or -1 with a
 * message (root or CAP_NET_RAW is needed). */
int ps_afp_open(struct ps_afp *a, const char *iface, const char *filter, char *err, size_t errlen);

/* The same with the ring's geometry: block_size a multiple of the page size
 * (and of 2048), at least 2 blocks. */
int ps_afp_open_ring(struct ps_afp *a, const char *iface, const char *filter, unsigned block_size,
                     unsigned nblocks, char *err, size_t errlen);

/* Up to PS_AFP_BATCH frames of one ring block without blocking; data points
 * into the ring and is borrowed until the next call, which gives the block
 * back to the kernel once all its frames were handed over. Returns how many
 * (0: none ready; poll the fd for POLLIN). */
int ps_afp_recv(struct ps_afp *a, struct ps_afp_frame *out);

/* Add the kernel's drops since the last call to a->kernel_drops. */
void ps_afp_stats(struct ps_afp *a);

void ps_afp_close(struct ps_afp *a);

#endif
