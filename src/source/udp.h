/* SPDX-License-Identifier: BSD-2-Clause */
/* Mirror traffic on ordinary UDP sockets: VXLAN and GENEVE datagrams read in
 * batches (recvmmsg), with the sender's address (the mirrored ENI), the
 * local address (IP_PKTINFO), the kernel's receive timestamp and its count
 * of datagrams dropped for want of buffer space (SO_RXQ_OVFL). No privilege
 * or promiscuous capture is needed. */
#ifndef PS_SOURCE_UDP_H
#define PS_SOURCE_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS_UDP_MAX_SOCKETS 16
#define PS_UDP_BATCH       64
#define PS_UDP_SNAP        9216 /* GWLB: 8500 + 68 bytes of GENEVE; jumbo frames */

struct ps_udp_dgram {
    const uint8_t *data;
    uint32_t len;
    uint8_t ver; /* 4 or 6 */
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t sport;
    uint16_t dport;
    uint64_t ts_us;
    int kind;       /* PS_UDP_PORT_VXLAN or PS_UDP_PORT_GENEVE */
    bool truncated; /* longer than PS_UDP_SNAP: cut */
};

struct ps_udp {
    int fd[PS_UDP_MAX_SOCKETS];
    int kind[PS_UDP_MAX_SOCKETS];
    uint16_t port[PS_UDP_MAX_SOCKETS];
    uint32_t ovfl[PS_UDP_MAX_SOCKETS]; /* last SO_RXQ_OVFL value seen */
    int n;
    uint64_t kernel_drops; /* sum of the increments */
    uint8_t *bufs;         /* PS_UDP_BATCH * PS_UDP_SNAP */
};

/* Bind "[ADDR:]PORT" ("4789", "0.0.0.0:4789", "[::]:6081") for kind.
 * Returns 0, or -1 with a message in err. */
int ps_udp_bind(struct ps_udp *u, const char *spec, int kind, char *err, size_t errlen);

/* Receive up to PS_UDP_BATCH datagrams from socket i without blocking into
 * out[]; returns how many (0 when none), or -1 on a socket error. The data
 * is borrowed until the next call. */
int ps_udp_recv(struct ps_udp *u, int i, struct ps_udp_dgram *out);

void ps_udp_close(struct ps_udp *u);

#endif
