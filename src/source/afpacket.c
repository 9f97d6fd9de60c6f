/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: packet(7): PACKET_ADD_MEMBERSHIP/PACKET_MR_PROMISC, PACKET_RX_RING
 *       with TPACKET_V3 (struct tpacket3_hdr), PACKET_STATISTICS;
 *       socket(7) SO_ATTACH_FILTER */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "source/afpacket.h"

/* Compile a libpcap filter for Ethernet and attach it to the socket: the
 * kernel then drops what does not match before it reaches the ring. Without
 * a filter, one that keeps every frame cut to PS_AFP_SNAP bytes. */
static int attach_filter(int fd, const char *filter, char *err, size_t errlen)
{
    if (!filter) {
        struct sock_filter keep[] = {BPF_STMT(BPF_RET | BPF_K, PS_AFP_SNAP)};
        struct sock_fprog fp = {.len = 1, .filter = keep};
        int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
        if (rc != 0)
            snprintf(err, errlen, "filter: %s", strerror(errno));
        return rc;
    }
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
    return ps_afp_open_ring(a, iface, filter, PS_AFP_BLOCK_SIZE, PS_AFP_BLOCKS, err, errlen);
}

int ps_afp_open_ring(struct ps_afp *a, const char *iface, const char *filter, unsigned block_size,
                     unsigned nblocks, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->fd = -1;
    unsigned idx = if_nametoindex(iface);
    if (!idx) {
        snprintf(err, errlen, "-i %s: no such interface", iface);
        return -1;
    }
    /* Protocol 0: nothing is queued before bind, then this interface only. */
    a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->fd < 0) {
        snprintf(err, errlen, "-i %s: %s (root or CAP_NET_RAW is needed)", iface, strerror(errno));
        return -1;
    }
    if (attach_filter(a->fd, filter, err, errlen) != 0)
        goto fail;
    const char *what = NULL;
    if (ps_tpring_map(&a->ring, a->fd, block_size, nblocks, 10, &what) != 0) {
        snprintf(err, errlen, "-i %s: %s: %s", iface, what, strerror(errno));
        goto fail;
    }
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        snprintf(err, errlen, "-i %s: bind: %s", iface, strerror(errno));
        goto fail;
    }
    struct packet_mreq mr = {.mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC};
    setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
    ps_afp_stats(a); /* start the drop count from now */
    a->kernel_drops = 0;
    return 0;
fail:
    ps_afp_close(a);
    return -1;
}

int ps_afp_recv(struct ps_afp *a, struct ps_afp_frame *out)
{
    for (;;) {
        if (a->blk && a->left == 0) {
            /* The last call handed over its last frames: give it back. */
            ps_tpring_release(&a->ring);
            a->blk = NULL;
        }
        if (!a->blk) {
            a->blk = ps_tpring_ready(&a->ring);
            if (!a->blk)
                return 0;
            a->left = a->blk->hdr.bh1.num_pkts;
            a->next = (const uint8_t *)a->blk + a->blk->hdr.bh1.offset_to_first_pkt;
            if (a->left == 0)
                continue; /* an empty block the kernel retired */
        }
        int n = 0;
        while (n < PS_AFP_BATCH && a->left > 0) {
            const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(const void *)a->next;
            out[n].data = a->next + h->tp_mac;
            out[n].caplen = h->tp_snaplen;
            out[n].len = h->tp_len;
            out[n].ts_us = (uint64_t)h->tp_sec * 1000000 + h->tp_nsec / 1000;
            a->next += h->tp_next_offset;
            a->left--;
            n++;
        }
        return n;
    }
}

void ps_afp_stats(struct ps_afp *a)
{
    /* Reading the statistics resets them: add the increment. */
    a->kernel_drops += ps_tpring_drops(a->fd);
}

void ps_afp_close(struct ps_afp *a)
{
    ps_tpring_unmap(&a->ring);
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    a->blk = NULL;
    a->left = 0;
}
