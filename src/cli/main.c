/* SPDX-License-Identifier: BSD-2-Clause */
/* periscope command line: `periscope read FILE...`. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_cost.h"
#include "cli/cmd_flowlogs.h"
#include "cli/cmd_report.h"
#include "cli/cmd_mirror.h"
#include "cli/config.h"
#include "cli/pipeline.h"
#include "cli/workers.h"
#include "output/clickhouse.h"
#include "output/db.h"
#include "source/pcap_file.h"
#include "source/afpacket.h"
#include "source/udp.h"

#ifndef PS_VERSION
#define PS_VERSION "0.1.0"
#endif

#define MAX_FILES 4096

static const char usage_main[] =
    "usage: periscope COMMAND [OPTIONS]\n"
    "\n"
    "periscope: a network security sensor for cloud traffic mirroring.\n"
    "\n"
    "Commands:\n"
    "  read FILE...   analyse pcap/pcapng files ('-' = stdin): flows, alerts, mirror context\n"
    "  listen         be a mirror target: VXLAN and GENEVE on UDP sockets, until SIGTERM\n"
    "  flowlogs import|query|report  VPC Flow Logs into the SQLite store, SQL and reports\n"
    "  cost           AWS Traffic Mirroring plan: eligibility, monthly cost, coverage gaps\n"
    "  mirror         Traffic Mirroring for hosts AWS cannot mirror: VXLAN to a target\n"
    "  report         visibility report of a store or capture: classes, losses, HTML page\n"
    "  clickhouse-schema [--database NAME]  print the CREATE statements of the tables\n"
    "                 that --clickhouse fills (pipe them to clickhouse-client --multiquery)\n"
    "\n"
    "Run 'periscope COMMAND --help' for the options of a command.\n"
    "  -h, --help       this help\n"
    "  -V, --version    print the version\n"
    "  --list-counters  print every counter: name, kind (count, drop, anomaly), meaning\n"
    "  --list-signatures  print every alert: signature id, detector, severity, message\n";

static const char usage_read[] =
    "usage: periscope read [OPTIONS] FILE...\n"
    "\n"
    "Decode pcap or pcapng files ('-' reads standard input) as a mirror target would:\n"
    "VXLAN, GENEVE (with AWS GWLB options), ERSPAN I/II/III, GRE and IP-in-IP are\n"
    "unwrapped, and every flow record carries its mirror context. Several files are\n"
    "read in order as one capture.\n"
    "\n"
    "Output (default: -l ./periscope-out when neither --eve nor --flowlog is given):\n"
    "  -l, --log-dir DIR         write DIR/eve.json, DIR/flows.log and DIR/periscope.db\n"
    "      --eve PATH            EVE JSON lines to PATH ('-' = stdout)\n"
    "      --flowlog PATH        AWS VPC Flow Log (version 5 fields) to PATH ('-' = stdout)\n"
    "      --db PATH             also write flows and alerts to this SQLite store (default:\n"
    "                            periscope.db in the log directory; query it with\n"
    "                            'periscope flowlogs query --db PATH')\n"
    "      --no-db               no store\n"
    "      --clickhouse URL      also send every EVE record to ClickHouse over HTTP, one\n"
    "                            table per event type (create them with 'periscope\n"
    "                            clickhouse-schema'); URL like http://HOST:8123/, with\n"
    "                            ?database=NAME (default periscope), user=, password=\n"
    "      --clickhouse-buffer SIZE  rows kept for ClickHouse while it is slow or down\n"
    "                            (default 64M; K, M, G suffixes); when full the newest\n"
    "                            are dropped and counted (clickhouse.dropped.*); read\n"
    "                            waits for room while the server takes batches\n"
    "      --clickhouse-wait S   at exit, wait at most S seconds for ClickHouse to take\n"
    "                            what is buffered (default 10); the rest is counted in\n"
    "                            clickhouse.dropped.shutdown\n"
    "      --sessions FILE       JSON of 'aws ec2 describe-traffic-mirror-sessions':\n"
    "                            fills interface-id in the flow log from the VNI\n"
    "      --flowlog-interval S  flow log aggregation interval in seconds (default 60)\n"
    "      --stats-interval S    also write a stats event every S seconds of capture\n"
    "                            time (default: only at the end)\n"
    "\n"
    "Decoding:\n"
    "  -f, --filter EXPR         BPF filter (libpcap syntax), applied to the outer packet\n"
    "      --vxlan-port N        UDP port carrying VXLAN (repeatable; default 4789)\n"
    "      --geneve-port N       UDP port carrying GENEVE (repeatable; default 6081)\n"
    "      --no-vxlan            do not decode VXLAN on any port\n"
    "      --no-geneve           do not decode GENEVE on any port\n"
    "      --max-tunnel-depth N  tunnels unwrapped at most (default 8)\n"
    "      --no-checksums        do not verify checksums (they are anomaly counters only)\n"
    "\n"
    "Flow table:\n"
    "      --flow-capacity N     flows held at once (default 262144)\n"
    "      --full-policy P       when full: 'evict' the flow idle longest (default) or\n"
    "                            'drop' the packet; both are counted\n"
    "      --dedup-window MS     a packet arriving again from another mirror source within\n"
    "                            MS ms (both ends mirrored) is counted as duplicated, not\n"
    "                            in flow totals (default 50; 0 = off)\n"
    "      --timeout CLASS=S     idle timeout in seconds for tcp-new (30), tcp-established\n"
    "                            (350), tcp-closed (10), udp (60), icmp (30), other (60)\n"
    "\n"
    "Reassembly and packet-level detectors:\n"
    "      --defrag-policy P     overlap policy: drop (default: any overlap discards the\n"
    "                            datagram, RFC 5722), or the target-OS policies of Novak\n"
    "                            (2005): first, last, bsd, linux (2.4-era), windows,\n"
    "                            solaris; CIDR=P sets it for a destination network\n"
    "                            (repeatable); IPv6 always drops\n"
    "      --defrag-max-frags N  fragments kept per datagram (default 64, at most 256);\n"
    "                            more raise frag_tiny and drop the datagram\n"
    "      --defrag-trackers N   datagrams in reassembly at once (default 4096)\n"
    "      --defrag-memcap B     bytes of fragments held in all (default 16777216)\n"
    "      --defrag-timeout S    an incomplete datagram is given up after S s (default 30)\n"
    "      --frag-flood-threshold N  incomplete datagrams from one source that raise\n"
    "                            frag_flood (default 100)\n"
    "      --no-anomaly-events   count decoder anomalies without writing anomaly events\n"
    "                            (default: at most 10 per name per second of capture)\n"
    "      --dns-tunnel KEY=N    dns_tunnel thresholds (repeatable): unique=20 subdomains and\n"
    "                            info=400 compressed bytes per window=60 s, long-info=4096\n"
    "                            per long-window=3600 s, with signs=2 of long labels\n"
    "                            (long-label=32), entropy=460 (bits x 100), charset, record\n"
    "                            types, NXDOMAIN; idle=900, capacity=4096; psl=FILE (default\n"
    "                            /usr/share/publicsuffix/public_suffix_list.dat)\n"
    "      --icmp-tunnel KEY=N   icmp_tunnel thresholds (repeatable): distinct=8 payloads no\n"
    "                            OS ping sends, carrying distinct-bytes=64, or volume=16384\n"
    "                            bytes of them; mismatches=3 replies unlike their request;\n"
    "                            idle=300, capacity=16384\n"
    "\n"
    "Application layer (dns, tls, quic, http, ssh events; recognised by content):\n"
    "      --no-app              flows and missing TCP bytes only: no reassembly, no parsers\n"
    "      --app-slots N         flows parsed at once (default 16384); more are counted\n"
    "                            (app.slots_full) and get flow records only\n"
    "      --stream-buffers N    TCP reassembly buffers of 32 KiB (default 2048); when all\n"
    "                            are in use a flow direction is given up (stream.no_buffer)\n"
    "\n"
    "Other:\n"
    "      --config FILE         settings from FILE, one long option per line\n"
    "                            ('flow-capacity = 65536'); the command line overrides\n"
    "                            them (dist/periscope.conf lists every one)\n"
    "      --deterministic       flow ids count from 1 and the hash seed is fixed\n"
    "                            (for tests and diffs)\n"
    "  -q, --quiet               no progress bar and no summary\n"
    "  -h, --help                this help\n"
    "\n"
    "Exit status: 0 on success, 1 on bad usage or input that cannot be read.\n";

static const char usage_listen[] =
    "usage: periscope listen [OPTIONS]\n"
    "\n"
    "Receive mirrored traffic as a mirror target does: VXLAN (AWS Traffic Mirroring,\n"
    "Azure vTAP, an NLB's UDP listener) and GENEVE (a Gateway Load Balancer) on ordinary\n"
    "UDP sockets, no privileges or promiscuous capture needed. The outer source of each\n"
    "datagram (the mirrored ENI) goes into the mirror context. Runs until SIGTERM or\n"
    "SIGINT, then flushes every flow and record and exits 0; SIGHUP reopens the output\n"
    "files (for logrotate). Output and flow options are those of 'periscope read'\n"
    "(see its --help); files are appended to. Stats every 60 s unless --stats-interval.\n"
    "\n"
    "Receiving (default, without -i: --vxlan 4789 --geneve 6081 on every address):\n"
    "  -i, --interface IFACE     also capture frames from this interface (AF_PACKET,\n"
    "                            promiscuous): a SPAN port, or the link an ERSPAN or GRE\n"
    "                            feed arrives on; needs root or CAP_NET_RAW\n"
    "  -f, --filter EXPR         with -i: BPF filter (libpcap syntax), run in the kernel\n"
    "      --vxlan [ADDR:]PORT   receive VXLAN here (repeatable)\n"
    "      --geneve [ADDR:]PORT  receive GENEVE here (repeatable)\n"
    "      --allow-source CIDR   accept datagrams only from these sources (repeatable);\n"
    "                            others are counted in drop.listen.source_denied\n"
    "      --allow-vni N         accept only these VNIs (repeatable); others are counted\n"
    "                            in drop.listen.vni_denied\n"
    "      --health-port [ADDR:]PORT  answer TCP and HTTP health checks (a GWLB's)\n"
    "      --metrics [ADDR:]PORT Prometheus text metrics over HTTP (a bare port binds\n"
    "                            127.0.0.1): counters, flows, mirror sessions, store backlog\n"
    "      --user NAME           switch to this user after binding the sockets\n"
    "      --workers N           worker threads, each with its own flow table (default: the\n"
    "                            number of cores); packets go to the worker a symmetric\n"
    "                            hash of their inner addresses and ports picks; 1 = one\n"
    "                            thread does everything\n"
    "  -q, --quiet               no summary at exit\n"
    "  -h, --help                this help\n";

struct read_opts {
    const char *db;
    const char *clickhouse;
    size_t ch_buffer;
    unsigned ch_wait_s;
    bool no_db;
    const char *filter;
    const char *log_dir;
    const char *eve;
    const char *flowlog;
    const char *sessions;
    bool quiet;
    bool progress;
};

static void die_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "periscope: %s%s%s\nTry 'periscope read --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    exit(1);
}

static unsigned long parse_ulong(const char *s, unsigned long max, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || s[0] == '-') {
        char msg[128];
        snprintf(msg, sizeof(msg), "invalid %s (0..%lu)", what, max);
        die_usage(msg, s);
    }
    return v;
}

/* A byte count with an optional K, M or G (binary) suffix. */
static size_t parse_size(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (errno || end == s || *end || s[0] == '-' || v > (1ULL << 40) >> shift)
        die_usage("invalid size (bytes, or a number with K, M or G)", what);
    return (size_t)(v << shift);
}

