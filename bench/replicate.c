/*
 * replicate.c - grow a VXLAN-wrapped base capture into a large bench capture,
 *               and print statistics about a capture.
 *
 *   replicate BASE.pcap OUT.pcap TARGET_BYTES NET/24
 *       Writes OUT.pcap = BASE copy 0, copy 1, copy 2, ... until the file holds at
 *       least TARGET_BYTES bytes (it stops at a packet boundary, so the last copy
 *       may be partial). In copy k (k >= 1):
 *         - every timestamp is shifted by k * (base duration + 1 s), so copies
 *           follow each other in time;
 *         - every inner IPv4 address (inside Ethernet/IPv4/UDP 4789/VXLAN/Ethernet)
 *           that lies in NET/24 (the client hosts, e.g. 10.77.1.0) gets its third
 *           octet increased by k, so every copy's flows are new, distinct flows
 *           (10.77.1.x -> 10.77.2.x -> 10.77.3.x ...).
 *       The inner IPv4 header checksum is recomputed and the inner TCP/UDP
 *       checksums are updated incrementally (RFC 1624), so rewritten packets keep
 *       valid checksums. Nothing else is changed (outer headers, MACs, ARP and
 *       non-IPv4 inner frames are copied as they are).
 *
 *   replicate --decap IN.pcap OUT.pcap
 *       Writes the inner Ethernet frames of IN's VXLAN packets (outer Ethernet/IPv4/
 *       UDP/VXLAN headers stripped, timestamps kept; non-VXLAN packets dropped).
 *       For peers that cannot decode VXLAN themselves (ndpiReader 4.2).
 *
 *   replicate --stats FILE.pcap
 *       Prints packet count, bytes, mean packet size, a size histogram, the
 *       protocol mix and an approximate flow count (distinct inner 5-tuples,
 *       direction-normalised; outer tuple for non-VXLAN packets).
 *
 * Classic pcap only (microsecond or nanosecond, either byte order), which is what
 * tcpdump -w writes. Build: cc -O2 -o replicate replicate.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#define VXLAN_PORT 4789

struct pcap_hdr {
    uint32_t magic;
    uint16_t vmaj, vmin;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};
struct rec_hdr {
    uint32_t sec, frac, caplen, len;
};

static int swapped, nanos;

static uint32_t rd32(uint32_t v) { return swapped ? __builtin_bswap32(v) : v; }
static uint32_t wr32(uint32_t v) { return swapped ? __builtin_bswap32(v) : v; }

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "replicate: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static FILE *open_pcap(const char *path, struct pcap_hdr *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    if (fread(h, sizeof *h, 1, f) != 1)
        die("%s: too short for a pcap header", path);
    switch (h->magic) {
    case 0xa1b2c3d4: swapped = 0; nanos = 0; break;
    case 0xa1b23c4d: swapped = 0; nanos = 1; break;
    case 0xd4c3b2a1: swapped = 1; nanos = 0; break;
    case 0x4d3cb2a1: swapped = 1; nanos = 1; break;
    default: die("%s: not a classic pcap file (pcapng is not supported)", path);
    }
    if (rd32(h->linktype) != 1)
        die("%s: link type is not Ethernet", path);
    return f;
}

/* Reads one record; returns 0 at EOF. buf must hold 256 KiB. */
static int read_rec(FILE *f, struct rec_hdr *r, uint8_t *buf, const char *path)
{
    size_t n = fread(r, 1, sizeof *r, f);
    if (n == 0)
        return 0;
    if (n != sizeof *r) {
        fprintf(stderr, "replicate: %s: truncated record header at end, ignored\n", path);
        return 0;
    }
    uint32_t cl = rd32(r->caplen);
    if (cl > 262144)
        die("%s: corrupt record (caplen too large)", path);
    if (fread(buf, 1, cl, f) != cl) {
        fprintf(stderr, "replicate: %s: truncated packet at end, ignored\n", path);
        return 0;
    }
    return 1;
}

