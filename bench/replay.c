/* SPDX-License-Identifier: BSD-2-Clause */
/* replay PCAP HOST PORT RATE COUNT: send the tunnel payloads (VXLAN or
 * GENEVE header onward) of a capture's outer IPv4/UDP packets to HOST:PORT
 * at RATE datagrams per second (0 = as fast as possible), COUNT in all
 * (looping over the file), with sendmmsg in batches of 64. Prints the number
 * sent and the seconds it took. For bench/listen.sh. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct dg {
    uint32_t off, len;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: replay PCAP HOST PORT RATE COUNT\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)size);
    if (!d || fread(d, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    size_t cap = 1 << 20, n = 0;
    struct dg *v = malloc(cap * sizeof(*v));
    for (size_t off = 24; off + 16 <= (size_t)size && v;) {
        uint32_t incl;
        memcpy(&incl, d + off + 8, 4);
        const uint8_t *p = d + off + 16;
        if (off + 16 + incl > (size_t)size)
            break;
        if (incl > 42 && p[12] == 8 && p[13] == 0 && p[23] == 17) {
            uint32_t ihl = (uint32_t)(p[14] & 15) * 4;
            uint32_t start = 14 + ihl + 8;
            if (start < incl) {
                if (n == cap)
                    v = realloc(v, (cap *= 2) * sizeof(*v));
                v[n].off = (uint32_t)(off + 16 + start);
                v[n].len = incl - start;
                n++;
            }
        }
        off += 16 + incl;
    }
    if (!n) {
        fprintf(stderr, "no UDP tunnel packets in %s\n", argv[1]);
        return 1;
    }
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
    inet_pton(AF_INET, argv[2], &to.sin_addr);
    int sndbuf = 8 << 20;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    double rate = atof(argv[4]);
    long total = atol(argv[5]), sent = 0;
    struct mmsghdr m[64];
    struct iovec iov[64];
    double t0 = now();
    size_t i = 0;
    while (sent < total) {
        int b = 0;
        for (; b < 64 && sent + b < total; b++, i = (i + 1) % n) {
            iov[b].iov_base = d + v[i].off;
            iov[b].iov_len = v[i].len;
            memset(&m[b], 0, sizeof(m[b]));
            m[b].msg_hdr.msg_name = &to;
            m[b].msg_hdr.msg_namelen = sizeof(to);
            m[b].msg_hdr.msg_iov = &iov[b];
            m[b].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(s, m, (unsigned)b, 0);
        if (r > 0)
            sent += r;
        if (rate > 0) /* pace: never ahead of the schedule */
            while ((double)sent / (now() - t0 + 1e-9) > rate)
                ;
    }
    printf("%ld %.3f\n", sent, now() - t0);
    return 0;
}