/* Open an output file: truncated for read, appended to for listen (so that
 * a restart or a SIGHUP after logrotate moved it never loses records). */
static FILE *open_out(const char *path, bool append)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, append ? "a" : "w");
    if (!f) {
        fprintf(stderr, "periscope: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void human_bytes(char out[16], double b)
{
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4) {
        b /= 1000;
        i++;
    }
    snprintf(out, 16, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

struct progress {
    bool on;
    double start;
    double last;
    uint64_t total; /* bytes of all files, 0 when unknown (stdin) */
    uint64_t done;  /* bytes of finished files */
};

static void progress_draw(struct progress *pr, uint64_t pos, uint64_t pkts, bool final)
{
    double t = now_s();
    if (!final && t - pr->last < 0.25)
        return;
    pr->last = t;
    double el = t - pr->start;
    double pps = el > 0 ? pkts / el : 0;
    uint64_t cur = pr->done + pos;
    char b1[16], b2[16];
    human_bytes(b1, (double)cur);
    if (pr->total) {
        double frac = (double)cur / (double)pr->total;
        if (frac > 1)
            frac = 1;
        int w = 30, fill = (int)(frac * w);
        char bar[31];
        for (int i = 0; i < w; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[w] = 0;
        human_bytes(b2, (double)pr->total);
        double eta = frac > 0 ? el / frac - el : 0;
        fprintf(stderr, "\r[%s] %3.0f%%  %s / %s  %.2f Mpps  ETA %d:%02d ", bar, frac * 100, b1, b2,
                pps / 1e6, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%s read  %.2f Mpps ", b1, pps / 1e6);
    }
    if (final)
        fputs("\r\033[K", stderr);
}

static int read_file(struct ps_pipeline *w, const char *path, const struct read_opts *o,
                     struct progress *pr)
{
    struct ps_reader rd;
    if (ps_reader_open(&rd, path, o->filter) != 0) {
        fprintf(stderr, "periscope: %s\n", rd.err);
        ps_reader_close(&rd);
        return -1;
    }
    int dlt = rd.dlt;
    if (!ps_decode_dlt_supported(dlt))
        fprintf(stderr,
                "periscope: %s: link type %s (%d) is not supported; its packets are "
                "counted as drop.linktype\n",
                path, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?", dlt);
    struct ps_rec rec;
    const uint8_t *data;
    int rc;
    uint64_t n = 0;
    while ((rc = ps_reader_next(&rd, &rec, &data)) == 1) {
        ps_pipeline_packet(w, dlt, data, rec.caplen, rec.len, rec.ts_us);
        if (pr->on && (++n & 0x3fff) == 0)
            progress_draw(pr, ps_reader_pos(&rd), w->c.v[PS_C_PKTS_RECEIVED], false);
    }
    if (rc < 0)
        fprintf(stderr, "periscope: warning: %s (packets before it were processed)\n", rd.err);
    pr->done += ps_reader_pos(&rd);
    ps_reader_close(&rd);
    return 0;
}

/* Records the ClickHouse sink dropped, every reason (clickhouse.dropped.*). */
static uint64_t ch_dropped(const struct ps_counters *c)
{
    uint64_t n = 0;
    for (int i = PS_C_CH_DROP_BUFFER_FULL; i <= PS_C_CH_DROP_SHUTDOWN; i++)
        n += c->v[i];
    return n;
}

static void print_summary(const struct ps_pipeline *w, double secs, const char *eve,
                          const char *flowlog)
{
    const struct ps_counters *c = &w->c;
    char b[16];
    uint64_t rx = c->v[PS_C_PKTS_RECEIVED];
    human_bytes(b, (double)c->v[PS_C_BYTES_RECEIVED]);
    fprintf(stderr,
            "periscope: %" PRIu64 " packets (%" PRIu64 " decoded, %" PRIu64 " dropped), %s, "
            "%" PRIu64 " flows, in %.2f s (%.0f packets/s)\n",
            rx, c->v[PS_C_PKTS_DECODED], ps_counters_dropped(c), b, c->v[PS_C_FLOW_CREATED], secs,
            secs > 0 ? rx / secs : 0.0);
    static const char *pn[PS_PB__COUNT] = {"TCP", "UDP", "ICMP", "other"};
    fprintf(stderr, "  by protocol:");
    for (int i = 0; i < PS_PB__COUNT; i++) {
        human_bytes(b, (double)w->proto_bytes[i]);
        fprintf(stderr, "%s %s %" PRIu64 " pkts %s", i ? "," : "", pn[i], w->proto_pkts[i], b);
    }
    fputc('\n', stderr);
    uint32_t shown = 0;
    for (uint32_t i = 0; i < w->sessions.cap; i++) {
        const struct ps_session *s = &w->sessions.s[i];
        if (!s->used)
            continue;
        if (shown++ == 20) {
            fprintf(stderr, "  ... %u mirror sessions in all (see the stats event)\n",
                    w->sessions.used);
            break;
        }
        char a[46], id[32] = "";
        if (s->m.has_vni)
            snprintf(id, sizeof(id), " vni %" PRIu32, s->m.vni);
        else if (s->m.has_erspan_id)
            snprintf(id, sizeof(id), " session %u", s->m.erspan_id);
        human_bytes(b, (double)s->bytes);
        fprintf(stderr,
                "  mirror %s%s from %s: %" PRIu64 " pkts, %s, %" PRIu64 " truncated, %" PRIu64
                " flows%s\n",
                ps_encap_name(s->m.encap), id,
                s->m.outer_ver ? ps_addr_str(s->m.outer_ver, s->m.src, a) : "?", s->pkts, b,
                s->truncated, s->flows, s->m.has_gwlb ? " (via GWLB)" : "");
    }
    for (int kind = PS_CK_DROP; kind <= PS_CK_ANOMALY; kind++) {
        bool any = false;
        for (int i = 0; i < PS_C__COUNT; i++) {
            if ((int)ps_counter_table[i].kind != kind || !c->v[i])
                continue;
            fprintf(stderr, "%s %s %" PRIu64,
                    any                  ? ","
                    : kind == PS_CK_DROP ? "  drops:"
                                         : "  anomalies:",
                    ps_counter_table[i].name, c->v[i]);
            any = true;
        }
        if (any)
            fputc('\n', stderr);
    }
    if (c->v[PS_C_DEFRAG_FRAGMENTS])
        fprintf(stderr,
                "  fragments: %" PRIu64 ", %" PRIu64 " datagrams reassembled, %" PRIu64
                " with overlaps, %" PRIu64 " given up incomplete\n",
                c->v[PS_C_DEFRAG_FRAGMENTS], c->v[PS_C_DEFRAG_REASSEMBLED],
                c->v[PS_C_DEFRAG_OVERLAP],
                c->v[PS_C_DEFRAG_TIMEOUT] + c->v[PS_C_DEFRAG_EVICTED] +
                    c->v[PS_C_DEFRAG_INCOMPLETE_END]);
    if (eve)
        fprintf(stderr, "  eve: %s (%" PRIu64 " records)\n", eve, w->out.eve_records);
    if (flowlog)
        fprintf(stderr, "  flowlog: %s (%" PRIu64 " records)\n", flowlog, w->out.flowlog_records);
    if (w->out.ch)
        fprintf(stderr,
                "  clickhouse: %" PRIu64 " records sent in %" PRIu64 " inserts, %" PRIu64
                " dropped, %" PRIu64 " retries%s%s\n",
                c->v[PS_C_CH_ROWS_SENT], c->v[PS_C_CH_BATCHES_SENT], ch_dropped(c),
                c->v[PS_C_CH_RETRIES], ps_ch_error(w->out.ch)[0] ? "; first error: " : "",
                ps_ch_error(w->out.ch));
}

/* Flush the ClickHouse sink at exit: wait at most wait_s for the server,
 * then count what is left as dropped. Returns -1 when any record was
 * dropped. */
static int ch_finish(struct ps_pipeline *w, unsigned wait_s)
{
    ps_ch_close(w->out.ch, wait_s * 1000);
    ps_ch_counters(w->out.ch, &w->c);
    uint64_t n = ch_dropped(&w->c);
    if (n)
        fprintf(stderr,
                "periscope: clickhouse: %" PRIu64 " records not sent (clickhouse.dropped.*)\n", n);
    return n ? -1 : 0;
}

static int set_timeout(struct ps_flow_config *fc, const char *arg)
{
    static const struct {
        const char *name;
        int tc;
    } names[] = {{"tcp-new", PS_TC_TCP_NEW},
                 {"tcp-established", PS_TC_TCP_EST},
                 {"tcp-closed", PS_TC_TCP_CLOSED},
                 {"udp", PS_TC_UDP},
                 {"icmp", PS_TC_ICMP},
                 {"other", PS_TC_OTHER}};
    const char *eq = strchr(arg, '=');
    if (!eq)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == (size_t)(eq - arg) &&
            strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
            fc->timeout_s[names[i].tc] = parse_ulong(eq + 1, 86400 * 7, "timeout");
            return 0;
        }
    }
    return -1;
}

/* ---- listen ------------------------------------------------------------ */

#define MAX_ALLOW 64

struct listen_opts {
    const char *spec[PS_UDP_MAX_SOCKETS];
    int kind[PS_UDP_MAX_SOCKETS];
    int nspec;
    struct {
        uint8_t ver, prefix;
        uint8_t addr[16];
    } cidr[MAX_ALLOW];
    int ncidr;
    uint32_t vni[256];
    int nvni;
    const char *health;
    const char *metrics;
    const char *user;
    const char *iface;  /* -i: frames from this interface (AF_PACKET) */
    const char *filter; /* -f with -i: BPF in the kernel */
    int workers;        /* threads; 0 = the number of cores */
};

static int listen_allow_cidr(struct listen_opts *lo, const char *arg)
{
    if (lo->ncidr >= MAX_ALLOW)
        return -1;
    char a[64];
    snprintf(a, sizeof(a), "%s", arg);
    char *slash = strchr(a, '/');
    long prefix = -1;
    if (slash) {
        *slash = 0;
        char *end;
        prefix = strtol(slash + 1, &end, 10);
        if (*end || !slash[1])
            return -1;
    }
    uint8_t *dst = lo->cidr[lo->ncidr].addr;
    memset(dst, 0, 16);
    if (inet_pton(AF_INET, a, dst) == 1) {
        lo->cidr[lo->ncidr].ver = 4;
        prefix = prefix < 0 ? 32 : prefix;
        if (prefix > 32)
            return -1;
    } else if (inet_pton(AF_INET6, a, dst) == 1) {
        lo->cidr[lo->ncidr].ver = 6;
        prefix = prefix < 0 ? 128 : prefix;
        if (prefix > 128)
            return -1;
    } else {
        return -1;
    }
    lo->cidr[lo->ncidr++].prefix = (uint8_t)prefix;
    return 0;
}

static bool source_allowed(const struct listen_opts *lo, uint8_t ver, const uint8_t *a)
{
    if (!lo->ncidr)
        return true;
    for (int i = 0; i < lo->ncidr; i++) {
        if (lo->cidr[i].ver != ver)
            continue;
        unsigned full = lo->cidr[i].prefix / 8, rest = lo->cidr[i].prefix % 8;
        if (memcmp(lo->cidr[i].addr, a, full) != 0)
            continue;
        if (rest && ((lo->cidr[i].addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))))
            continue;
        return true;
    }
    return false;
}

static bool vni_allowed(void *ctx, uint32_t vni)
{
    const struct listen_opts *lo = ctx;
    for (int i = 0; i < lo->nvni; i++)
        if (lo->vni[i] == vni)
            return true;
    return false;
}

static volatile sig_atomic_t stop_flag, reopen_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reopen_flag = 1;
}

static int tcp_listen_socket(const char *opt, const char *spec, char *err, size_t errlen)
{
    char host[128] = "", port[16];
    const char *colon = strrchr(spec, ':');
    if (colon) {
        snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
        snprintf(port, sizeof(port), "%s", colon + 1);
    } else {
        snprintf(port, sizeof(port), "%s", spec);
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "%s %s: %s", opt, spec, gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "%s %s: %s", opt, spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* A GWLB checks TCP (a connection is enough) or HTTP (a 200): answer both. */
static void health_answer(int lfd)
{
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 3\r\nConnection: close\r\n\r\nok\n";
    for (int n = 0; n < 16; n++) {
        int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0)
            return;
        ssize_t w = write(c, reply, sizeof(reply) - 1);
        (void)w;
        close(c);
    }
}

/* Prometheus text exposition of the counters, the flow table, each mirror
 * session and the store's backlog, into a buffer of cap bytes. */
static size_t metrics_text(const struct ps_pipeline *w, char *b, size_t cap)
{
    static const char *kinds[] = {"count", "drop", "anomaly"};
    size_t n = 0;
#define PUT(...)                                                \
    do {                                                        \
        if (n < cap)                                            \
            n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__); \
    } while (0)
    PUT("# HELP periscope_counter_total Every counter of docs/events.md, by name and kind.\n"
        "# TYPE periscope_counter_total counter\n");
    for (int i = 0; i < PS_C__COUNT; i++)
        PUT("periscope_counter_total{name=\"%s\",kind=\"%s\"} %llu\n", ps_counter_table[i].name,
            kinds[ps_counter_table[i].kind], (unsigned long long)w->c.v[i]);
    PUT("# HELP periscope_packets_dropped_total Packets not decoded (all drop reasons).\n"
        "# TYPE periscope_packets_dropped_total counter\n"
        "periscope_packets_dropped_total %llu\n",
        (unsigned long long)ps_counters_dropped(&w->c));
    PUT("# HELP periscope_flows_active Flows in the table.\n"
        "# TYPE periscope_flows_active gauge\nperiscope_flows_active %u\n",
        w->flows.used);
    PUT("# HELP periscope_mirror_packets_total Tunnel datagrams per mirror session.\n"
        "# TYPE periscope_mirror_packets_total counter\n"
        "# HELP periscope_mirror_bytes_total Their wire bytes.\n"
        "# TYPE periscope_mirror_bytes_total counter\n");
    for (uint32_t i = 0; i < w->sessions.cap && n < cap; i++) {
        const struct ps_session *s = &w->sessions.s[i];
        if (!s->used)
            continue;
        char a[46] = "";
        if (s->m.outer_ver)
            ps_addr_str(s->m.outer_ver, s->m.src, a);
        char labels[160];
        snprintf(labels, sizeof(labels), "encap=\"%s\",vni=\"%u\",source=\"%s\"",
                 ps_encap_name(s->m.encap),
                 s->m.has_vni         ? s->m.vni
                 : s->m.has_erspan_id ? s->m.erspan_id
                                      : 0,
                 a);
        PUT("periscope_mirror_packets_total{%s} %llu\n", labels, (unsigned long long)s->pkts);
        PUT("periscope_mirror_bytes_total{%s} %llu\n", labels, (unsigned long long)s->bytes);
        PUT("periscope_mirror_truncated_total{%s} %llu\n", labels,
            (unsigned long long)s->truncated);
    }
    PUT("# HELP periscope_store_backlog Rows written to the store but not committed yet.\n"
        "# TYPE periscope_store_backlog gauge\nperiscope_store_backlog %u\n",
        w->out.db ? w->out.db->st.pending : 0u);
    if (w->out.ch) {
        uint64_t rows, bytes;
        ps_ch_backlog(w->out.ch, &rows, &bytes);
        PUT("# HELP periscope_clickhouse_backlog_rows Records buffered for ClickHouse, not yet "
            "accepted.\n# TYPE periscope_clickhouse_backlog_rows gauge\n"
            "periscope_clickhouse_backlog_rows %llu\n"
            "# HELP periscope_clickhouse_backlog_bytes Their bytes (of --clickhouse-buffer).\n"
            "# TYPE periscope_clickhouse_backlog_bytes gauge\n"
            "periscope_clickhouse_backlog_bytes %llu\n"
            "# HELP periscope_clickhouse_dropped_total Records ClickHouse will never get.\n"
            "# TYPE periscope_clickhouse_dropped_total counter\n"
            "periscope_clickhouse_dropped_total %llu\n",
            (unsigned long long)rows, (unsigned long long)bytes,
            (unsigned long long)ch_dropped(&w->c));
    }
#undef PUT
    return n < cap ? n : cap;
}

static void metrics_answer(int lfd, const struct ps_pipeline *w, char *buf, size_t cap)
{
    for (int k = 0; k < 8; k++) {
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            return;
        struct timeval tv = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        char req[1024];
        ssize_t r = recv(c, req, sizeof(req), 0); /* the request line; any path is /metrics */
        (void)r;
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                                   "Connection: close\r\n\r\n";
        size_t n = metrics_text(w, buf, cap);
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

static int drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "periscope: --user %s: no such user\n", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "periscope: --user %s: %s\n", user, strerror(errno));
        return -1;
    }
    return 0;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Receiving thread: to the one pipeline, or to the workers. */
static void rx_udp(struct ps_pipeline *w, struct ps_workers *ws, const struct listen_opts *lo,
                   const struct ps_udp_dgram *d)
{
    if (!source_allowed(lo, d->ver, d->src)) {
        if (ws)
            ps_workers_drop(ws, d->len, d->ts_us, PS_C_DROP_SOURCE_DENIED);
        else
            ps_pipeline_drop(w, d->len, d->ts_us, PS_C_DROP_SOURCE_DENIED);
    } else if (ws) {
        ps_workers_udp(ws, d);
    } else {
        ps_pipeline_udp(w, d->kind, d->ver, d->src, d->dst, d->sport, d->dport, d->data, d->len,
                        d->ts_us);
    }
}

static void rx_frame(struct ps_pipeline *w, struct ps_workers *ws, const struct ps_afp_frame *f)
{
    if (ws)
        ps_workers_frame(ws, f->data, f->caplen, f->len, f->ts_us);
    else
        ps_pipeline_packet(w, 1 /* Ethernet */, f->data, f->caplen, f->len, f->ts_us);
}

/* SIGHUP: the file is opened again under its name and put in place of the
 * stream's descriptor (dup2 is atomic), so workers writing to the stream
 * carry on into the new file. */
static void reopen(FILE *f, const char *path)
{
    if (!f || !path || f == stdout)
        return;
    fflush(f);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, fileno(f)) < 0)
        fprintf(stderr, "periscope: reopening %s: %s\n", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

static int listen_loop(struct ps_pipeline *w, const struct ps_pipeline_config *cfg,
                       struct listen_opts *lo, const char *eve, const char *fl, bool quiet,
                       unsigned ch_wait_s)
{
    struct ps_udp u;
    memset(&u, 0, sizeof(u));
    char err[256];
    for (int i = 0; i < lo->nspec; i++) {
        if (ps_udp_bind(&u, lo->spec[i], lo->kind[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "periscope: %s\n", err);
            ps_udp_close(&u);
            return 1;
        }
    }
    struct ps_afp afp = {.fd = -1};
    if (lo->iface && ps_afp_open(&afp, lo->iface, lo->filter, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope: %s\n", err);
        ps_udp_close(&u);
        return 1;
    }
    int hfd = -1;
    if (lo->health &&
        (hfd = tcp_listen_socket("--health-port", lo->health, err, sizeof(err))) < 0) {
        fprintf(stderr, "periscope: %s\n", err);
        ps_udp_close(&u);
        return 1;
    }
    int mfd = -1;
    char *mbuf = NULL;
    const size_t mcap = 4u << 20;
    if (lo->metrics) {
        /* A bare port binds loopback: metrics are not for the whole VPC. */
        char spec[160];
        snprintf(spec, sizeof(spec), "%s%s",
                 strchr(lo->metrics, ':') ? "" : "127.0.0.1:", lo->metrics);
        mbuf = malloc(mcap);
        if (!mbuf || (mfd = tcp_listen_socket("--metrics", spec, err, sizeof(err))) < 0) {
            fprintf(stderr, "periscope: %s\n", mbuf ? err : "out of memory");
            free(mbuf);
            if (hfd >= 0)
                close(hfd);
            ps_udp_close(&u);
            return 1;
        }
        int ffl = fcntl(mfd, F_GETFL);
        fcntl(mfd, F_SETFL, ffl | O_NONBLOCK);
    }
    if (lo->user && drop_privileges(lo->user) != 0) {
        ps_udp_close(&u);
        return 1;
    }
    if (lo->nvni) {
        w->allow_vni = vni_allowed;
        w->allow_ctx = lo;
    }
    if (!w->stats_interval_us)
        w->stats_interval_us = 60ULL * 1000000;
    int nworkers = lo->workers ? lo->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    struct ps_workers *ws = NULL;
    if (nworkers > 1 && !(ws = ps_workers_start(nworkers, cfg, w, 8u << 20, err, sizeof(err)))) {
        fprintf(stderr, "periscope: %s\n", err);
        ps_afp_close(&afp);
        ps_udp_close(&u);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct pollfd pfd[PS_UDP_MAX_SOCKETS + 3];
    int npfd = 0;
    for (int i = 0; i < u.n; i++)
        pfd[npfd++] = (struct pollfd){.fd = u.fd[i], .events = POLLIN};
    int hidx = -1, midx = -1, aidx = -1;
    if (afp.fd >= 0) {
        aidx = npfd;
        pfd[npfd++] = (struct pollfd){.fd = afp.fd, .events = POLLIN};
    }
    if (hfd >= 0) {
        hidx = npfd;
        pfd[npfd++] = (struct pollfd){.fd = hfd, .events = POLLIN};
    }
    if (mfd >= 0) {
        midx = npfd;
        pfd[npfd++] = (struct pollfd){.fd = mfd, .events = POLLIN};
    }
    if (!quiet)
        fprintf(stderr, "periscope: listening on %d socket(s)%s%s%s\n", u.n,
                lo->iface ? " and interface " : "", lo->iface ? lo->iface : "",
                hfd >= 0 ? " and a health check" : "");

    static struct ps_udp_dgram dg[PS_UDP_BATCH];
    double start = now_s();
    int status = 0;
    while (!stop_flag) {
        int r = poll(pfd, (nfds_t)npfd, 200);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "periscope: poll: %s\n", strerror(errno));
            status = 1;
            break;
        }
        for (int i = 0; i < u.n && r > 0; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            /* Bounded work per socket per round: the others get their turn. */
            for (int round = 0; round < 16; round++) {
                int n = ps_udp_recv(&u, i, dg);
                if (n <= 0)
                    break;
                for (int k = 0; k < n; k++)
                    rx_udp(w, ws, lo, &dg[k]);
            }
        }
        if (aidx >= 0 && (pfd[aidx].revents & POLLIN)) {
            static struct ps_afp_frame fr[PS_AFP_BATCH];
            for (int round = 0; round < 16; round++) {
                int n = ps_afp_recv(&afp, fr);
                if (n <= 0)
                    break;
                for (int k = 0; k < n; k++)
                    rx_frame(w, ws, &fr[k]);
            }
        }
        if (hidx >= 0 && (pfd[hidx].revents & POLLIN))
            health_answer(hfd);
        if (midx >= 0 && (pfd[midx].revents & POLLIN)) {
            if (ws)
                ps_workers_collect(ws, w); /* the workers' latest snapshots */
            metrics_answer(mfd, w, mbuf, mcap);
        }
        if (afp.fd >= 0)
            ps_afp_stats(&afp);
        if (ws)
            ps_workers_collect(ws, w);
        w->c.v[PS_C_KERNEL_DROPS] = u.kernel_drops + afp.kernel_drops;
        if (reopen_flag) {
            reopen_flag = 0;
            reopen(w->out.eve, eve);
            reopen(w->out.flowlog, fl);
        }
        ps_pipeline_tick(w, wall_us());
        if (w->out.db)
            ps_dbsink_commit(w->out.db);
        if (w->out.eve)
            fflush(w->out.eve);
        if (w->out.flowlog)
            fflush(w->out.flowlog);
    }
    /* Read what is already queued, then flush everything. */
    for (int i = 0; i < u.n; i++) {
        int n;
        while ((n = ps_udp_recv(&u, i, dg)) > 0)
            for (int k = 0; k < n; k++)
                rx_udp(w, ws, lo, &dg[k]);
    }
    if (afp.fd >= 0) {
        static struct ps_afp_frame fr[PS_AFP_BATCH];
        int n;
        while ((n = ps_afp_recv(&afp, fr)) > 0)
            for (int k = 0; k < n; k++)
                rx_frame(w, ws, &fr[k]);
        ps_afp_stats(&afp);
    }
    if (ws) {
        /* The workers drain their queues and flush their flows; the
         * aggregate then writes the final stats. */
        ps_workers_stop(ws);
        ps_workers_collect(ws, w);
        w->last_ts_us = wall_us();
    }
    w->c.v[PS_C_KERNEL_DROPS] = u.kernel_drops + afp.kernel_drops;
    ps_pipeline_finish(w);
    ps_workers_free(ws);
    if (w->out.ch)
        ch_finish(w, ch_wait_s); /* SIGTERM still exits 0: what was dropped is counted */
    if ((w->out.eve && fflush(w->out.eve) != 0) ||
        (w->out.flowlog && fflush(w->out.flowlog) != 0)) {
        fprintf(stderr, "periscope: writing output failed: %s\n", strerror(errno));
        status = 1;
    }
    if (!quiet)
        print_summary(w, now_s() - start, eve && strcmp(eve, "-") ? eve : NULL,
                      fl && strcmp(fl, "-") ? fl : NULL);
    if (w->out.eve && w->out.eve != stdout)
        fclose(w->out.eve);
    if (w->out.flowlog && w->out.flowlog != stdout)
        fclose(w->out.flowlog);
    if (hfd >= 0)
        close(hfd);
    if (mfd >= 0)
        close(mfd);
    free(mbuf);
    ps_afp_close(&afp);
    ps_udp_close(&u);
    return status;
}

static int cmd_run(int argc, char **argv, bool live)
{
    enum {
        O_EVE = 256,
        O_FLOWLOG,
        O_SESSIONS,
        O_VXLAN,
        O_GENEVE,
        O_NOVXLAN,
        O_NOGENEVE,
        O_DEPTH,
        O_NOCSUM,
        O_CAP,
        O_POLICY,
        O_TIMEOUT,
        O_DET,
        O_IVAL,
        O_STATS,
        O_DFPOL,
        O_DFTRACK,
        O_NOAPP,
        O_APPSLOTS,
        O_STREAMBUF,
        O_DFMEM,
        O_DFTO,
        O_DFFLOOD,
        O_NOANOM,
        O_ICMPTUN,
        O_DNSTUN,
        O_DFMAXF,
        O_LVXLAN,
        O_LGENEVE,
        O_ALLOWSRC,
        O_ALLOWVNI,
        O_HEALTH,
        O_WORKERS,
        O_USER,
        O_DEDUP,
        O_DB,
        O_NODB,
        O_CONFIG,
        O_METRICS,
        O_CH,
        O_CHBUF,
        O_CHWAIT,
    };
    static const struct option lopts[] = {
        {"filter", required_argument, NULL, 'f'},
        {"interface", required_argument, NULL, 'i'},
        {"log-dir", required_argument, NULL, 'l'},
        {"eve", required_argument, NULL, O_EVE},
        {"flowlog", required_argument, NULL, O_FLOWLOG},
        {"sessions", required_argument, NULL, O_SESSIONS},
        {"vxlan-port", required_argument, NULL, O_VXLAN},
        {"geneve-port", required_argument, NULL, O_GENEVE},
        {"no-vxlan", no_argument, NULL, O_NOVXLAN},
        {"no-geneve", no_argument, NULL, O_NOGENEVE},
        {"max-tunnel-depth", required_argument, NULL, O_DEPTH},
        {"no-checksums", no_argument, NULL, O_NOCSUM},
        {"flow-capacity", required_argument, NULL, O_CAP},
        {"full-policy", required_argument, NULL, O_POLICY},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"deterministic", no_argument, NULL, O_DET},
        {"flowlog-interval", required_argument, NULL, O_IVAL},
        {"stats-interval", required_argument, NULL, O_STATS},
        {"defrag-policy", required_argument, NULL, O_DFPOL},
        {"defrag-trackers", required_argument, NULL, O_DFTRACK},
        {"no-app", no_argument, NULL, O_NOAPP},
        {"app-slots", required_argument, NULL, O_APPSLOTS},
        {"stream-buffers", required_argument, NULL, O_STREAMBUF},
        {"defrag-memcap", required_argument, NULL, O_DFMEM},
        {"defrag-timeout", required_argument, NULL, O_DFTO},
        {"frag-flood-threshold", required_argument, NULL, O_DFFLOOD},
        {"no-anomaly-events", no_argument, NULL, O_NOANOM},
        {"icmp-tunnel", required_argument, NULL, O_ICMPTUN},
        {"dns-tunnel", required_argument, NULL, O_DNSTUN},
        {"vxlan", required_argument, NULL, O_LVXLAN},
        {"geneve", required_argument, NULL, O_LGENEVE},
        {"allow-source", required_argument, NULL, O_ALLOWSRC},
        {"allow-vni", required_argument, NULL, O_ALLOWVNI},
        {"health-port", required_argument, NULL, O_HEALTH},
        {"workers", required_argument, NULL, O_WORKERS},
        {"user", required_argument, NULL, O_USER},
        {"dedup-window", required_argument, NULL, O_DEDUP},
        {"db", required_argument, NULL, O_DB},
        {"no-db", no_argument, NULL, O_NODB},
        {"config", required_argument, NULL, O_CONFIG},
        {"metrics", required_argument, NULL, O_METRICS},
        {"clickhouse", required_argument, NULL, O_CH},
        {"clickhouse-buffer", required_argument, NULL, O_CHBUF},
        {"clickhouse-wait", required_argument, NULL, O_CHWAIT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct read_opts o = {.ch_wait_s = 10};
    struct listen_opts lo = {0};
    struct ps_pipeline_config cfg;
    ps_pipeline_config_default(&cfg);
    uint16_t vx[64], gv[64];
    int nvx = -1, ngv = -1; /* -1: defaults */
    int depth = 8;
    bool csum = true, det = false;

    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:l:qhi:", lopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            o.filter = optarg;
            break;
        case 'l':
            o.log_dir = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'i':
            if (!live)
                die_usage("-i is for 'periscope listen'", NULL);
            lo.iface = optarg;
            break;
        case 'h':
            fputs(live ? usage_listen : usage_read, stdout);
            return 0;
        case O_EVE:
            o.eve = optarg;
            break;
        case O_FLOWLOG:
            o.flowlog = optarg;
            break;
        case O_SESSIONS:
            o.sessions = optarg;
            break;
        case O_VXLAN:
        case O_GENEVE: {
            uint16_t port = (uint16_t)parse_ulong(optarg, 65535, "port");
            int *n = ch == O_VXLAN ? &nvx : &ngv;
            uint16_t *arr = ch == O_VXLAN ? vx : gv;
            if (*n < 0)
                *n = 0;
            if (*n >= 64)
                die_usage("too many ports", optarg);
            arr[(*n)++] = port;
            break;
        }
        case O_NOVXLAN:
            nvx = 0;
            break;
        case O_NOGENEVE:
            ngv = 0;
            break;
        case O_DEPTH:
            depth = (int)parse_ulong(optarg, 32, "tunnel depth");
            break;
        case O_NOCSUM:
            csum = false;
            break;
        case O_CAP:
            cfg.flow.capacity = (uint32_t)parse_ulong(optarg, 1u << 30, "flow capacity");
            if (!cfg.flow.capacity)
                die_usage("flow capacity must be at least 1", optarg);
            break;
        case O_POLICY:
            if (strcmp(optarg, "evict") == 0)
                cfg.flow.evict_when_full = true;
            else if (strcmp(optarg, "drop") == 0)
                cfg.flow.evict_when_full = false;
            else
                die_usage("full policy must be 'evict' or 'drop'", optarg);
            break;
        case O_TIMEOUT:
            if (set_timeout(&cfg.flow, optarg))
                die_usage("timeout must be CLASS=SECONDS, CLASS one of tcp-new, "
                          "tcp-established, tcp-closed, udp, icmp, other",
                          optarg);
            break;
        case O_DET:
            det = true;
            break;
        case O_IVAL:
            cfg.flow.interval_s = (uint32_t)parse_ulong(optarg, 3600, "interval");
            if (!cfg.flow.interval_s)
                die_usage("interval must be at least 1 second", optarg);
            break;
        case O_STATS:
            cfg.stats_interval_s = (uint32_t)parse_ulong(optarg, 86400, "interval");
            break;
        case O_DFPOL:
            if (ps_defrag_config_policy(&cfg.defrag, optarg))
                die_usage("defrag policy must be POLICY or CIDR=POLICY, POLICY one of drop, "
                          "first, last, bsd, linux, windows, solaris (at most 64 CIDRs)",
                          optarg);
            break;
        case O_NOAPP:
            cfg.app.enabled = false;
            break;
        case O_APPSLOTS:
            cfg.app.slots = (uint32_t)parse_ulong(optarg, 1u << 22, "app slots");
            break;
        case O_STREAMBUF:
            cfg.app.buffers = (uint32_t)parse_ulong(optarg, 1u << 20, "stream buffers");
            break;
        case O_DFTRACK:
            cfg.defrag.max_trackers = (uint32_t)parse_ulong(optarg, 1u << 20, "defrag trackers");
            if (!cfg.defrag.max_trackers)
                die_usage("defrag trackers must be at least 1", optarg);
            break;
        case O_DFMAXF:
            cfg.defrag.max_frags = (uint32_t)parse_ulong(optarg, 256, "fragments per datagram");
            if (!cfg.defrag.max_frags)
                die_usage("fragments per datagram must be at least 1", optarg);
            break;
        case O_DFMEM:
            cfg.defrag.memcap = (uint32_t)parse_ulong(optarg, 128u << 20, "defrag memcap (bytes)");
            break;
        case O_DFTO:
            cfg.defrag.timeout_s = (uint32_t)parse_ulong(optarg, 3600, "defrag timeout");
            break;
        case O_DFFLOOD:
            cfg.defrag.flood_threshold = (uint32_t)parse_ulong(optarg, 1u << 20, "threshold");
            break;
        case O_NOANOM:
            cfg.detect.anomaly_events = false;
            break;
        case O_ICMPTUN:
            if (ps_icmp_tunnel_config_set(&cfg.detect.icmp_tunnel, optarg))
                die_usage("--icmp-tunnel takes KEY=N, KEY one of distinct, distinct-bytes, volume, "
                          "mismatches, idle, capacity",
                          optarg);
            break;
        case O_DNSTUN:
            if (ps_dns_tunnel_config_set(&cfg.detect.dns_tunnel, optarg))
                die_usage("--dns-tunnel takes KEY=N, KEY one of unique, info, window, long-info, "
                          "long-window, signs, long-label, entropy, idle, capacity; or psl=FILE",
                          optarg);
            break;
        case O_LVXLAN:
        case O_LGENEVE:
            if (!live)
                die_usage("--vxlan and --geneve are for 'periscope listen'; read takes "
                          "--vxlan-port and --geneve-port",
                          NULL);
            if (lo.nspec >= PS_UDP_MAX_SOCKETS)
                die_usage("too many listening sockets", optarg);
            lo.spec[lo.nspec] = optarg;
            lo.kind[lo.nspec++] = ch == O_LVXLAN ? PS_UDP_PORT_VXLAN : PS_UDP_PORT_GENEVE;
            break;
        case O_ALLOWSRC:
            if (listen_allow_cidr(&lo, optarg))
                die_usage("--allow-source takes an address or CIDR (at most 64)", optarg);
            break;
        case O_ALLOWVNI:
            if (lo.nvni >= 256)
                die_usage("at most 256 --allow-vni", optarg);
            lo.vni[lo.nvni++] = (uint32_t)parse_ulong(optarg, 16777215, "VNI");
            break;
        case O_HEALTH:
            lo.health = optarg;
            break;
        case O_WORKERS:
            lo.workers = (int)parse_ulong(optarg, 64, "workers");
            if (!lo.workers)
                die_usage("--workers must be at least 1", optarg);
            break;
        case O_DB:
            o.db = optarg;
            break;
        case O_NODB:
            o.no_db = true;
            break;
        case O_CONFIG:
            break; /* read before the options: see config_argv() */
        case O_DEDUP:
            cfg.flow.dedup_window_ms = (uint32_t)parse_ulong(optarg, 10000, "window (ms)");
            break;
        case O_USER:
            lo.user = optarg;
            break;
        case O_METRICS:
            lo.metrics = optarg;
            break;
        case O_CH:
            o.clickhouse = optarg;
            break;
        case O_CHBUF:
            o.ch_buffer = parse_size(optarg, "--clickhouse-buffer");
            break;
        case O_CHWAIT:
            o.ch_wait_s = (unsigned)parse_ulong(optarg, 86400, "--clickhouse-wait (seconds)");
            break;
        default:
            die_usage("bad option", NULL);
        }
    }
    if (!live && (lo.ncidr || lo.nvni || lo.health || lo.user || lo.metrics || lo.workers))
        die_usage("--allow-source, --allow-vni, --health-port, --metrics, --user and --workers "
                  "are for "
                  "'periscope listen'",
                  NULL);
    if (live && optind < argc)
        die_usage("listen takes no files: it receives on sockets", NULL);
    if (live && o.filter && !lo.iface)
        die_usage("-f applies to -i IFACE (UDP sockets take --allow-source)", NULL);
    lo.filter = o.filter;
    int nfiles = argc - optind;
    if (live && lo.nspec == 0 && !lo.iface) {
        lo.spec[0] = "4789";
        lo.kind[0] = PS_UDP_PORT_VXLAN;
        lo.spec[1] = "6081";
        lo.kind[1] = PS_UDP_PORT_GENEVE;
        lo.nspec = 2;
    }
    if (live)
        nfiles = 0;
    else if (nfiles < 1)
        die_usage("no capture file given", NULL);
    if (nfiles > MAX_FILES)
        die_usage("too many files", NULL);
    char **files = argv + optind;
    int stdin_uses = 0;
    for (int i = 0; i < nfiles; i++) {
        if (strcmp(files[i], "-") == 0) {
            stdin_uses++;
            continue;
        }
        if (access(files[i], R_OK) != 0) {
            fprintf(stderr, "periscope: %s: %s\n", files[i], strerror(errno));
            return 1;
        }
    }
    if (stdin_uses > 1)
        die_usage("'-' (stdin) given more than once", NULL);

    cfg.flow.deterministic = det;
    if (det)
        cfg.seed = 0x9e3779b97f4a7c15ULL;
    else if (getrandom(&cfg.seed, sizeof(cfg.seed), 0) != sizeof(cfg.seed))
        cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

    struct ps_pipeline *w = calloc(1, sizeof(*w));
    if (!w || ps_pipeline_init(w, &cfg)) {
        fprintf(stderr, "periscope: cannot allocate the tables (flow capacity %u): %s\n",
                cfg.flow.capacity, strerror(ENOMEM));
        return 1;
    }
    w->dec.check_checksums = csum;
    w->dec.max_tunnel_depth = (uint8_t)depth;
    if (nvx >= 0 || ngv >= 0) {
        for (int p = 0; p < 65536; p++) {
            if (nvx >= 0 && w->dec.udp_port_kind[p] == PS_UDP_PORT_VXLAN)
                w->dec.udp_port_kind[p] = PS_UDP_PORT_NONE;
            if (ngv >= 0 && w->dec.udp_port_kind[p] == PS_UDP_PORT_GENEVE)
                w->dec.udp_port_kind[p] = PS_UDP_PORT_NONE;
        }
        for (int i = 0; i < nvx; i++)
            w->dec.udp_port_kind[vx[i]] = PS_UDP_PORT_VXLAN;
        for (int i = 0; i < ngv; i++)
            w->dec.udp_port_kind[gv[i]] = PS_UDP_PORT_GENEVE;
    }

    struct ps_eni_map eni = {0};
    if (o.sessions) {
        char err[300];
        if (ps_eni_map_load(&eni, o.sessions, err, sizeof(err))) {
            fprintf(stderr, "periscope: %s\n", err);
            return 1;
        }
        w->out.eni = &eni;
    }

    /* Outputs: -l DIR unless only explicit paths were asked for. */
    char eve_path[PATH_MAX], fl_path[PATH_MAX];
    const char *eve = o.eve, *fl = o.flowlog;
    if (o.log_dir || (!o.eve && !o.flowlog)) {
        const char *dir = o.log_dir ? o.log_dir : "periscope-out";
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "periscope: %s: %s\n", dir, strerror(errno));
            return 1;
        }
        if (!eve) {
            snprintf(eve_path, sizeof(eve_path), "%s/eve.json", dir);
            eve = eve_path;
        }
        if (!fl) {
            snprintf(fl_path, sizeof(fl_path), "%s/flows.log", dir);
            fl = fl_path;
        }
    }
    /* The store: --db, or periscope.db in the log directory. */
    char db_path[PATH_MAX];
    const char *db = o.db;
    if (!db && !o.no_db && (o.log_dir || (!o.eve && !o.flowlog))) {
        snprintf(db_path, sizeof(db_path), "%s/periscope.db",
                 o.log_dir ? o.log_dir : "periscope-out");
        db = db_path;
    }
    static struct ps_dbsink dbs;
    if (db && !o.no_db) {
        char err[300];
        if (ps_dbsink_open(&dbs, db, err, sizeof(err)) != 0) {
            fprintf(stderr, "periscope: %s\n", err);
            ps_eni_map_free(&eni);
            ps_pipeline_free(w);
            free(w);
            return 1;
        }
        w->out.db = &dbs;
    }
    if (o.clickhouse) {
        char err[300];
        w->out.ch =
            ps_ch_open(o.clickhouse, o.ch_buffer ? o.ch_buffer : 64u << 20, err, sizeof(err));
        if (!w->out.ch) {
            fprintf(stderr, "periscope: %s\n", err);
            return 1;
        }
        ps_ch_set_backpressure(w->out.ch, !live);
    } else if (o.ch_buffer) {
        die_usage("--clickhouse-buffer needs --clickhouse", NULL);
    }
    if (eve)
        w->out.eve = open_out(eve, live);
    if (fl) {
        w->out.flowlog = open_out(fl, live);
        ps_out_flowlog_header(&w->out);
    }
    if (live) {
        int rc = listen_loop(w, &cfg, &lo, eve, fl, o.quiet, o.ch_wait_s);
        ps_ch_free(w->out.ch);
        if (w->out.db)
            ps_dbsink_close(w->out.db);
        ps_eni_map_free(&eni);
        ps_pipeline_free(w);
        free(w);
        return rc;
    }

    struct progress pr = {0};
    pr.on = !o.quiet && isatty(STDERR_FILENO);
    pr.start = pr.last = now_s();
    if (stdin_uses == 0) {
        for (int i = 0; i < nfiles; i++) {
            struct stat st;
            if (stat(files[i], &st) == 0)
                pr.total += (uint64_t)st.st_size;
        }
    }

    int status = 0;
    for (int i = 0; i < nfiles && status == 0; i++)
        if (read_file(w, files[i], &o, &pr) != 0)
            status = 1;
    ps_pipeline_finish(w);
    if (pr.on)
        progress_draw(&pr, 0, w->c.v[PS_C_PKTS_RECEIVED], true);
    double secs = now_s() - pr.start;

    bool write_err = false;
    if (w->out.eve && (fflush(w->out.eve) != 0 || ferror(w->out.eve)))
        write_err = true;
    if (w->out.flowlog && (fflush(w->out.flowlog) != 0 || ferror(w->out.flowlog)))
        write_err = true;
    if (write_err) {
        fprintf(stderr, "periscope: writing output failed: %s\n", strerror(errno));
        status = 1;
    }
    if (w->out.db) {
        ps_dbsink_close(w->out.db);
        if (w->out.db->errors) {
            fprintf(stderr, "periscope: %s: %llu rows not written: %s\n", db,
                    (unsigned long long)w->out.db->errors, w->out.db->err);
            status = 1;
        }
    }
    if (w->out.ch && ch_finish(w, o.ch_wait_s) != 0)
        status = 1;
    if (!o.quiet)
        print_summary(w, secs, eve && strcmp(eve, "-") ? eve : NULL,
                      fl && strcmp(fl, "-") ? fl : NULL);
    if (!o.quiet && w->out.db)
        fprintf(stderr, "  db: %s (%llu rows)\n", db, (unsigned long long)w->out.db->rows);
    ps_ch_free(w->out.ch);
    if (w->out.eve && w->out.eve != stdout)
        fclose(w->out.eve);
    if (w->out.flowlog && w->out.flowlog != stdout)
        fclose(w->out.flowlog);
    ps_eni_map_free(&eni);
    ps_pipeline_free(w);
    free(w);
    return status;
}