/* Locates headers. Returns offset of the inner IPv4 header, or -1. Sets *outer_ip. */
struct parsed {
    int outer_ip;   /* offset of outer IPv4 header or -1 */
    int inner_ip;   /* offset of inner IPv4 header (VXLAN) or -1 */
    int inner_eth;  /* offset of inner Ethernet or -1 */
    int inner_ethertype;
};

static int eth_payload(const uint8_t *p, int off, int cl, int *ethertype)
{
    if (off + 14 > cl)
        return -1;
    int et = p[off + 12] << 8 | p[off + 13];
    off += 14;
    while ((et == 0x8100 || et == 0x88a8) && off + 4 <= cl) {
        et = p[off + 2] << 8 | p[off + 3];
        off += 4;
    }
    *ethertype = et;
    return off;
}

static void parse(const uint8_t *p, int cl, struct parsed *ps)
{
    int et;
    ps->outer_ip = ps->inner_ip = ps->inner_eth = -1;
    ps->inner_ethertype = -1;
    int off = eth_payload(p, 0, cl, &et);
    if (off < 0 || et != 0x0800 || off + 20 > cl || (p[off] >> 4) != 4)
        return;
    ps->outer_ip = off;
    int ihl = (p[off] & 15) * 4;
    int frag = (p[off + 6] << 8 | p[off + 7]) & 0x1fff;
    if (p[off + 9] != 17 || frag != 0 || off + ihl + 8 > cl)
        return;
    int udp = off + ihl;
    int sport = p[udp] << 8 | p[udp + 1], dport = p[udp + 2] << 8 | p[udp + 3];
    if (dport != VXLAN_PORT && sport != VXLAN_PORT)
        return;
    int vx = udp + 8;
    if (vx + 8 > cl || !(p[vx] & 0x08))
        return;
    ps->inner_eth = vx + 8;
    off = eth_payload(p, vx + 8, cl, &et);
    if (off < 0)
        return;
    ps->inner_ethertype = et;
    if (et == 0x0800 && off + 20 <= cl && (p[off] >> 4) == 4)
        ps->inner_ip = off;
}

