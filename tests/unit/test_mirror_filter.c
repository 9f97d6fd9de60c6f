/* SPDX-License-Identifier: BSD-2-Clause */
/* Traffic Mirroring filter and session semantics, case by case from the AWS
 * documentation (../shared/docs/aws-mirroring.md: 1.6 directions, 1.7 never
 * mirrored and amazon-dns, 1.8 sessions, 2.1 rule fields, 3.5 quotas). */
#include <arpa/inet.h>
#include <stdlib.h>

#include "mirror/filter.h"
#include "unit.h"

/* An Ethernet frame: IPv4 or IPv6 (by the address text), proto, ports;
 * frag = a non-first IPv4 fragment. Returns the length. */
static uint32_t frame(uint8_t *f, const char *src, const char *dst, uint8_t proto, uint16_t sp,
                      uint16_t dp, int frag)
{
    memset(f, 0, 128);
    bool six = strchr(src, ':') != NULL;
    f[12] = six ? 0x86 : 0x08;
    f[13] = six ? 0xdd : 0x00;
    uint8_t *ip = f + 14, *l4;
    if (six) {
        ip[0] = 0x60;
        ip[6] = proto;
        inet_pton(AF_INET6, src, ip + 8);
        inet_pton(AF_INET6, dst, ip + 24);
        l4 = ip + 40;
    } else {
        ip[0] = 0x45;
        ip[9] = proto;
        if (frag)
            ip[6] = 0x00, ip[7] = 0x10; /* offset 16 (x8 bytes) */
        inet_pton(AF_INET, src, ip + 12);
        inet_pton(AF_INET, dst, ip + 16);
        l4 = ip + 20;
    }
    l4[0] = (uint8_t)(sp >> 8);
    l4[1] = (uint8_t)sp;
    l4[2] = (uint8_t)(dp >> 8);
    l4[3] = (uint8_t)dp;
    return (uint32_t)(l4 - f) + 20;
}

static struct ps_mconfig cfg;

/* A config with one source "eni-s" = "eth0" and the filters/sessions given as
 * AWS JSON fragments. Returns 0 or -1 (err filled). */
static int setup(const char *filters, const char *sessions, char *err, size_t errlen)
{
    ps_mconfig_init(&cfg);
    if (ps_mconfig_load_filters(&cfg, filters, strlen(filters), err, errlen) != 0 ||
        ps_mconfig_load_sessions(&cfg, sessions, strlen(sessions), err, errlen) != 0 ||
        ps_mconfig_target_addr(&cfg, "tmt-1", "192.0.2.1", err, errlen) != 0 ||
        ps_mconfig_map(&cfg, "eni-s=eth0", err, errlen) != 0)
        return -1;
    return ps_mconfig_finish(&cfg, err, errlen);
}

#define SESSION(num, filter, extra)                                                     \
    "{\"TrafficMirrorSessionId\":\"tms-" #num "\",\"TrafficMirrorTargetId\":\"tmt-1\"," \
    "\"TrafficMirrorFilterId\":\"" filter "\",\"NetworkInterfaceId\":\"eni-s\","        \
    "\"SessionNumber\":" #num extra "}"
#define ONE_SESSION \
    "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-a", ",\"VirtualNetworkId\":7") "]}"
#define RULE(dir, num, act, more)                                                           \
    "{\"TrafficDirection\":\"" dir "\",\"RuleNumber\":" #num ",\"RuleAction\":\"" act "\"," \
    "\"SourceCidrBlock\":\"0.0.0.0/0\",\"DestinationCidrBlock\":\"0.0.0.0/0\"" more "}"
#define RULE_C(dir, num, act, src, dst, more)                                               \
    "{\"TrafficDirection\":\"" dir "\",\"RuleNumber\":" #num ",\"RuleAction\":\"" act "\"," \
    "\"SourceCidrBlock\":\"" src "\",\"DestinationCidrBlock\":\"" dst "\"" more "}"
#define FILTER(id, in, out, svc)                                             \
    "{\"TrafficMirrorFilterId\":\"" id "\",\"IngressFilterRules\":[" in "]," \
    "\"EgressFilterRules\":[" out "],\"NetworkServices\":[" svc "]}"
