/* SPDX-License-Identifier: BSD-2-Clause */
/* Classic pcap files are read with read() into one 1 MiB buffer and decoded
 * in place there (measured: cheaper than mmap's page-table work on 2 cores).
 * spec: the classic libpcap file format (draft-ietf-opsawg-pcap): a 24-byte
 * file header (magic 0xa1b2c3d4 for microseconds, 0xa1b23c4d for
 * nanoseconds, in the writer's byte order), then records of a 16-byte header
 * (seconds, sub-seconds, captured length, original length) and the bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rd.h"
#include "source/pcap_file.h"

#define MAX_CAPLEN 262144u    /* libpcap's largest snapshot length */
#define BUF_SIZE   (1u << 20) /* read size; holds any record (16 + MAX_CAPLEN) */

static uint32_t get32(const uint8_t *p, bool swap)
{
    struct ps_rd rd = ps_rd_init(p, 4);
    return swap ? ps_rd_be32(&rd) : ps_rd_le32(&rd);
}

static int compile_filter(struct ps_reader *r, const char *filter)
{
    if (!filter)
        return 0;
    if (!r->pc)
        r->pc = pcap_open_dead(r->dlt, MAX_CAPLEN);
    if (!r->pc) {
        snprintf(r->err, sizeof(r->err), "%s: cannot set up the filter", r->path);
        return -1;
    }
    if (pcap_compile(r->pc, &r->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(r->err, sizeof(r->err), "%s: filter '%s': %s", r->path, filter,
                 pcap_geterr(r->pc));
        return -1;
    }
    r->has_filter = true;
    return 0;
}

/* Open a classic pcap file for reading through our buffer. Returns 1 when
 * it is one, 0 when it is not a regular classic pcap (leave it to libpcap),
 * -1 on error. */
static int try_classic(struct ps_reader *r)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* libpcap reports it in its words */
    struct stat st;
    uint8_t hdr[24];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
        close(fd);
        return 0;
    }
    uint32_t magic =
        (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
    switch (magic) {
    case 0xa1b2c3d4:
        r->swap = false;
        r->nsec = false;
        break;
    case 0xa1b23c4d:
        r->swap = false;
        r->nsec = true;
        break;
    case 0xd4c3b2a1:
        r->swap = true;
        r->nsec = false;
        break;
    case 0x4d3cb2a1:
        r->swap = true;
        r->nsec = true;
        break;
    default:
        close(fd);
        return 0; /* pcapng or not a capture: libpcap decides */
    }
    r->buf = malloc(BUF_SIZE);
    if (!r->buf) {
        close(fd);
        snprintf(r->err, sizeof(r->err), "%s: out of memory", r->path);
        return -1;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    r->fd = fd;
    r->blen = r->bpos = 0;
    r->consumed = 24;
    if (lseek(fd, 24, SEEK_SET) != 24) {
        snprintf(r->err, sizeof(r->err), "%s: %s", r->path, strerror(errno));
        return -1;
    }
    r->snaplen = get32(hdr + 16, r->swap);
    /* The link type is the low 16 bits; the rest carries FCS flags. */
    r->dlt = (int)(get32(hdr + 20, r->swap) & 0xffff);
    if (r->dlt == 101) /* LINKTYPE_RAW is DLT_RAW for libpcap's filter */
        r->dlt = 12;
    return 1;
}

/* Make at least `need` unread bytes available. Returns 1, 0 at a clean end
 * of file (nothing unread), or -1 (read error or the file ends first). */
static int fill(struct ps_reader *r, size_t need)
{
    while (r->blen - r->bpos < need) {
        if (r->bpos) { /* keep the unread tail at the front */
            memmove(r->buf, r->buf + r->bpos, r->blen - r->bpos);
            r->blen -= r->bpos;
            r->bpos = 0;
        }
        ssize_t n = read(r->fd, r->buf + r->blen, BUF_SIZE - r->blen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(r->err, sizeof(r->err), "%s: %s", r->path, strerror(errno));
            return -1;
        }
        if (n == 0)
            return r->blen == r->bpos ? 0 : -1;
        r->blen += (size_t)n;
    }
    return 1;
}

int ps_reader_open(struct ps_reader *r, const char *path, const char *filter)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->fd = -1;
    int c = strcmp(path, "-") != 0 ? try_classic(r) : 0;
    if (c < 0)
        return -1;
    if (c == 1)
        return compile_filter(r, filter);

    char errbuf[PCAP_ERRBUF_SIZE];
    r->pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!r->pc) {
        snprintf(r->err, sizeof(r->err), "%s: %s", path, errbuf);
        return -1;
    }
    r->use_pcap = true;
    r->dlt = pcap_datalink(r->pc);
    if (filter) {
        if (compile_filter(r, filter) || pcap_setfilter(r->pc, &r->prog) < 0) {
            if (!r->err[0])
                snprintf(r->err, sizeof(r->err), "%s: filter '%s': %s", path, filter,
                         pcap_geterr(r->pc));
            return -1;
        }
        r->has_filter = false; /* libpcap applies it */
    }
    return 0;
}

