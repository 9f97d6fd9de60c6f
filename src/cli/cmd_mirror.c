/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope mirror`: Traffic Mirroring for hosts AWS cannot mirror. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_mirror.h"
#include "cli/config.h"
#include "core/jparse.h"
#include "mirror/agent.h"
#include "mirror/filter.h"

static const char usage_mirror[] =
    "usage: periscope mirror -i IFACE[,IFACE] --target HOST[:PORT] [OPTIONS]\n"
    "       periscope mirror --sessions S.json --filter F.json [--targets T.json]\n"
    "                        --map ENI=IFACE --target-addr ID=HOST[:PORT] [OPTIONS]\n"
    "\n"
    "Do what AWS Traffic Mirroring does, on a host it cannot mirror (T2, bare metal,\n"
    "container-to-container traffic, on premises): copy the chosen packets of chosen\n"
    "interfaces (both directions: in and out relative to the interface, as on an ENI),\n"
    "wrapped in VXLAN (UDP 4789, VNI of the session, outer source port a hash of the\n"
    "inner flow, frame cut to the packet length) to a mirror target: 'periscope listen',\n"
    "Suricata, Zeek, an NLB. Needs root (CAP_NET_RAW and CAP_NET_ADMIN). Runs until\n"
    "SIGTERM or SIGINT; a stats line every 60 s and at exit.\n"
    "\n"
    "One session in periscope's own words:\n"
    "  -i, --interface IFACE[,IFACE]  source interfaces (repeatable): a NIC, a bridge\n"
    "                            (its forwarded traffic too), a container's veth\n"
    "      --target HOST[:PORT]  where VXLAN goes (repeatable: several sensors, spread by a\n"
    "                            symmetric flow hash); a name is re-resolved (an NLB's)\n"
    "      --vni N               VXLAN network id (default: derived from the session,\n"
    "                            as AWS picks one when none is given)\n"
    "      --packet-length N     bytes of each frame to mirror, 1..8500 (default: whole)\n"
    "      --rule RULE           a filter rule (repeatable, at most 10), the fields of\n"
    "                            an AWS rule: 'ingress|egress NUMBER accept|reject\n"
    "                            [protocol tcp|udp|icmp|icmpv6|N|all] [source CIDR]\n"
    "                            [destination CIDR] [source-port LO[-HI]]\n"
    "                            [destination-port LO[-HI]]'; without --rule every\n"
    "                            packet in both directions is accepted\n"
    "      --amazon-dns-service  the filter's amazon-dns network service: mirror DNS\n"
    "                            with the Amazon resolver (not eligible otherwise)\n"
    "\n"
    "The AWS CLI's JSON, read unchanged:\n"
    "      --sessions FILE       'aws ec2 describe-traffic-mirror-sessions' (repeatable)\n"
    "      --filter FILE         'aws ec2 describe-traffic-mirror-filters' (repeatable)\n"
    "      --targets FILE        'aws ec2 describe-traffic-mirror-targets' (optional)\n"
    "      --map ENI=IFACE       the local interface of a session's NetworkInterfaceId\n"
    "                            (repeatable; sessions of unmapped ENIs are skipped)\n"
    "      --target-addr ID=HOST[:PORT]  the address of a target; ID is its tmt- id, or\n"
    "                            with --targets its ENI id, NLB ARN or vpce id\n"
    "\n"
    "Both:\n"
    "      --amazon-dns ADDR     another Amazon DNS resolver address (the VPC+2 one;\n"
    "                            169.254.169.253 and fd00:ec2::253 always count)\n"
    "      --include-never-mirrored  also mirror what AWS never mirrors: ARP, DHCP, the\n"
    "                            instance metadata service, NTP, Windows activation\n"
    "      --max-pps N           mirror at most N frames per second; the rest is\n"
    "                            skipped and counted (reason budget)\n"
    "      --cpu-budget PCT      use at most PCT %% of one core; over it the kernel\n"
    "                            ring fills and drops copies, counted (ring_full)\n"
    "      --ring-mb N           capture ring per interface in MiB (default 32)\n"
    "      --metrics [ADDR:]PORT Prometheus text metrics over HTTP (a bare port binds\n"
    "                            127.0.0.1)\n"
    "      --stats-interval S    stats line every S seconds (default 60; 0 = at exit)\n"
    "      --resolve-interval S  re-resolve target names every S seconds (default 60)\n"
    "      --count N             stop after mirroring N frames\n"
    "      --mark N              socket mark of the agent's own output (default\n"
    "                            0x70736d31); the capture filter never copies it\n"
    "      --check               load and check the configuration, print it, exit\n"
    "      --config FILE         settings from FILE, one long option per line\n"
    "                            ('rule = ingress 100 accept protocol tcp')\n"
    "  -q, --quiet               no start message and no stats lines\n"
    "  -h, --help                this help\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT or --count, 1 on bad usage or configuration.\n";

#define MAX_LIST 32

struct mopts {
    const char *iface[MAX_LIST], *target[MAX_LIST], *rule[MAX_LIST];
    int niface, ntarget, nrule;
    const char *sessions[MAX_LIST], *filters[MAX_LIST], *targets[MAX_LIST];
    int nsessions, nfilters, ntargets;
    const char *map[MAX_LIST], *taddr[MAX_LIST], *dns[MAX_LIST];
    int nmap, ntaddr, ndns;
    long long vni;
    long plen;
    bool amazon_dns_service, check;
};

static int bad(const char *msg, const char *arg)
{
    fprintf(stderr, "periscope mirror: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "Try 'periscope mirror --help'.\n");
    return 1;
}

static bool num_arg(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 0);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int add_list(const char **list, int *n, const char *v)
{
    if (*n >= MAX_LIST)
        return -1;
    list[(*n)++] = v;
    return 0;
}

typedef int (*load_fn)(struct ps_mconfig *c, const char *text, size_t len, char *err,
                       size_t errlen);

static int load_files(struct ps_mconfig *c, const char *const *files, int n, load_fn fn)
{
    for (int i = 0; i < n; i++) {
        char err[400];
        FILE *f = fopen(files[i], "rb");
        char *buf = NULL;
        size_t len = 0;
        int rc = -1;
        if (f) {
            buf = malloc(16u << 20);
            len = buf ? fread(buf, 1, 16u << 20, f) : 0;
            fclose(f);
            rc = buf && len < (16u << 20) ? fn(c, buf, len, err, sizeof(err)) : -1;
            if (rc != 0 && (!buf || len >= (16u << 20)))
                snprintf(err, sizeof(err), "too large (16 MiB at most) or out of memory");
        } else {
            snprintf(err, sizeof(err), "cannot open");
        }
        free(buf);
        if (rc != 0) {
            fprintf(stderr, "periscope mirror: %s: %s\n", files[i], err);
            return -1;
        }
    }
    return 0;
}

/* -i, --target, --rule: one filter, one target, a session per interface. */
static int build_simple(struct ps_mconfig *c, const struct mopts *m, char *err, size_t errlen)
{
    struct ps_mfilter *f = ps_mconfig_filter(c, "periscope");
    if (!f)
        return -1;
    f->amazon_dns = m->amazon_dns_service;
    static const char *all[] = {"ingress 1 accept", "egress 1 accept",
                                "ingress 2 accept source ::/0", "egress 2 accept source ::/0"};
    for (int i = 0; i < (m->nrule ? m->nrule : 4); i++)
        if (ps_mfilter_add_rule_text(f, m->nrule ? m->rule[i] : all[i], err, errlen) != 0)
            return -1;
    for (int i = 0; i < m->ntarget; i++)
        if (ps_mconfig_target_addr(c, "target", m->target[i], err, errlen) != 0)
            return -1;
    for (int i = 0; i < m->niface; i++) {
        char list[256];
        snprintf(list, sizeof(list), "%s", m->iface[i]);
        for (char *s = list, *comma; s && *s; s = comma ? comma + 1 : NULL) {
            comma = strchr(s, ',');
            if (comma)
                *comma = 0;
            char spec[600], sid[300];
            snprintf(spec, sizeof(spec), "%s=%s", s, s);
            snprintf(sid, sizeof(sid), "periscope-%s", s);
            if (ps_mconfig_map(c, spec, err, errlen) != 0 ||
                ps_mconfig_add_session(c, sid, s, "periscope", "target", 1, (uint32_t)m->plen,
                                       m->vni, err, errlen) != 0)
                return -1;
        }
    }
    return 0;
}

static void print_config(const struct ps_mconfig *c)
{
    static const char *dn[2] = {"ingress", "egress"};
    for (int i = 0; i < c->nsource; i++) {
        const struct ps_msource *s = &c->source[i];
        printf("source %s interface %s: %d session(s)\n", s->eni, s->ifname, s->nsession);
        for (int k = 0; k < s->nsession; k++) {
            const struct ps_msession *ss = &c->session[s->session[k]];
            const struct ps_mfilter *f = &c->filter[ss->filter];
            const struct ps_mtarget *t = &c->target[ss->target];
            printf("  session %s number %u vni %u packet-length %u filter %s%s target %s (", ss->id,
                   ss->number, ss->vni, ss->packet_length, f->id,
                   f->amazon_dns ? " +amazon-dns" : "", t->id);
            for (int a = 0; a < t->naddr; a++)
                printf("%s%s", a ? " " : "", t->addr[a]);
            printf(")\n");
            for (int d = 0; d < 2; d++)
                for (int r = 0; r < f->nrule[d]; r++) {
                    const struct ps_mrule *ru = &f->rule[d][r];
                    printf("    %s %u %s protocol %d", dn[d], ru->number,
                           ru->accept ? "accept" : "reject", ru->proto);
                    if (ru->has_sport)
                        printf(" source-port %u-%u", ru->sport_lo, ru->sport_hi);
                    if (ru->has_dport)
                        printf(" destination-port %u-%u", ru->dport_lo, ru->dport_hi);
                    printf(" (IPv%u /%u -> /%u)\n", ru->src.ver, ru->src.prefix, ru->dst.prefix);
                }
        }
    }
    if (c->unmapped)
        printf("%d session(s) skipped: their ENI has no --map\n", c->unmapped);
}

static int run(int argc, char **argv)
{
    enum {
        O_TARGET = 256,
        O_VNI,
        O_PLEN,
        O_RULE,
        O_ADNS_SVC,
        O_SESSIONS,
        O_FILTER,
        O_TARGETS,
        O_MAP,
        O_TADDR,
        O_ADNS,
        O_NEVER,
        O_PPS,
        O_CPU,
        O_RING,
        O_METRICS,
        O_STATS,
        O_RESOLVE,
        O_COUNT,
        O_MARK,
        O_CHECK,
        O_CONFIG,
    };
    static const struct option lopts[] = {
        {"interface", required_argument, NULL, 'i'},
        {"target", required_argument, NULL, O_TARGET},
        {"vni", required_argument, NULL, O_VNI},
        {"packet-length", required_argument, NULL, O_PLEN},
        {"rule", required_argument, NULL, O_RULE},
        {"amazon-dns-service", no_argument, NULL, O_ADNS_SVC},
        {"sessions", required_argument, NULL, O_SESSIONS},
        {"filter", required_argument, NULL, O_FILTER},
        {"targets", required_argument, NULL, O_TARGETS},
        {"map", required_argument, NULL, O_MAP},
        {"target-addr", required_argument, NULL, O_TADDR},
        {"amazon-dns", required_argument, NULL, O_ADNS},
        {"include-never-mirrored", no_argument, NULL, O_NEVER},
        {"max-pps", required_argument, NULL, O_PPS},
        {"cpu-budget", required_argument, NULL, O_CPU},
        {"ring-mb", required_argument, NULL, O_RING},
        {"metrics", required_argument, NULL, O_METRICS},
        {"stats-interval", required_argument, NULL, O_STATS},
        {"resolve-interval", required_argument, NULL, O_RESOLVE},
        {"count", required_argument, NULL, O_COUNT},
        {"mark", required_argument, NULL, O_MARK},
        {"check", no_argument, NULL, O_CHECK},
        {"config", required_argument, NULL, O_CONFIG},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct mopts m;
    static struct ps_mconfig cfg;
    memset(&m, 0, sizeof(m));
    m.vni = -1;
    struct ps_magent_opts ao = {.cfg = &cfg, .stats_s = 60, .resolve_s = 60};
    long long v = 0;
    int opt, full = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "i:qh", lopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            full |= add_list(m.iface, &m.niface, optarg);
            break;
        case O_TARGET:
            full |= add_list(m.target, &m.ntarget, optarg);
            break;
        case O_VNI:
            if (!num_arg(optarg, 0, 0xffffff, &m.vni))
                return bad("--vni must be 0..16777215", optarg);
            break;
        case O_PLEN:
            if (!num_arg(optarg, 1, PS_MF_MAX_PKTLEN, &v))
                return bad("--packet-length must be 1..8500", optarg);
            m.plen = (long)v;
            break;
        case O_RULE:
            full |= add_list(m.rule, &m.nrule, optarg);
            break;
        case O_ADNS_SVC:
            m.amazon_dns_service = true;
            break;
        case O_SESSIONS:
            full |= add_list(m.sessions, &m.nsessions, optarg);
            break;
        case O_FILTER:
            full |= add_list(m.filters, &m.nfilters, optarg);
            break;
        case O_TARGETS:
            full |= add_list(m.targets, &m.ntargets, optarg);
            break;
        case O_MAP:
            full |= add_list(m.map, &m.nmap, optarg);
            break;
        case O_TADDR:
            full |= add_list(m.taddr, &m.ntaddr, optarg);
            break;
        case O_ADNS:
            full |= add_list(m.dns, &m.ndns, optarg);
            break;
        case O_NEVER:
            ao.include_never = true;
            break;
        case O_PPS:
            if (!num_arg(optarg, 1, 1000000000LL, &v))
                return bad("--max-pps must be at least 1", optarg);
            ao.max_pps = (uint64_t)v;
            break;
        case O_CPU:
            if (!num_arg(optarg, 1, 100, &v))
                return bad("--cpu-budget must be 1..100 (percent of one core)", optarg);
            ao.cpu_pct = (unsigned)v;
            break;
        case O_RING:
            if (!num_arg(optarg, 1, 4096, &v))
                return bad("--ring-mb must be 1..4096", optarg);
            ao.ring_mb = (unsigned)v;
            break;
        case O_METRICS:
            ao.metrics = optarg;
            break;
        case O_STATS:
            if (!num_arg(optarg, 0, 86400, &v))
                return bad("--stats-interval must be 0..86400 seconds", optarg);
            ao.stats_s = (unsigned)v;
            break;
        case O_RESOLVE:
            if (!num_arg(optarg, 1, 86400, &v))
                return bad("--resolve-interval must be 1..86400 seconds", optarg);
            ao.resolve_s = (unsigned)v;
            break;
        case O_COUNT:
            if (!num_arg(optarg, 1, (long long)1 << 62, &v))
                return bad("--count must be at least 1", optarg);
            ao.max_packets = (uint64_t)v;
            break;
        case O_MARK:
            if (!num_arg(optarg, 1, 0xffffffffLL, &v))
                return bad("--mark must be 1..0xffffffff", optarg);
            ao.mark = (uint32_t)v;
            break;
        case O_CHECK:
            m.check = true;
            break;
        case O_CONFIG:
            break; /* read before: see ps_cmd_mirror */
        case 'q':
            ao.quiet = true;
            break;
        case 'h':
            fputs(usage_mirror, stdout);
            return 0;
        default:
            return bad("bad option", NULL);
        }
    }
    if (full)
        return bad("too many values of one option (at most 32)", NULL);
    if (optind < argc)
        return bad("unexpected argument", argv[optind]);
    bool aws = m.nsessions || m.nfilters || m.ntargets || m.nmap || m.ntaddr;
    bool own = m.niface || m.ntarget || m.nrule || m.vni >= 0 || m.plen || m.amazon_dns_service;
    if (aws && own)
        return bad("-i, --target, --vni, --packet-length, --rule and --amazon-dns-service "
                   "describe one session; --sessions, --filter, --targets, --map and "
                   "--target-addr describe AWS's: use one set",
                   NULL);
    if (!aws && (!m.niface || !m.ntarget))
        return bad("give -i IFACE and --target HOST[:PORT] (or --sessions ...)", NULL);
    if (aws && (!m.nsessions || !m.nfilters))
        return bad("--sessions and --filter are both needed", NULL);
    char err[400];
    ps_mconfig_init(&cfg);
    for (int i = 0; i < m.ndns; i++)
        if (ps_mconfig_add_dns(&cfg, m.dns[i], err, sizeof(err)) != 0)
            return bad(err, NULL);
    if (!aws && build_simple(&cfg, &m, err, sizeof(err)) != 0)
        return bad(err, NULL);
    if (aws) {
        if (load_files(&cfg, m.filters, m.nfilters, ps_mconfig_load_filters) != 0 ||
            load_files(&cfg, m.targets, m.ntargets, ps_mconfig_load_targets) != 0 ||
            load_files(&cfg, m.sessions, m.nsessions, ps_mconfig_load_sessions) != 0)
            return 1;
        for (int i = 0; i < m.nmap; i++)
            if (ps_mconfig_map(&cfg, m.map[i], err, sizeof(err)) != 0)
                return bad(err, NULL);
        for (int i = 0; i < m.ntaddr; i++) {
            char id[200];
            const char *eq = strchr(m.taddr[i], '=');
            if (!eq || eq == m.taddr[i] || (size_t)(eq - m.taddr[i]) >= sizeof(id))
                return bad("--target-addr expects ID=HOST[:PORT]", m.taddr[i]);
            memcpy(id, m.taddr[i], (size_t)(eq - m.taddr[i]));
            id[eq - m.taddr[i]] = 0;
            if (ps_mconfig_target_addr(&cfg, id, eq + 1, err, sizeof(err)) != 0)
                return bad(err, NULL);
        }
    }
    if (ps_mconfig_finish(&cfg, err, sizeof(err)) != 0)
        return bad(err, NULL);
    if (m.check) {
        print_config(&cfg);
        return 0;
    }
    return ps_mirror_run(&ao);
}

int ps_cmd_mirror(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc && !path; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    if (!path)
        return run(argc, argv);
    static struct ps_config_words cw;
    char err[300];
    if (ps_config_load(&cw, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope mirror: %s\n", err);
        return 1;
    }
    char **cargv = calloc((size_t)(argc + cw.n + 1), sizeof(*cargv));
    if (!cargv) {
        ps_config_free(&cw);
        return bad("out of memory", NULL);
    }
    cargv[0] = argv[0];
    memcpy(cargv + 1, cw.w, (size_t)cw.n * sizeof(*cargv));
    memcpy(cargv + 1 + cw.n, argv + 1, (size_t)(argc - 1) * sizeof(*cargv));
    int rc = run(argc + cw.n, cargv);
    free(cargv);
    ps_config_free(&cw);
    return rc;
}