#define FILTERS1(in, out, svc) "{\"TrafficMirrorFilters\":[" FILTER("tmf-a", in, out, svc) "]}"

struct pcase {
    const char *name;
    const char *src, *dst;
    uint8_t proto;
    uint16_t sp, dp;
    int frag;
    int dir;
    int want; /* session index mirrored, or -1 */
    int why;  /* enum ps_mverdict when want < 0 */
};

/* Run the packet cases against the loaded configuration. */
static void run_cases(const char *group, const struct pcase *c, size_t n, bool include_never)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t f[128];
        struct ps_mpkt p;
        uint32_t len = frame(f, c[i].src, c[i].dst, c[i].proto, c[i].sp, c[i].dp, c[i].frag);
        CHECK(ps_mpkt_parse(&cfg, f, len, &p) == 0);
        enum ps_mverdict why = PS_MV__COUNT;
        int got = ps_mirror_decide(&cfg, 0, (enum ps_mdir)c[i].dir, &p, include_never, &why);
        unit_checks++;
        if (got != c[i].want || (got < 0 && (int)why != c[i].why)) {
            unit_failures++;
            fprintf(stderr, "mirror_filter %s/%s: session %d (%s), want %d (%s)\n", group,
                    c[i].name, got, why < PS_MV__COUNT ? ps_mverdict_name[why] : "?", c[i].want,
                    c[i].want < 0 ? ps_mverdict_name[c[i].why] : "mirror");
        }
    }
}

#define IN  PS_MDIR_INGRESS
#define OUT PS_MDIR_EGRESS

