/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: packet(7): SOCK_RAW, PACKET_ADD_MEMBERSHIP/PACKET_MR_PROMISC,
 *       PACKET_STATISTICS; socket(7) SO_ATTACH_FILTER, SO_TIMESTAMPNS */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "source/afpacket.h"

/* Compile a libpcap filter for Ethernet and attach it to the socket: the
 * kernel then drops what does not match before copying it. */
static int attach_filter(int fd, const char *filter, char *err, size_t errlen)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, PS_AFP_SNAP);
    struct bpf_program prog;
    if (!dead)
        return -1;
    if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "filter '%s': %s", filter, pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    /* struct bpf_insn and struct sock_filter have the same layout. */
    struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
                            .filter = (struct sock_filter *)(void *)prog.bf_insns};
    int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
    if (rc != 0)
        snprintf(err, errlen, "filter '%s': %s", filter, strerror(errno));
    pcap_freecode(&prog);
    pcap_close(dead);
    return rc;
}

int ps_afp_open(struct ps_afp *a, const char *iface, const char *filter, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->fd = -1;
    unsigned idx = if_nametoindex(iface);
    if (!idx) {
        snprintf(err, errlen, "-i %s: no such interface", iface);
        return -1;
    }
    a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (a->fd < 0) {
        snprintf(err, errlen, "-i %s: %s (root or CAP_NET_RAW is needed)", iface, strerror(errno));
        return -1;
    }
    if (filter && attach_filter(a->fd, filter, err, errlen) != 0)
        goto fail;
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        snprintf(err, errlen, "-i %s: bind: %s", iface, strerror(errno));
        goto fail;
    }
    struct packet_mreq mr = {.mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC};
    setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
    int one = 1, rcvbuf = 64 << 20;
    if (setsockopt(a->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
        setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    setsockopt(a->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    a->bufs = malloc((size_t)PS_AFP_BATCH * PS_AFP_SNAP);
    if (!a->bufs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    ps_afp_stats(a); /* start the drop count from now */
    a->kernel_drops = 0;
    return 0;
fail:
    close(a->fd);
    a->fd = -1;
    return -1;
}

int ps_afp_recv(struct ps_afp *a, struct ps_afp_frame *out)
{
    struct mmsghdr msgs[PS_AFP_BATCH];
    struct iovec iov[PS_AFP_BATCH];
    union {
        char buf[64];
        struct cmsghdr align;
    } ctl[PS_AFP_BATCH];
    memset(msgs, 0, sizeof(msgs));
    for (int k = 0; k < PS_AFP_BATCH; k++) {
        iov[k].iov_base = a->bufs + (size_t)k * PS_AFP_SNAP;
        iov[k].iov_len = PS_AFP_SNAP;
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
        /* cppcheck-suppress legacyUninitvar ; a buffer for the kernel to fill */
        msgs[k].msg_hdr.msg_control = ctl[k].buf;
        msgs[k].msg_hdr.msg_controllen = sizeof(ctl[k].buf);
    }
    /* MSG_TRUNC: msg_len is the frame's real length even when cut. */
    int n = recvmmsg(a->fd, msgs, PS_AFP_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (int k = 0; k < n; k++) {
        out[k].data = iov[k].iov_base;
        out[k].len = msgs[k].msg_len;
        out[k].caplen = msgs[k].msg_len < PS_AFP_SNAP ? msgs[k].msg_len : PS_AFP_SNAP;
        out[k].ts_us = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[k].msg_hdr); c;
             c = CMSG_NXTHDR(&msgs[k].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                out[k].ts_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
            }
        }
    }
    return n;
}

void ps_afp_stats(struct ps_afp *a)
{
    struct tpacket_stats st;
    socklen_t len = sizeof(st);
    /* Reading the statistics resets them: add the increment. */
    if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
        a->kernel_drops += st.tp_drops;
}

void ps_afp_close(struct ps_afp *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    free(a->bufs);
    a->bufs = NULL;
}