static uint16_t ip_csum(const uint8_t *h, int len)
{
    uint32_t s = 0;
    for (int i = 0; i < len; i += 2)
        s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
static uint16_t csum_update(uint16_t hc, uint16_t m, uint16_t m2)
{
    uint32_t s = (uint16_t)~hc + (uint16_t)~m + m2;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Rewrites inner addresses in net/24 of copy k; fixes checksums. */
static void rewrite(uint8_t *p, int cl, uint32_t net, int k)
{
    struct parsed ps;
    parse(p, cl, &ps);
    if (ps.inner_ip < 0)
        return;
    uint8_t *ip = p + ps.inner_ip;
    int ihl = (ip[0] & 15) * 4;
    if (ihl < 20 || ps.inner_ip + ihl > cl)
        return;
    int changed = 0;
    uint16_t oldw[2] = {0, 0}, neww[2] = {0, 0};
    for (int a = 0; a < 2; a++) {
        uint8_t *ad = ip + 12 + 4 * a;
        uint32_t v = (uint32_t)ad[0] << 24 | ad[1] << 16 | ad[2] << 8 | ad[3];
        if ((v & 0xffffff00u) != net)
            continue;
        oldw[a] = (uint16_t)(ad[2] << 8 | ad[3]);
        ad[2] = (uint8_t)(ad[2] + k);
        neww[a] = (uint16_t)(ad[2] << 8 | ad[3]);
        changed |= 1 << a;
    }
    if (!changed)
        return;
    ip[10] = ip[11] = 0;
    uint16_t c = ip_csum(ip, ihl);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;

    int frag = (ip[6] << 8 | ip[7]) & 0x1fff;
    if (frag)
        return;
    int l4 = ps.inner_ip + ihl, co;
    if (ip[9] == 6)
        co = l4 + 16;
    else if (ip[9] == 17)
        co = l4 + 6;
    else
        return;
    if (co + 2 > cl)
        return;
    uint16_t hc = (uint16_t)(p[co] << 8 | p[co + 1]);
    if (ip[9] == 17 && hc == 0)
        return; /* UDP without checksum */
    for (int a = 0; a < 2; a++)
        if (changed & (1 << a))
            hc = csum_update(hc, oldw[a], neww[a]);
    if (ip[9] == 17 && hc == 0)
        hc = 0xffff;
    p[co] = hc >> 8;
    p[co + 1] = hc & 0xff;
}

static int do_replicate(const char *in, const char *out, uint64_t target, const char *netstr)
{
    struct in_addr na;
    if (inet_pton(AF_INET, netstr, &na) != 1)
        die("bad network address '%s' (want e.g. 10.77.1.0)", netstr);
    uint32_t net = ntohl(na.s_addr) & 0xffffff00u;

    struct pcap_hdr h;
    FILE *f = open_pcap(in, &h);
    uint8_t *buf = malloc(262144);
    struct rec_hdr r;

    /* pass 1: duration, sizes */
    uint64_t first = UINT64_MAX, last = 0, nrec = 0, base_bytes = 0;
    uint64_t unit = nanos ? 1000000000ull : 1000000ull;
    while (read_rec(f, &r, buf, in)) {
        uint64_t t = (uint64_t)rd32(r.sec) * unit + rd32(r.frac);
        if (t < first) first = t;
        if (t > last) last = t;
        nrec++;
        base_bytes += sizeof r + rd32(r.caplen);
    }
    if (nrec == 0)
        die("%s: no packets", in);
    uint64_t shift = last - first + unit; /* base duration + 1 s */

    FILE *o = fopen(out, "wb");
    if (!o)
        die("cannot create %s", out);
    setvbuf(o, NULL, _IOFBF, 1 << 22);
    if (fwrite(&h, sizeof h, 1, o) != 1)
        die("write error on %s", out);
    uint64_t written = sizeof h, pkts = 0;
    int k;
    for (k = 0; written < target; k++) {
        if (k > 200)
            die("too many copies needed (base too small?) for %s", out);
        if (fseek(f, sizeof h, SEEK_SET) != 0)
            die("seek failed on %s", in);
        while (written < target && read_rec(f, &r, buf, in)) {
            uint32_t cl = rd32(r.caplen);
            if (k > 0) {
                uint64_t t = (uint64_t)rd32(r.sec) * unit + rd32(r.frac) + (uint64_t)k * shift;
                r.sec = wr32((uint32_t)(t / unit));
                r.frac = wr32((uint32_t)(t % unit));
                rewrite(buf, (int)cl, net, k);
            }
            if (fwrite(&r, sizeof r, 1, o) != 1 || fwrite(buf, 1, cl, o) != cl)
                die("write error on %s (disk full?)", out);
            written += sizeof r + cl;
            pkts++;
        }
    }
    if (fclose(o) != 0)
        die("write error on %s", out);
    fclose(f);
    printf("replicate: base %" PRIu64 " packets, %" PRIu64 " bytes, %.1f s; wrote %d copies (last may be partial): %" PRIu64
           " packets, %" PRIu64 " bytes\n",
           nrec, base_bytes, (double)(last - first) / unit, k, pkts, written);
    return 0;
}

static int do_decap(const char *in, const char *out)
{
    struct pcap_hdr h;
    FILE *f = open_pcap(in, &h);
    FILE *o = fopen(out, "wb");
    if (!o)
        die("cannot create %s", out);
    setvbuf(o, NULL, _IOFBF, 1 << 22);
    if (fwrite(&h, sizeof h, 1, o) != 1)
        die("write error on %s", out);
    uint8_t *buf = malloc(262144);
    struct rec_hdr r;
    uint64_t in_pkts = 0, out_pkts = 0;
    while (read_rec(f, &r, buf, in)) {
        in_pkts++;
        struct parsed ps;
        uint32_t cl = rd32(r.caplen), len = rd32(r.len);
        parse(buf, (int)cl, &ps);
        if (ps.inner_eth < 0 || (uint32_t)ps.inner_eth >= cl)
            continue;
        r.caplen = wr32(cl - (uint32_t)ps.inner_eth);
        r.len = wr32(len - (uint32_t)ps.inner_eth);
        if (fwrite(&r, sizeof r, 1, o) != 1 || fwrite(buf + ps.inner_eth, 1, cl - ps.inner_eth, o) != cl - (uint32_t)ps.inner_eth)
            die("write error on %s (disk full?)", out);
        out_pkts++;
    }
    if (fclose(o) != 0)
        die("write error on %s", out);
    fclose(f);
    printf("decap: %" PRIu64 " packets read, %" PRIu64 " inner frames written to %s\n", in_pkts, out_pkts, out);
    return 0;
}

/* ---- stats ---- */
struct key {
    uint32_t a, b;
    uint16_t pa, pb;
    uint8_t proto, kind, pad[2];
};
static struct key *tab;
static uint8_t *used;
static uint64_t cap, nused;

static uint64_t khash(const struct key *k)
{
    uint64_t x = ((uint64_t)k->a << 32 | k->b) * 0x9e3779b97f4a7c15ull;
    x ^= ((uint64_t)k->pa << 24 | (uint64_t)k->pb << 8 | k->proto | (uint64_t)k->kind << 40) * 0xc2b2ae3d27d4eb4full;
    x ^= x >> 29;
    return x * 0x94d049bb133111ebull;
}
static void kinsert(const struct key *k);
static void grow(void)
{
    struct key *ot = tab;
    uint8_t *ou = used;
    uint64_t oc = cap;
    cap = oc ? oc * 2 : (1u << 20);
    tab = calloc(cap, sizeof *tab);
    used = calloc(cap, 1);
    if (!tab || !used)
        die("%s", "out of memory");
    nused = 0;
    for (uint64_t i = 0; i < oc; i++)
        if (ou[i])
            kinsert(&ot[i]);
    free(ot);
    free(ou);
}
static void kinsert(const struct key *k)
{
    if (nused * 2 >= cap)
        grow();
    uint64_t i = khash(k) & (cap - 1);
    while (used[i]) {
        if (!memcmp(&tab[i], k, sizeof *k))
            return;
        i = (i + 1) & (cap - 1);
    }
    used[i] = 1;
    tab[i] = *k;
    nused++;
}

static void add_flow(const uint8_t *p, int cl, int ipoff, int kind)
{
    const uint8_t *ip = p + ipoff;
    int ihl = (ip[0] & 15) * 4;
    struct key k;
    memset(&k, 0, sizeof k);
    k.kind = (uint8_t)kind;
    k.proto = ip[9];
    uint32_t s = (uint32_t)ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15];
    uint32_t d = (uint32_t)ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19];
    uint16_t sp = 0, dp = 0;
    int frag = (ip[6] << 8 | ip[7]) & 0x1fff;
    if (!frag && (k.proto == 6 || k.proto == 17) && ipoff + ihl + 4 <= cl) {
        sp = (uint16_t)(p[ipoff + ihl] << 8 | p[ipoff + ihl + 1]);
        dp = (uint16_t)(p[ipoff + ihl + 2] << 8 | p[ipoff + ihl + 3]);
    } else if (!frag && k.proto == 1 && ipoff + ihl + 8 <= cl) {
        int type = p[ipoff + ihl];
        if (type == 0 || type == 8) /* echo: id identifies the "flow" */
            sp = dp = (uint16_t)(p[ipoff + ihl + 4] << 8 | p[ipoff + ihl + 5]);
    }
    if (s < d || (s == d && sp <= dp)) {
        k.a = s; k.b = d; k.pa = sp; k.pb = dp;
    } else {
        k.a = d; k.b = s; k.pa = dp; k.pb = sp;
    }
    kinsert(&k);
}