static void test_rules(void)
{
    char err[300] = "";
    /* "By default, no traffic is mirrored": a filter without rules. */
    CHECK(setup(FILTERS1("", "", ""), ONE_SESSION, err, sizeof(err)) == 0);
    static const struct pcase none[] = {
        {"no rule, in", "10.0.0.1", "10.0.0.2", 6, 1000, 80, 0, IN, -1, PS_MV_NO_MATCH},
        {"no rule, out", "10.0.0.2", "10.0.0.1", 6, 80, 1000, 0, OUT, -1, PS_MV_NO_MATCH},
    };
    run_cases("empty", none, sizeof(none) / sizeof(none[0]), false);

    /* Rule numbers are evaluated lowest first, whatever the list order; the
     * first matching rule decides; a reject ends the evaluation. Ingress
     * rules say nothing about egress ("if you don't add outbound rules, no
     * outbound traffic is mirrored"). */
    CHECK(setup(FILTERS1(RULE("ingress", 200, "accept",
                              "") "," RULE("ingress", 100, "reject",
                                           ",\"Protocol\":17") "," RULE("ingress", 50, "accept",
                                                                        ",\"Protocol\":"
                                                                        "17,"
                                                                        "\"Destinati"
                                                                        "onPortRange"
                                                                        "\":{"
                                                                        "\"FromPort\":"
                                                                        "5000,"
                                                                        "\"ToPort\":"
                                                                        "5010}"),
                         "", ""),
                ONE_SESSION, err, sizeof(err)) == 0);
    if (*err)
        fprintf(stderr, "%s\n", err);
    static const struct pcase order[] = {
        {"tcp: rule 200 accepts", "10.0.0.1", "10.0.0.2", 6, 1000, 80, 0, IN, 0, 0},
        {"udp 53: rule 100 rejects before 200", "10.0.0.1", "10.0.0.2", 17, 1000, 53, 0, IN, -1,
         PS_MV_NO_MATCH},
        {"udp 5005: rule 50 accepts first", "10.0.0.1", "10.0.0.2", 17, 1000, 5005, 0, IN, 0, 0},
        {"udp 5011: out of the range, rule 100", "10.0.0.1", "10.0.0.2", 17, 1, 5011, 0, IN, -1,
         PS_MV_NO_MATCH},
        {"egress has no rule", "10.0.0.2", "10.0.0.1", 6, 80, 1000, 0, OUT, -1, PS_MV_NO_MATCH},
        {"IPv4 rules do not match IPv6", "fd00::1", "fd00::2", 6, 1000, 80, 0, IN, -1,
         PS_MV_NO_MATCH},
    };
    run_cases("order", order, sizeof(order) / sizeof(order[0]), false);
    CHECK(cfg.filter[0].rule[IN][0].number == 50 && cfg.filter[0].rule[IN][2].number == 200);

    /* Protocol, CIDRs (host bits ignored), port ranges for TCP and UDP. */
    CHECK(
        setup(FILTERS1(RULE_C("ingress", 10, "accept", "10.0.0.0/24", "10.1.0.9/16",
                              ",\"Protocol\":6,\"SourcePortRange\":{\"FromPort\":1024,"
                              "\"ToPort\":2048},\"DestinationPortRange\":{\"FromPort\":80,"
                              "\"ToPort\":80}") "," RULE_C("ingress", 20, "accept", "::/0",
                                                           "2001:db8::/32", ""),
                       RULE_C("egress", 10, "accept", "0.0.0.0/0", "0.0.0.0/0", ",\"Protocol\":1"),
                       ""),
              ONE_SESSION, err, sizeof(err)) == 0);
    static const struct pcase fields[] = {
        {"all fields match", "10.0.0.5", "10.1.200.1", 6, 1500, 80, 0, IN, 0, 0},
        {"source outside /24", "10.0.1.5", "10.1.200.1", 6, 1500, 80, 0, IN, -1, PS_MV_NO_MATCH},
        {"destination outside /16", "10.0.0.5", "10.2.0.1", 6, 1500, 80, 0, IN, -1, PS_MV_NO_MATCH},
        {"source port above the range", "10.0.0.5", "10.1.0.1", 6, 2049, 80, 0, IN, -1,
         PS_MV_NO_MATCH},
        {"source port at the low end", "10.0.0.5", "10.1.0.1", 6, 1024, 80, 0, IN, 0, 0},
        {"destination port 81", "10.0.0.5", "10.1.0.1", 6, 1500, 81, 0, IN, -1, PS_MV_NO_MATCH},
        {"protocol udp, rule tcp", "10.0.0.5", "10.1.0.1", 17, 1500, 80, 0, IN, -1, PS_MV_NO_MATCH},
        {"non-first fragment: no ports", "10.0.0.5", "10.1.0.1", 6, 1500, 80, 1, IN, -1,
         PS_MV_NO_MATCH},
        {"IPv6 rule, IPv6 packet", "fd00::1", "2001:db8::5", 17, 1, 2, 0, IN, 0, 0},
        {"IPv6 rule, outside /32", "fd00::1", "2001:db9::5", 17, 1, 2, 0, IN, -1, PS_MV_NO_MATCH},
        {"egress icmp accepted", "10.0.0.5", "8.8.8.8", 1, 0, 0, 0, OUT, 0, 0},
        {"egress fragment of any protocol, icmp rule", "10.0.0.5", "8.8.8.8", 1, 0, 0, 1, OUT, 0,
         0},
        {"egress tcp: no rule", "10.0.0.5", "8.8.8.8", 6, 1, 2, 0, OUT, -1, PS_MV_NO_MATCH},
    };
    run_cases("fields", fields, sizeof(fields) / sizeof(fields[0]), false);
}

