/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: recvmmsg(2), ip(7) IP_PKTINFO, ipv6(7) IPV6_RECVPKTINFO, socket(7)
 *       SO_RXQ_OVFL, SO_TIMESTAMPNS, SO_RCVBUF(FORCE) */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "source/udp.h"

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

static int split_spec(const char *spec, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(spec, ':');
    if (spec[0] == '[') { /* [v6]:port */
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= hcap)
            return -1;
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = 0;
        colon = close + 1;
    } else if (colon) {
        if ((size_t)(colon - spec) >= hcap)
            return -1;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = 0;
    } else {
        host[0] = 0;
        colon = spec - 1;
    }
    if (strlen(colon + 1) >= pcap || !colon[1])
        return -1;
    snprintf(port, pcap, "%s", colon + 1);
    return 0;
}

int ps_udp_bind(struct ps_udp *u, const char *spec, int kind, char *err, size_t errlen)
{
    if (u->n >= PS_UDP_MAX_SOCKETS) {
        snprintf(err, errlen, "%s: at most %d listening sockets", spec, PS_UDP_MAX_SOCKETS);
        return -1;
    }
    if (!u->bufs) {
        u->bufs = malloc((size_t)PS_UDP_BATCH * PS_UDP_SNAP);
        if (!u->bufs) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    char host[128], port[16];
    if (split_spec(spec, host, sizeof(host), port, sizeof(port)) != 0) {
        snprintf(err, errlen, "%s: expected [ADDR:]PORT", spec);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = host[0] ? AF_UNSPEC : AF_INET6; /* [::] takes IPv4 too */
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "%s: %s", spec, gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s: socket: %s", spec, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    /* A large buffer rides out bursts; FORCE works as root past rmem_max. */
    int rcvbuf = 64 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        snprintf(err, errlen, "%s: bind: %s", spec, strerror(errno));
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    u->fd[u->n] = fd;
    u->kind[u->n] = kind;
    u->port[u->n] = (uint16_t)strtoul(port, NULL, 10);
    u->ovfl[u->n] = 0;
    u->n++;
    return 0;
}

/* An IPv4-mapped IPv6 address is IPv4. */
static void take_addr(const struct sockaddr_storage *ss, uint8_t *ver, uint8_t out[16],
                      uint16_t *port)
{
    memset(out, 0, 16);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;
        memcpy(out, &s4->sin_addr, 4);
        *ver = 4;
        if (port)
            *port = ntohs(s4->sin_port);
        return;
    }
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ss;
    if (port)
        *port = ntohs(s6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        memcpy(out, s6->sin6_addr.s6_addr + 12, 4);
        *ver = 4;
    } else {
        memcpy(out, s6->sin6_addr.s6_addr, 16);
        *ver = 6;
    }
}

int ps_udp_recv(struct ps_udp *u, int i, struct ps_udp_dgram *out)
{
    struct mmsghdr msgs[PS_UDP_BATCH];
    struct iovec iov[PS_UDP_BATCH];
    struct sockaddr_storage from[PS_UDP_BATCH];
    union {
        char buf[256];
        struct cmsghdr align;
    } ctl[PS_UDP_BATCH];
    memset(msgs, 0, sizeof(msgs));
    for (int k = 0; k < PS_UDP_BATCH; k++) {
        iov[k].iov_base = u->bufs + (size_t)k * PS_UDP_SNAP;
        iov[k].iov_len = PS_UDP_SNAP;
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
        msgs[k].msg_hdr.msg_name = &from[k];
        msgs[k].msg_hdr.msg_namelen = sizeof(from[k]);
        /* cppcheck-suppress legacyUninitvar ; a buffer for the kernel to fill */
        msgs[k].msg_hdr.msg_control = ctl[k].buf;
        msgs[k].msg_hdr.msg_controllen = sizeof(ctl[k].buf);
    }
    int n = recvmmsg(u->fd[i], msgs, PS_UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (int k = 0; k < n; k++) {
        struct ps_udp_dgram *g = &out[k];
        memset(g, 0, sizeof(*g));
        g->data = iov[k].iov_base;
        g->len = msgs[k].msg_len;
        g->truncated = (msgs[k].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        g->kind = u->kind[i];
        g->dport = u->port[i];
        g->ts_us = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
        take_addr(&from[k], &g->ver, g->src, &g->sport);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[k].msg_hdr); c;
             c = CMSG_NXTHDR(&msgs[k].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                uint32_t v;
                memcpy(&v, CMSG_DATA(c), sizeof(v));
                if (v > u->ovfl[i])
                    u->kernel_drops += v - u->ovfl[i];
                u->ovfl[i] = v;
            } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                g->ts_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
            } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                memcpy(g->dst, &pi.ipi_addr, 4);
            } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr))
                    memcpy(g->dst, pi.ipi6_addr.s6_addr + 12, 4);
                else
                    memcpy(g->dst, pi.ipi6_addr.s6_addr, 16);
            }
        }
    }
    return n;
}

void ps_udp_close(struct ps_udp *u)
{
    for (int i = 0; i < u->n; i++)
        close(u->fd[i]);
    u->n = 0;
    free(u->bufs);
    u->bufs = NULL;
}