/* periscope clickhouse-schema [--database NAME] */
static int cmd_clickhouse_schema(int argc, char **argv)
{
    const char *db = "periscope";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs("usage: periscope clickhouse-schema [--database NAME]\n"
                  "\n"
                  "Print the CREATE DATABASE and CREATE TABLE statements of the tables that\n"
                  "--clickhouse fills, one per EVE event type (MergeTree, ordered by time),\n"
                  "and of flowlogs, flowlog_files and flowlog_malformed, which 'periscope\n"
                  "flowlogs import --clickhouse' fills (and creates if missing); ClickHouse\n"
                  "18.16 and later:\n"
                  "  periscope clickhouse-schema | clickhouse-client --multiquery\n"
                  "  --database NAME   database to create them in (default periscope; the\n"
                  "                    --clickhouse URL names it with ?database=NAME)\n",
                  stdout);
            return 0;
        }
        if (strcmp(argv[i], "--database") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strncmp(argv[i], "--database=", 11) == 0)
            db = argv[i] + 11;
        else
            die_usage("clickhouse-schema takes only --database NAME", argv[i]);
    }
    if (!ps_ch_ident_ok(db, strlen(db)))
        die_usage("the database must be a plain name (letters, digits, '_')", db);
    ps_ch_schema(stdout, db);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* A configuration file's settings come first: the command line's win. */