static void test_services(void)
{
    char err[300] = "";
    /* Accept everything; what AWS never mirrors is still skipped. */
    CHECK(setup(FILTERS1(RULE("ingress", 1, "accept", ""), RULE("egress", 1, "accept", ""), ""),
                ONE_SESSION, err, sizeof(err)) == 0);
    CHECK(ps_mconfig_add_dns(&cfg, "10.0.0.2", err, sizeof(err)) == 0); /* VPC+2 */
    static const struct pcase never[] = {
        {"DHCP client", "0.0.0.0", "255.255.255.255", 17, 68, 67, 0, OUT, -1, PS_MV_NEVER},
        {"NTP anywhere", "10.0.0.5", "192.0.2.9", 17, 40000, 123, 0, OUT, -1, PS_MV_NEVER},
        {"Amazon Time Sync address", "10.0.0.5", "169.254.169.123", 6, 40000, 80, 0, OUT, -1,
         PS_MV_NEVER},
        {"instance metadata", "10.0.0.5", "169.254.169.254", 6, 40000, 80, 0, OUT, -1, PS_MV_NEVER},
        {"IMDS answer", "169.254.169.254", "10.0.0.5", 6, 80, 40000, 0, IN, -1, PS_MV_NEVER},
        {"Windows activation", "10.0.0.5", "169.254.169.250", 6, 40000, 1688, 0, OUT, -1,
         PS_MV_NEVER},
        {"Amazon DNS at VPC+2", "10.0.0.5", "10.0.0.2", 17, 40000, 53, 0, OUT, -1,
         PS_MV_AMAZON_DNS},
        {"Amazon DNS answer", "169.254.169.253", "10.0.0.5", 17, 53, 40000, 0, IN, -1,
         PS_MV_AMAZON_DNS},
        {"Amazon DNS over TCP", "10.0.0.5", "10.0.0.2", 6, 40000, 53, 0, OUT, -1, PS_MV_AMAZON_DNS},
        {"other DNS servers are rules' business", "10.0.0.5", "1.1.1.1", 17, 40000, 53, 0, OUT, 0,
         0},
        {"VPC+2 but not DNS", "10.0.0.5", "10.0.0.2", 6, 40000, 80, 0, OUT, 0, 0},
    };
    run_cases("never", never, sizeof(never) / sizeof(never[0]), false);
    /* --include-never-mirrored: through the filters like the rest. */
    static const struct pcase incl[] = {
        {"NTP included", "10.0.0.5", "192.0.2.9", 17, 40000, 123, 0, OUT, 0, 0},
        {"IMDS included", "10.0.0.5", "169.254.169.254", 6, 40000, 80, 0, OUT, 0, 0},
    };
    run_cases("include", incl, sizeof(incl) / sizeof(incl[0]), true);
    uint8_t arp[60] = {0};
    arp[12] = 0x08;
    arp[13] = 0x06;
    struct ps_mpkt p;
    enum ps_mverdict why;
    CHECK(ps_mpkt_parse(&cfg, arp, sizeof(arp), &p) == 0 && p.never == PS_MNEVER_ARP);
    CHECK(ps_mirror_decide(&cfg, 0, IN, &p, false, &why) == -1 && why == PS_MV_NEVER);
    CHECK(ps_mirror_decide(&cfg, 0, IN, &p, true, &why) == 0);

    /* amazon-dns on: all that service's traffic, even with no rule at all. */
    CHECK(setup(FILTERS1("", "", "\"amazon-dns\""), ONE_SESSION, err, sizeof(err)) == 0);
    static const struct pcase dns[] = {
        {"query", "10.0.0.5", "169.254.169.253", 17, 40000, 53, 0, OUT, 0, 0},
        {"answer", "169.254.169.253", "10.0.0.5", 17, 53, 40000, 0, IN, 0, 0},
        {"IPv6 resolver", "fd00::5", "fd00:ec2::253", 17, 40000, 53, 0, OUT, 0, 0},
        {"the rest: no rule", "10.0.0.5", "1.1.1.1", 17, 40000, 53, 0, OUT, -1, PS_MV_NO_MATCH},
    };
    run_cases("amazon-dns", dns, sizeof(dns) / sizeof(dns[0]), false);
}

