/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: packet(7); Documentation/networking/packet_mmap.rst (TPACKET_V3:
 *       struct tpacket_req3, tpacket_block_desc, TP_STATUS_USER/KERNEL) */
#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "source/tpring.h"

int ps_tpring_map(struct ps_tpring *r, int fd, unsigned block_size, unsigned nblocks,
                  unsigned retire_ms, const char **what)
{
    memset(r, 0, sizeof(*r));
    int v3 = TPACKET_V3;
    /* tp_frame_size only has to divide the block in V3: frames are packed
     * back to back at their own length. */
    struct tpacket_req3 req = {.tp_block_size = block_size,
                               .tp_block_nr = nblocks,
                               .tp_frame_size = 2048,
                               .tp_frame_nr = nblocks * (block_size / 2048),
                               .tp_retire_blk_tov = retire_ms};
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) != 0) {
        *what = "TPACKET_V3";
        return -1;
    }
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
        *what = "ring";
        return -1;
    }
    size_t len = (size_t)block_size * nblocks;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        *what = "mmap";
        return -1;
    }
    r->map = m;
    r->map_len = len;
    r->block_size = block_size;
    r->nblocks = nblocks;
    return 0;
}

static struct tpacket_block_desc *block(const struct ps_tpring *r, unsigned k)
{
    return (struct tpacket_block_desc *)(void *)(r->map + (size_t)k * r->block_size);
}

struct tpacket_block_desc *ps_tpring_ready(const struct ps_tpring *r)
{
    struct tpacket_block_desc *bd = block(r, r->cur);
    if (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)
        return bd;
    return NULL;
}

void ps_tpring_release(struct ps_tpring *r)
{
    __atomic_store_n(&block(r, r->cur)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    r->cur = (r->cur + 1) % r->nblocks;
}

uint64_t ps_tpring_unread(const struct ps_tpring *r)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < r->nblocks; k++) {
        const struct tpacket_block_desc *bd = block(r, k);
        if (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)
            n += bd->hdr.bh1.num_pkts;
    }
    return n;
}

uint64_t ps_tpring_drops(int fd)
{
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof(st);
    if (fd >= 0 && getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
        return st.tp_drops;
    return 0;
}

void ps_tpring_unmap(struct ps_tpring *r)
{
    if (r->map)
        munmap(r->map, r->map_len);
    memset(r, 0, sizeof(*r));
}
