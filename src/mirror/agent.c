/* SPDX-License-Identifier: BSD-2-Clause */
/* spec: packet(7) TPACKET_V3 rings (Documentation/networking/packet_mmap.rst),
 *       SKF_AD_MARK in classic BPF (filter.h of Linux), raw(7) and ipv6(7)
 *       IPV6_CHECKSUM, RFC 7348 (VXLAN), aws-mirroring.md 1.1-1.3. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mirror/agent.h"
#include "source/tpring.h"

#define BATCH     64
#define MAX_RES   16    /* resolved addresses per target */
#define MAX_FRAME 65000 /* the most one UDP datagram carries here */

enum skip {
    SK_NEVER,
    SK_NO_MATCH,
    SK_AMAZON_DNS,
    SK_OWN_OUTPUT,
    SK_BUDGET,
    SK_SEND_BLOCKED,
    SK_SEND_ERROR,
    SK_NO_ADDRESS,
    SK_RING,
    SK__COUNT
};
static const char *const skip_name[SK__COUNT] = {"never_mirrored", "no_match",   "amazon_dns",
                                                 "own_output",     "budget",     "send_blocked",
                                                 "send_error",     "no_address", "ring_full"};

struct src {
    int fd;
    struct ps_tpring ring;
    uint64_t seen[2], mirrored[2], bytes[2], truncated;
    uint64_t skip[SK__COUNT];
    uint64_t never[PS_MNEVER__COUNT];
};

struct tgt {
    struct sockaddr_storage sa[MAX_RES];
    uint16_t port[MAX_RES];
    int n;
};

struct sess {
    uint64_t pkts, bytes;
};

struct slot {
    uint8_t hdr[16]; /* UDP (8) + VXLAN (8) */
    struct iovec iov[2];
};

struct batch {
    int fd;
    int n;
    struct mmsghdr m[BATCH];
    struct slot s[BATCH];
    int src[BATCH];
    int dir[BATCH];
};

struct agent {
    const struct ps_magent_opts *o;
    struct ps_mconfig *c;
    struct src src[PS_MF_MAX_SOURCES];
    struct tgt tgt[PS_MF_MAX_TARGETS];
    struct sess sess[PS_MF_MAX_SESSIONS];
    struct batch b4, b6;
    double tokens, last_refill;
    double window_cpu, budget; /* CPU seconds at the window's start; allowed per window */
    uint64_t total_mirrored;
    int mfd;
};

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- targets ------------------------------------------------------------ */

/* "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address. */
static int split_hostport(const char *spec, char *host, size_t hcap, uint16_t *port)
{
    *port = 4789;
    const char *colon = strrchr(spec, ':');
    size_t hl = strlen(spec);
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close)
            return -1;
        hl = (size_t)(close - spec - 1);
        spec++;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1])
            return -1;
    } else if (colon && strchr(spec, ':') != colon) {
        colon = NULL; /* a bare IPv6 address */
    } else if (colon) {
        hl = (size_t)(colon - spec);
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p < 1 || p > 65535)
            return -1;
        *port = (uint16_t)p;
    }
    if (hl == 0 || hl >= hcap)
        return -1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    return 0;
}

/* Resolve every address of a target; keep the old set when resolution fails
 * (an NLB name that does not answer for a moment). */