static void test_sessions(void)
{
    char err[300] = "";
    /* Session 2 accepts TCP; session 1 (listed after it) accepts port 80
     * only; session 3 accepts everything. "The first session with a
     * matching filter is the one that mirrors the packets", once. */
    static const char filters[] = "{\"TrafficMirrorFilters\":[" FILTER(
        "tmf-web",
        RULE("ingress", 1, "accept",
             ",\"Protocol\":6,\"DestinationPortRange\":{"
             "\"FromPort\":80,\"ToPort\":80}"),
        "", "") "," FILTER("tmf-tcp", RULE("ingress", 1, "accept", ",\"Protocol\":6"), "",
                           "") "," FILTER("tmf-all", RULE("ingress", 1, "accept", ""),
                                          RULE("egress", 1, "accept", ""), "") "]}";
    static const char sessions[] = "{\"TrafficMirrorSessions\":[" SESSION(
        20, "tmf-tcp",
        ",\"VirtualNetworkId\":20") "," SESSION(10, "tmf-web",
                                                ",\"VirtualNetworkId\":10,\"PacketLength\":"
                                                "64") "," SESSION(30, "tmf-all", "") "]}";
    CHECK(setup(filters, sessions, err, sizeof(err)) == 0);
    if (*err)
        fprintf(stderr, "%s\n", err);
    CHECK(cfg.source[0].nsession == 3);
    /* Sessions in the file: tms-20 (0), tms-10 (1), tms-30 (2). */
    static const struct pcase prio[] = {
        {"port 80: session 10", "10.0.0.1", "10.0.0.2", 6, 1000, 80, 0, IN, 1, 0},
        {"tcp 443: session 20", "10.0.0.1", "10.0.0.2", 6, 1000, 443, 0, IN, 0, 0},
        {"udp: session 30", "10.0.0.1", "10.0.0.2", 17, 1000, 443, 0, IN, 2, 0},
        {"egress: session 30", "10.0.0.2", "10.0.0.1", 6, 80, 1000, 0, OUT, 2, 0},
    };
    run_cases("priority", prio, sizeof(prio) / sizeof(prio[0]), false);
    CHECK_EQ(cfg.session[1].packet_length, 64);
    CHECK_EQ(cfg.session[0].packet_length, 0); /* absent: the whole packet */
    /* No VirtualNetworkId: one is given, 24 bits, the same every time. */
    uint32_t vni = cfg.session[2].vni;
    CHECK(vni <= 0xffffff && vni != 0);
    CHECK(setup(filters, sessions, err, sizeof(err)) == 0);
    CHECK_EQ(cfg.session[2].vni, vni);

    /* Quotas and ranges are refused, with a message. */
    static const struct {
        const char *name, *filters, *sessions, *msg;
    } bad[] = {
        {"4 sessions on one source", filters,
         "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-all", "") "," SESSION(
             2, "tmf-all", "") "," SESSION(3, "tmf-all", "") "," SESSION(4, "tmf-all", "") "]}",
         "more than 3 sessions"},
        {"one session number twice", filters,
         "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-all", "") ",{\"TrafficMirrorSessionId\":"
                                                                  "\"tms-x\",\"TrafficMirrorTar"
                                                                  "getId\":\"tmt-1\",\"TrafficM"
                                                                  "irrorFilterId\":\"tmf-all\","
                                                                  "\"NetworkInterfaceId\":\"eni"
                                                                  "-s\",\"SessionNumber\":1}]}",
         "one SessionNumber"},
        {"PacketLength 8501", filters,
         "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-all", ",\"PacketLength\":8501") "]}",
         "PacketLength"},
        {"PacketLength 0", filters,
         "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-all", ",\"PacketLength\":0") "]}",
         "PacketLength"},
        {"VNI of 25 bits", filters,
         "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-all",
                                                ",\"VirtualNetworkId\":16777216") "]}",
         "VirtualNetworkId"},
        {"SessionNumber 32767", filters,
         "{\"TrafficMirrorSessions\":[" SESSION(32767, "tmf-all", "") "]}", "SessionNumber"},
        {"unknown filter", filters, "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-none", "") "]}",
         "not loaded"},
        {"rule number twice",
         FILTERS1(RULE("ingress", 1, "accept", "") "," RULE("ingress", 1, "reject", ""), "", ""),
         ONE_SESSION, "same rule number"},
        {"11 rules",
         FILTERS1(RULE("ingress", 1, "accept", "") "," RULE("ingress", 2, "accept", "") "," RULE(
                      "ingress", 3, "accept", "") "," RULE("ingress", 4, "accept",
                                                           "") "," RULE("ingress", 5, "accept",
                                                                        "") "," RULE("ingress", 6,
                                                                                     "accept", ""),
                  RULE("egress", 1, "accept", "") "," RULE("egress", 2, "accept", "") "," RULE(
                      "egress", 3, "accept", "") "," RULE("egress", 4, "accept",
                                                          "") "," RULE("egress", 5, "accept", ""),
                  ""),
         ONE_SESSION, "more than 10 rules"},
        {"mixed families",
         FILTERS1(RULE_C("ingress", 1, "accept", "10.0.0.0/8", "::/0", ""), "", ""), ONE_SESSION,
         "both be IPv4"},
        {"ports on ICMP",
         FILTERS1(RULE("ingress", 1, "accept",
                       ",\"Protocol\":1,\"SourcePortRange\":{\"FromPort\":1,\"ToPort\":2}"),
                  "", ""),
         ONE_SESSION, "TCP (6) and UDP (17)"},
        {"FromPort above ToPort",
         FILTERS1(RULE("ingress", 1, "accept",
                       ",\"Protocol\":6,\"SourcePortRange\":{\"FromPort\":9,\"ToPort\":2}"),
                  "", ""),
         ONE_SESSION, "FromPort <= ToPort"},
        {"bad action", FILTERS1(RULE("ingress", 1, "drop", ""), "", ""), ONE_SESSION, "RuleAction"},
        {"direction in the wrong list", FILTERS1("", RULE("ingress", 1, "accept", ""), ""),
         ONE_SESSION, "TrafficDirection"},
        {"bad CIDR",
         FILTERS1(RULE_C("ingress", 1, "accept", "10.0.0.0/33", "0.0.0.0/0", ""), "", ""),
         ONE_SESSION, "CIDR"},
        {"unknown network service", FILTERS1("", "", "\"amazon-ntp\""), ONE_SESSION,
         "network service"},
        {"not the CLI's JSON", "[]", ONE_SESSION, "TrafficMirrorFilters"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        int rc = setup(bad[i].filters, bad[i].sessions, err, sizeof(err));
        unit_checks++;
        if (rc == 0 || !strstr(err, bad[i].msg)) {
            unit_failures++;
            fprintf(stderr, "mirror_filter bad/%s: rc %d, '%s'\n", bad[i].name, rc, err);
        }
    }

    /* A session of an ENI without --map is skipped and counted. */
    ps_mconfig_init(&cfg);
    static const char s2[] = "{\"TrafficMirrorSessions\":[" SESSION(1, "tmf-all", "") "]}";
    static const char targets[] =
        "{\"TrafficMirrorTargets\":[{\"TrafficMirrorTargetId\":\"tmt-1\",\"NetworkLoadBalancerArn"
        "\":\"arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/NLB/7c\",\"Type\":"
        "\"network-load-balancer\"}]}";
    CHECK(ps_mconfig_load_filters(&cfg, filters, strlen(filters), err, sizeof(err)) == 0);
    CHECK(ps_mconfig_load_sessions(&cfg, s2, strlen(s2), err, sizeof(err)) == 0);
    CHECK(ps_mconfig_load_targets(&cfg, targets, strlen(targets), err, sizeof(err)) == 0);
    CHECK(ps_mconfig_finish(&cfg, err, sizeof(err)) == -1 && strstr(err, "no address"));
    /* The target's address given by its NLB ARN reaches tmt-1. */
    CHECK(ps_mconfig_target_addr(&cfg,
                                 "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/NLB/7c",
                                 "nlb.example:4789", err, sizeof(err)) == 0);
    CHECK(ps_mconfig_finish(&cfg, err, sizeof(err)) == 0);
    CHECK_EQ(cfg.unmapped, 1);
    CHECK_EQ(cfg.ntarget, 1);
}

