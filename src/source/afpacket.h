/* SPDX-License-Identifier: BSD-2-Clause */
/* Frames from a network interface (AF_PACKET): a SPAN port, or the link an
 * ERSPAN or GRE mirror feed arrives on. Batched reads (recvmmsg) with the
 * frame's full length (MSG_TRUNC), kernel timestamps, promiscuous mode, an
 * optional BPF filter in the kernel, and the socket's drop count. */
#ifndef PS_SOURCE_AFPACKET_H
#define PS_SOURCE_AFPACKET_H

#include <stddef.h>
#include <stdint.h>

#define PS_AFP_BATCH 64
#define PS_AFP_SNAP  9216

struct ps_afp_frame {
    const uint8_t *data;
    uint32_t caplen;
    uint32_t len;
    uint64_t ts_us;
};

struct ps_afp {
    int fd;
    uint8_t *bufs;         /* PS_AFP_BATCH * PS_AFP_SNAP */
    uint64_t kernel_drops; /* PACKET_STATISTICS tp_drops, summed */
};

/* Open iface; filter (libpcap syntax) may be NULL. Returns 0 or -1 with a
 * message (root or CAP_NET_RAW is needed). */
int ps_afp_open(struct ps_afp *a, const char *iface, const char *filter, char *err, size_t errlen);

/* Up to PS_AFP_BATCH frames without blocking; data borrowed until the next
 * call. Returns how many, or -1 on a socket error. */
int ps_afp_recv(struct ps_afp *a, struct ps_afp_frame *out);

/* Add the kernel's drops since the last call to a->kernel_drops. */
void ps_afp_stats(struct ps_afp *a);

void ps_afp_close(struct ps_afp *a);

#endif