int ps_reader_next(struct ps_reader *r, struct ps_rec *rec, const uint8_t **data)
{
    if (r->use_pcap) {
        struct pcap_pkthdr *h;
        const u_char *d;
        int rc = pcap_next_ex(r->pc, &h, &d);
        if (rc == 1) {
            rec->ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
            rec->caplen = h->caplen;
            rec->len = h->len;
            *data = d;
            return 1;
        }
        if (rc == PCAP_ERROR) {
            snprintf(r->err, sizeof(r->err), "%s: %s", r->path, pcap_geterr(r->pc));
            return -1;
        }
        return 0;
    }
    for (;;) {
        int f = fill(r, 16);
        if (f == 0)
            return 0;
        if (f < 0) {
            if (!r->err[0])
                snprintf(r->err, sizeof(r->err),
                         "%s: truncated dump file; %zu bytes of a "
                         "record header",
                         r->path, r->blen - r->bpos);
            return -1;
        }
        const uint8_t *h = r->buf + r->bpos;
        uint32_t sec = get32(h, r->swap);
        uint32_t sub = get32(h + 4, r->swap);
        uint32_t caplen = get32(h + 8, r->swap);
        uint32_t len = get32(h + 12, r->swap);
        if (caplen > MAX_CAPLEN) {
            snprintf(r->err, sizeof(r->err),
                     "%s: invalid packet capture length %u at offset "
                     "%llu, bigger than %u",
                     r->path, caplen, (unsigned long long)r->consumed, MAX_CAPLEN);
            return -1;
        }
        if (fill(r, 16 + (size_t)caplen) != 1) {
            if (!r->err[0])
                snprintf(r->err, sizeof(r->err),
                         "%s: truncated dump file; tried to read %u "
                         "captured bytes, only got %zu",
                         r->path, caplen, r->blen - r->bpos - 16);
            return -1;
        }
        h = r->buf + r->bpos; /* fill() may have moved the bytes */
        r->bpos += 16 + (size_t)caplen;
        r->consumed += 16 + (uint64_t)caplen;
        if (r->has_filter) {
            struct pcap_pkthdr ph = {.caplen = caplen, .len = len};
            if (!pcap_offline_filter(&r->prog, &ph, h + 16))
                continue;
        }
        rec->ts_us = (uint64_t)sec * 1000000 + (r->nsec ? sub / 1000 : sub);
        rec->caplen = caplen;
        rec->len = len < caplen ? caplen : len;
        *data = h + 16;
        return 1;
    }
}

uint64_t ps_reader_pos(const struct ps_reader *r)
{
    if (!r->use_pcap)
        return r->consumed;
    FILE *f = pcap_file(r->pc);
    off_t o = f ? ftello(f) : -1;
    return o > 0 ? (uint64_t)o : 0;
}

void ps_reader_close(struct ps_reader *r)
{
    if (r->prog.bf_insns)
        pcap_freecode(&r->prog);
    if (r->pc)
        pcap_close(r->pc);
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    r->fd = -1;
    r->pc = NULL;
    r->buf = NULL;
}