static void test_own_rules(void)
{
    char err[300] = "";
    struct ps_mfilter f;
    memset(&f, 0, sizeof(f));
    CHECK(ps_mfilter_add_rule_text(&f,
                                   "egress 100 accept protocol tcp destination 10.0.0.0/8 "
                                   "destination-port 80-90",
                                   err, sizeof(err)) == 0);
    CHECK(ps_mfilter_add_rule_text(&f, "egress 50 reject source fd00::/8", err, sizeof(err)) == 0);
    CHECK(f.nrule[OUT] == 2 && f.rule[OUT][0].number == 50 && f.rule[OUT][0].src.ver == 6);
    CHECK(f.rule[OUT][1].proto == 6 && f.rule[OUT][1].dport_lo == 80 &&
          f.rule[OUT][1].dport_hi == 90 && !f.rule[OUT][1].has_sport);
    static const char *const bad[] = {
        "sideways 1 accept",
        "ingress 0 accept",
        "ingress 1 maybe",
        "ingress 2 accept protocol 256",
        "ingress 3 accept source 10.0.0.0/8 destination ::/0",
        "ingress 4 accept protocol icmp source-port 1",
        "ingress 5 accept port 80",
        "ingress 6 accept protocol udp destination-port 90-80",
        "ingress 7 accept source",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unit_checks++;
        if (ps_mfilter_add_rule_text(&f, bad[i], err, sizeof(err)) == 0) {
            unit_failures++;
            fprintf(stderr, "mirror_filter own rule accepted: %s\n", bad[i]);
        }
    }
}

