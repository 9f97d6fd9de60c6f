/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: a whole capture file through our classic pcap reader
 * (and libpcap for what it is not), each packet decoded. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode/decode.h"
#include "source/pcap_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ps_counters c;
    static struct ps_decoder d;
    static struct ps_pkt p;
    static bool init;
    if (!init) {
        ps_decoder_init(&d, &c);
        init = true;
    }
    int fd = memfd_create("fuzz.pcap", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct ps_reader r;
    if (ps_reader_open(&r, path, size & 1 ? "udp or tcp" : NULL) == 0) {
        struct ps_rec rec;
        const uint8_t *pkt;
        int n = 0;
        while (n++ < 10000 && ps_reader_next(&r, &rec, &pkt) == 1)
            ps_decode(&d, &p, r.dlt, pkt, rec.caplen, rec.len, rec.ts_us);
    }
    ps_reader_close(&r);
    close(fd);
    return 0;
}
