/* SPDX-License-Identifier: BSD-2-Clause */
/* blast: send UDP-in-IPv4 Ethernet frames out of an interface as fast as
 * AF_PACKET allows (sendmmsg, qdisc bypass), for the mirror bench.
 * usage: blast IFACE SIZE SECONDS [FLOWS]
 * SIZE is the Ethernet frame length (60..9000); FLOWS distinct UDP source
 * ports (default 1024). Prints "sent N frames in S s". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: blast IFACE SIZE SECONDS [FLOWS]\n");
        return 1;
    }
    unsigned idx = if_nametoindex(argv[1]);
    long size = strtol(argv[2], NULL, 10), flows = argc > 4 ? strtol(argv[4], NULL, 10) : 1024;
    double secs = strtod(argv[3], NULL);
    if (!idx || size < 60 || size > 9000 || flows < 1 || flows > 65535) {
        fprintf(stderr, "blast: bad interface, size or flows\n");
        return 1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = (int)idx, .sll_halen = 6};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        perror("blast: socket");
        return 1;
    }
    uint8_t *fr = calloc(BATCH, (size_t)size);
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];
    memset(m, 0, sizeof(m));
    for (int i = 0; i < BATCH; i++) {
        uint8_t *f = fr + (size_t)i * (size_t)size;
        static const uint8_t head[] = {0x02, 0, 0, 0x08, 0, 2, 0x02, 0, 0, 0x08, 0, 1, 0x08, 0};
        memcpy(f, head, sizeof(head));
        uint8_t *ip = f + 14;
        uint16_t tot = (uint16_t)(size - 14), ulen = (uint16_t)(tot - 20);
        ip[0] = 0x45;
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[8] = 64;
        ip[9] = 17;
        memcpy(ip + 12, (const uint8_t[]){10, 8, 0, 1, 10, 8, 0, 2}, 8);
        uint32_t sum = 0;
        for (int k = 0; k < 20; k += 2)
            sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        ip[10] = (uint8_t)(~sum >> 8);
        ip[11] = (uint8_t)~sum;
        uint8_t *u = ip + 20;
        u[2] = 0x13;
        u[3] = 0x88; /* 5000 */
        u[4] = (uint8_t)(ulen >> 8);
        u[5] = (uint8_t)ulen;
        iov[i] = (struct iovec){.iov_base = f, .iov_len = (size_t)size};
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned long long sent = 0;
    unsigned port = 0;
    double start = now_s(), end = start + secs;
    while (now_s() < end) {
        for (int i = 0; i < BATCH; i++) {
            uint8_t *u = fr + (size_t)i * (size_t)size + 34;
            uint16_t sp = (uint16_t)(10000 + port++ % (unsigned)flows);
            u[0] = (uint8_t)(sp >> 8);
            u[1] = (uint8_t)sp;
        }
        int n = sendmmsg(fd, m, BATCH, 0);
        if (n > 0)
            sent += (unsigned long long)n;
    }
    printf("sent %llu frames in %.2f s\n", sent, now_s() - start);
    free(fr);
    close(fd);
    return 0;
}