static void test_hash(void)
{
    /* Both directions of a flow: one hash, so one outer port and one sensor. */
    ps_mconfig_init(&cfg);
    uint8_t f[128];
    struct ps_mpkt a, b, c;
    ps_mpkt_parse(&cfg, f, frame(f, "10.0.0.1", "10.0.0.2", 6, 40000, 443, 0), &a);
    ps_mpkt_parse(&cfg, f, frame(f, "10.0.0.2", "10.0.0.1", 6, 443, 40000, 0), &b);
    ps_mpkt_parse(&cfg, f, frame(f, "10.0.0.1", "10.0.0.2", 6, 40001, 443, 0), &c);
    CHECK_EQ(ps_mpkt_flow_hash(&a), ps_mpkt_flow_hash(&b));
    CHECK(ps_mpkt_flow_hash(&a) != ps_mpkt_flow_hash(&c));
    uint16_t sp = ps_mirror_sport(ps_mpkt_flow_hash(&a));
    CHECK(sp >= 49152);
    /* Other protocols: the 3-tuple (ports are not read). */
    ps_mpkt_parse(&cfg, f, frame(f, "fd00::1", "fd00::2", 47, 1, 2, 0), &a);
    ps_mpkt_parse(&cfg, f, frame(f, "fd00::2", "fd00::1", 47, 3, 4, 0), &b);
    CHECK_EQ(ps_mpkt_flow_hash(&a), ps_mpkt_flow_hash(&b));
    /* An 802.1Q tag, and IPv6 extension headers, before the ports. */
    uint8_t g[160];
    uint32_t n = frame(f, "10.0.0.1", "10.0.0.2", 17, 5353, 53, 0);
    memcpy(g, f, 12);
    g[12] = 0x81, g[13] = 0x00, g[14] = 0x00, g[15] = 0x07;
    memcpy(g + 16, f + 12, n - 12);
    CHECK(ps_mpkt_parse(&cfg, g, n + 4, &a) == 0 && a.ip && a.has_ports && a.dport == 53);
    n = frame(f, "fd00::1", "fd00::2", 0 /* hop-by-hop */, 0, 0, 0);
    memcpy(g, f, 54);
    memset(g + 54, 0, 8); /* hop-by-hop: next header TCP, length 0 (8 bytes) */
    g[54] = 6;
    g[62] = 0x1f, g[63] = 0x90, g[64] = 0x00, g[65] = 0x50; /* 8080 -> 80 */
    memset(g + 66, 0, 16);
    CHECK(ps_mpkt_parse(&cfg, g, 82, &a) == 0 && a.proto == 6 && a.sport == 8080 && a.dport == 80);
    CHECK(ps_mpkt_parse(&cfg, g, 60, &a) == -1); /* the extension header cut */
    /* Short frames are refused, not read past their end. */
    CHECK(ps_mpkt_parse(&cfg, f, 13, &a) == -1);
    CHECK(ps_mpkt_parse(&cfg, f, frame(f, "10.0.0.1", "10.0.0.2", 6, 1, 2, 0) - 21, &a) == -1);
}

void test_mirror_filter(void)
{
    test_rules();
    test_services();
    test_sessions();
    test_own_rules();
    test_hash();
}