static int do_stats(const char *in)
{
    struct pcap_hdr h;
    FILE *f = open_pcap(in, &h);
    uint8_t *buf = malloc(262144);
    struct rec_hdr r;
    uint64_t pkts = 0, bytes = 0, file = sizeof h, vx = 0, arp = 0, tcp = 0, udp = 0, icmp = 0, other = 0;
    uint64_t hist[7] = {0};
    static const char *hn[7] = {"<=128", "129-256", "257-512", "513-1024", "1025-1500", "1501-1600", ">1600"};
    uint64_t unit = nanos ? 1000000000ull : 1000000ull, first = UINT64_MAX, last = 0;
    grow();
    while (read_rec(f, &r, buf, in)) {
        uint32_t cl = rd32(r.caplen), len = rd32(r.len);
        uint64_t t = (uint64_t)rd32(r.sec) * unit + rd32(r.frac);
        if (t < first) first = t;
        if (t > last) last = t;
        pkts++;
        bytes += len;
        file += sizeof r + cl;
        int b = len <= 128 ? 0 : len <= 256 ? 1 : len <= 512 ? 2 : len <= 1024 ? 3 : len <= 1500 ? 4 : len <= 1600 ? 5 : 6;
        hist[b]++;
        struct parsed ps;
        parse(buf, (int)cl, &ps);
        if (ps.inner_eth >= 0)
            vx++;
        if (ps.inner_ethertype == 0x0806)
            arp++;
        int ipo = ps.inner_ip >= 0 ? ps.inner_ip : (ps.inner_eth < 0 ? ps.outer_ip : -1);
        if (ps.inner_eth < 0) {
            int et;
            if (eth_payload(buf, 0, (int)cl, &et) >= 0 && et == 0x0806)
                arp++;
        }
        if (ipo >= 0) {
            int pr = buf[ipo + 9];
            if (pr == 6) tcp++;
            else if (pr == 17) udp++;
            else if (pr == 1) icmp++;
            else other++;
            add_flow(buf, (int)cl, ipo, ps.inner_ip >= 0);
        }
    }
    fclose(f);
    double dur = pkts ? (double)(last - first) / unit : 0;
    printf("file:         %s\n", in);
    printf("file size:    %" PRIu64 " bytes (%.1f MB)\n", file, file / 1e6);
    printf("packets:      %" PRIu64 "\n", pkts);
    printf("wire bytes:   %" PRIu64 "\n", bytes);
    printf("mean packet:  %.1f bytes (frame as captured%s)\n", pkts ? (double)bytes / pkts : 0, vx ? ", incl. 50 bytes of outer Ethernet/IPv4/UDP/VXLAN" : "");
    printf("duration:     %.1f s (capture timestamps)\n", dur);
    printf("vxlan:        %" PRIu64 " packets (%.1f%%)\n", vx, pkts ? 100.0 * vx / pkts : 0);
    printf("%s tcp %" PRIu64 ", udp %" PRIu64 ", icmp %" PRIu64 ", arp %" PRIu64 ", other ip %" PRIu64 "\n", vx ? "inner mix:   " : "mix:         ", tcp, udp, icmp, arp, other);
    printf("size histogram (frame bytes):\n");
    for (int i = 0; i < 7; i++)
        printf("  %-10s %10" PRIu64 "  %5.1f%%\n", hn[i], hist[i], pkts ? 100.0 * hist[i] / pkts : 0);
    printf("flows (approx., distinct %s5-tuples): %" PRIu64 "\n", vx ? "inner " : "", nused);
    printf("STATS packets=%" PRIu64 " bytes=%" PRIu64 " file=%" PRIu64 " flows=%" PRIu64 "\n", pkts, bytes, file, nused);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--stats"))
        return do_stats(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "--decap"))
        return do_decap(argv[2], argv[3]);
    if (argc == 5) {
        char *end;
        errno = 0;
        unsigned long long t = strtoull(argv[3], &end, 10);
        if (errno || *end || t == 0)
            die("bad TARGET_BYTES '%s'", argv[3]);
        return do_replicate(argv[1], argv[2], t, argv[4]);
    }
    fprintf(stderr, "usage: replicate BASE.pcap OUT.pcap TARGET_BYTES CLIENT_NET (e.g. 10.77.1.0)\n"
                    "       replicate --decap IN.pcap OUT.pcap\n"
                    "       replicate --stats FILE.pcap\n");
    return 2;
}
