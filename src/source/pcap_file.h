/* SPDX-License-Identifier: BSD-2-Clause */
/* Capture files. Classic pcap files on disk are read in large blocks and
 * decoded in place in that buffer: no per-packet copy or call into libpcap. Everything else
 * (pcapng, stdin, pipes) goes through libpcap. A BPF filter applies to both. */
#ifndef PS_SOURCE_PCAP_FILE_H
#define PS_SOURCE_PCAP_FILE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_reader {
    const char *path;
    int dlt; /* link type of the file */
    /* classic pcap, read by us */
    int fd;            /* -1 when libpcap reads the file */
    uint8_t *buf;      /* read buffer */
    size_t blen;       /* valid bytes in buf */
    size_t bpos;       /* next unread byte in buf */
    uint64_t consumed; /* file bytes consumed */
    bool swap;         /* file written in the other byte order */
    bool nsec;         /* nanosecond timestamps */
    uint32_t snaplen;
    /* libpcap */
    pcap_t *pc; /* the file (libpcap mode) or a dead handle for BPF */
    bool use_pcap;
    struct bpf_program prog;
    bool has_filter;
    char err[PCAP_ERRBUF_SIZE + 128];
};

struct ps_rec {
    uint64_t ts_us;
    uint32_t caplen;
    uint32_t len;
};

/* Open `path` ('-' = stdin) with an optional BPF `filter`. Returns 0, or -1
 * with a message in r->err. */
int ps_reader_open(struct ps_reader *r, const char *path, const char *filter);

/* Next packet that passes the filter: 1 with *data borrowed until the next
 * call, 0 at the end, -1 when the file is damaged (r->err says how; packets
 * before it were returned). Packet path. */
int ps_reader_next(struct ps_reader *r, struct ps_rec *rec, const uint8_t **data);

/* Bytes of the file consumed so far (for progress), 0 when unknown. */
uint64_t ps_reader_pos(const struct ps_reader *r);

void ps_reader_close(struct ps_reader *r);

#endif