static int resolve_target(struct tgt *t, const struct ps_mtarget *mt, char *err, size_t errlen)
{
    struct tgt nt;
    memset(&nt, 0, sizeof(nt));
    for (int i = 0; i < mt->naddr; i++) {
        char host[256];
        uint16_t port;
        if (split_hostport(mt->addr[i], host, sizeof(host), &port) != 0) {
            snprintf(err, errlen, "target %s: bad address '%s' (HOST[:PORT])", mt->id, mt->addr[i]);
            return -1;
        }
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
        int rc = getaddrinfo(host, NULL, &hints, &res);
        if (rc != 0) {
            snprintf(err, errlen, "target %s: %s: %s", mt->id, host, gai_strerror(rc));
            return -1;
        }
        for (struct addrinfo *a = res; a && nt.n < MAX_RES; a = a->ai_next) {
            if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
                continue;
            memcpy(&nt.sa[nt.n], a->ai_addr, a->ai_addrlen);
            /* Raw sockets: the port field must be 0; ours goes in the UDP header. */
            if (a->ai_family == AF_INET)
                ((struct sockaddr_in *)&nt.sa[nt.n])->sin_port = 0;
            else
                ((struct sockaddr_in6 *)&nt.sa[nt.n])->sin6_port = 0;
            nt.port[nt.n++] = port;
        }
        freeaddrinfo(res);
    }
    if (!nt.n) {
        snprintf(err, errlen, "target %s: no IPv4 or IPv6 address", mt->id);
        return -1;
    }
    *t = nt;
    return 0;
}

static bool is_own_output(const struct agent *a, const struct ps_mpkt *p)
{
    if (p->proto != 17 || !p->has_ports)
        return false;
    for (int i = 0; i < a->c->ntarget; i++) {
        const struct tgt *t = &a->tgt[i];
        for (int k = 0; k < t->n; k++) {
            if (p->dport != t->port[k])
                continue;
            const struct sockaddr_storage *ss = &t->sa[k];
            if (p->ver == 4 && ss->ss_family == AF_INET &&
                memcmp(p->dst, &((const struct sockaddr_in *)ss)->sin_addr, 4) == 0)
                return true;
            if (p->ver == 6 && ss->ss_family == AF_INET6 &&
                memcmp(p->dst, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16) == 0)
                return true;
        }
    }
    return false;
}

/* ---- sockets ---------------------------------------------------------- */

static int raw_socket(int family, uint32_t mark, char *err, size_t errlen)
{
    int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
    if (fd < 0) {
        snprintf(err, errlen, "raw UDP socket: %s (root or CAP_NET_RAW is needed)",
                 strerror(errno));
        return -1;
    }
    /* Never read: a filter that keeps nothing, and the smallest buffer. */
    struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog fp = {.len = 1, .filter = none};
    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
    int small = 1, big = 16 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    /* Our own output carries this mark; the capture filter drops it. */
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
        snprintf(err, errlen, "SO_MARK: %s (CAP_NET_ADMIN is needed)", strerror(errno));
        close(fd);
        return -1;
    }
    if (family == AF_INET) {
        int dont = IP_PMTUDISC_DONT;
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont));
    } else {
        int off = 6; /* the kernel fills the UDP checksum, mandatory over IPv6 */
        setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
        int dont = IPV6_PMTUDISC_DONT;
        setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &dont, sizeof(dont));
    }
    return fd;
}

/* A TPACKET_V3 ring on iface, both directions, promiscuous, with a kernel
 * filter that drops our own marked output and keeps snap bytes. */