static int cmd_with_config(int argc, char **argv, bool live)
{
    const char *path = NULL;
    for (int i = 1; i < argc && !path; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    if (!path)
        return cmd_run(argc, argv, live);
    struct ps_config_words cw;
    char err[300];
    if (ps_config_load(&cw, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope: %s\n", err);
        return 1;
    }
    char **cargv = calloc((size_t)(argc + cw.n + 1), sizeof(*cargv));
    if (!cargv) {
        ps_config_free(&cw);
        die_usage("out of memory", NULL);
    }
    cargv[0] = argv[0];
    memcpy(cargv + 1, cw.w, (size_t)cw.n * sizeof(*cargv));
    memcpy(cargv + 1 + cw.n, argv + 1, (size_t)(argc - 1) * sizeof(*cargv));
    int rc = cmd_run(argc + cw.n, cargv, live);
    free(cargv);
    ps_config_free(&cw);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("periscope %s (%s)\n", PS_VERSION, pcap_lib_version());
        return 0;
    }
    if (strcmp(cmd, "--list-counters") == 0) {
        static const char *kinds[] = {"count", "drop", "anomaly"};
        for (int i = 0; i < PS_C__COUNT; i++)
            printf("%s\t%s\t%s\n", ps_counter_table[i].name, kinds[ps_counter_table[i].kind],
                   ps_counter_table[i].desc);
        return 0;
    }
    if (strcmp(cmd, "--list-signatures") == 0) {
        for (int i = 0; i < PS_SIG__COUNT; i++)
            printf("%u\t%s\t%u\t%s\n", ps_sig_table[i].sid, ps_sig_table[i].detector,
                   ps_sig_table[i].severity, ps_sig_table[i].msg);
        return 0;
    }
    if (strcmp(cmd, "read") == 0)
        return cmd_with_config(argc - 1, argv + 1, false);
    if (strcmp(cmd, "listen") == 0)
        return cmd_with_config(argc - 1, argv + 1, true);
    if (strcmp(cmd, "flowlogs") == 0)
        return ps_cmd_flowlogs(argc - 1, argv + 1);
    if (strcmp(cmd, "cost") == 0)
        return ps_cmd_cost(argc - 1, argv + 1);
    if (strcmp(cmd, "mirror") == 0)
        return ps_cmd_mirror(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return ps_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "clickhouse-schema") == 0)
        return cmd_clickhouse_schema(argc - 1, argv + 1);
    fprintf(stderr, "periscope: unknown command '%s'\n", cmd);
    fputs(usage_main, stderr);
    return 1;
}