static int open_source(struct src *s, const char *iface, uint32_t mark, uint32_t snap,
                       unsigned ring_mb, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    unsigned idx = if_nametoindex(iface);
    if (!idx) {
        snprintf(err, errlen, "%s: no such interface", iface);
        return -1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s (root or CAP_NET_RAW is needed)", iface, strerror(errno));
        return -1;
    }
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_MARK)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mark, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, snap),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog fp = {.len = 4, .filter = prog};
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
    struct packet_mreq mr = {.mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC};
    const char *what = NULL;
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) != 0)
        what = "filter";
    /* Small blocks: the CPU budget is checked per block. A failed map
     * names its step in what. */
    else if (ps_tpring_map(&s->ring, fd, 1u << 18, (ring_mb ? ring_mb : 32) * 4, 20, &what) == 0 &&
             bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
        what = "bind";
    if (what) {
        snprintf(err, errlen, "%s: %s: %s", iface, what, strerror(errno));
        ps_tpring_unmap(&s->ring);
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
    s->fd = fd;
    return 0;
}

/* ---- sending ---------------------------------------------------------- */

static void flush(struct agent *a, struct batch *b)
{
    int off = 0;
    while (off < b->n) {
        int k = sendmmsg(b->fd, b->m + off, (unsigned)(b->n - off), MSG_DONTWAIT);
        if (k > 0) {
            for (int i = off; i < off + k; i++) {
                struct src *s = &a->src[b->src[i]];
                s->mirrored[b->dir[i]]++;
                s->bytes[b->dir[i]] += b->s[i].iov[1].iov_len;
            }
            a->total_mirrored += (uint64_t)k;
            off += k;
            continue;
        }
        if (errno == EINTR)
            continue;
        bool blocked = errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS;
        if (blocked) { /* never wait: the rest of the batch is skipped */
            for (int i = off; i < b->n; i++)
                a->src[b->src[i]].skip[SK_SEND_BLOCKED]++;
            break;
        }
        a->src[b->src[off]].skip[SK_SEND_ERROR]++;
        off++;
    }
    b->n = 0;
}

static void enqueue(struct agent *a, int si, int dir, const struct ps_msession *ss,
                    const struct ps_mpkt *p, const uint8_t *frame, uint32_t caplen)
{
    const struct tgt *t = &a->tgt[ss->target];
    if (!t->n) {
        a->src[si].skip[SK_NO_ADDRESS]++;
        return;
    }
    uint32_t h = ps_mpkt_flow_hash(p);
    int k = (int)(h % (uint32_t)t->n); /* symmetric: both directions, one sensor */
    struct batch *b = t->sa[k].ss_family == AF_INET ? &a->b4 : &a->b6;
    if (b->fd < 0) {
        a->src[si].skip[SK_NO_ADDRESS]++;
        return;
    }
    uint32_t cut = caplen;
    if (ss->packet_length && cut > ss->packet_length)
        cut = ss->packet_length;
    if (cut > MAX_FRAME)
        cut = MAX_FRAME;
    if (cut < caplen)
        a->src[si].truncated++;
    int i = b->n;
    struct slot *sl = &b->s[i];
    uint16_t sport = ps_mirror_sport(h), dport = t->port[k], ulen = (uint16_t)(16 + cut);
    uint8_t *u = sl->hdr;
    u[0] = (uint8_t)(sport >> 8);
    u[1] = (uint8_t)sport;
    u[2] = (uint8_t)(dport >> 8);
    u[3] = (uint8_t)dport;
    u[4] = (uint8_t)(ulen >> 8);
    u[5] = (uint8_t)ulen;
    u[6] = u[7] = 0; /* IPv4: no checksum (RFC 7348 allows it); IPv6: the kernel's */
    u[8] = 0x08;     /* VXLAN flags: I */
    u[9] = u[10] = u[11] = 0;
    u[12] = (uint8_t)(ss->vni >> 16);
    u[13] = (uint8_t)(ss->vni >> 8);
    u[14] = (uint8_t)ss->vni;
    u[15] = 0;
    sl->iov[0] = (struct iovec){.iov_base = u, .iov_len = 16};
    sl->iov[1] = (struct iovec){.iov_base = (void *)(uintptr_t)frame, .iov_len = cut};
    memset(&b->m[i], 0, sizeof(b->m[i]));
    b->m[i].msg_hdr.msg_name = (void *)(uintptr_t)&t->sa[k];
    b->m[i].msg_hdr.msg_namelen =
        t->sa[k].ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    b->m[i].msg_hdr.msg_iov = sl->iov;
    b->m[i].msg_hdr.msg_iovlen = 2;
    b->src[i] = si;
    b->dir[i] = dir;
    b->n++;
    a->sess[ss - a->c->session].pkts++;
    a->sess[ss - a->c->session].bytes += cut;
    if (b->n == BATCH)
        flush(a, b);
}

/* ---- the loop ---------------------------------------------------------- */

static bool take_token(struct agent *a)
{
    if (!a->o->max_pps)
        return true;
    if (a->tokens < 1.0) {
        double now = mono_s();
        a->tokens += (now - a->last_refill) * (double)a->o->max_pps;
        a->last_refill = now;
        double cap = (double)a->o->max_pps / 10.0 + 1.0; /* 100 ms of burst */
        if (a->tokens > cap)
            a->tokens = cap;
        if (a->tokens < 1.0)
            return false;
    }
    a->tokens -= 1.0;
    return true;
}

static void one_frame(struct agent *a, int si, int dir, const uint8_t *f, uint32_t caplen)
{
    struct src *s = &a->src[si];
    struct ps_mpkt p;
    s->seen[dir]++;
    ps_mpkt_parse(a->c, f, caplen, &p);
    if (p.ip && is_own_output(a, &p)) {
        s->skip[SK_OWN_OUTPUT]++;
        return;
    }
    enum ps_mverdict why;
    int sess = ps_mirror_decide(a->c, si, (enum ps_mdir)dir, &p, a->o->include_never, &why);
    if (sess < 0) {
        s->skip[why == PS_MV_NEVER        ? SK_NEVER
                : why == PS_MV_AMAZON_DNS ? SK_AMAZON_DNS
                                          : SK_NO_MATCH]++;
        if (why == PS_MV_NEVER)
            s->never[p.never]++;
        return;
    }
    if (!take_token(a)) {
        s->skip[SK_BUDGET]++;
        return;
    }
    enqueue(a, si, dir, &a->c->session[sess], &p, f, caplen);
}

/* Walk the ready blocks of one source (at most max); returns how many. */
static int drain(struct agent *a, int si, int max)
{
    struct src *s = &a->src[si];
    int done = 0;
    while (done < max) {
        struct tpacket_block_desc *bd = ps_tpring_ready(&s->ring);
        if (!bd)
            break;
        uint32_t n = bd->hdr.bh1.num_pkts;
        uint8_t *ph = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
        for (uint32_t i = 0; i < n; i++) {
            const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(void *)ph;
            const struct sockaddr_ll *sll =
                (const struct sockaddr_ll *)(const void *)(ph + TPACKET_ALIGN(sizeof(*h)));
            int dir = sll->sll_pkttype == PACKET_OUTGOING ? PS_MDIR_EGRESS : PS_MDIR_INGRESS;
            one_frame(a, si, dir, ph + h->tp_mac, h->tp_snaplen);
            ph += h->tp_next_offset;
        }
        /* The batch points into this block: send before giving it back. */
        flush(a, &a->b4);
        flush(a, &a->b6);
        ps_tpring_release(&s->ring);
        done++;
        if (a->budget > 0 && cpu_s() - a->window_cpu >= a->budget)
            break; /* over the CPU budget: the rest waits for the next window */
    }
    return done;
}

static void ring_drops(struct agent *a)
{
    for (int i = 0; i < a->c->nsource; i++)
        a->src[i].skip[SK_RING] += ps_tpring_drops(a->src[i].fd);
}

/* ---- stats and metrics ---------------------------------------------- */

static void stats_line(const struct agent *a, FILE *out)
{
    for (int i = 0; i < a->c->nsource; i++) {
        const struct src *s = &a->src[i];
        fprintf(out,
                "periscope mirror: %s seen in %llu out %llu, mirrored in %llu out %llu "
                "(%llu bytes, %llu cut), skipped:",
                a->c->source[i].ifname, (unsigned long long)s->seen[0],
                (unsigned long long)s->seen[1], (unsigned long long)s->mirrored[0],
                (unsigned long long)s->mirrored[1], (unsigned long long)(s->bytes[0] + s->bytes[1]),
                (unsigned long long)s->truncated);
        for (int k = 0; k < SK__COUNT; k++)
            fprintf(out, " %s %llu", skip_name[k], (unsigned long long)s->skip[k]);
        fputc('\n', out);
    }
    fflush(out);
}

static size_t metrics_text(const struct agent *a, char *b, size_t cap)
{
    size_t n = 0;
#define PUT(...)                                                \
    do {                                                        \
        if (n < cap)                                            \
            n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__); \
    } while (0)
    static const char *dn[2] = {"in", "out"};
    PUT("# HELP periscope_mirror_seen_total Frames captured on a source interface.\n"
        "# TYPE periscope_mirror_seen_total counter\n"
        "# HELP periscope_mirror_sent_total Frames sent to a target, VXLAN-wrapped.\n"
        "# TYPE periscope_mirror_sent_total counter\n"
        "# HELP periscope_mirror_sent_bytes_total Inner bytes sent (after the cut).\n"
        "# TYPE periscope_mirror_sent_bytes_total counter\n"
        "# HELP periscope_mirror_skipped_total Frames not mirrored, by reason (the budget,\n"
        "# send and ring reasons are what AWS counts as NetworkSkipMirror).\n"
        "# TYPE periscope_mirror_skipped_total counter\n");
    for (int i = 0; i < a->c->nsource; i++) {
        const struct src *s = &a->src[i];
        const char *ifn = a->c->source[i].ifname;
        for (int d = 0; d < 2; d++) {
            PUT("periscope_mirror_seen_total{interface=\"%s\",direction=\"%s\"} %llu\n", ifn, dn[d],
                (unsigned long long)s->seen[d]);
            PUT("periscope_mirror_sent_total{interface=\"%s\",direction=\"%s\"} %llu\n", ifn, dn[d],
                (unsigned long long)s->mirrored[d]);
            PUT("periscope_mirror_sent_bytes_total{interface=\"%s\",direction=\"%s\"} %llu\n", ifn,
                dn[d], (unsigned long long)s->bytes[d]);
        }
        for (int k = 0; k < SK__COUNT; k++)
            PUT("periscope_mirror_skipped_total{interface=\"%s\",reason=\"%s\"} %llu\n", ifn,
                skip_name[k], (unsigned long long)s->skip[k]);
        for (int k = 1; k < PS_MNEVER__COUNT; k++)
            PUT("periscope_mirror_never_mirrored_total{interface=\"%s\",kind=\"%s\"} %llu\n", ifn,
                ps_mnever_name[k], (unsigned long long)s->never[k]);
    }
    PUT("# HELP periscope_mirror_session_packets_total Frames mirrored per session.\n"
        "# TYPE periscope_mirror_session_packets_total counter\n");
    for (int i = 0; i < a->c->nsession; i++)
        if (a->c->session[i].source >= 0)
            PUT("periscope_mirror_session_packets_total{session=\"%s\",vni=\"%u\"} %llu\n",
                a->c->session[i].id, a->c->session[i].vni, (unsigned long long)a->sess[i].pkts);
#undef PUT
    return n < cap ? n : cap;
}

static int metrics_socket(const char *spec, char *err, size_t errlen)
{
    char host[128];
    uint16_t port;
    char buf[160];
    snprintf(buf, sizeof(buf), "%s%s", strchr(spec, ':') ? "" : "127.0.0.1:", spec);
    if (split_hostport(buf, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "--metrics %s: expected [ADDR:]PORT", spec);
        return -1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *res;
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0) {
        snprintf(err, errlen, "--metrics %s: not a numeric address", spec);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 8) != 0) {
        snprintf(err, errlen, "--metrics %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void metrics_serve(const struct agent *a, char *buf, size_t cap)
{
    for (int k = 0; k < 8; k++) {
        int c = accept4(a->mfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            return;
        struct timeval tv = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        char req[512];
        ssize_t r = recv(c, req, sizeof(req), 0);
        (void)r;
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                                   "Connection: close\r\n\r\n";
        size_t n = metrics_text(a, buf, cap);
        if (send(c, head, sizeof(head) - 1, MSG_NOSIGNAL) > 0)
            for (size_t off = 0; off < n;) {
                ssize_t m = send(c, buf + off, n - off, MSG_NOSIGNAL);
                if (m <= 0)
                    break;
                off += (size_t)m;
            }
        close(c);
    }
}

/* ---- setup ------------------------------------------------------------- */

static uint32_t source_snap(const struct ps_mconfig *c, int si)
{
    uint32_t snap = 0;
    const struct ps_msource *s = &c->source[si];
    for (int k = 0; k < s->nsession; k++) {
        uint32_t pl = c->session[s->session[k]].packet_length;
        if (!pl)
            return 65535;
        /* Parsing the headers needs up to 128 bytes even when cut shorter. */
        if (pl < 128)
            pl = 128;
        if (pl > snap)
            snap = pl;
    }
    return snap ? snap : 128;
}

static void resolve_all(struct agent *a, bool first, char *err, size_t errlen, int *bad)
{
    *bad = 0;
    for (int i = 0; i < a->c->ntarget; i++) {
        if (!a->c->target[i].naddr)
            continue;
        if (resolve_target(&a->tgt[i], &a->c->target[i], err, errlen) != 0) {
            (*bad)++;
            if (!first && !a->o->quiet)
                fprintf(stderr, "periscope mirror: %s (keeping the last addresses)\n", err);
        }
    }
}

static void agent_close(struct agent *a)
{
    for (int i = 0; i < a->c->nsource; i++) {
        ps_tpring_unmap(&a->src[i].ring);
        if (a->src[i].fd >= 0)
            close(a->src[i].fd);
    }
    if (a->b4.fd >= 0)
        close(a->b4.fd);
    if (a->b6.fd >= 0)
        close(a->b6.fd);
    if (a->mfd >= 0)
        close(a->mfd);
}

int ps_mirror_run(const struct ps_magent_opts *o)
{
    static struct agent ag; /* large (the batches); one per process */
    struct agent *a = &ag;
    memset(a, 0, sizeof(*a));
    a->o = o;
    a->c = o->cfg;
    a->mfd = a->b4.fd = a->b6.fd = -1;
    for (int i = 0; i < PS_MF_MAX_SOURCES; i++)
        a->src[i].fd = -1;
    char err[512];
    int bad = 0, status = 1;
    char *mbuf = NULL;
    const size_t mcap = 1u << 20;
    uint32_t mark = o->mark ? o->mark : 0x70736d31;
    resolve_all(a, true, err, sizeof(err), &bad);
    if (bad) {
        fprintf(stderr, "periscope mirror: %s\n", err);
        goto out;
    }
    bool need4 = false, need6 = false;
    for (int i = 0; i < a->c->ntarget; i++)
        for (int k = 0; k < a->tgt[i].n; k++) {
            need4 |= a->tgt[i].sa[k].ss_family == AF_INET;
            need6 |= a->tgt[i].sa[k].ss_family == AF_INET6;
        }
    if ((need4 && (a->b4.fd = raw_socket(AF_INET, mark, err, sizeof(err))) < 0) ||
        (need6 && (a->b6.fd = raw_socket(AF_INET6, mark, err, sizeof(err))) < 0)) {
        fprintf(stderr, "periscope mirror: %s\n", err);
        goto out;
    }
    int nactive = 0;
    for (int i = 0; i < a->c->nsource; i++) {
        if (!a->c->source[i].nsession)
            continue;
        if (open_source(&a->src[i], a->c->source[i].ifname, mark, source_snap(a->c, i), o->ring_mb,
                        err, sizeof(err)) != 0) {
            fprintf(stderr, "periscope mirror: %s\n", err);
            goto out;
        }
        nactive++;
    }
    if (!nactive) {
        fprintf(stderr, "periscope mirror: no session has a mapped source interface\n");
        goto out;
    }
    if (o->metrics) {
        mbuf = malloc(mcap);
        if (!mbuf || (a->mfd = metrics_socket(o->metrics, err, sizeof(err))) < 0) {
            fprintf(stderr, "periscope mirror: %s\n", mbuf ? err : "out of memory");
            goto out;
        }
    }
    ring_drops(a); /* count from now */
    for (int i = 0; i < a->c->nsource; i++)
        a->src[i].skip[SK_RING] = 0;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!o->quiet)
        fprintf(stderr, "periscope mirror: %d source interface(s), %d session(s)\n", nactive,
                a->c->nsession - a->c->unmapped);

    struct pollfd pfd[PS_MF_MAX_SOURCES + 1];
    int pidx[PS_MF_MAX_SOURCES + 1], np = 0;
    for (int i = 0; i < a->c->nsource; i++)
        if (a->src[i].fd >= 0) {
            pidx[np] = i;
            pfd[np++] = (struct pollfd){.fd = a->src[i].fd, .events = POLLIN};
        }
    int midx = -1;
    if (a->mfd >= 0) {
        midx = np;
        pfd[np++] = (struct pollfd){.fd = a->mfd, .events = POLLIN};
    }
    double start = mono_s(), last_stats = start, last_resolve = start;
    double window = start;
    const double win_len = 0.1, budget = o->cpu_pct ? win_len * o->cpu_pct / 100.0 : 0;
    a->window_cpu = cpu_s();
    a->budget = budget;
    a->last_refill = start;
    status = 0;
    while (!stop_flag && !(o->max_packets && a->total_mirrored >= o->max_packets)) {
        double now = mono_s();
        if (now - window >= win_len) {
            window = now;
            a->window_cpu = cpu_s();
        }
        /* Over the CPU budget: stop reading until the window ends. The ring
         * fills, the kernel drops copies (never the traffic) and counts. */
        bool over = budget > 0 && cpu_s() - a->window_cpu >= budget;
        int tmo = over ? (int)((window + win_len - now) * 1000) + 1 : 100;
        for (int i = 0; i < np; i++)
            pfd[i].events = (over && i != midx) ? 0 : POLLIN;
        int r = poll(pfd, (nfds_t)np, tmo);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "periscope mirror: poll: %s\n", strerror(errno));
            status = 1;
            break;
        }
        if (!over)
            for (int i = 0; i < np; i++)
                if (i != midx)
                    drain(a, pidx[i], 32);
        if (midx >= 0 && (pfd[midx].revents & POLLIN))
            metrics_serve(a, mbuf, mcap);
        now = mono_s();
        if (o->stats_s && now - last_stats >= o->stats_s) {
            last_stats = now;
            ring_drops(a);
            if (!o->quiet)
                stats_line(a, stderr);
        }
        if (now - last_resolve >= (o->resolve_s ? o->resolve_s : 60)) {
            last_resolve = now;
            resolve_all(a, false, err, sizeof(err), &bad);
        }
    }
    /* The block being filled is handed over within its retire timeout. What
     * is in the ring is read within one more window of the CPU budget; what
     * is left then is counted as dropped (ring_full), not read. */
    for (int i = 0; i < np; i++)
        pfd[i].events = i == midx ? 0 : POLLIN;
    poll(pfd, (nfds_t)np, 50);
    a->window_cpu = cpu_s();
    for (int i = 0; i < np; i++)
        if (i != midx) {
            drain(a, pidx[i], (int)a->src[pidx[i]].ring.nblocks);
            a->src[pidx[i]].skip[SK_RING] += ps_tpring_unread(&a->src[pidx[i]].ring);
        }
    ring_drops(a);
    if (!o->quiet) {
        stats_line(a, stderr);
        double el = mono_s() - start, cpu = cpu_s();
        fprintf(stderr, "periscope mirror: %llu frames mirrored in %.1f s, %.2f CPU s\n",
                (unsigned long long)a->total_mirrored, el, cpu);
    }
out:
    free(mbuf);
    agent_close(a);
    return status;
}
